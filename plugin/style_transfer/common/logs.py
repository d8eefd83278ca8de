"""A rotating log file in the user's data folder: what a user attaches to a bug report, instead
of tracebacks printed to a console nobody sees (krita-ai-diffusion does the same)."""

from __future__ import annotations

import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Dict

ENV_LOG_DIR = "STYLE_TRANSFER_LOG_DIR"
_loggers: Dict[str, logging.Logger] = {}


def log_dir() -> Path:
    """$STYLE_TRANSFER_LOG_DIR, else the per-OS data folder the model cache also lives in."""
    if os.environ.get(ENV_LOG_DIR):
        return Path(os.environ[ENV_LOG_DIR])
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "style-transfer" / "logs"


def log_path(host: str) -> Path:
    return log_dir() / f"{host}.log"


def logger(host: str) -> logging.Logger:
    """The logger of `host` ("krita", "gimp"), writing to log_path(host): 3 files of 512 kB.
    Falls back to stderr when the folder cannot be written (read-only home, sandbox)."""
    if host in _loggers:
        return _loggers[host]
    log = logging.getLogger(f"style_transfer.{host}")
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        path = log_path(host)
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = RotatingFileHandler(
            path, maxBytes=512 * 1024, backupCount=2, encoding="utf-8")
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    _loggers[host] = log
    return log


def tail(host: str, lines: int = 60) -> str:
    """The last lines of the log, for a 'Copy details' button."""
    try:
        text = log_path(host).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
