"""The plugin's own folders (engine/folders.py), computed once for the model cache, the logs and
the pip wheel cache, and the log file made only when there is something to log."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from style_transfer import deps
from style_transfer.common import logs
from style_transfer.engine import folders, models


def _where(mp: pytest.MonkeyPatch, home: Path) -> dict:
    mp.setenv("HOME", str(home))
    mp.setenv("USERPROFILE", str(home))
    for var in ("STYLE_TRANSFER_CACHE", "STYLE_TRANSFER_LOG_DIR"):
        mp.delenv(var, raising=False)
    return {"models": models.default_cache_dir(), "logs": logs.log_dir(),
            "log file": logs.log_path("krita"), "pip": folders.pip_dir()}


@pytest.mark.parametrize("value", ["", "  ", "relative/share"])
def test_an_empty_or_relative_xdg_folder_counts_as_unset(tmp_path: Path, value: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "platform", "linux")
        for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME"):
            mp.setenv(var, value)
        got = _where(mp, tmp_path)
    data = tmp_path / ".local" / "share" / "style-transfer"
    assert got == {"models": data / "models", "logs": data / "logs",
                   "log file": data / "logs" / "krita.log",
                   "pip": tmp_path / ".cache" / "style-transfer" / "pip"}


def test_windows_and_macos_folders(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "platform", "win32")
        mp.setenv("LOCALAPPDATA", "")
        win = _where(mp, tmp_path)
        mp.setattr(sys, "platform", "darwin")
        mac = _where(mp, tmp_path)
    local = tmp_path / "AppData" / "Local" / "style-transfer"
    assert win == {"models": local / "models", "logs": local / "logs",
                   "log file": local / "logs" / "krita.log", "pip": local / "pip"}
    support = tmp_path / "Library" / "Application Support" / "style-transfer"
    assert mac["models"] == support / "models" and mac["logs"] == support / "logs"
    assert mac["pip"] == tmp_path / "Library" / "Caches" / "style-transfer" / "pip"


def test_own_variables_win_and_empty_ones_do_not(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        mp.setenv("STYLE_TRANSFER_CACHE", str(tmp_path / "m"))
        mp.setenv("STYLE_TRANSFER_LOG_DIR", "")
        assert models.default_cache_dir() == tmp_path / "m"
        assert logs.log_dir() == tmp_path / "xdg" / "style-transfer" / "logs"


def test_deps_uses_the_same_cache_folder_rule(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
        assert deps.folders.pip_dir() == tmp_path / "c" / "style-transfer" / "pip"


def test_the_log_file_is_made_on_the_first_record(tmp_path: Path) -> None:
    """Krita's controller makes its logger at import: that alone must leave no empty file (an
    uninstall left style-transfer/logs/krita.log behind)."""
    folder = tmp_path / "logs"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STYLE_TRANSFER_LOG_DIR", str(folder))
        log = logs.logger("first-record-test")
        assert not folder.exists()
        log.info("hello")
        for handler in log.handlers:
            handler.flush()
        assert "hello" in (folder / "first-record-test.log").read_text(encoding="utf-8")
