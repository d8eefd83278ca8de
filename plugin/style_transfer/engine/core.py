"""The `Engine` facade: style images / presets / vectors in, stylized arrays out."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import DependencyError, EngineError, InputError, ModelError
from .images import check_array, load_image
from .models import DERIVED_CACHE, PREDICTOR_ID, ModelStore
from .progress import CancelToken, Progress, ProgressFn
from .render import Render, RenderOptions
from .runtime import (
    ENV_RUNTIME,
    RUNTIME_CHOICES,
    STYLE_DIM,
    LiteRTNetwork,
    Network,
    default_threads,
    interpreter_class,
    litert_version,
)
from .style import (
    StyleEncoder,
    apply_strength,
    blend,
    check_strength,
    check_vector,
    load_preset,
    load_vector_file,
)
from .tiles import plan_tiles

#: One style: an image array, a (100,) vector, or a path to an image / preset .json / .npy.
StyleItem = Union[np.ndarray, str, Path]


class Engine:
    """Owns the model store, the networks (loaded lazily, reused) and the style-vector cache.

    Safe to call from a worker thread; each thread gets its own interpreters."""

    def __init__(
        self,
        models: Optional[Union[str, Path]] = None,
        threads: Optional[int] = None,
        store: Optional[ModelStore] = None,
        workers: Optional[int] = None,
        runtime: Optional[str] = None,
    ) -> None:
        self.store = store or ModelStore(sources=[str(models)] if models else None)
        # CPU budget: `threads` in total, split over `workers` tiles painted at once. Parallel
        # tiles with one thread each beat one tile with many threads on small CPUs (measured,
        # see bench/), because a 384 px tile leaves too little work to split.
        total = threads or default_threads()
        self.total_threads = total
        self.workers = workers or min(2, total)
        self.threads = max(1, total // self.workers)
        #: the runtime used when RenderOptions.runtime is None
        self.runtime = check_runtime(runtime or os.environ.get(ENV_RUNTIME) or "auto")
        self._networks: Dict[Tuple[str, str, str], Network] = {}
        self._encoder: Optional[StyleEncoder] = None
        self._lock = threading.Lock()
        self._openvino_failed: Optional[str] = None  # why "auto" fell back to LiteRT

    # -- runtimes ------------------------------------------------------------------------------
    def _choice(self, runtime: Optional[str]) -> str:
        return self.runtime if runtime is None else check_runtime(runtime)

    def runtime_status(self, runtime: Optional[str] = None) -> str:
        """One line for a status bar: what renders run on, and why not OpenVINO if not, e.g.
        "OpenVINO 2026.4 (CPU, f32)", "LiteRT 2.3.0 — OpenVINO not installed"."""
        choice = self._choice(runtime)
        lite = f"LiteRT {litert_version()}".strip()
        if choice == "litert":
            return lite
        if self._openvino_failed:
            return f"{lite} — {self._openvino_failed}"
        try:
            from . import openvino_backend as ovb

            return f"OpenVINO {ovb.version()} ({ovb.device()}, {ovb.default_precision()})"
        except DependencyError:
            return f"{lite} — OpenVINO not installed"
        except Exception as e:  # a broken install: say so, renders fall back
            return f"{lite} — OpenVINO failed: {first_line(e)}"

    def runtime_for(self, runtime: Optional[str] = None) -> str:
        """The runtime a render with this choice runs on now: "openvino" or "litert"."""
        choice = self._choice(runtime)
        if choice == "litert" or (choice == "auto" and self._openvino_failed):
            return "litert"
        try:
            from . import openvino_backend as ovb

            ovb.import_openvino()
            return "openvino"
        except Exception:
            if choice == "openvino":
                raise
            return "litert"

    # -- models --------------------------------------------------------------------------------
    def network(self, model: str, runtime: Optional[str] = None) -> Network:
        """The network for a *Model* choice on a runtime, loaded once and reused. The style
        network always runs on LiteRT (6 ms there against 12 ms on OpenVINO). With "auto", an
        OpenVINO that does not import or cannot load the model gives LiteRT, and the reason
        goes to runtime_status()."""
        spec = self.store.spec(model)
        choice = self._choice(runtime)
        if spec.role == "transformer" and self.runtime_for(choice) == "openvino":
            try:
                return self._openvino_network(spec.id)
            except EngineError as e:
                if choice == "openvino":
                    raise
                self.openvino_failed(e)
        key = ("litert", spec.id, "")
        with self._lock:
            if key not in self._networks:
                self._networks[key] = LiteRTNetwork(
                    self.store.path(spec.id), self.threads, dynamic=spec.input_size is None,
                    workers=self.workers if spec.role == "transformer" else 1,
                )
            return self._networks[key]

    def _openvino_network(self, model_id: str) -> Network:
        from . import openvino_backend as ovb

        net_id, precision = ovb.PLAN.get(model_id, (model_id, None))
        key = ("openvino", net_id, precision or "")
        with self._lock:
            if key not in self._networks:
                path = self.store.path(net_id)
                try:
                    self._networks[key] = ovb.OpenVINONetwork(
                        path, self.total_threads, precision,
                        cache_dir=self.store.cache_dir / DERIVED_CACHE,
                    )
                except EngineError:
                    raise
                except Exception as e:  # a broken install raises its own RuntimeErrors
                    raise ModelError(f"OpenVINO cannot load {path.name}: {first_line(e)}") from e
            return self._networks[key]

    def openvino_failed(self, error: BaseException) -> None:
        """Remember why OpenVINO could not be used: "auto" renders use LiteRT from now on."""
        self._openvino_failed = f"OpenVINO failed: {first_line(error)}"

    def warm_up(self, model: str = "int8", runtime: Optional[str] = None,
                shape: Optional[Tuple[int, int]] = None) -> str:
        """Load what a render of `model` needs (style network, transformer) and, on OpenVINO,
        compile it for a working size `shape` = (h, w), e.g. preview_shape(...) or the
        image's: the first render then starts at once. Blocking (0.3-1 s): hosts call it on a
        worker thread at start-up. With "auto", a failed compile falls back to LiteRT here.
        Returns runtime_status()."""
        self.encoder  # noqa: B018  (the style network, loaded once)
        net = self.network(model, runtime)
        if shape is not None and net.runtime == "openvino":
            plan = plan_tiles(max(1, shape[0]), max(1, shape[1]), net)
            try:
                net.prepare(plan.tile_h, plan.tile_w)  # type: ignore[attr-defined]
            except ModelError as e:
                if self._choice(runtime) != "auto":
                    raise
                self.openvino_failed(e)
                self.network(model, "litert")
        return self.runtime_status(runtime)

    @staticmethod
    def preview_shape(h: int, w: int, long_side: int = 512) -> Tuple[int, int]:
        """The size to render an h x w preview at: `long_side` on the long side, the short
        side rounded to a multiple of 64. A handful of shapes per orientation, so OpenVINO
        (which compiles once per input size, 0.2-0.6 s) never recompiles while a slider moves
        or a selection changes a little; the caller resizes the content to this shape."""
        h, w = max(1, int(h)), max(1, int(w))
        if h >= w:
            return long_side, max(64, min(long_side, round(long_side * w / h / 64) * 64))
        return max(64, min(long_side, round(long_side * h / w / 64) * 64)), long_side

    def check_models(self, model: str = "int8") -> None:
        """Raise DependencyError / ModelError (with the fix in the message) if a render of
        `model` could not run; cheap when everything is in place."""
        interpreter_class()
        self.store.path(PREDICTOR_ID)
        self.store.path(self.store.spec(model).id)

    @property
    def encoder(self) -> StyleEncoder:
        if self._encoder is None:
            self._encoder = StyleEncoder(self.network(PREDICTOR_ID))
        return self._encoder

    # -- styles --------------------------------------------------------------------------------
    def style_vector(self, image: np.ndarray, mode: str = "crop") -> np.ndarray:
        return self.encoder.vector(image, mode)

    def resolve_style(self, item: StyleItem, mode: str = "crop") -> np.ndarray:
        if isinstance(item, np.ndarray):
            # a vector as models give it: (100,), (1, 100) or (1, 1, 1, 100); not an image
            if item.size == STYLE_DIM and item.shape[-1] == STYLE_DIM and (
                item.ndim == 1 or all(n == 1 for n in item.shape[:-1])
            ):
                return check_vector(item)
            return self.style_vector(item, mode)
        path = Path(item)
        suffix = path.suffix.lower()
        if suffix == ".json":
            return load_preset(path).vector
        if suffix == ".npy":
            return load_vector_file(path)
        return self.style_vector(load_image(path), mode)

    def style_mix(
        self,
        styles: Sequence[StyleItem],
        weights: Optional[Sequence[float]] = None,
        mode: str = "crop",
    ) -> np.ndarray:
        return blend([self.resolve_style(s, mode) for s in styles], weights)

    def render_vector(
        self,
        content: np.ndarray,
        styles: Sequence[StyleItem],
        weights: Optional[Sequence[float]] = None,
        strength: float = 1.0,
        mode: str = "crop",
        content_vector: Optional[np.ndarray] = None,
    ) -> np.ndarray:
        """The vector a render of `content` paints with: the styles blended, then mixed by
        `strength` with the picture's own style vector. The one place strength is applied.
        `content_vector`: that own vector when the caller fixes it (a preview of a part or of a
        shrunk copy passes the whole picture's; a clip one for all its frames); default:
        `content`'s own."""
        check_strength(strength)
        vector = self.style_mix(styles, weights, mode)
        if strength < 1.0:
            own = (self.content_vector(content) if content_vector is None
                   else check_vector(content_vector, "content vector"))
            vector = apply_strength(vector, own, strength)
        return vector

    # -- rendering -----------------------------------------------------------------------------
    def stylize(
        self,
        content: np.ndarray,
        styles: Sequence[StyleItem],
        weights: Optional[Sequence[float]] = None,
        options: Optional[RenderOptions] = None,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
        content_vector: Optional[np.ndarray] = None,
    ) -> np.ndarray:
        """Stylize `content` (HxW[xC], uint8/uint16/float) -> new array of the same shape and
        dtype. Raises Cancelled (and returns nothing) if `cancel` is set during the render.
        `content_vector`: the picture's own style for strength below 1 (render_vector)."""
        opt = options or RenderOptions()
        check_array(content, "content image")
        prog = Progress(progress, cancel)
        prog.report(0.0, "style")
        vector = self.render_vector(content, styles, weights, opt.strength, opt.style_mode,
                                    content_vector)
        prog.check()
        return self._paint(opt, lambda net: Render(content, net, vector, opt, prog).run())

    def stylize_window(
        self,
        content: np.ndarray,
        styles: Sequence[StyleItem],
        window: Tuple[int, int, int, int],
        weights: Optional[Sequence[float]] = None,
        options: Optional[RenderOptions] = None,
        cancel: Optional[CancelToken] = None,
        content_vector: Optional[np.ndarray] = None,
    ) -> np.ndarray:
        """The part `window` = (x, y, w, h), in working pixels, of what stylize() paints at the
        working size, painting only the tiles there (previews of a detail at 100 %). Float32
        RGB, before colours, mask and alpha are applied."""
        opt = options or RenderOptions()
        check_array(content, "content image")
        prog = Progress(None, cancel)
        vector = self.render_vector(content, styles, weights, opt.strength, opt.style_mode,
                                    content_vector)
        return self._paint(opt, lambda net: Render(content, net, vector, opt, prog).window(window))

    def _paint(self, opt: RenderOptions, paint: Callable[[Network], np.ndarray]) -> np.ndarray:
        """paint(network) on the runtime `opt` asks for. OpenVINO compiles per size, so a
        failure can show only now, anywhere in the render (compile, statistics, a tile): with
        "auto" it is painted again on LiteRT and later renders go there directly. RuntimeError
        too: OpenVINO's own, should one escape the backend's ModelError."""
        net = self.network(opt.model, opt.runtime)
        try:
            return paint(net)
        except (ModelError, RuntimeError) as e:
            if net.runtime != "openvino" or self._choice(opt.runtime) != "auto":
                raise
            self.openvino_failed(e)
            return paint(self.network(opt.model, "litert"))

    def content_vector(self, content: np.ndarray) -> np.ndarray:
        """The content image's own style (the 'strength 0' end): the whole image, squeezed."""
        step = max(1, max(content.shape[:2]) // 1024)  # the style net sees 256 px anyway
        return self.style_vector(np.ascontiguousarray(content[::step, ::step]), "whole")



def check_runtime(runtime: str) -> str:
    name = runtime.strip().lower()
    if name not in RUNTIME_CHOICES:
        raise InputError(f"Unknown runtime '{runtime}'; choose one of "
                         f"{', '.join(RUNTIME_CHOICES)}.")
    return name


def first_line(e: BaseException) -> str:
    """One line of an error for a status bar (OpenVINO's "Exception from src/…" lines left out)."""
    lines = [ln.strip() for ln in str(e).splitlines()
             if ln.strip() and not ln.startswith("Exception from ")]
    return lines[0][:200] if lines else type(e).__name__
