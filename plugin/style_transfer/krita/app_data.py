"""What the plugin keeps in Krita itself: the settings used last and the last applied job (Krita's
settings file), and the plugin's folder of layer styles, presets and map snapshots."""

from __future__ import annotations

import os
import re
from typing import Any

from ..common.settings import JobSettings

SETTINGS_GROUP = "style_transfer"


def krita() -> Any:
    from krita import Krita

    return Krita.instance()


def load_settings(key: str = "settings") -> JobSettings:
    """The settings used last in the docker (or "last_applied"). Settings stored by earlier
    versions use the same field names and load as they are; unknown or broken ones start
    clean."""
    return JobSettings.from_json(krita().readSetting(SETTINGS_GROUP, key, ""))


def save_settings(settings: JobSettings, key: str = "settings") -> None:
    krita().writeSetting(SETTINGS_GROUP, key, settings.to_json())


def data_dir(sub: str) -> str:
    """<Krita resource folder>/style_transfer/<sub>: layer styles and presets the user made."""
    base = krita().getAppDataLocation()
    path = os.path.join(base, "style_transfer", sub)
    os.makedirs(path, exist_ok=True)
    return path


def safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_") or "style"
