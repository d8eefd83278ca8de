"""How a map image becomes 0..1, once for every front end: the CLI's --mask, --region,
--strength-map and --scale-map files, Krita's paint layers, masks and selections, GIMP's
channels and layer masks all go through gray_of.

The rule: gray is taken as it is; colour counts by its Rec. 709 luma (0.2126 R + 0.7152 G +
0.0722 B of the sRGB-encoded values); alpha multiplies, so on a layer white paint is "full" and
black paint or nothing painted is "none". Integer types are scaled by their maximum; floats are
taken as they are. Numpy only (no Pillow): hosts import this while they read their pixels.
"""

from __future__ import annotations

import numpy as np

from .colors import LUMA
from .errors import InputError


def gray_of(pixels: np.ndarray) -> np.ndarray:
    """HxW float32 in 0..1 from a map's pixels: HxW, or HxWxC with C = 1 (gray), 2 (gray +
    alpha), 3 (RGB) or 4 (RGBA), of any integer, float or bool type."""
    a = np.asarray(pixels)
    if a.dtype.kind in "ui":
        f = a.astype(np.float32) / np.float32(np.iinfo(a.dtype).max)
    else:
        f = a.astype(np.float32)
    if f.ndim == 2:
        return np.clip(f, 0.0, 1.0)
    c = f.shape[2]
    gray = f[:, :, 0] if c <= 2 else f[:, :, :3] @ LUMA
    if c in (2, 4):
        gray = gray * f[:, :, -1]
    return np.clip(gray, 0.0, 1.0)


def as_map(pixels: np.ndarray, h: int, w: int, what: str) -> np.ndarray:
    """gray_of for a map that must cover an h x w picture: a clear InputError naming `what`
    ("mask", "strength map", ...) when its shape, size or values cannot be one."""
    a = np.asarray(pixels)
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (1, 2, 3, 4))):
        raise InputError(f"The {what} must be an image (gray, gray + alpha, RGB or RGBA), "
                         f"not an array of shape {a.shape}.")
    if a.shape[:2] != (h, w):
        raise InputError(f"The {what} is {a.shape[1]}x{a.shape[0]} pixels but the picture is "
                         f"{w}x{h}; make it the same size (white = full, black = none).")
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise InputError(f"The {what} holds NaN or infinite values.")
    if a.dtype.kind not in "uifb":
        raise InputError(f"The {what} has pixel type {a.dtype}; use 8/16-bit or float.")
    return gray_of(a)
