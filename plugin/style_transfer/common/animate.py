"""An animation job of the hosts: the frames a host reads go through the engine's clip renderer
(engine/clip.py: one style vector, a content vector fixed for the clip, the stabiliser's
history, holds and cuts), with the job's regions and maps, frame after frame.

The host enumerates its frames (Krita keyframes, GIMP layers) and writes the results; what a
frame is stylized with is decided here, once for both."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Optional

import numpy as np

from .maps import Masks, paint_maps
from .settings import JobSettings


def frames_word(n: int) -> str:
    return f"{n} frame{'s' if n != 1 else ''}"


def render_frames(engine: Any, settings: JobSettings, frames: Iterable[np.ndarray], total: int,
                  masks: Optional[Masks] = None,
                  progress: Optional[Callable[[float, str], None]] = None,
                  cancel: Any = None) -> Iterator[np.ndarray]:
    """Stylize `frames` (each an HxWxC array of one size, as Engine.stylize takes) one at a
    time; yields each result as soon as it is painted, so neither side holds the whole clip.
    The job's maps (read once, for the frames' rectangle) shape every frame alike."""
    from ..engine.clip import DEFAULT_STABILITY, ClipRenderer, stylize_clip

    options = settings.render_options()
    stability = DEFAULT_STABILITY if settings.stability is None else settings.stability
    maps = None
    if settings.uses_maps:
        paths, weights, maps = paint_maps(settings, masks or {})
    else:
        paths, weights = settings.style_paths(), settings.weights()
    renderer = ClipRenderer(engine, paths, weights or None, options, stability)
    items = frames if maps is None else ((frame, maps) for frame in frames)
    return stylize_clip(renderer, items, total=total, progress=progress, cancel=cancel)
