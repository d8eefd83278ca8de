"""The networks behind one interface (`Network`), whatever runs them: LiteRT here (the reference
and the fallback), OpenVINO in openvino_backend.py; `select_runtime` picks one.

LiteRT: one Interpreter must not be used from two threads at once, so each thread gets its own,
kept for reuse (building one costs ~50 ms; the first invoke at a new input size costs up to 3x a
normal one). Inputs are matched by name and shape, never by position: the published files list
them in different orders.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Optional, Tuple

import numpy as np

from .errors import DependencyError, ModelError

STYLE_DIM = 100
_DYNAMIC_MULTIPLE = 4  # the dynamic transformer rounds H and W up to this
_DYNAMIC_MIN = 16  # a 1x1 input fails inside MIRROR_PAD; pad tiny inputs up to this
DYNAMIC_MAX = 1024  # im2col overflows 32 bit above ~1800^2; keep well below


def interpreter_class() -> Any:
    """ai-edge-litert first (maintained), then the frozen tflite-runtime, then full TensorFlow."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter
    except ImportError:
        pass
    try:
        from tflite_runtime.interpreter import Interpreter  # type: ignore[import-not-found]

        return Interpreter
    except ImportError:
        pass
    try:
        import tensorflow as tf  # type: ignore[import-not-found]

        return tf.lite.Interpreter
    except ImportError:
        raise DependencyError(
            "The TFLite runtime is not installed. Fix: `pip install ai-edge-litert` in the "
            "Python that runs this program."
        ) from None


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """LiteRT's C++ core writes "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." straight
    to file descriptor 2 on the first allocate_tensors(), whatever TF_CPP_MIN_LOG_LEVEL says
    (checked). A command-line tool whose errors are one line each wraps model loading in this;
    hosts leave their stderr alone."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (AttributeError, OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def default_threads() -> int:
    return max(1, os.cpu_count() or 1)


RUNTIME_CHOICES = ("auto", "openvino", "litert")
ENV_RUNTIME = "STYLE_TRANSFER_RUNTIME"


def litert_version() -> str:
    try:
        from importlib.metadata import version

        return version("ai-edge-litert")
    except Exception:  # metadata missing (a bare copy of the package): the name still helps
        return ""


class Network:
    """One model file behind a small pool of threads: what render.py, tiles.py and style.py
    use, whatever the runtime (LiteRT here, OpenVINO in openvino_backend.py).

    `workers` calls run at once (tiles in parallel); a call that runs alone (one-tile image,
    tone reference, style vector) goes to a "solo" thread that may use more cores. Subclasses
    implement _predict/_transform on the pool's threads and time their model calls through
    _invoke (the one timing point; bench/child.py wraps it)."""

    runtime = "litert"
    #: a runtime that paints big images whole sets its pixel budget for one call here, and its
    #: largest tile side above it (tiles.plan_tiles); 0 = LiteRT's 384 px tile rules
    one_call_pixels = 0
    tile_side = 384

    def __init__(self, path: Path, threads: Optional[int], workers: int,
                 solo_threads: Optional[int]) -> None:
        self.path = Path(path)
        self.threads = threads or default_threads()
        self.solo_threads = solo_threads or default_threads()
        self.workers = max(1, workers)
        self.dynamic = False
        self.input_hw: Tuple[int, int] = (0, 0)
        self._local = threading.local()
        self._lock = threading.Lock()
        name = f"{self.runtime}-{self.path.stem}"
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=name)
        if self.workers == 1 and self.solo_threads == self.threads:
            self._solo = self._pool  # the same interpreter would do: do not hold two
        else:
            self._solo = ThreadPoolExecutor(1, thread_name_prefix=f"{name}-solo",
                                            initializer=self._solo_thread)
        self.invoke_seconds = 0.0
        self.invokes = 0

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self._solo is not self._pool:
            self._solo.shutdown(wait=True)

    def _solo_thread(self) -> None:
        self._local.threads = self.solo_threads

    def _invoke(self, call: Callable[[], Any]) -> None:
        t = time.perf_counter()
        call()  # both runtimes release the GIL here: UI threads stay live
        dt = time.perf_counter() - t
        with self._lock:
            self.invoke_seconds += dt
            self.invokes += 1

    def predict(self, image: np.ndarray) -> np.ndarray:
        """Style network: float32 [H,W,3] in [0,1] at input size -> float32 (100,)."""
        return self._solo.submit(self._predict, image).result()

    def transform(self, content: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Transformer: float32 [H,W,3] in [0,1] + (100,) vector -> float32 [H,W,3] in [0,1].
        One call on its own: runs on the solo interpreter."""
        return self.submit_transform(content, vector, solo=True).result()

    def submit_transform(
        self, content: np.ndarray, vector: np.ndarray, solo: bool = False
    ) -> Future[np.ndarray]:
        """transform() on one of the pool's threads (or the solo one); returns at once."""
        return (self._solo if solo else self._pool).submit(self._transform, content, vector)

    def _predict(self, image: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _transform(self, content: np.ndarray, vector: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def reset_stats(self) -> None:
        with self._lock:
            self.invoke_seconds = 0.0
            self.invokes = 0


def padded_size(h: int, w: int) -> Tuple[int, int]:
    """The size the dynamic transformer really runs at for an h x w image (see dynamic_pad)."""
    return (max(_DYNAMIC_MIN, -(-h // _DYNAMIC_MULTIPLE) * _DYNAMIC_MULTIPLE),
            max(_DYNAMIC_MIN, -(-w // _DYNAMIC_MULTIPLE) * _DYNAMIC_MULTIPLE))


def dynamic_pad(content: np.ndarray) -> np.ndarray:
    """The transformer halves the size twice and doubles it twice: H and W go up to a multiple
    of 4 (>= 16: a 1x1 input fails inside MIRROR_PAD), mirror-padded; callers crop back."""
    h, w = content.shape[:2]
    ph, pw = padded_size(h, w)
    if (ph, pw) == (h, w):
        return content
    return np.pad(content, ((0, ph - h), (0, pw - w), (0, 0)), mode="symmetric")


class LiteRTNetwork(Network):
    """A model file run by LiteRT: each pool thread owns an interpreter.

    The threads persist for the Network's life, so their interpreters do too: a host that
    starts a new worker thread per render (a Qt worker, the CLI) never pays again for a fresh
    interpreter, whose first invoke faults in a new arena and costs 2-3x a normal call.
    Measured on 2 cores, a 512 px image in one call took 0.29 s on one thread and 0.18 s on
    two, while two parallel tiles on two threads each were 12 % slower than on one
    (oversubscribed cores). Inputs are matched by name and shape, never by position."""

    runtime = "litert"

    def __init__(
        self,
        path: Path,
        threads: Optional[int] = None,
        dynamic: Optional[bool] = None,
        workers: int = 1,
        solo_threads: Optional[int] = None,
    ) -> None:
        self._cls = interpreter_class()
        super().__init__(path, threads, workers, solo_threads)
        details = self._pool.submit(lambda: self._interpreter().get_input_details()).result()
        # The dynamic int8 transformer declares a fixed [1,384,384,3] signature yet accepts
        # resize_tensor_input, so the manifest (input_size: null) is the reliable source.
        if dynamic is None:
            dynamic = any(-1 in list(d.get("shape_signature", d["shape"])) for d in details)
        self.dynamic = dynamic
        shape = next(d["shape"] for d in details if d["shape"][-1] == 3)
        self.input_hw = (int(shape[1]), int(shape[2]))

    def _interpreter(self) -> Any:
        it = getattr(self._local, "interpreter", None)
        if it is None:
            threads = getattr(self._local, "threads", self.threads)
            try:
                it = self._cls(model_path=str(self.path), num_threads=threads)
                it.allocate_tensors()
            except (ValueError, RuntimeError) as e:
                raise ModelError(
                    f"{self.path} is not a usable TFLite model ({e}). Delete it and run "
                    "`style-transfer models fetch` to download a verified copy."
                ) from e
            self._local.interpreter = it
            self._local.size = None
        return it

    @staticmethod
    def _image_input(it: Any) -> Dict[str, Any]:
        for d in it.get_input_details():
            if d["shape"][-1] == 3 and len(d["shape"]) == 4:
                return d
        raise ModelError("Model has no image input [1,H,W,3]; is this the right file?")

    @staticmethod
    def _vector_input(it: Any) -> Optional[Dict[str, Any]]:
        for d in it.get_input_details():
            if d["shape"][-1] == STYLE_DIM:
                return d
        return None

    def _predict(self, image: np.ndarray) -> np.ndarray:
        it = self._interpreter()
        d = self._image_input(it)
        it.set_tensor(d["index"], np.ascontiguousarray(image[None], dtype=np.float32))
        self._invoke(it.invoke)
        out = it.get_tensor(it.get_output_details()[0]["index"])
        return out.reshape(-1).astype(np.float32)

    def _transform(self, content: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Fixed-size models need content at exactly input_hw. The dynamic model takes any size:
        it is padded to a multiple of 4 (>= 16) here and cropped back, so callers never see its
        rounding or its 1x1 failure."""
        it = self._interpreter()
        img = self._image_input(it)
        h, w = content.shape[:2]
        if self.dynamic:
            content = dynamic_pad(content)
            ph, pw = content.shape[:2]
            if max(ph, pw) > 2 * DYNAMIC_MAX:
                raise ModelError(f"{ph}x{pw} is too large for one call of the dynamic model")
            if self._local.size != (ph, pw):
                it.resize_tensor_input(img["index"], [1, ph, pw, 3])
                it.allocate_tensors()
                self._local.size = (ph, pw)
                img = self._image_input(it)
        elif (h, w) != self.input_hw:
            raise ValueError(f"fixed-size model needs {self.input_hw}, got {(h, w)}")
        vec = self._vector_input(it)
        if vec is None:
            raise ModelError(f"{self.path.name} has no style-vector input; is it a transformer?")
        it.set_tensor(img["index"], np.ascontiguousarray(content[None], dtype=np.float32))
        it.set_tensor(vec["index"], vector.reshape(1, 1, 1, STYLE_DIM).astype(np.float32))
        self._invoke(it.invoke)
        out = it.get_tensor(it.get_output_details()[0]["index"])[0]
        return out[:h, :w]
