"""Progress reporting and cancellation shared by every long-running engine call."""

from __future__ import annotations

import threading
from typing import Callable, Optional

from .errors import Cancelled

#: callback(fraction in [0, 1], stage name). Called from the thread that runs the engine.
ProgressFn = Callable[[float, str], None]


class CancelToken:
    """Set from any thread (a UI's Cancel button); the engine checks it between model calls."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


class Progress:
    """Maps the steps of one stage onto a slice [start, end] of the overall 0..1 range."""

    def __init__(self, fn: Optional[ProgressFn], cancel: Optional[CancelToken]) -> None:
        self._fn = fn
        self._cancel = cancel

    def check(self) -> None:
        if self._cancel is not None:
            self._cancel.check()

    def report(self, fraction: float, stage: str) -> None:
        self.check()
        if self._fn is not None:
            self._fn(min(1.0, max(0.0, fraction)), stage)
