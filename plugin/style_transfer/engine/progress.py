"""Progress reporting and cancellation shared by every long-running engine call, and the test
gate that holds a job at a named stage."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable, List, Optional

from .errors import Cancelled

#: callback(fraction in [0, 1], stage name). Called from the thread that runs the engine.
ProgressFn = Callable[[float, str], None]

#: Tests only: "STAGE@FOLDER" holds the first job of this process that reports STAGE (e.g.
#: "painting": style vector ready, model calls next) until FOLDER/open exists; FOLDER/reached
#: is written when it gets there. Tests of "while a render runs" (Ctrl+C in the CLI, a GIMP
#: plug-in killed) must not hope that the render is slow: on a CPU with bf16 it takes 0.3 s.
#: "!STAGE@FOLDER" holds it like one model call in progress: a Cancel does not end the wait
#: (the job stops at its next check once the gate opens), for "the cancelled render is still
#: finishing" cases.
ENV_HOLD = "STYLE_TRANSFER_TEST_HOLD"


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


class Gate:
    """A job held at `stage` until a test opens the gate (in-process tests: Krita's, which run
    inside Krita's Python). Cancelling the held job still works: it raises Cancelled at once,
    unless the gate is not `cancellable` (then it stands for a model call, which cannot stop)."""

    def __init__(self, stage: str, cancellable: bool = True) -> None:
        self.stage = stage
        self.cancellable = cancellable
        self.reached = threading.Event()
        self._open = threading.Event()

    def open(self) -> None:
        self._open.set()

    def is_open(self) -> bool:
        return self._open.is_set()

    def close(self) -> None:
        """Stop waiting for a job to get here (a test that gave up): no later job is held."""
        with _lock:
            if self in _gates:
                _gates.remove(self)
        self.open()


class _FileGate(Gate):
    """The ENV_HOLD gate of another process (the CLI, a GIMP plug-in): files, not events."""

    def __init__(self, stage: str, folder: str) -> None:
        super().__init__(stage.lstrip("!"), cancellable=not stage.startswith("!"))
        self.folder = Path(folder)

    def arrive(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "reached").write_text(self.stage, encoding="utf-8")

    def is_open(self) -> bool:
        return (self.folder / "open").exists()


_lock = threading.Lock()
_gates: List[Gate] = []


def hold_at(stage: str) -> Gate:
    """Tests only: hold the next job that reports `stage` (with a progress callback, so Apply
    and batch renders, never previews) until the returned gate is opened."""
    gate = Gate(stage)
    with _lock:
        _gates.append(gate)
    return gate


def _env_gate() -> None:
    spec = os.environ.get(ENV_HOLD, "")
    if "@" in spec:
        stage, folder = spec.split("@", 1)
        _gates.append(_FileGate(stage, folder))


_env_gate()


def _hold(stage: str, cancel: Optional[CancelToken]) -> None:
    with _lock:
        gate = next((g for g in _gates if g.stage == stage), None)
        if gate is None:
            return
        _gates.remove(gate)  # one job per gate
    if isinstance(gate, _FileGate):
        gate.arrive()
    gate.reached.set()
    while not gate.is_open():
        if cancel is not None and gate.cancellable:
            cancel.check()
        time.sleep(0.01)


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
            if _gates:
                _hold(stage, self._cancel)
            self._fn(min(1.0, max(0.0, fraction)), stage)
