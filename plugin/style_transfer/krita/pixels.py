"""Krita's raw pixel bytes <-> RGBA numpy arrays (pure: no Krita import, unit-tested off Krita).

Integer RGBA comes from libkis as B, G, R, A (U8, or little-endian U16), float RGBA as R, G, B, A
(F16 or F32); a selection is one byte per pixel.
"""

from __future__ import annotations

import numpy as np

from ..common.messages import UserError

#: bytes per channel and numpy dtype of the raw buffer per Krita colour depth
DEPTHS = {
    "U8": np.dtype("u1"),
    "U16": np.dtype("<u2"),
    "F16": np.dtype("<f2"),
    "F32": np.dtype("<f4"),
}


class ColorSpaceError(UserError):
    """A document colour space the adapter cannot read or write; the message is for the user."""


def array_dtype(depth: str) -> np.dtype:
    """The dtype the engine gets for a Krita depth: half floats are widened to float32."""
    if depth not in DEPTHS:
        raise ColorSpaceError(f"Colour depth {depth!r} is not supported (use 8/16-bit or float).")
    return np.dtype(np.float32) if depth in ("F16", "F32") else DEPTHS[depth].newbyteorder("=")


def bytes_to_rgba(data: bytes, w: int, h: int, depth: str) -> np.ndarray:
    """Raw RGBA pixelData of a w x h area -> HxWx4 straight-alpha RGBA array.

    U8 -> uint8, U16 -> uint16, F16/F32 -> float32. The result owns its memory (writable)."""
    raw = DEPTHS.get(depth)
    if raw is None:
        raise ColorSpaceError(f"Colour depth {depth!r} is not supported (use 8/16-bit or float).")
    expected = w * h * 4 * raw.itemsize
    if len(data) != expected:
        raise ValueError(f"got {len(data)} bytes for {w}x{h} {depth} RGBA, expected {expected}")
    px = np.frombuffer(data, dtype=raw).reshape(h, w, 4)
    if depth in ("U8", "U16"):
        # integer RGBA in Krita is stored B, G, R, A; swap to R, G, B, A
        return np.ascontiguousarray(px[..., [2, 1, 0, 3]]).astype(array_dtype(depth), copy=False)
    return px.astype(np.float32)  # float RGBA is already R, G, B, A


def rgba_to_bytes(rgba: np.ndarray, depth: str) -> bytes:
    """HxWx4 RGBA array (any of uint8/uint16/float) -> raw pixelData bytes for `depth`."""
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"expected HxWx4 RGBA, got shape {rgba.shape}")
    raw = DEPTHS.get(depth)
    if raw is None:
        raise ColorSpaceError(f"Colour depth {depth!r} is not supported (use 8/16-bit or float).")
    px = convert_dtype(rgba, array_dtype(depth))
    if depth in ("U8", "U16"):
        px = px[..., [2, 1, 0, 3]]
    return np.ascontiguousarray(px, dtype=raw).tobytes()


def convert_dtype(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Scale between uint8 / uint16 / float (0..1) with rounding; same dtype = unchanged."""
    dtype = np.dtype(dtype)
    if a.dtype == dtype:
        return a
    if a.dtype.kind == "f":
        f = a.astype(np.float32)
    else:
        f = a.astype(np.float32) / float(np.iinfo(a.dtype).max)
    if dtype.kind == "f":
        return f.astype(dtype)
    top = np.iinfo(dtype).max
    return np.rint(np.clip(f, 0.0, 1.0) * top).astype(dtype)


def selection_mask(data: bytes, w: int, h: int) -> np.ndarray:
    """Selection.pixelData (1 byte per pixel, 255 = selected) -> HxW float32 in 0..1."""
    if len(data) != w * h:
        raise ValueError(f"got {len(data)} selection bytes for {w}x{h}")
    return np.frombuffer(data, dtype=np.uint8).reshape(h, w).astype(np.float32) / 255.0
