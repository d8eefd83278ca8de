"""The plugin's own folders, per OS, written once: the data folder (verified models, logs) and
the cache folder (the pip wheel *Install dependencies* may download).

    Linux & co.  $XDG_DATA_HOME (~/.local/share) and $XDG_CACHE_HOME (~/.cache)
    Windows      %LOCALAPPDATA% for both
    macOS        ~/Library/Application Support and ~/Library/Caches

each with a style-transfer/ folder inside. An environment variable that is set but empty
counts as unset, and so does a relative XDG path (the XDG spec calls it invalid): a relative
folder would follow the current directory, so logs and models would land wherever a program
happened to start.

Standard library only and no imports from the package: installer.py (any bare Python) loads
engine/models.py and deps.py by path, and they load this file the same way.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

APP = "style-transfer"
ENV_CACHE = "STYLE_TRANSFER_CACHE"  # the model cache folder, instead of <data>/models
ENV_LOG_DIR = "STYLE_TRANSFER_LOG_DIR"  # the log folder, instead of <data>/logs


def setting(name: str) -> Optional[str]:
    """An environment variable's value, None when it is unset or empty (or only blanks)."""
    value = os.environ.get(name, "")
    return value if value.strip() else None


def os_folder(name: str, default: Path) -> Path:
    """A per-user folder the OS or the desktop names in `name` (XDG_DATA_HOME, LOCALAPPDATA,
    APPDATA...): `default` when the variable is unset, empty or not an absolute path."""
    value = setting(name)
    return Path(value) if value and os.path.isabs(value) else default


def _per_os(mac: str, xdg: str, xdg_default: str) -> Path:
    """The user's folder of one kind: %LOCALAPPDATA% on Windows (data and cache alike),
    ~/Library/<mac> on macOS, $<xdg> (else ~/<xdg_default>) elsewhere."""
    home = Path.home()
    if sys.platform == "win32":
        return os_folder("LOCALAPPDATA", home / "AppData" / "Local")
    if sys.platform == "darwin":
        return home / "Library" / mac
    return os_folder(xdg, home / xdg_default)


def data_dir() -> Path:
    """<the user's data folder>/style-transfer."""
    return _per_os("Application Support", "XDG_DATA_HOME", ".local/share") / APP


def cache_dir() -> Path:
    """<the user's cache folder>/style-transfer."""
    return _per_os("Caches", "XDG_CACHE_HOME", ".cache") / APP


def models_dir() -> Path:
    """Where verified model files are kept (and OpenVINO's compiled networks beside them):
    $STYLE_TRANSFER_CACHE, else <data>/models."""
    own = setting(ENV_CACHE)
    return Path(own) if own else data_dir() / "models"


def log_dir() -> Path:
    """Where the hosts' log files go: $STYLE_TRANSFER_LOG_DIR, else <data>/logs."""
    own = setting(ENV_LOG_DIR)
    return Path(own) if own else data_dir() / "logs"


def layer_styles_dir() -> Path:
    """Where a host keeps a layer used as a style as PNG, so the style outlives its document
    (GIMP's last values and Filters > Repeat name the file): beside the log folder."""
    return log_dir().parent / "layer-styles"


def pip_dir() -> Path:
    """Where the pip wheel downloaded for *Install dependencies* is kept: <cache>/pip."""
    return cache_dir() / "pip"
