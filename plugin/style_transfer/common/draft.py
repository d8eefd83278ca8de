"""The preview's quick DRAFT: the part the true preview shows (the whole picture at Auto)
painted at DRAFT_SIDE px, shown (labelled "draft") while a slider moves, until the true
preview (common/preview.py, Apply's working size, 1-3 s on a big canvas) replaces it.

It tells the truth about what the settings do (style, blend, strength, regions, maps, colours)
but not about the strokes: the network paints strokes of a fixed size in the pixels it is given,
so on a 384 px draft they cover more of the picture than Apply's. The docker says so.

Host-neutral (numpy and the engine only), so a GIMP dialog can paint drafts the same way.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Tuple

import numpy as np

from .settings import JobSettings

DRAFT_SIDE = 384  # long side of a draft: ~0.1 s on OpenVINO, 2 cores


def draft_hw(h: int, w: int, side: int = DRAFT_SIDE) -> Tuple[int, int]:
    """The draft's size for an h x w picture (never larger than the picture)."""
    f = min(1.0, side / max(h, w, 1))
    return max(1, round(h * f)), max(1, round(w * f))


def worth_it(preview_hw: Tuple[int, int], side: int = DRAFT_SIDE) -> bool:
    """A draft only when the true preview paints at least twice its pixels (else the true one
    is about as quick and a draft would only flicker)."""
    return preview_hw[0] * preview_hw[1] >= 2 * side * side * 0.75


def shrink(a: np.ndarray, hw: Tuple[int, int]) -> np.ndarray:
    """Float copy of `a` (HxW or HxWxC, any dtype the engine takes) at hw. An area average by
    an integer factor first (one pass over the big picture: a 2400x1800 Lanczos alone took
    0.3 s, three times the draft's render), then the low-pass resize the preview uses."""
    from ..engine.images import to_float
    from .preview import to_size

    f = to_float(a)
    k = min(f.shape[0] // max(1, hw[0]), f.shape[1] // max(1, hw[1])) // 2
    if k >= 2:
        # k*k strided adds: 0.03 s on 2400x1800 RGBA, where reshape().mean() took 0.16 s
        acc = np.zeros((f.shape[0] // k, f.shape[1] // k, *f.shape[2:]), np.float32)
        for i in range(k):
            for j in range(k):
                acc += f[i:i + acc.shape[0] * k:k, j:j + acc.shape[1] * k:k]
        f = acc * np.float32(1.0 / (k * k))
    return to_size(f, hw) if f.ndim == 3 else to_size(f[:, :, None], hw)[:, :, 0]


def render(engine: Any, rgba: np.ndarray, settings: JobSettings,
           masks: Optional[Mapping[Any, np.ndarray]] = None, cancel: Any = None,
           region: Optional[Tuple[int, int, int, int]] = None,
           side: int = DRAFT_SIDE) -> np.ndarray:
    """The draft of `rgba` (the content as Apply reads it) with the job's maps over it:
    `region` (x, y, w, h: the part the true preview shows, default all) painted at draft size
    as if that were the working size (a stroke-size map's scales apply to the draft's pixels),
    through common/preview.render like the true preview. For a detail, strength mixes with the
    detail's own style vector, not the whole picture's (a draft)."""
    from ..engine.masks import gray_of
    from . import preview

    if region is not None:
        x, y, w, h = region
        rgba = rgba[y:y + h, x:x + w]
        masks = {ref: m[y:y + h, x:x + w] for ref, m in (masks or {}).items()}
    hw = draft_hw(*rgba.shape[:2], side=side)
    small = shrink(rgba, hw)
    view = {ref: shrink(gray_of(m), hw) for ref, m in (masks or {}).items()}
    plan = preview.PreviewPlan(hw, hw, (0, 0, hw[1], hw[0]), hw)
    return preview.render(engine, small, plan, settings, small, cancel, masks=view)
