"""The naive ways to run the networks, kept as baselines for the benchmark and the seam tests:
what the TFLite example and a first attempt would do."""

from __future__ import annotations

import numpy as np

from .images import resize_float, rgb_float
from .runtime import Network


def whole_image(net: Network, content: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """The whole image in one call of the dynamic model (only sane up to ~1.5k px)."""
    return net.transform(rgb_float(content), vector)


def centre_crop(net: Network, content: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """TFLite example: centre square crop resized to the model's 384x384, result 384x384."""
    rgb = rgb_float(content)
    h, w = rgb.shape[:2]
    s = min(h, w)
    y, x = (h - s) // 2, (w - s) // 2
    return net.transform(resize_float(rgb[y:y + s, x:x + s], net.input_hw), vector)


def plain_tiles(net: Network, content: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Non-overlapping tiles, each normalised on its own: shows the seams and tone jumps."""
    rgb = rgb_float(content)
    h, w = rgb.shape[:2]
    t = net.input_hw[0]
    out = np.zeros((h, w, 3), np.float32)
    for y in range(0, h, t):
        for x in range(0, w, t):
            piece = rgb[y:y + t, x:x + t]
            th, tw = piece.shape[:2]
            piece = np.pad(piece, ((0, t - th), (0, t - tw), (0, 0)), mode="symmetric")
            out[y:y + th, x:x + tw] = net.transform(piece, vector)[:th, :tw]
    return out
