"""An Apply on an animation (Frames: all keyframes / playback range): keys read on the main
thread one at a time as the worker asks for them, painted by common/animate.py on the worker,
written into the result layer (krita/animation.py) on the main thread as each one is done.

Neither side holds the clip: a 24-key 1920x1080 animation never has more than a frame or two in
memory, and the UI thread only reads or writes one key at a time."""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterator, Optional

import numpy as np

from ..common import animate, coverage, maps, naming
from ..common.settings import JobSettings
from ..engine.progress import CancelToken
from . import animation, layers, map_layers
from .qt import QObject, pyqtSignal


class FrameFeed(QObject):
    """Hands the worker the keys it asks for, read on the main thread (where Krita's objects
    live): the worker emits `wanted`, Qt queues it to the main thread, the read sets an event."""

    wanted = pyqtSignal(int)

    def __init__(self, read: Callable[[int], np.ndarray]) -> None:
        super().__init__()
        self._read_fn = read
        self._ready = threading.Event()
        self._frame: Optional[np.ndarray] = None
        self._error: Optional[BaseException] = None
        self.wanted.connect(self._read)

    def _read(self, k: int) -> None:
        try:
            self._frame = self._read_fn(k)
        except Exception as e:  # handed to the worker, which fails the job with it
            self._error = e
        self._ready.set()

    def get(self, k: int, token: CancelToken) -> np.ndarray:
        self._ready.clear()
        self._frame, self._error = None, None
        self.wanted.emit(k)
        while not self._ready.wait(0.05):
            token.check()
        if self._error is not None:
            raise self._error
        frame, self._frame = self._frame, None
        assert frame is not None
        return frame

    def frames(self, n: int, token: CancelToken) -> Iterator[np.ndarray]:
        for k in range(n):
            yield self.get(k, token)


class ClipJob:
    """What an animation Apply needs besides the stills' Target: the keys, the result layer
    being written, the feed. Built on the main thread by plan()."""

    def __init__(self, doc: Any, node: Any, settings: JobSettings, masks: maps.Masks,
                 clip: animation.Clip) -> None:
        self.doc = doc
        self.node = node
        self.settings = settings
        self.masks = masks
        self.clip = clip
        name = naming.result_name(settings, layers.all_names(doc))
        self.result = animation.ResultLayer(doc, clip, name)
        self.feed = FrameFeed(self._read)
        self.error: Optional[str] = None  # why the job was stopped from the main thread

    def _read(self, k: int) -> np.ndarray:
        # a closed document's nodes must not be touched (Krita crashes natively, HOST_NOTES)
        gone = layers.target_problem(self.doc, self.node)
        if gone:
            raise layers.ColorSpaceError(gone)
        return animation.read_key(self.clip, self.clip.times[k])

    @classmethod
    def plan(cls, doc: Any, node: Any, settings: JobSettings) -> ClipJob:
        """Raises layers.ColorSpaceError with the one-line reason a job cannot start."""
        map_layers.check_sources(settings, doc, node)
        clip = animation.plan(doc, node, settings.frames)
        return cls(doc, node, settings, map_layers.read_all(doc, settings, clip.rect), clip)

    def work(self, engine: Any, emit_frame: Callable[[int, np.ndarray], None]
             ) -> Callable[[Callable[[float, str], None], CancelToken], int]:
        """The worker's function: paints every key, hands each to emit_frame(k, rgba)."""
        n = len(self.clip.times)

        def run(progress: Callable[[float, str], None], token: CancelToken) -> int:
            frames = self.feed.frames(n, token)
            for k, out in enumerate(animate.render_frames(
                    engine, self.settings, frames, n, self.masks, progress, token)):
                emit_frame(k, out)
            return n

        return run

    def write(self, k: int, out: np.ndarray) -> None:
        """Main thread: key k's result into the (still detached) result layer."""
        if not layers.is_open(self.doc):
            return  # the job ends with "the document was closed"
        self.result.write(self.clip.times[k], coverage.apply_to_alpha(out, self.clip.mask))

    def finish(self, n: int) -> tuple:
        """Main thread, after the last key: insert the result above the source (the one undo
        step). Returns (layer, message)."""
        source = layers.live_node(self.doc, self.node)
        above = layers.top_of_results(source, naming.PREFIX)
        layer = self.result.insert(above)
        keys = animate.frames_word(n).replace("frame", "keyframe")
        return layer, f"Added layer '{layer.name()}' ({keys})."

    def abandon(self) -> None:
        """Cancelled or failed: the result was never inserted; put the playhead back."""
        if layers.is_open(self.doc):
            self.result.restore_time()
