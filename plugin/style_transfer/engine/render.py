"""Content of any size -> stylized image of exactly the same size, shape and dtype.

Pipeline (all float32, streamed in horizontal bands so memory stays bounded for 8k images):
1. working size = image size x style scale (auto: about 1024 px on the long side);
2. the working image is cut into overlapping tiles the network can take. The transformer uses
   instance normalisation, so every tile gets its own colour statistics: each tile is therefore
   matched (gain + offset per channel, on a coarse grid) to one low-resolution render of the whole
   image, and tiles are cross-faded over their overlap with raised-cosine weights that skip the
   few pixels next to a tile edge (mirror-padding artefacts live there);
3. if the working size is smaller than the image, the result is brought back to full size by
   guided upsampling: bilinear upsampling of the stylization plus the content's own fine detail,
   scaled by the local slope between stylization and content luminance (a guided-filter
   coefficient), so edges stay sharp instead of a blurry plain resize;
4. optional: keep the content's colours (Lab chroma), blend with a mask, carry alpha through.
"""

from __future__ import annotations

import math
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable, Deque, List, Optional, Tuple

import numpy as np
from PIL import Image

from .colors import keep_colors
from .errors import InputError
from .images import (
    alpha_part,
    channels,
    check_array,
    color_part,
    from_float,
    luminance,
    mean_visible_color,
    resize_float,
    rgb_float,
    to_float,
)
from .progress import Progress
from .runtime import Network, default_threads

AUTO_LONG_SIDE = 1024  # auto scale: the network paints big images at about this size
MIN_SCALE, MAX_SCALE = 0.01, 4.0
BAND_ROWS = 256  # rows per band when converting the content to the working size
BAND_PIXELS = 1 << 19  # pixels per upsampling band: ~15 MB per 7-channel float32 temporary
DYNAMIC_TILE = 384  # largest tile side for the dynamic model (see plan_tiles)
_MATCH_GRID = 8  # tiles are tone-matched to the reference on an 8x8 grid of block means
_UPSAMPLE_RADIUS = 2  # guided-upsampling window radius, in working-size pixels
_UPSAMPLE_EPS = 1e-4

Sink = Callable[[int, int, np.ndarray], None]  # (row0, row1, float32 rows x W x 3)


@dataclass
class RenderOptions:
    strength: float = 1.0  # 0..1: 0 = the content's own style, 1 = the chosen style(s)
    scale: Optional[float] = None  # None = auto; 1.0 = paint at the image's own resolution
    preserve_colors: bool = False
    mask: Optional[np.ndarray] = None  # HxW, 0..1 (float) or 0..255 (uint8); 0 = keep input
    model: str = "int8"  # "int8" | "f16" | "int8-fixed" (models.MODEL_CHOICES)
    style_mode: str = "crop"  # how style IMAGES become vectors: crop | whole | multi


def working_size(h: int, w: int, scale: Optional[float]) -> Tuple[int, int]:
    if scale is None:
        s = min(1.0, AUTO_LONG_SIDE / max(h, w))
    else:
        if not (isinstance(scale, (int, float)) and MIN_SCALE <= scale <= MAX_SCALE):
            raise InputError(
                f"Style scale must be between {MIN_SCALE} and {MAX_SCALE}, not {scale}."
            )
        s = float(scale)
    return max(1, round(h * s)), max(1, round(w * s))


def tile_starts(n: int, tile: int, overlap: int) -> List[int]:
    """Evenly spread tile origins covering [0, n); neighbours overlap by at least `overlap`."""
    if n <= tile:
        return [0]
    count = math.ceil((n - overlap) / (tile - overlap))
    return [round(i * (n - tile) / (count - 1)) for i in range(count)]


def _axis_weights(starts: List[int], tile: int, n: int, margin: int) -> List[np.ndarray]:
    """Per-tile 1-D blend weights: raised-cosine ramps over each shared overlap, zero within
    `margin` px of an inner tile edge, 1 elsewhere. Neighbouring ramps sum to 1."""
    out = []
    for i, s in enumerate(starts):
        length = min(tile, n - s)
        w = np.ones(length, np.float32)
        x = np.arange(length, dtype=np.float32)
        if i > 0:
            ov = starts[i - 1] + tile - s
            m = min(margin, ov // 4)
            t = np.clip((x - m) / max(1, ov - 2 * m), 0, 1)
            w *= 0.5 - 0.5 * np.cos(np.pi * t)
        if i < len(starts) - 1:
            ov = s + tile - starts[i + 1]
            m = min(margin, ov // 4)
            t = np.clip((length - 1 - x - m) / max(1, ov - 2 * m), 0, 1)
            w *= 0.5 - 0.5 * np.cos(np.pi * t)
        out.append(np.maximum(w, 1e-4))
    return out


@dataclass
class TilePlan:
    tile_h: int
    tile_w: int
    overlap: int
    ys: List[int]
    xs: List[int]

    @property
    def count(self) -> int:
        return len(self.ys) * len(self.xs)


def _fit_side(n: int, count: int, overlap: int) -> int:
    """Side of `count` equal tiles that cover n px with at least `overlap` between them."""
    if count == 1:
        return n
    return min(n, -(-math.ceil((n + (count - 1) * overlap) / count) // 4) * 4)


def plan_tiles(h: int, w: int, network: Network) -> TilePlan:
    """Square tiles of the network's size; the dynamic model takes any size, so for it:

    - an image of at most DYNAMIC_TILE^2 px is one call (no seams, its own statistics);
    - an image that `workers` tiles of that area can cover is split into that many equal tiles
      painted at once: a 512 px preview is two 512x288 tiles in one round, not four 384^2 tiles
      in two (0.16 s instead of 0.37 s on 2 cores);
    - anything larger gets the same square 384 px tiles as the f16 model, so the two models
      differ by precision only (bench: 34-35 dB apart; non-square plans fell to 21-22 dB).
    Tiles never grow past DYNAMIC_TILE^2 px: an interpreter's memory grows with its tile area,
    about 1.5 GB per megapixel."""
    side = DYNAMIC_TILE if network.dynamic else network.input_hw[0]
    overlap = side // 6
    square = TilePlan(side, side, overlap, tile_starts(h, side, overlap),
                      tile_starts(w, side, overlap))
    if not network.dynamic:
        return square
    max_area = DYNAMIC_TILE * DYNAMIC_TILE
    if h * w <= max_area:
        return TilePlan(h, w, overlap, [0], [0])
    for ny in range(1, network.workers + 1):
        nx = network.workers // ny
        th, tw = _fit_side(h, ny, overlap), _fit_side(w, nx, overlap)
        if th * tw <= max_area:
            return TilePlan(th, tw, overlap, tile_starts(h, th, overlap),
                            tile_starts(w, tw, overlap))
    return TilePlan(min(h, side), min(w, side), overlap, tile_starts(h, min(h, side), overlap),
                    tile_starts(w, min(w, side), overlap))


def needs_reference(plan: TilePlan, h: int, w: int) -> bool:
    """Whether tiles need tone matching to a whole-image render. When tiles are small against
    the image, each tile's instance normalisation pulls its colours towards grey and the global
    colour composition is lost (seen at 4096 px, scale 1). When tiles span a third of the image
    or more, they share most of their statistics and the reference only costs a model call:
    without it, renders of 512-1024 px were closer to a one-piece render of the whole image
    (mean abs difference 8.9 vs 9.9 at 512 px, 12.7 vs 16.1 at 768, 17.0 vs 19.8 at 1024)."""
    return plan.count > 1 and (h * 0.35 > plan.tile_h or w * 0.35 > plan.tile_w)


def _fit_tile_shape(x: np.ndarray, tile_h: int, tile_w: int, network: Network) -> np.ndarray:
    """Fixed-size networks need exactly their input size: mirror-pad smaller pieces."""
    if network.dynamic:
        return x
    h, w = x.shape[:2]
    if (h, w) == (tile_h, tile_w):
        return x
    return np.pad(x, ((0, tile_h - h), (0, tile_w - w), (0, 0)), mode="symmetric")


def _block_means(x: np.ndarray, gh: int, gw: int) -> np.ndarray:
    h, w = x.shape[:2]
    ys = np.linspace(0, h, gh + 1).astype(int)
    xs = np.linspace(0, w, gw + 1).astype(int)
    sums = np.add.reduceat(np.add.reduceat(x, ys[:-1], axis=0), xs[:-1], axis=1)
    counts = np.outer(np.diff(ys), np.diff(xs))[:, :, None]
    return (sums / counts).reshape(-1, x.shape[2])


def _tone_match(out: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per-channel gain/offset so the tile's coarse tones follow the whole-image reference."""
    gh = min(_MATCH_GRID, out.shape[0], ref.shape[0])
    gw = min(_MATCH_GRID, out.shape[1], ref.shape[1])
    a = _block_means(out, gh, gw)
    b = _block_means(ref, gh, gw)
    am, bm = a.mean(axis=0), b.mean(axis=0)
    var = ((a - am) ** 2).mean(axis=0)
    cov = ((a - am) * (b - bm)).mean(axis=0)
    gain = np.where(var > 1e-5, cov / np.maximum(var, 1e-5), 1.0)
    gain = np.clip(gain, 0.6, 1.6).astype(np.float32)
    offset = (bm - gain * am).astype(np.float32)
    return np.clip(out * gain + offset, 0.0, 1.0)


class TileRenderer:
    """Renders a float32 RGB image (given as a tile reader) through a transformer network.

    The network paints up to `network.workers` tiles at once on its own threads (invoke()
    releases the GIL) while this thread cuts the next tiles and tone-matches and accumulates
    finished ones in order, so numpy work overlaps the model calls. At most workers + 1 tiles
    are in flight: memory stays bounded and a cancel waits only for the calls already running."""

    def __init__(self, network: Network, vector: np.ndarray, progress: Progress) -> None:
        self.net = network
        self.vector = vector
        self.progress = progress

    def reference(self, small_rgb: np.ndarray, plan: TilePlan) -> np.ndarray:
        """One render of the whole image squeezed into one tile (tone reference). Tile-sized
        so the dynamic model's interpreters never reallocate between the reference and the
        tiles (a size change costs a fresh arena)."""
        x = np.clip(resize_float(small_rgb, (plan.tile_h, plan.tile_w)), 0.0, 1.0)
        self.progress.check()
        return self.net.transform(x, self.vector)

    def render(
        self,
        h: int,
        w: int,
        read: Callable[[int, int, int, int], np.ndarray],
        sink: Sink,
        ref: Optional[np.ndarray],
        span: Tuple[float, float],
    ) -> TilePlan:
        plan = plan_tiles(h, w, self.net)
        t_h, t_w = plan.tile_h, plan.tile_w
        wy = _axis_weights(plan.ys, t_h, h, margin=8)
        wx = _axis_weights(plan.xs, t_w, w, margin=8)
        jobs = iter([(iy, ix) for iy in range(len(plan.ys)) for ix in range(len(plan.xs))])
        pending: Deque[Tuple[int, int, Future[np.ndarray]]] = deque()

        def submit() -> None:
            job = next(jobs, None)
            if job is not None:
                iy, ix = job
                y, x = plan.ys[iy], plan.xs[ix]
                piece = read(y, x, min(t_h, h - y), min(t_w, w - x))
                piece = _fit_tile_shape(piece, t_h, t_w, self.net)
                pending.append((iy, ix, self.net.submit_transform(piece, self.vector)))

        acc = np.zeros((0, w, 3), np.float32)
        wacc = np.zeros((0, w), np.float32)
        acc_y0 = done = 0
        try:
            for _ in range(self.net.workers + 1):
                submit()
            while pending:
                iy, ix, future = pending.popleft()
                self.progress.check()
                out = future.result()
                submit()  # keep the network busy while this thread does the numpy work
                y, x = plan.ys[iy], plan.xs[ix]
                th, tw = min(t_h, h - y), min(t_w, w - x)
                out = out[:th, :tw]
                if ref is not None:
                    out = _tone_match(out, _ref_region(ref, h, w, y, x, th, tw))
                weight = wy[iy][:, None] * wx[ix][None, :]
                need = y + th - acc_y0
                if need > acc.shape[0]:
                    grow = need - acc.shape[0]
                    acc = np.concatenate([acc, np.zeros((grow, w, 3), np.float32)])
                    wacc = np.concatenate([wacc, np.zeros((grow, w), np.float32)])
                r0 = y - acc_y0
                acc[r0:r0 + th, x:x + tw] += out * weight[:, :, None]
                wacc[r0:r0 + th, x:x + tw] += weight
                done += 1
                self.progress.report(span[0] + (span[1] - span[0]) * done / plan.count,
                                     "painting")
                if ix == len(plan.xs) - 1:  # a row of tiles is complete: rows above are final
                    final = plan.ys[iy + 1] if iy + 1 < len(plan.ys) else h
                    n = final - acc_y0
                    sink(acc_y0, final, acc[:n] / wacc[:n, :, None])
                    acc, wacc, acc_y0 = acc[n:], wacc[n:], final
        finally:
            # on cancel or error: drop queued tiles, wait only for the calls already running
            for *_, future in pending:
                future.cancel()
            wait([f for *_, f in pending])
        return plan


def _ref_region(ref: np.ndarray, h: int, w: int, y: int, x: int, th: int, tw: int) -> np.ndarray:
    """The reference's view of one tile, at a small size (it only carries coarse tones)."""
    rh, rw = ref.shape[:2]
    box = (x * rw / w, y * rh / h, (x + tw) * rw / w, (y + th) * rh / h)
    size = (max(_MATCH_GRID, round(box[3] - box[1])), max(_MATCH_GRID, round(box[2] - box[0])))
    return resize_float(ref, size, Image.BILINEAR, box)


# -- guided upsampling ---------------------------------------------------------------------------


def _box(x: np.ndarray, r: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window, edges clamped, via cumulative sums (O(1) per pixel)."""
    p = np.pad(x, ((r + 1, r), (r + 1, r)) + ((0, 0),) * (x.ndim - 2), mode="edge")
    c = p.cumsum(axis=0, dtype=np.float64)
    c = c[2 * r + 1:] - c[:-2 * r - 1]
    c = c.cumsum(axis=1)
    c = c[:, 2 * r + 1:] - c[:, :-2 * r - 1]
    return (c / (2 * r + 1) ** 2).astype(np.float32)


def _slope(guide: np.ndarray, target: np.ndarray, r: int, eps: float) -> np.ndarray:
    """Guided-filter coefficient a (per channel): local slope of target vs guide, smoothed."""
    g = guide[:, :, None]
    mg, mt = _box(g, r), _box(target, r)
    cov = _box(g * target, r) - mg * mt
    var = _box(g * g, r) - mg * mg
    a = np.clip(cov / (var + eps), -3.0, 3.0)
    return _box(a, r)


class _Upsampler:
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


# -- the whole render ----------------------------------------------------------------------------


class Render:
    """One stylization of one content image. Construct, then call run()."""

    def __init__(
        self,
        content: np.ndarray,
        network: Network,
        vector: np.ndarray,
        options: RenderOptions,
        progress: Progress,
    ) -> None:
        check_array(content, "content image")
        self.src = content
        self.h, self.w = content.shape[:2]
        self.net = network
        self.vector = vector
        self.opt = options
        self.progress = progress
        self.mask = _check_mask(options.mask, self.h, self.w)
        self.background = mean_visible_color(content).astype(np.float32)
        self.out = np.empty_like(content)

    def _read_full(self, y: int, x: int, th: int, tw: int) -> np.ndarray:
        return rgb_float(self.src[y:y + th, x:x + tw], self.background)

    def work_image(self, wh: int, ww: int) -> np.ndarray:
        """Content at working size, built band by band (no full-size float copy)."""
        if (wh, ww) == (self.h, self.w):
            return self._read_full(0, 0, self.h, self.w)
        if self.src.dtype == np.uint8 and alpha_part(self.src) is None:
            u8 = color_part(self.src)  # nothing to convert or fill: skip a float round trip
        else:
            u8 = np.empty((self.h, self.w, 3), np.uint8)
            for y in range(0, self.h, BAND_ROWS * 4):
                u8[y:y + BAND_ROWS * 4] = from_float(
                    self._read_full(y, 0, BAND_ROWS * 4, self.w), np.dtype(np.uint8))
        resample = Image.LANCZOS if wh < self.h else Image.BICUBIC
        im = Image.fromarray(u8).resize((ww, wh), resample, reducing_gap=3.0)
        return np.asarray(im, dtype=np.float32) / 255.0

    def run(self) -> np.ndarray:
        wh, ww = working_size(self.h, self.w, self.opt.scale)
        tiler = TileRenderer(self.net, self.vector, self.progress)
        full = (wh, ww) == (self.h, self.w)
        plan = plan_tiles(wh, ww, self.net)
        self.progress.report(0.02, "preparing")
        work = None if full and plan.count > 1 else self.work_image(wh, ww)
        ref = None
        if needs_reference(plan, wh, ww):
            small = work if work is not None else self._small_image()
            ref = tiler.reference(small, plan)
        self.progress.report(0.05, "painting")
        if full:
            if work is not None:
                reader = lambda y, x, th, tw: work[y:y + th, x:x + tw]  # noqa: E731
            else:
                reader = self._read_full
            tiler.render(wh, ww, reader, self._finish_rows, ref, (0.05, 0.97))
        else:
            lo = np.empty((wh, ww, 3), np.float32)

            def keep(y0: int, y1: int, rows: np.ndarray) -> None:
                lo[y0:y1] = rows

            assert work is not None
            tiler.render(wh, ww, lambda y, x, th, tw: work[y:y + th, x:x + tw], keep, ref,
                         (0.05, 0.85))
            self._upsample(work, lo)
        self.progress.report(1.0, "done")
        return self.out

    def _small_image(self) -> np.ndarray:
        """A cheap (strided) ~1-2k px version of the full-size content for the tone reference:
        it only has to carry coarse tones, and it avoids a full-size float copy."""
        k = max(1, max(self.h, self.w) // AUTO_LONG_SIDE)
        return rgb_float(self.src[::k, ::k], self.background)

    def _upsample(self, work: np.ndarray, lo: np.ndarray) -> None:
        """Full-size rows from the working-size render, band by band on all cores: bands are
        independent and numpy releases the GIL, and at auto scale on big images this, not the
        model, is most of the time (bench: 4096^2 auto spent 77 % here single-threaded)."""
        guide_lo = luminance(work)
        a = _slope(guide_lo, lo, _UPSAMPLE_RADIUS, _UPSAMPLE_EPS)
        # one 7-channel array: one interpolation pass per band instead of three
        packed = np.concatenate([lo, a, guide_lo[:, :, None]], axis=2)
        up = _Upsampler(lo.shape[:2], (self.h, self.w))
        # bands of a fixed pixel count: an 8k-wide band of 256 rows made ~300 MB of temporaries
        # per thread (measured peak 1.9 GB at 8192x5461); 64 rows there keep it near 1 GB
        rows_per_band = max(8, min(BAND_ROWS, BAND_PIXELS // self.w))

        def band(y0: int) -> None:
            y1 = min(self.h, y0 + rows_per_band)
            rows = up.rows(packed, y0, y1)
            guide_hi = luminance(self._read_full(y0, 0, y1 - y0, self.w))
            detail = (guide_hi - rows[:, :, 6])[:, :, None]
            styl = rows[:, :, :3] + rows[:, :, 3:6] * detail
            self._finish_rows(y0, y1, np.clip(styl, 0.0, 1.0, out=styl))

        starts = list(range(0, self.h, rows_per_band))
        with ThreadPoolExecutor(default_threads(), thread_name_prefix="style-upsample") as pool:
            futures = [pool.submit(band, y0) for y0 in starts]
            try:
                for y0, future in zip(starts, futures):
                    future.result()
                    self.progress.report(0.85 + 0.12 * min(self.h, y0 + rows_per_band) / self.h,
                                         "upsampling")
            finally:
                for future in futures:
                    future.cancel()  # on cancel: queued bands never start

    def _finish_rows(self, y0: int, y1: int, styl: np.ndarray) -> None:
        """Colours, mask and alpha for rows [y0, y1); writes the output in the input's dtype."""
        src = self.src[y0:y1]
        if self.opt.preserve_colors or self.mask is not None:
            content = np.clip(to_float(color_part(src)), 0.0, 1.0)
            if self.opt.preserve_colors:
                styl = keep_colors(styl, content)
            if self.mask is not None:
                m = self.mask[y0:y1, :, None]
                styl = styl * m + content * (1.0 - m)
        c = channels(src)
        out = self.out[y0:y1]
        if c in (1, 2):
            gray = from_float(luminance(styl), src.dtype)
            if c == 1:
                out[...] = gray.reshape(out.shape)
            else:
                out[:, :, 0] = gray
        else:
            out[:, :, :3] = from_float(styl, src.dtype)
        alpha = alpha_part(src)
        if alpha is not None:
            out[:, :, -1] = alpha
            transparent = alpha == 0  # hidden pixels keep their exact input values
            if transparent.any():
                out[transparent] = src[transparent]
        if self.mask is not None:
            keep = self.mask[y0:y1] <= 0.0  # mask 0 = bit-identical input
            out[keep] = src[keep]


def _check_mask(mask: Optional[np.ndarray], h: int, w: int) -> Optional[np.ndarray]:
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.ndim == 3 and m.shape[2] == 1:
        m = m[:, :, 0]
    if m.shape != (h, w):
        raise InputError(f"The mask is {m.shape[1::-1]} pixels but the image is {w}x{h}; "
                         "they must be the same size.")
    if m.dtype == bool:
        m = m.astype(np.float32)
    return np.clip(to_float(m), 0.0, 1.0)
