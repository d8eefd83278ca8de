"""Selection / layer mask -> the result layer's alpha, the one policy both hosts follow.

The result is a NEW layer stacked above the source, so wherever the user did not ask for the
style (outside the selection, where a layer mask hides the source) the new layer must be fully
transparent: then the composite there is exactly what it was. Inside, the result keeps the
source's own alpha (the engine carries it through), and a feathered selection or a grey mask
fades the stylized pixels into the untouched picture below.
"""

from __future__ import annotations

from typing import Optional

import numpy as np


def combine(*masks: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """Product of 0..1 float masks of one shape (None = everything); None if all are None."""
    out: Optional[np.ndarray] = None
    for m in masks:
        if m is None:
            continue
        m = np.asarray(m, dtype=np.float32)
        out = m.copy() if out is None else out * m
    return out


def is_empty(mask: Optional[np.ndarray]) -> bool:
    """True when a mask leaves nothing to stylize (the host then adds no layer)."""
    return mask is not None and not bool(np.any(mask > 0.0))


def apply_to_alpha(rgba: np.ndarray, coverage: Optional[np.ndarray]) -> np.ndarray:
    """A copy of the HxWx4 result with alpha multiplied by `coverage` (HxW, 0..1); fully
    uncovered pixels become transparent black, which keeps the layer clean and its bounds tight."""
    if coverage is None:
        return rgba
    if rgba.ndim != 3 or rgba.shape[2] != 4 or coverage.shape != rgba.shape[:2]:
        raise ValueError(f"coverage {coverage.shape} does not fit RGBA {rgba.shape}")
    out = rgba.copy()
    alpha = out[..., 3].astype(np.float32) * coverage
    if out.dtype.kind == "f":
        out[..., 3] = alpha
    else:
        out[..., 3] = np.rint(alpha).astype(out.dtype)
    out[coverage <= 0.0] = 0
    return out
