"""Guided upsampling: from the working-size stylization back to full size with the content's
own edges. Bilinear upsampling of the stylization plus the content's fine detail (full-size
luminance minus its upsampled working-size version), scaled by the local slope between
stylization and content luminance (a guided-filter coefficient): sharp where the stylization
follows the content, no invented detail where it does not."""

from __future__ import annotations

import math
from typing import Callable, Optional, Tuple

import numpy as np
from PIL import Image

from .images import resize_float

SHRINK_SUPPORT = 3.0  # Lanczos-3: the filter reaches 3 output pixels either side
Sink = Callable[[int, int, np.ndarray], None]  # (row0, row1, float32 rows x W x 3)

UPSAMPLE_RADIUS = 2  # window radius, in working-size pixels
UPSAMPLE_EPS = 1e-4  # regularises the slope in flat areas (1e-3 lost visible edge detail)


def _box(x: np.ndarray, r: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window, edges clamped, via cumulative sums (O(1) per pixel)."""
    p = np.pad(x, ((r + 1, r), (r + 1, r)) + ((0, 0),) * (x.ndim - 2), mode="edge")
    c = p.cumsum(axis=0, dtype=np.float64)
    c = c[2 * r + 1:] - c[:-2 * r - 1]
    c = c.cumsum(axis=1)
    c = c[:, 2 * r + 1:] - c[:, :-2 * r - 1]
    return (c / (2 * r + 1) ** 2).astype(np.float32)


def slope(guide: np.ndarray, target: np.ndarray, r: int, eps: float) -> np.ndarray:
    """Guided-filter coefficient a (per channel): local slope of target vs guide, smoothed."""
    g = guide[:, :, None]
    mg, mt = _box(g, r), _box(target, r)
    cov = _box(g * target, r) - mg * mt
    var = _box(g * g, r) - mg * mg
    a = np.clip(cov / (var + eps), -3.0, 3.0)
    return _box(a, r)


class Upsampler:
    """Bilinear upsampling by rows, with pixel centres aligned (as image resizing does)."""

    def __init__(self, lo_hw: Tuple[int, int], hi_hw: Tuple[int, int]) -> None:
        self.lo_h, self.lo_w = lo_hw
        self.hi_h, self.hi_w = hi_hw
        self.x0, self.x1, self.fx = self._coords(self.lo_w, self.hi_w, np.arange(self.hi_w))

    @staticmethod
    def _coords(n_lo: int, n_hi: int, idx: np.ndarray):
        pos = (idx + 0.5) * (n_lo / n_hi) - 0.5
        pos = np.clip(pos, 0, n_lo - 1)
        i0 = np.floor(pos).astype(np.intp)
        i1 = np.minimum(i0 + 1, n_lo - 1)
        return i0, i1, (pos - i0).astype(np.float32)

    def rows(self, lo: np.ndarray, y0: int, y1: int) -> np.ndarray:
        r0, r1, fy = self._coords(self.lo_h, self.hi_h, np.arange(y0, y1))
        shape = (-1, 1) + (1,) * (lo.ndim - 2)
        v = lo[r0] * (1 - fy).reshape(shape) + lo[r1] * fy.reshape(shape)
        shape_x = (1, -1) + (1,) * (lo.ndim - 2)
        fx = self.fx.reshape(shape_x)
        return v[:, self.x0] * (1 - fx) + v[:, self.x1] * fx


class BandShrinker:
    """Antialiased (Lanczos) downscale of rows that arrive in order, for renders painted above
    the image's resolution (style scale > 1): a low-pass before the sampling, so the network's
    fine texture averages out instead of aliasing (plain bilinear sampling turned it into a
    false period-3 pattern), and only the rows that output rows still need are held, never the
    whole working-size render (4x of 1024^2 needed 2.4 GB). Each band is resized with the
    filter's full support inside it, so the result is that of one whole-image resize."""

    def __init__(self, big_hw: Tuple[int, int], small_hw: Tuple[int, int], sink: Sink) -> None:
        self.big_h, self.big_w = big_hw
        self.h, self.w = small_hw
        self.sink = sink
        self.scale = self.big_h / self.h
        self.reach = SHRINK_SUPPORT * self.scale  # working rows either side of a row centre
        self.rows = np.zeros((0, self.big_w, 3), np.float32)
        self.rows_y0 = 0  # working row of self.rows[0]
        self.done = 0  # output rows already sent to the sink

    def feed(self, y0: int, y1: int, rows: np.ndarray) -> None:
        """Working rows [y0, y1), in order; sends every output row they complete."""
        assert y0 == self.rows_y0 + len(self.rows), "rows must arrive in order"
        self.rows = np.concatenate([self.rows, rows]) if len(self.rows) else rows
        if y1 >= self.big_h:
            ready = self.h
        else:  # output row i needs working rows up to (i + 0.5) * scale + reach
            ready = max(0, math.floor((y1 - self.reach) / self.scale - 0.5))
        if ready <= self.done:
            return
        top = self.done * self.scale - self.rows_y0
        bottom = min(float(len(self.rows)), ready * self.scale - self.rows_y0)  # float rounding
        out = shrink(self.rows, (ready - self.done, self.w), (0.0, top, float(self.big_w), bottom))
        self.sink(self.done, ready, np.clip(out, 0.0, 1.0, out=out))
        self.done = ready
        first = max(self.rows_y0, math.floor((ready + 0.5) * self.scale - self.reach) - 1)
        self.rows = self.rows[first - self.rows_y0:]
        self.rows_y0 = first


def shrink(
    img: np.ndarray, size_hw: Tuple[int, int], box: Optional[Tuple[float, float, float, float]]
) -> np.ndarray:
    """Downscale an HxWx3 float32 array (or its `box` region; the filter reads around the box
    where the array has pixels) with Lanczos: antialiased, as Pillow's resize is."""
    return resize_float(img, size_hw, Image.LANCZOS, box)
