"""GIMP's animation convention (file-gif-export, the playback filter): an image whose layers are
frames, the bottom layer first; "(NNNms)" in a layer's name is its delay, "(combine)" draws it
over the frame before, "(replace)" instead of it. Pure Python and numpy: tested off-host."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import numpy as np

_DELAY = re.compile(r"\(\s*(\d+)\s*ms\s*\)", re.IGNORECASE)
_MODE = re.compile(r"\(\s*(combine|replace)\s*\)", re.IGNORECASE)


@dataclass(frozen=True)
class FrameName:
    name: str  # the name without the tags, e.g. "Frame 3"
    delay_ms: Optional[int]  # None: the export's default delay applies
    combine: bool  # drawn over the frame before (GIMP's default when no tag says otherwise)

    def result(self) -> str:
        """The name of the stylized frame: every frame is whole now, so (replace)."""
        delay = f" ({self.delay_ms}ms)" if self.delay_ms is not None else ""
        return f"{self.name}{delay} (replace)"


def parse(layer_name: str) -> FrameName:
    delay = _DELAY.search(layer_name)
    mode = _MODE.search(layer_name)
    name = _MODE.sub("", _DELAY.sub("", layer_name))
    name = re.sub(r"\s{2,}", " ", name).strip() or "Frame"
    return FrameName(name, int(delay.group(1)) if delay else None,
                     mode is None or mode.group(1).lower() == "combine")


def over(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """Straight-alpha RGBA `top` over `bottom` (float32 0..1, same size), on the values as
    given."""
    ta, ba = top[..., 3:4], bottom[..., 3:4]
    alpha = ta + ba * (1.0 - ta)
    rgb = top[..., :3] * ta + bottom[..., :3] * ba * (1.0 - ta)
    safe = np.where(alpha > 0, alpha, 1.0)
    return np.concatenate([np.where(alpha > 0, rgb / safe, 0.0), alpha], axis=2).astype(
        np.float32)


def _decode(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((np.maximum(c, 0.0) + 0.055) / 1.055) ** 2.4)


def _encode(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * np.maximum(c, 0.0) ** (1 / 2.4) - 0.055)


def combine(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """A "(combine)" frame: sRGB-encoded straight-alpha RGBA `top` over the frame shown before
    (float32 0..1), blended in linear light as GIMP draws a Normal layer over another (so the
    frame looks as it does in GIMP with both layers visible)."""
    def linear(a: np.ndarray) -> np.ndarray:
        return np.concatenate([_decode(a[..., :3]), a[..., 3:4]], axis=2)

    out = over(linear(top), linear(bottom))
    return np.concatenate([_encode(out[..., :3]), out[..., 3:4]], axis=2).astype(np.float32)
