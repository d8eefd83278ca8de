"""A rotating log file in the user's data folder: what a user attaches to a bug report, instead
of tracebacks printed to a console nobody sees (krita-ai-diffusion does the same).

The file (and its folder) is made on the first record, not when a host creates its logger at
import: a plugin that was only loaded leaves nothing behind."""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO, Any, Dict

from ..engine.folders import log_dir

_loggers: Dict[str, logging.Logger] = {}


def log_path(host: str) -> Path:
    return log_dir() / f"{host}.log"


class _FileOnFirstRecord(RotatingFileHandler):
    """3 files of 512 kB, opened (folder made) on the first record; stderr when the folder
    cannot be written (read-only home, sandbox)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, maxBytes=512 * 1024, backupCount=2, encoding="utf-8", delay=True)
        self._fallback: Any = None

    def _open(self) -> IO[str]:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def emit(self, record: logging.LogRecord) -> None:
        if self._fallback is None and self.stream is None:
            try:
                self.stream = self._open()
            except OSError:
                self._fallback = logging.StreamHandler(sys.stderr)
                self._fallback.setFormatter(self.formatter)
        if self._fallback is not None:
            self._fallback.emit(record)
        else:
            super().emit(record)


def logger(host: str) -> logging.Logger:
    """The logger of `host` ("krita", "gimp"), writing to log_path(host)."""
    if host in _loggers:
        return _loggers[host]
    log = logging.getLogger(f"style_transfer.{host}")
    log.setLevel(logging.INFO)
    log.propagate = False
    handler = _FileOnFirstRecord(log_path(host))
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
