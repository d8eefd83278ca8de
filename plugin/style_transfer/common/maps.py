"""Paint the style where the user says: regions, a strength map and a stroke-size map for both
hosts, handed to engine/regions.py.

A host reads every map of a job (JobSettings.map_refs()) on its main thread — a Krita paint
layer, selection mask or selection snapshot, a GIMP channel or layer mask — as an HxW array
covering exactly the content it reads, and passes them here as a dict {MapRef: array}. What a
map means is decided here, once:

- a map's pixels become 0..1 by the one rule every front end uses (engine/masks.py: lightness
  x alpha): on a paint layer, white paint is "full", black or nothing painted is "none";
- styles with the same region form one mix for that region (their weights as in the list);
  styles with no region are the global mix, painted wherever the regions leave room; with no
  global style the original pixels stay there (the result layer shows the source);
- white on the strength map = the Strength setting, black = 0 (the picture's own style);
- the stroke-size map goes from scale_range[0] (black) to scale_range[1] (white); the default
  (1x, 0.5x) makes white paint big strokes.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..engine.masks import gray_of
from .settings import JobSettings, MapRef

Masks = Mapping[MapRef, np.ndarray]


def missing(settings: JobSettings, masks: Masks) -> Optional[str]:
    """The user-facing reason a job cannot run with these masks (a map not read), or None."""
    for ref in settings.map_refs():
        if ref not in masks:
            return (f"The map '{ref.name}' is gone (deleted or in another document): choose "
                    "it again or clear it.")
    return None


def paint_maps(settings: JobSettings, masks: Masks,
               scale_factor: float = 1.0) -> Tuple[List[str], List[float], Any]:
    """(global style paths, their weights, engine PaintMaps) for this job. scale_factor: working
    pixels per pixel of the masks' picture when that picture is a shrunk copy (preview)."""
    from ..engine.regions import PaintMaps, Region

    paths: List[str] = []
    weights: List[float] = []
    grouped: Dict[MapRef, Tuple[List[str], List[float]]] = {}
    for style in settings.active_styles:
        if style.region is None:
            paths.append(style.path)
            weights.append(float(style.weight))
        else:
            group = grouped.setdefault(style.region, ([], []))
            group[0].append(style.path)
            group[1].append(float(style.weight))
    regions = [Region(gray_of(masks[ref]), p, w, ref.name) for ref, (p, w) in grouped.items()]
    strength = settings.strength_map
    scale = settings.scale_map
    lo, hi = settings.scale_range
    return paths, weights, PaintMaps(
        regions=regions,
        strength_map=None if strength is None else gray_of(masks[strength]),
        scale_map=None if scale is None else gray_of(masks[scale]),
        scale_range=None if scale is None else (lo / scale_factor, hi / scale_factor))


def render(engine: Any, content: np.ndarray, settings: JobSettings, masks: Masks,
           progress: Optional[Callable[[float, str], None]] = None, cancel: Any = None,
           options: Any = None, content_vector: Optional[np.ndarray] = None,
           scale_factor: float = 1.0) -> np.ndarray:
    """Apply's render: one style as Engine.stylize, or per pixel with the job's maps.
    The masks must be of content's size (the hosts read them for the same rectangle)."""
    options = options if options is not None else settings.render_options()
    if not settings.uses_maps:
        return engine.stylize(content, settings.style_paths(), settings.weights(), options,
                              progress, cancel)
    from ..engine.regions import paint

    paths, weights, maps = paint_maps(settings, masks, scale_factor)
    return paint(engine, content, paths, weights or None, options, maps, progress, cancel,
                 content_vector=content_vector)


def describe(settings: JobSettings) -> Sequence[str]:
    """Short words for the result's name: which maps shaped it."""
    words = []  # regions are named with their styles (naming.base_name)
    if settings.strength_map is not None:
        words.append(f"strength map {settings.strength_map.name}")
    if settings.scale_map is not None:
        lo, hi = settings.scale_range
        words.append(f"stroke map {lo:g}–{hi:g}×")
    return words
