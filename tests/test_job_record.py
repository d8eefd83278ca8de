"""The job a document carries (common/job_record.py): what goes in, what comes back, and what a
damaged or foreign record gives. Real Krita saves and reopens it in tests/krita."""

from __future__ import annotations

import json

import numpy as np
import pytest
from style_transfer.common import job_record
from style_transfer.common.settings import JobSettings, MapRef, StyleRef


def _settings(tmp_path):
    snap = tmp_path / "private" / "painter" / "selection-abc.png"
    snap.parent.mkdir(parents=True)
    snap.write_bytes(b"\x89PNG fake but kept byte for byte")
    region = MapRef("node", "{1234-uuid}", "sky")
    styles = (StyleRef("layer", str(tmp_path / "private" / "painter" / "udnie-1.png"), "udnie",
                       0.7, region),
              StyleRef("file", str(tmp_path / "private" / "painter" / "stripes.jpg"),
                       "stripes", 1.5))
    return JobSettings(styles=styles, strength=0.55, scale=1.25, model="f16",
                       strength_map=MapRef("file", str(snap), "selection 10:00"),
                       scale_range=(2.0, 0.5), frames="keys", stability=0.3), snap


def test_round_trip_keeps_every_setting_and_the_exact_vectors(tmp_path):
    settings, snap = _settings(tmp_path)
    rng = np.random.default_rng(1)
    vectors = [rng.standard_normal(100).astype(np.float32) for _ in settings.styles]
    data = job_record.encode(settings, vectors, {str(snap): snap.read_bytes()},
                             [b"\x89PNG thumb", None])
    assert b"private" not in data and b"painter" not in data  # no folder of this machine
    back = job_record.decode(data, str(tmp_path / "styles"), str(tmp_path / "maps"))
    assert [s.kind for s in back.styles] == ["vector", "vector"]
    for got, want, v in zip(back.styles, settings.styles, vectors):
        assert (got.name, got.weight, got.region) == (want.name, want.weight, want.region)
        assert np.array_equal(np.load(got.path), v)  # bit for bit: the same render
    with open(job_record.thumbnail_of(back.styles[0].path), "rb") as f:
        assert f.read() == b"\x89PNG thumb"  # the list shows the style's picture again
    assert back.strength_map.name == "selection 10:00"
    with open(back.strength_map.key, "rb") as f:
        assert f.read() == snap.read_bytes()
    rest = {k: getattr(back, k) for k in ("strength", "scale", "model", "scale_range", "frames",
                                          "stability", "runtime", "preserve_colors")}
    assert rest == {k: getattr(settings, k) for k in rest}
    again = job_record.decode(data, str(tmp_path / "styles"), str(tmp_path / "maps"))
    assert again == back  # the same files, not a new copy per read
    assert len(list((tmp_path / "styles").iterdir())) == 3  # two vectors, one picture


def test_a_style_without_vector_is_left_out(tmp_path):
    settings, _ = _settings(tmp_path)
    data = job_record.encode(settings, [None, np.zeros(100)], {})
    back = job_record.decode(data, str(tmp_path), str(tmp_path))
    assert [s.name for s in back.styles] == ["stripes"]


@pytest.mark.parametrize("data, says", [
    (b"\x00\xffgarbage", "damaged"),
    (b"{\"format\": \"style-transfer\", \"version\": 99, \"job\": {}}", "another version"),
    (b"[1, 2]", "not one this plugin wrote"),
    (json.dumps({"format": "style-transfer", "version": 1,
                 "job": {"styles": [{"name": "x", "vector": [1, 2]}]}}).encode(), "damaged"),
    (json.dumps({"format": "style-transfer", "version": 1,
                 "job": {"strength": "lots"}}).encode(), "damaged"),
])
def test_damaged_or_foreign_records_give_one_line(tmp_path, data, says):
    with pytest.raises(job_record.RecordError) as e:
        job_record.decode(data, str(tmp_path), str(tmp_path))
    assert says in str(e.value) and "\n" not in str(e.value)
