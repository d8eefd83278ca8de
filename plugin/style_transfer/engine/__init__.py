"""The pure engine: numpy + LiteRT + Pillow. Never imports Qt, Krita or GIMP.

Hosts use the `Engine` facade: style images / presets / vectors in, stylized arrays out.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

import numpy as np

from .errors import Cancelled, DependencyError, EngineError, InputError, ModelError
from .images import check_array, load_image
from .models import PREDICTOR_ID, ModelStore
from .progress import CancelToken, Progress, ProgressFn
from .render import Render, RenderOptions, working_size
from .runtime import STYLE_DIM, Network, default_threads, interpreter_class
from .style import (
    StyleEncoder,
    apply_strength,
    blend,
    check_strength,
    check_vector,
    load_preset,
    load_vector_file,
)

__all__ = [
    "CancelToken", "Cancelled", "DependencyError", "Engine", "EngineError", "InputError",
    "ModelError", "RenderOptions", "StyleItem", "working_size",
]

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
    ) -> None:
        self.store = store or ModelStore(sources=[str(models)] if models else None)
        # CPU budget: `threads` in total, split over `workers` tiles painted at once. Parallel
        # tiles with one thread each beat one tile with many threads on small CPUs (measured,
        # see bench/), because a 384 px tile leaves too little work to split.
        total = threads or default_threads()
        self.workers = workers or min(2, total)
        self.threads = max(1, total // self.workers)
        self._networks: Dict[str, Network] = {}
        self._encoder: Optional[StyleEncoder] = None
        self._lock = threading.Lock()

    # -- models --------------------------------------------------------------------------------
    def network(self, model: str) -> Network:
        spec = self.store.spec(model)
        with self._lock:
            if spec.id not in self._networks:
                self._networks[spec.id] = Network(
                    self.store.path(spec.id), self.threads, dynamic=spec.input_size is None,
                    workers=self.workers if spec.role == "transformer" else 1,
                )
            return self._networks[spec.id]

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

    # -- rendering -----------------------------------------------------------------------------
    def stylize(
        self,
        content: np.ndarray,
        styles: Sequence[StyleItem],
        weights: Optional[Sequence[float]] = None,
        options: Optional[RenderOptions] = None,
        progress: Optional[ProgressFn] = None,
        cancel: Optional[CancelToken] = None,
    ) -> np.ndarray:
        """Stylize `content` (HxW[xC], uint8/uint16/float) -> new array of the same shape and
        dtype. Raises Cancelled (and returns nothing) if `cancel` is set during the render."""
        opt = options or RenderOptions()
        check_array(content, "content image")
        prog = Progress(progress, cancel)
        check_strength(opt.strength)  # before any work is done
        prog.report(0.0, "style")
        vector = self.style_mix(styles, weights, opt.style_mode)
        if opt.strength < 1.0:
            vector = apply_strength(vector, self.content_vector(content), opt.strength)
        prog.check()
        return Render(content, self.network(opt.model), vector, opt, prog).run()

    def content_vector(self, content: np.ndarray) -> np.ndarray:
        """The content image's own style (the 'strength 0' end): the whole image, squeezed."""
        step = max(1, max(content.shape[:2]) // 1024)  # the style net sees 256 px anyway
        return self.style_vector(np.ascontiguousarray(content[::step, ::step]), "whole")

