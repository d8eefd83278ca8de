"""The preview both hosts show: painted the way Apply paints, so it tells the truth.

The network paints strokes of a fixed size in *working* pixels. Apply paints the picture at its
working size (image size x style scale; auto: about 1024 px on the long side) and brings the
result back to full size. A preview that painted a 256 px thumbnail would show strokes 4x too
coarse on a 1024 px working image. So the preview paints at Apply's working size too:

- when the working image is at most PREVIEW_MAX_SIDE on its long side (always at Auto), the
  preview paints the WHOLE picture at exactly that size: the same tile plan, the same tone
  reference, the same call sizes as Apply; the host shows it scaled to its widget;
- above that (style scale 1x or more on big canvases), painting everything would take seconds,
  so the preview paints a DETAIL: a PREVIEW_MAX_SIDE square of the working image around a focus
  point (the selection's centre, or the picture's), at 100 % of the working scale.

Strength is mixed with the whole picture's own style vector, as Apply does, even for a detail.
With regions or maps (common/maps.py) the preview blends the same renders Apply blends, on the
masks cut and shrunk to the preview; a detail then paints its part alone (its tones may differ a
little from Apply's there). With a stroke-size map the plan is made for the largest scale.
Hosts pass sRGB-encoded pixels (the same conversion Apply uses) of `plan.region` at any
resolution; render() brings them to `plan.paint_hw` with a low-pass resize.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np

from .settings import JobSettings

PREVIEW_MAX_SIDE = 1024  # long side the preview paints at most (Auto's working size fits)


@dataclass(frozen=True)
class PreviewPlan:
    image_hw: Tuple[int, int]  # the content as Apply reads it
    working_hw: Tuple[int, int]  # the size Apply paints the whole content at
    region: Tuple[int, int, int, int]  # (x, y, w, h) of the content the preview shows
    paint_hw: Tuple[int, int]  # the size the preview paints that region at

    @property
    def detail(self) -> bool:
        """True when the preview shows a part of the picture (at 100 % of the working scale)."""
        return (self.region[2], self.region[3]) != (self.image_hw[1], self.image_hw[0])

    @property
    def factor(self) -> float:
        """Working pixels per content pixel."""
        return self.working_hw[1] / max(1, self.image_hw[1])


def plan(h: int, w: int, scale: Optional[float],
         focus: Optional[Tuple[float, float]] = None,
         max_side: int = PREVIEW_MAX_SIDE) -> PreviewPlan:
    """What to paint for a content of h x w at style scale `scale` (None = auto).
    focus = (x, y) in content pixels for a detail preview; default the centre."""
    from ..engine import working_size

    wh, ww = working_size(h, w, scale)
    if max(wh, ww) <= max_side:
        return PreviewPlan((h, w), (wh, ww), (0, 0, w, h), (wh, ww))
    fx, fy = ww / w, wh / h
    # the content area that covers max_side working pixels each way, clipped to the picture
    rw, rh = min(w, max(1, round(max_side / fx))), min(h, max(1, round(max_side / fy)))
    cx, cy = focus if focus is not None else (w / 2, h / 2)
    x = int(min(max(0, round(cx - rw / 2)), w - rw))
    y = int(min(max(0, round(cy - rh / 2)), h - rh))
    paint = (max(1, round(rh * fy)), max(1, round(rw * fx)))
    return PreviewPlan((h, w), (wh, ww), (x, y, rw, rh), paint)


def plan_for(settings: JobSettings, h: int, w: int,
             focus: Optional[Tuple[float, float]] = None) -> PreviewPlan:
    """plan() for these settings: with a stroke-size map, for its largest stroke scale."""
    scale = max(settings.scale_range) if settings.scale_map is not None else settings.scale
    return plan(h, w, scale, focus)


def to_size(rgba: np.ndarray, hw: Tuple[int, int]) -> np.ndarray:
    """Float RGBA at size hw; shrinking low-passes (Lanczos), so fine texture cannot alias."""
    from ..engine.images import resize_float, to_float

    f = to_float(rgba)
    if f.ndim == 2:
        f = f[:, :, None]
    return np.ascontiguousarray(resize_float(f, hw), dtype=np.float32)


def own_vector(engine: Any, settings: JobSettings, whole: np.ndarray) -> Optional[np.ndarray]:
    """The whole picture's own style vector (from `whole`, any resolution), which the engine
    mixes the style with for strength below 1, as Apply does; None when no strength below 1
    is painted (the style network is not run for nothing)."""
    if settings.strength < 1.0 or settings.strength_map is not None:
        return engine.content_vector(whole)
    return None


def render(engine: Any, area: np.ndarray, preview: PreviewPlan, settings: JobSettings,
           whole: Optional[np.ndarray] = None, cancel: Any = None,
           masks: Optional[Mapping[Any, np.ndarray]] = None) -> np.ndarray:
    """Paint the preview: `area` = the pixels of preview.region (any resolution, any dtype the
    engine takes), `whole` = a thumbnail of the whole picture for the strength mix (default:
    `area`, right when the preview is not a detail); `masks` = the job's maps over the whole
    content (common/maps.py). Returns float32 HxWxC at preview.paint_hw."""
    small = to_size(area, preview.paint_hw)
    if settings.uses_maps:
        from . import maps

        problem = maps.missing(settings, masks or {})
        if problem:
            from ..engine.errors import InputError

            raise InputError(problem)
        view = fit(masks or {}, preview.region, preview.paint_hw)
        own = own_vector(engine, settings, whole if whole is not None else small)
        options = settings.render_options(scale=1.0)
        return maps.render(engine, small, settings, view, None, cancel, options, own,
                           scale_factor=preview.factor)
    if preview.detail and whole is not None and whole.shape[:2] == preview.image_hw:
        return _detail(engine, whole, small, preview, settings, cancel)
    own = own_vector(engine, settings, whole if whole is not None else small)
    options = settings.render_options(scale=1.0)
    return engine.stylize(small, settings.style_paths(), settings.weights(), options, None,
                          cancel, own)


def fit(masks: Mapping[Any, np.ndarray], region: Tuple[int, int, int, int],
        hw: Tuple[int, int]) -> Dict[Any, np.ndarray]:
    """The masks cut to `region` (x, y, w, h) and resized to hw: the preview's view of them."""
    from ..engine.masks import gray_of

    x, y, w, h = region
    out = {}
    for ref, m in masks.items():
        g = gray_of(m)[y:y + h, x:x + w]
        out[ref] = np.clip(to_size(g, hw)[:, :, 0], 0.0, 1.0)
    return out


def _detail(engine: Any, whole: np.ndarray, small: np.ndarray, preview: PreviewPlan,
            settings: JobSettings, cancel: Any) -> np.ndarray:
    """A detail painted with the tiles Apply paints there, with the tone reference or the
    statistics of the whole picture (Engine.stylize_window): Apply's own pixels at working
    size. A detail painted alone took its tones from itself (16 dB from Apply in GIMP)."""
    from ..engine.colors import keep_colors
    from ..engine.images import luminance

    x, y = preview.region[:2]
    wh, ww = preview.working_hw
    fx, fy = ww / preview.image_hw[1], wh / preview.image_hw[0]
    ph, pw = preview.paint_hw
    wx, wy = min(round(x * fx), ww - pw), min(round(y * fy), wh - ph)
    # `whole` is the picture Apply reads: its own vector is the engine's default
    rgb = engine.stylize_window(whole, settings.style_paths(), (wx, wy, pw, ph),
                                settings.weights(), settings.render_options(), cancel)
    c = small.shape[2]
    if settings.preserve_colors and c >= 3:
        rgb = keep_colors(rgb, np.clip(small[:, :, :3], 0.0, 1.0))
    parts = [rgb] if c >= 3 else [luminance(rgb)[:, :, None]]
    if c in (2, 4):
        parts.append(small[:, :, -1:])  # the picture's own alpha, as Apply keeps it
    return np.concatenate(parts, axis=2)


def compare(apply_result: np.ndarray, preview_image: np.ndarray, preview: PreviewPlan) -> float:
    """PSNR (dB) of the Apply result, cut to the preview's region and scaled to its size, against
    the preview: the figure README reports for 'the preview shows what Apply paints'."""
    from ..engine.quality import psnr

    x, y, w, h = preview.region
    ref = to_size(apply_result[y:y + h, x:x + w], preview.paint_hw)
    got = to_size(preview_image, preview.paint_hw)
    c = min(3, ref.shape[2], got.shape[2])
    return psnr(ref[:, :, :c], got[:, :, :c])
