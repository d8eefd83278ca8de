"""Pixel conversions between GIMP's Gegl buffers and the engine's numpy arrays.

Pure numpy, no gi: GIMP hands us bytes in a babl format we choose, and we choose formats whose
byte layout numpy reads directly. Everything here is unit-tested outside GIMP.

Why non-linear ("R'G'B'A") formats: the models were trained on sRGB-encoded images (JPEG/PNG
pixels / 255), so the engine must see gamma-encoded values. babl converts from whatever the
drawable stores (linear, perceptual, gray, with or without alpha) to the format we ask for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PixelFormat:
    """A babl format name for RGBA pixels and the numpy dtype of one channel in it."""

    babl: str
    dtype: np.dtype

    @property
    def bytes_per_pixel(self) -> int:
        return 4 * np.dtype(self.dtype).itemsize


RGBA_U8 = PixelFormat("R'G'B'A u8", np.dtype(np.uint8))
RGBA_U16 = PixelFormat("R'G'B'A u16", np.dtype(np.uint16))
RGBA_FLOAT = PixelFormat("R'G'B'A float", np.dtype(np.float32))

# Selection masks are stored linear in GIMP ("Y u8"/"Y float"); reading them as "Y float" keeps
# the stored coverage values. "Y' float" would apply the sRGB curve and distort a feather.
MASK_FORMAT = "Y float"


def format_for_precision(precision_nick: str) -> PixelFormat:
    """The format to read and write an image of this precision without losing precision.

    precision_nick is Gimp.Precision's value nick, e.g. "u8-non-linear", "u16-linear",
    "half-perceptual", "float-linear", "double-non-linear". 8 bit stays 8 bit (no rounding
    loss on the unchanged pixels), 16 bit stays 16 bit, everything deeper or floating point goes
    through 32-bit float, which the engine accepts and which holds half floats exactly.
    """
    kind = precision_nick.split("-", 1)[0].lower()
    if kind == "u8":
        return RGBA_U8
    if kind == "u16":
        return RGBA_U16
    if kind in ("u32", "half", "float", "double"):
        return RGBA_FLOAT
    raise ValueError(f"unknown GIMP precision {precision_nick!r}")


def bytes_to_rgba(data: bytes | bytearray | memoryview, width: int, height: int,
                  fmt: PixelFormat) -> np.ndarray:
    """Bytes from Gegl.Buffer.get(rect, 1.0, fmt.babl, ...) -> writable (H, W, 4) array."""
    expected = width * height * fmt.bytes_per_pixel
    if len(data) != expected:
        raise ValueError(
            f"got {len(data)} bytes for {width}x{height} {fmt.babl}, expected {expected}")
    # frombuffer on bytes is read-only; the engine and our blending may write, so copy once.
    return np.frombuffer(bytes(data), dtype=fmt.dtype).reshape(height, width, 4).copy()


def rgba_to_bytes(rgba: np.ndarray, fmt: PixelFormat) -> bytes:
    """(H, W, 4) array of fmt.dtype -> bytes for Gegl.Buffer.set(rect, fmt.babl, bytes)."""
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"expected an (H, W, 4) array, got shape {rgba.shape}")
    if rgba.dtype != fmt.dtype:
        raise ValueError(f"expected dtype {fmt.dtype} for {fmt.babl}, got {rgba.dtype}")
    # Gegl wants native-endian, C-contiguous rows; tobytes() gives exactly that.
    return np.ascontiguousarray(rgba).tobytes()


def mask_from_bytes(data: bytes | bytearray | memoryview, width: int,
                    height: int) -> np.ndarray:
    """Selection bytes read as MASK_FORMAT -> (H, W) float32 coverage in [0, 1]."""
    expected = width * height * 4
    if len(data) != expected:
        raise ValueError(f"got {len(data)} bytes for a {width}x{height} mask, expected {expected}")
    mask = np.frombuffer(bytes(data), dtype=np.float32).reshape(height, width)
    return np.clip(mask, 0.0, 1.0)


def effective_mask(mask: np.ndarray | None) -> np.ndarray | None:
    """None when the mask covers everything fully: the result's alpha is then left as is."""
    if mask is None or bool(np.all(mask >= 1.0)):
        return None
    return mask


@dataclass(frozen=True)
class Region:
    """A rectangle; x, y are relative to whatever the caller says (drawable or image)."""

    x: int
    y: int
    width: int
    height: int

    def moved(self, dx: int, dy: int) -> Region:
        return Region(self.x + dx, self.y + dy, self.width, self.height)

    @property
    def empty(self) -> bool:
        return self.width <= 0 or self.height <= 0


def work_region(drawable_size: tuple[int, int], intersect: tuple[bool, int, int, int, int],
                has_selection: bool) -> Region | None:
    """The part of a drawable to stylize, in drawable coordinates.

    intersect is Gimp.Drawable.mask_intersect(): (touches, x, y, w, h), the bounding box of the
    selection clipped to the drawable (the whole drawable when nothing is selected). Returns
    None when there is a selection and it does not touch this drawable: nothing to do there.
    """
    touches, x, y, w, h = intersect
    if not has_selection:
        return Region(0, 0, drawable_size[0], drawable_size[1])
    region = Region(x, y, w, h)
    if not touches or region.empty:
        return None
    return region

