"""The Krita docker's controls are bound to JobSettings fields in one table (krita/binding.py):
every field a control edits is there once, and the fields left out are the ones the docker edits
through its own actions (the style list, the maps) or not at all."""

from __future__ import annotations

from dataclasses import fields

from style_transfer.common.settings import JobSettings
from style_transfer.krita import binding

EDITED_ELSEWHERE = {"styles", "strength_map", "scale_map"}  # styles_ui.py, maps_ui.py
NOT_IN_THE_DOCKER = {"style_mode"}  # the CLI's --style-mode; the docker always crops


def test_each_field_is_bound_once_or_edited_by_its_own_actions():
    bound = [b.field for b in binding.BINDINGS]
    assert len(bound) == len(set(bound))
    assert set(bound) | EDITED_ELSEWHERE | NOT_IN_THE_DOCKER == {f.name for f in
                                                                 fields(JobSettings)}
    assert not set(bound) & (EDITED_ELSEWHERE | NOT_IN_THE_DOCKER)
