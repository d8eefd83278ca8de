"""Tiles: how an image is cut for the transformer network and how the tiles are put back.

The transformer uses instance normalisation, so every tile gets its own colour statistics:
naive tiles show a grid and tone jumps. Here tiles overlap and are cross-faded with
raised-cosine weights that skip the few pixels next to a tile edge (mirror-padding artefacts
live there); when tiles are small against the image, each is also matched (gain + offset per
channel, on a coarse grid) to one render of the whole image squeezed into a tile, which keeps
the global colour composition that small tiles lose.
"""

from __future__ import annotations

import math
from collections import deque
from concurrent.futures import Future, wait
from dataclasses import dataclass
from typing import Callable, Deque, List, Optional, Tuple

import numpy as np
from PIL import Image

from .images import resize_float
from .progress import Progress
from .runtime import DYNAMIC_MAX, Network

DYNAMIC_TILE = 384  # largest tile side for the dynamic model (see plan_tiles)
DYNAMIC_ONE_CALL = 512 * 512  # images up to this many px go through the dynamic model whole
DYNAMIC_MAX_SIDE = 2 * DYNAMIC_MAX  # and one call takes at most this many px per side (runtime)
BIG_OVERLAP = 192  # overlap of tiles above a one-call budget (_big_call_plan)
_MATCH_GRID = 8  # tiles are tone-matched to the reference on an 8x8 grid of block means

Sink = Callable[[int, int, np.ndarray], None]  # (row0, row1, float32 rows x W x 3)


def tile_starts(n: int, tile: int, overlap: int, align: int = 4) -> List[int]:
    """Tile origins covering [0, n), neighbours overlapping by at least about `overlap`, each
    origin a multiple of `align`. The transformer upsamples twice by 2, so its texture repeats
    every 4 px from the tile's origin: tiles whose origins differ by other amounts paint that
    texture out of phase, and their cross-fade cancels it (measured: mean gradient on overlap
    middles 0.86 of the image's with the 'stripes' style). The last tile may reach past the
    image; it is mirror-padded there."""
    if n <= tile:
        return [0]
    count = math.ceil((n - overlap) / (tile - overlap))
    starts = [round(i * (n - tile) / (count - 1) / align) * align for i in range(count)]
    if starts[-1] + tile < n:
        starts[-1] += align
    return starts


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
    # tiles take the instance-norm statistics of the whole image (OpenVINO above its one-call
    # budget): no tone reference needed
    shared_stats: bool = False

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

    - an image of at most DYNAMIC_ONE_CALL px is one call: no seams, its own statistics, the
      same picture as the whole-image path (a 512 px preview: 0.18 s on the solo interpreter's
      two threads; two 512x288 tiles took 0.17 s but came out 0.4 dB further from f16);
    - an image that `workers` tiles of DYNAMIC_TILE^2 px can cover is split into that many
      equal tiles painted at once, in one round;
    - anything larger gets the same square 384 px tiles as the f16 model, so the two models
      differ by precision only (bench: 34-35 dB apart; non-square plans fell to 21-22 dB).
    Tiles never grow past DYNAMIC_TILE^2 px: an interpreter's memory grows with its tile area,
    about 1.5 GB per megapixel; nor past DYNAMIC_MAX_SIDE on a side, so thin images (100x2100,
    16x18000) are cut along their length instead of being refused by the runtime."""
    if network.dynamic and network.one_call_pixels:
        return _big_call_plan(h, w, network.one_call_pixels, network.tile_side)
    side = DYNAMIC_TILE if network.dynamic else network.input_hw[0]
    overlap = side // 6
    square = TilePlan(side, side, overlap, tile_starts(h, side, overlap),
                      tile_starts(w, side, overlap))
    if not network.dynamic:
        return square
    max_area = DYNAMIC_TILE * DYNAMIC_TILE
    if h * w <= DYNAMIC_ONE_CALL and max(h, w) <= DYNAMIC_MAX_SIDE:
        return TilePlan(h, w, overlap, [0], [0])
    for ny in range(1, network.workers + 1):
        nx = network.workers // ny
        th, tw = _fit_side(h, ny, overlap), _fit_side(w, nx, overlap)
        if th * tw <= max_area and max(th, tw) <= DYNAMIC_MAX_SIDE:
            return TilePlan(th, tw, overlap, tile_starts(h, th, overlap),
                            tile_starts(w, tw, overlap))
    return TilePlan(min(h, side), min(w, side), overlap, tile_starts(h, min(h, side), overlap),
                    tile_starts(w, min(w, side), overlap))


def _big_call_plan(h: int, w: int, budget: int, max_side: int) -> TilePlan:
    """For a runtime that paints big images in one call (OpenVINO): the whole image up to
    `budget` px, the network's own look with no seams; above it, the fewest equal tiles of at
    most `budget` px (and `max_side` on a side) that cover it, so little is painted twice."""
    overlap = BIG_OVERLAP
    if h * w <= budget:
        return TilePlan(h, w, overlap, [0], [0])
    best: Optional[Tuple[int, int, int]] = None
    for ny in range(1, h // overlap + 2):
        th = _fit_side(h, ny, overlap)
        if th > max_side:
            continue
        nx = next((n for n in range(1, w // overlap + 2)
                   if _fit_side(w, n, overlap) * th <= budget
                   and _fit_side(w, n, overlap) <= max_side), None)
        if nx is None:
            continue
        tw = _fit_side(w, nx, overlap)
        if best is None or ny * nx * th * tw < best[0]:
            best = (ny * nx * th * tw, th, tw)
        if th * 2 < overlap * 4:
            break
    assert best is not None
    _, th, tw = best
    return TilePlan(th, tw, overlap, tile_starts(h, th, overlap), tile_starts(w, tw, overlap),
                    shared_stats=True)


def needs_reference(plan: TilePlan, h: int, w: int) -> bool:
    """Whether tiles need tone matching to a whole-image render. When tiles are small against
    the image, each tile's instance normalisation pulls its colours towards grey and the global
    colour composition is lost (seen at 4096 px, scale 1). When tiles span a third of the image
    or more, they share most of their statistics and the reference only costs a model call:
    without it, renders of 512-1024 px were closer to a one-piece render of the whole image
    (mean abs difference 8.9 vs 9.9 at 512 px, 12.7 vs 16.1 at 768, 17.0 vs 19.8 at 1024)."""
    return plan.count > 1 and not plan.shared_stats and (
        h * 0.35 > plan.tile_h or w * 0.35 > plan.tile_w)


def _fit_tile_shape(x: np.ndarray, tile_h: int, tile_w: int, network: Network) -> np.ndarray:
    """Every tile of a plan has one size (fixed models need it; the dynamic model would
    otherwise reallocate): mirror-pad pieces cut short by the image edge."""
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
        only: Optional[Tuple[int, int, int, int]] = None,
    ) -> TilePlan:
        """Paint the h x w image read by `read`, handing finished rows to `sink`. With `only`
        = (x, y, w, h), only the tiles that touch that window are painted (previews): its
        pixels are exactly those of the whole render; rows outside it are not."""
        plan = plan_tiles(h, w, self.net)
        t_h, t_w = plan.tile_h, plan.tile_w
        net = self.net
        if plan.shared_stats and plan.count > 1:
            # every tile normalised with the whole image's statistics, measured on the largest
            # copy one call takes: no tile gets tones of its own. Measured at 3000^2 against
            # one whole-image call: plain tiles 16.5 dB with visible tile tones, shared
            # statistics from the half-size copy 19.4 dB and none (exact full-size statistics
            # would give 59 dB, but they need the whole image in one call; a measuring pass
            # over the tiles to refine them made deeper layers worse, not better)
            thumb = _thumbnail(read, h, w, self.net.one_call_pixels)
            self.progress.check()
            net = self.net.with_statistics(thumb, self.vector)  # type: ignore[attr-defined]
        wy = _axis_weights(plan.ys, t_h, h, margin=8)
        wx = _axis_weights(plan.xs, t_w, w, margin=8)
        todo = [(iy, ix) for iy in range(len(plan.ys)) for ix in range(len(plan.xs))
                if only is None or _touches(plan.ys[iy], plan.xs[ix], t_h, t_w, only)]
        last_ix = {iy: ix for iy, ix in todo}  # the tile that completes each row of tiles
        rows = sorted(last_ix)
        jobs = iter(todo)
        pending: Deque[Tuple[int, int, Future[np.ndarray]]] = deque()

        def submit() -> None:
            job = next(jobs, None)
            if job is not None:
                iy, ix = job
                y, x = plan.ys[iy], plan.xs[ix]
                piece = read(y, x, min(t_h, h - y), min(t_w, w - x))
                piece = _fit_tile_shape(piece, t_h, t_w, self.net)
                solo = plan.count == 1  # nothing to run beside it: use every core
                pending.append((iy, ix, net.submit_transform(piece, self.vector, solo)))

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
                self.progress.report(span[0] + (span[1] - span[0]) * done / len(todo),
                                     "painting")
                if ix == last_ix[iy]:  # a row of tiles is complete: rows above are final
                    k = rows.index(iy)
                    final = plan.ys[rows[k + 1]] if k + 1 < len(rows) else h
                    n = final - acc_y0
                    # (weights are 0 only outside an `only` window, where rows are not used)
                    sink(acc_y0, final, acc[:n] / np.maximum(wacc[:n, :, None], 1e-12))
                    acc, wacc, acc_y0 = acc[n:], wacc[n:], final
        finally:
            # on cancel or error: drop queued tiles, wait only for the calls already running
            for *_, future in pending:
                future.cancel()
            wait([f for *_, f in pending])
        return plan


def _touches(y: int, x: int, th: int, tw: int, box: Tuple[int, int, int, int]) -> bool:
    bx, by, bw, bh = box
    return y < by + bh and by < y + th and x < bx + bw and bx < x + tw


def _thumbnail(read: Callable[[int, int, int, int], np.ndarray], h: int, w: int,
               budget: int) -> np.ndarray:
    """The image shrunk by k x k block means to at most `budget` px, read in bands (never a
    full-size float copy); the last < k rows/columns are left out (statistics only)."""
    k = max(1, math.ceil(math.sqrt(h * w / budget)))
    if k == 1:
        return read(0, 0, h, w)
    rows_per_band = k * max(1, (1 << 20) // (w * k))
    bands = []
    for y in range(0, h - h % k, rows_per_band):
        band = read(y, 0, min(rows_per_band, h - h % k - y), w - w % k)
        n = band.shape[0] // k
        bands.append(_block_mean(band[:n * k], k))
    return np.ascontiguousarray(np.concatenate(bands), dtype=np.float32)


def _block_mean(band: np.ndarray, k: int) -> np.ndarray:
    """Means of k x k blocks of an (n*k) x (m*k) x 3 band: k*k strided adds, 3.5x faster than
    ndarray.mean over two axes (0.9 s of a 4096² render before)."""
    v = band.reshape(band.shape[0] // k, k, -1, k, 3)
    out = v[:, 0, :, 0].astype(np.float32)
    for i in range(k):
        for j in range(k):
            if i or j:
                out += v[:, i, :, j]
    out *= 1.0 / (k * k)
    return out


def _ref_region(ref: np.ndarray, h: int, w: int, y: int, x: int, th: int, tw: int) -> np.ndarray:
    """The reference's view of one tile, at a small size (it only carries coarse tones)."""
    rh, rw = ref.shape[:2]
    box = (x * rw / w, y * rh / h, (x + tw) * rw / w, (y + th) * rh / h)
    size = (max(_MATCH_GRID, round(box[3] - box[1])), max(_MATCH_GRID, round(box[2] - box[0])))
    return resize_float(ref, size, Image.BILINEAR, box)
