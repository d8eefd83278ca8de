"""Colour management: the network sees sRGB-encoded values whatever the document holds, and the
result goes back in the document's own colour space and profile.

Krita gives new 16-bit and float RGBA documents the LINEAR profile sRGB-elle-V2-g10.icc, and
pixelData() answers in the document's own profile (an sRGB grey 128 reads 0.216 there). Handing
those values to the network as if they were sRGB paints a pale, washed-out result. Three routes,
chosen by the profile (measured in Krita 5.1.5, 256 px photo converted by Krita from sRGB 8-bit):

- sRGB-TRC profiles (the 8-bit default): the bytes are used as they are;
- linear sRGB (g10): numpy applies the sRGB transfer curve: 0.014 s, mean error 0.002/255
  (U16/F32) against the original 8-bit values, within 0.02/255 of LittleCMS;
- anything else (Lab, CMYK, Gray, other RGB profiles): a scratch document holding the bytes is
  converted by Krita's own colour management (LittleCMS) to RGBA in the same depth with an sRGB
  profile: exact too, but about 0.3 s for 256 px and 1.7 s for 2000x1500 px.

Only the main thread may call the functions that create scratch documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import pixels

SRGB_PROFILE = "sRGB-elle-V2-srgbtrc.icc"  # ships with Krita for every RGBA depth
LINEAR_SRGB_PROFILES = ("sRGB-elle-V2-g10.icc",
                        "krita-2.5, lcms sRGB built-in with linear gamma TRC")


@dataclass(frozen=True)
class Space:
    """A Krita colour space: model ("RGBA", "LABA", "CMYKA", "GRAYA"...), depth, profile name."""

    model: str
    depth: str
    profile: str

    @classmethod
    def of(cls, obj: Any) -> Space:
        """Of a Document or a Node (both answer colorModel/colorDepth/colorProfile)."""
        return cls(obj.colorModel(), obj.colorDepth(), obj.colorProfile())

    @property
    def route(self) -> str:
        """"srgb" (use as is), "linear" (numpy transfer curve) or "convert" (scratch copy)."""
        if self.model != "RGBA" or self.depth not in pixels.DEPTHS:
            return "convert"
        if is_srgb_encoded(self.profile):
            return "srgb"
        if self.profile in LINEAR_SRGB_PROFILES:
            return "linear"
        return "convert"

    @property
    def srgb(self) -> Space:
        """The sRGB-encoded RGBA space of the same depth: what the network is given."""
        return Space("RGBA", self.depth, SRGB_PROFILE)


def is_srgb_encoded(profile: str) -> bool:
    p = profile.lower()
    return "srgbtrc" in p or p in ("srgb built-in", "") or p.startswith("srgb iec61966-2")


# -- the sRGB transfer curve (IEC 61966-2-1) ---------------------------------------------------


def encode(linear: np.ndarray) -> np.ndarray:
    """Linear light -> sRGB-encoded, float32; values above 1 (HDR) follow the curve too."""
    x = np.maximum(linear.astype(np.float32, copy=False), 0.0)
    return np.where(x <= 0.0031308, x * 12.92,
                    1.055 * np.power(x, 1.0 / 2.4, dtype=np.float32) - 0.055).astype(np.float32)


def decode(srgb: np.ndarray) -> np.ndarray:
    """sRGB-encoded -> linear light, float32."""
    x = np.maximum(srgb.astype(np.float32, copy=False), 0.0)
    return np.where(x <= 0.04045, x / 12.92,
                    np.power((x + 0.055) / 1.055, 2.4, dtype=np.float32)).astype(np.float32)


def _curve(rgba: np.ndarray, fn: Any) -> np.ndarray:
    """Apply fn to the colour channels (alpha untouched), keeping rgba's dtype."""
    f = pixels.convert_dtype(rgba, np.dtype(np.float32)).copy()
    f[..., :3] = fn(f[..., :3])
    return pixels.convert_dtype(f, rgba.dtype)


# -- Krita side (main thread only) -------------------------------------------------------------


def convert_bytes(data: bytes, w: int, h: int, src: Space, dst: Space) -> bytes:
    """Pixel bytes of a w x h area from one colour space to another, through a scratch
    document converted by Krita's colour management. Never touches the user's documents."""
    from krita import Krita

    scratch = Krita.instance().createDocument(w, h, "style-transfer-scratch", src.model,
                                              src.depth, src.profile, 72.0)
    if scratch is None:
        raise pixels.ColorSpaceError(f"Krita cannot create a {src.model}/{src.depth} document.")
    try:
        layer = scratch.createNode("pixels", "paintlayer")
        scratch.rootNode().addChildNode(layer, None)
        layer.setPixelData(data, 0, 0, w, h)
        scratch.waitForDone()
        if not scratch.setColorSpace(dst.model, dst.depth, dst.profile):
            raise pixels.ColorSpaceError(
                f"Could not convert {src.model}/{src.depth} ({src.profile}) to {dst.model}/"
                f"{dst.depth}; convert the image (Image › Convert Image Color Space) and retry.")
        scratch.waitForDone()
        return bytes(scratch.rootNode().childNodes()[-1].pixelData(0, 0, w, h))
    finally:
        scratch.close()


def to_srgb(data: bytes, w: int, h: int, space: Space) -> np.ndarray:
    """pixelData bytes in `space` -> HxWx4 straight RGBA, sRGB-encoded, in the dtype of
    space.depth (uint8 / uint16 / float32)."""
    route = space.route
    if route == "convert":
        data = convert_bytes(data, w, h, space, space.srgb)
    rgba = pixels.bytes_to_rgba(data, w, h, space.depth)
    return _curve(rgba, encode) if route == "linear" else rgba


def from_srgb(rgba: np.ndarray, space: Space) -> bytes:
    """HxWx4 sRGB-encoded RGBA (any dtype) -> bytes in `space` for setPixelData."""
    route = space.route
    h, w = rgba.shape[:2]
    if route == "linear":
        rgba = _curve(pixels.convert_dtype(rgba, pixels.array_dtype(space.depth)), decode)
    data = pixels.rgba_to_bytes(rgba, space.depth)
    if route == "convert":
        data = convert_bytes(data, w, h, space.srgb, space)
    return data
