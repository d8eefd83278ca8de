"""Paint the style: per-region styles, a strength map, a stroke-size map, a colour source.

The network takes one style vector, one strength and one working scale per call. Painting
"where" is done by rendering the whole picture once per distinct (style, strength, scale) and
blending the renders per pixel:

- regions: each region (a style mix + a 0..1 mask) is rendered once over the whole picture, so
  its interior is exactly that style's render (same instance-norm statistics as a single-style
  render). Overlapping masks share the pixel in proportion to their values; what the masks leave
  (1 - sum, when the sum is below 1) keeps the global style, or the original pixels when there
  is no global style. Feathered masks therefore cross-fade.
- strength_map (0..1 per pixel, white = options.strength, so the Strength setting stays the
  top of the range): rendered at a few strength levels and interpolated linearly
  between the two levels around each pixel's value. A map with at most STRENGTH_LEVELS distinct
  values (a hard-edged map) is rendered at exactly those values: exact everywhere. Otherwise
  the levels are 0, 1/2, 1 (error figures in tests/engine/test_regions.py).
- scale_map (0..1 per pixel) with scale_range (lo, hi): 0 paints at `lo`, 1 at `hi`, between
  them geometrically (stroke size is a ratio), with the same level rule as strength.
- color_source: the lightness of the result with the chroma statistics (mean and spread of
  CIELAB a*, b*) of a third image, the way *keep original colours* keeps the content's.

Cost: one render per (source, strength level, scale level); a 2-region picture with no global
style costs two renders plus the blend.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, List, Optional, Sequence, Tuple

import numpy as np

from .colors import lab_to_srgb, srgb_to_lab
from .errors import InputError
from .images import alpha_part, channels, color_part, from_float, to_float
from .masks import as_map
from .progress import CancelToken, Progress, ProgressFn
from .render import RenderOptions
from .style import check_strength

if TYPE_CHECKING:
    from .core import Engine, StyleItem

STRENGTH_LEVELS = 3  # 0, 1/2, 1 unless the map has at most this many distinct values


@dataclass
class Region:
    mask: np.ndarray  # a map of the content's size (masks.py): white = this style
    styles: Sequence[StyleItem]
    weights: Optional[Sequence[float]] = None
    name: str = ""


@dataclass
class PaintMaps:
    regions: Sequence[Region] = ()
    strength_map: Optional[np.ndarray] = None  # HxW 0..1: per-pixel strength
    scale_map: Optional[np.ndarray] = None  # HxW 0..1: 0 = scale_range[0], 1 = scale_range[1]
    scale_range: Optional[Tuple[float, float]] = None
    color_source: Optional[np.ndarray] = None  # any size: whose colours the result takes


def levels_for(values: np.ndarray, count: int) -> List[float]:
    """The levels to render a map at: its own distinct values when there are at most `count`
    (exact), else `count` evenly spaced levels over 0..1 (interpolated between)."""
    distinct = np.unique(values)
    if distinct.size <= count:
        return [float(v) for v in distinct]
    return [i / (count - 1) for i in range(count)]


def interpolation(values: np.ndarray, levels: Sequence[float]) -> List[np.ndarray]:
    """Per-level HxW weights (summing to 1) that interpolate `values` linearly between the two
    levels around each pixel's value; exact where a value is a level."""
    lv = np.asarray(levels, np.float32)
    if lv.size == 1:
        return [np.ones_like(values, dtype=np.float32)]
    v = np.clip(values, lv[0], lv[-1])
    hi = np.clip(np.searchsorted(lv, v, side="right"), 1, lv.size - 1)
    lo = hi - 1
    t = (v - lv[lo]) / np.maximum(lv[hi] - lv[lo], 1e-12)
    weights = []
    for i in range(lv.size):
        weights.append(np.where(lo == i, 1.0 - t, 0.0) + np.where(hi == i, t, 0.0))
    return [w.astype(np.float32) for w in weights]


def match_chroma(result_rgb: np.ndarray, source_rgb: np.ndarray) -> np.ndarray:
    """Lightness of `result_rgb`; a*/b* moved to the mean and spread of `source_rgb`'s."""
    lab = srgb_to_lab(result_rgb)
    src = srgb_to_lab(source_rgb.reshape(-1, 1, 3)).reshape(-1, 3)
    for c in (1, 2):
        mu, sd = float(lab[..., c].mean()), float(lab[..., c].std())
        s_mu, s_sd = float(src[:, c].mean()), float(src[:, c].std())
        lab[..., c] = (lab[..., c] - mu) * (s_sd / sd if sd > 1e-3 else 1.0) + s_mu
    return lab_to_srgb(lab)


def _visible_rgb(img: np.ndarray, max_pixels: int = 1 << 18) -> np.ndarray:
    """The visible colours of an image (alpha > 0) as Nx3 sRGB float, subsampled."""
    f = to_float(img)
    if f.ndim == 2:
        f = f[:, :, None]
    step = max(1, int(np.sqrt(f.shape[0] * f.shape[1] / max_pixels)))
    f = f[::step, ::step]
    rgb = color_part(f) if channels(f) >= 3 else np.repeat(f[:, :, :1], 3, axis=2)
    alpha = alpha_part(f)
    rgb = rgb.reshape(-1, 3)
    if alpha is not None:
        rgb = rgb[alpha.reshape(-1) > 0]
    if rgb.size == 0:
        raise InputError("The colour source has no visible pixels.")
    return np.clip(rgb, 0.0, 1.0)


def paint(engine: Engine, content: np.ndarray, styles: Sequence[StyleItem],
          weights: Optional[Sequence[float]], options: RenderOptions, maps: PaintMaps,
          progress: Optional[ProgressFn] = None,
          cancel: Optional[CancelToken] = None,
          content_vector: Optional[np.ndarray] = None) -> np.ndarray:
    """Like Engine.stylize, with per-pixel regions / strength / stroke size / colour source.
    `styles` is the global style (may be empty when regions are given). `content_vector`: the
    picture's own style vector for strength below 1 (a preview of a part or of a shrunk copy
    passes the whole picture's, as Apply uses); default: `content`'s."""
    h, w = content.shape[:2]
    regions = list(maps.regions)
    if not styles and not regions:
        raise InputError("Give a style, or at least one region with a style.")
    check_strength(options.strength)  # before any render: the levels run from 0 to it
    prog = Progress(progress, cancel)

    # -- per-pixel shares of each style source (global first) ---------------------------------
    region_masks = [as_map(r.mask, h, w, f"region mask {r.name or i + 1}")
                    for i, r in enumerate(regions)]
    shares: List[np.ndarray] = []
    if region_masks:
        total = np.sum(region_masks, axis=0)
        norm = np.maximum(total, 1.0)  # overlaps above 1 share the pixel in proportion
        shares = [m / norm for m in region_masks]
        rest = np.clip(1.0 - total, 0.0, 1.0)
    else:
        rest = np.ones((h, w), np.float32)
    sources: List[Tuple[np.ndarray, np.ndarray]] = []  # (style vector, share)
    mode = options.style_mode
    if styles and rest.max() > 0:
        sources.append((engine.style_mix(styles, weights, mode), rest))
    for region, share in zip(regions, shares):
        if share.max() > 0:
            sources.append((engine.style_mix(region.styles, region.weights, mode), share))
    # no global style: the original stays where the regions leave room (if they leave any)
    original_share = rest if not styles and rest.any() else None

    # -- strength and scale levels ---------------------------------------------------------------
    if maps.strength_map is not None:
        smap = as_map(maps.strength_map, h, w, "strength map") * float(options.strength)
        s_levels = levels_for(smap, STRENGTH_LEVELS)
        s_weights = interpolation(smap, s_levels)
    else:
        s_levels, s_weights = [float(options.strength)], [None]
    if maps.scale_map is not None:
        if maps.scale_range is None:
            raise InputError("A stroke-size map needs a scale range (LO,HI).")
        lo, hi = (float(v) for v in maps.scale_range)
        if lo <= 0 or hi <= 0:
            raise InputError(f"The scale range must be two positive numbers, not {lo},{hi}.")
        cmap = as_map(maps.scale_map, h, w, "stroke-size map")
        c_levels = levels_for(cmap, STRENGTH_LEVELS)
        c_weights = interpolation(cmap, c_levels)
        scales: List[Optional[float]] = [lo * (hi / lo) ** v for v in c_levels]
    else:
        scales, c_weights = [options.scale], [None]

    # -- render every combination once, accumulate ------------------------------------------------
    jobs = [(v, share, s, sw, sc, cw) for v, share in sources
            for s, sw in zip(s_levels, s_weights) for sc, cw in zip(scales, c_weights)]
    src_f = to_float(content)
    if src_f.ndim == 2:
        src_f = src_f[:, :, None]
    acc = np.zeros(src_f.shape, np.float32)
    if original_share is not None:
        acc += src_f * original_share[:, :, None]
    for n, (vector, share, strength, sw, scale, cw) in enumerate(jobs):
        weight = share if sw is None else share * sw
        if cw is not None:
            weight = weight * cw
        if not weight.any():
            continue
        # this level's strength and scale; the mask is applied once, after the blend
        opts = replace(options, strength=strength, scale=scale, mask=None)

        def sub(f: float, stage: str, _n: int = n) -> None:
            prog.report((_n + f) / len(jobs), stage)

        out = engine.stylize(content, [vector], None, opts, sub, cancel, content_vector)
        acc += to_float(out if out.ndim == 3 else out[:, :, None]) * weight[:, :, None]
        del out

    # -- colours, mask, alpha as a single render would ------------------------------------------
    c = src_f.shape[2]
    if maps.color_source is not None and c >= 3:
        rgb = np.clip(acc[:, :, :3], 0.0, 1.0)
        acc[:, :, :3] = match_chroma(rgb, _visible_rgb(maps.color_source))
    if options.mask is not None:
        m = as_map(options.mask, h, w, "mask")[:, :, None]
        acc = acc * m + src_f * (1.0 - m)
    result = from_float(np.clip(acc, 0.0, 1.0), content.dtype).reshape(content.shape)
    alpha = alpha_part(content)
    if alpha is not None:
        result[..., -1] = alpha
        hidden = alpha == 0
        result[hidden] = content[hidden]
    if options.mask is not None:
        keep = as_map(options.mask, h, w, "mask") <= 0.0
        result[keep] = content[keep]
    prog.report(1.0, "done")
    return result
