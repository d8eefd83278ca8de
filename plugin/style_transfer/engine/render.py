"""Content of any size -> stylized image of exactly the same size, shape and dtype.

Pipeline (float32, streamed in horizontal bands so memory stays bounded for 8k images):
1. working size = image size x style scale (auto: about 1024 px on the long side);
2. the working image is painted in overlapping tiles (tiles.py: cross-fades, tone matching);
3. if the working size is smaller than the image, guided upsampling brings it back to full
   size with the content's own edges (upsample.py), never a blurry plain resize;
4. optional: keep the content's colours (Lab chroma), blend with a mask; alpha is carried
   through and fully transparent pixels keep their exact input values.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import numpy as np
from PIL import Image

from .colors import keep_colors
from .errors import InputError
from .images import (
    alpha_part,
    block_mean,
    channels,
    check_array,
    color_part,
    from_float,
    luminance,
    mean_visible_color,
    rgb_float,
    to_float,
)
from .masks import as_map
from .progress import Progress
from .runtime import Network, default_threads
from .tiles import TileRenderer, needs_reference, plan_tiles
from .upsample import UPSAMPLE_EPS, UPSAMPLE_RADIUS, BandShrinker, Upsampler, slope

AUTO_LONG_SIDE = 1024  # auto scale: the network paints big images at about this size
MIN_SCALE, MAX_SCALE = 0.01, 4.0
BAND_ROWS = 256  # rows per band when converting the content to the working size
BAND_PIXELS = 1 << 19  # pixels per upsampling band: ~15 MB per 7-channel float32 temporary


@dataclass
class RenderOptions:
    strength: float = 1.0  # 0..1: 0 = the content's own style, 1 = the chosen style(s)
    scale: Optional[float] = None  # None = auto; 1.0 = paint at the image's own resolution
    preserve_colors: bool = False
    #: where to paint, a map of the content's size (masks.py: gray, gray + alpha, RGB(A); any
    #: depth): 1 = the stylized pixel, 0 = the input pixel unchanged, between = a blend
    mask: Optional[np.ndarray] = None
    model: str = "int8"  # "int8" | "f16" | "int8-fixed" (models.MODEL_CHOICES)
    style_mode: str = "crop"  # how style IMAGES become vectors: crop | whole | multi
    # "auto" | "openvino" | "litert" (runtime.RUNTIME_CHOICES); None = the Engine's default
    # ($STYLE_TRANSFER_RUNTIME, else "auto")
    runtime: Optional[str] = None


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
        self.mask = None if options.mask is None else as_map(options.mask, self.h, self.w,
                                                              "mask")
        self.background = mean_visible_color(content).astype(np.float32)
        self.out = np.empty_like(content)

    def _read_full(self, y: int, x: int, th: int, tw: int) -> np.ndarray:
        return rgb_float(self.src[y:y + th, x:x + tw], self.background)

    def _content_u8(self) -> np.ndarray:
        """The content as 8-bit RGB, transparency filled, built band by band (no full-size
        float copy)."""
        if self.src.dtype == np.uint8 and alpha_part(self.src) is None:
            return color_part(self.src)  # nothing to convert or fill: skip a float round trip
        u8 = np.empty((self.h, self.w, 3), np.uint8)
        for y in range(0, self.h, BAND_ROWS * 4):
            u8[y:y + BAND_ROWS * 4] = from_float(
                self._read_full(y, 0, BAND_ROWS * 4, self.w), np.dtype(np.uint8))
        return u8

    def work_image(self, wh: int, ww: int) -> np.ndarray:
        """Content at working size."""
        if (wh, ww) == (self.h, self.w):
            return self._read_full(0, 0, self.h, self.w)
        resample = Image.LANCZOS if wh < self.h else Image.BICUBIC
        im = Image.fromarray(self._content_u8()).resize((ww, wh), resample, reducing_gap=3.0)
        return np.asarray(im, dtype=np.float32) / 255.0

    def _enlarged_reader(self, wh: int, ww: int) -> Callable[[int, int, int, int], np.ndarray]:
        """Tiles of the content enlarged to (wh, ww), each made on demand (bicubic, the same
        pixel grid as one whole resize): the enlarged image is never held (4x of 1024^2 would
        be 200 MB as float)."""
        src = Image.fromarray(self._content_u8())
        sy, sx = self.h / wh, self.w / ww

        def read(y: int, x: int, th: int, tw: int) -> np.ndarray:
            box = (x * sx, y * sy, (x + tw) * sx, (y + th) * sy)
            tile = src.resize((tw, th), Image.BICUBIC, box=box)
            return np.asarray(tile, dtype=np.float32) / 255.0

        return read

    def run(self) -> np.ndarray:
        wh, ww = working_size(self.h, self.w, self.opt.scale)
        tiler = TileRenderer(self.net, self.vector, self.progress)
        full = (wh, ww) == (self.h, self.w)
        above = not full and wh >= self.h and ww >= self.w  # style scale > 1
        plan = plan_tiles(wh, ww, self.net)
        self.progress.report(0.02, "preparing")
        work = None if (full and plan.count > 1) or above else self.work_image(wh, ww)
        ref = None
        if needs_reference(plan, wh, ww):
            small = work if work is not None else self._small_image()
            ref = tiler.reference(small, plan)
        self.progress.report(0.05, "painting")
        if above:
            # painted above the image's resolution: rows are shrunk back with a low-pass
            # (upsample.BandShrinker) as the tiles finish them: memory of a few rows of tiles
            shrinker = BandShrinker((wh, ww), (self.h, self.w), self._finish_rows)
            tiler.render(wh, ww, self._enlarged_reader(wh, ww), shrinker.feed, ref, (0.05, 0.97))
        elif full:
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

    def window(self, box: Tuple[int, int, int, int]) -> np.ndarray:
        """Part of the working-size render, exactly as run() paints it (the same tile plan,
        tone reference or shared statistics, taken from the whole picture) but painting only
        the tiles that touch `box` = (x, y, w, h) in working pixels: a preview detail at 100 %.
        Returns float32 h x w x 3, before colours/mask/alpha and before the return to full size."""
        wh, ww = working_size(self.h, self.w, self.opt.scale)
        x, y, w, h = box
        if not (0 <= x < x + w <= ww and 0 <= y < y + h <= wh):
            raise InputError(f"The window {box} is not inside the {ww}x{wh} working image.")
        tiler = TileRenderer(self.net, self.vector, self.progress)
        plan = plan_tiles(wh, ww, self.net)
        # the same reads and the same reference as run(), so the pixels are the same
        full = (wh, ww) == (self.h, self.w)
        above = not full and wh >= self.h and ww >= self.w
        work = None if (full and plan.count > 1) or above else self.work_image(wh, ww)
        ref = None
        if needs_reference(plan, wh, ww):
            ref = tiler.reference(work if work is not None else self._small_image(), plan)
        if work is not None:
            reader = lambda y0, x0, th, tw: work[y0:y0 + th, x0:x0 + tw]  # noqa: E731
        else:
            reader = self._enlarged_reader(wh, ww) if above else self._read_full
        out = np.zeros((h, w, 3), np.float32)

        def keep(y0: int, y1: int, rows: np.ndarray) -> None:
            a, b = max(y0, y), min(y1, y + h)
            if a < b:
                out[a - y:b - y] = rows[a - y0:b - y0, x:x + w]

        tiler.render(wh, ww, reader, keep, ref, (0.05, 1.0), only=box)
        return out

    def _small_image(self) -> np.ndarray:
        """A ~1-2k px version of the full-size content for the tone reference, built band by
        band (no full-size float copy) from k x k block means: a low-pass first, so fine
        texture cannot alias into false tones as plain striding did."""
        k = max(1, max(self.h, self.w) // AUTO_LONG_SIDE)
        if k == 1:
            return self._read_full(0, 0, self.h, self.w)
        step = k * max(1, BAND_PIXELS // (self.w * k))
        return np.concatenate([block_mean(self._read_full(y, 0, step, self.w), k)
                               for y in range(0, self.h, step)])

    def _upsample(self, work: np.ndarray, lo: np.ndarray) -> None:
        """Full-size rows from the working-size render, band by band on all cores: bands are
        independent and numpy releases the GIL, and at auto scale on big images this, not the
        model, is most of the time (bench: 4096^2 auto spent 77 % here single-threaded)."""
        guide_lo = luminance(work)
        a = slope(guide_lo, lo, UPSAMPLE_RADIUS, UPSAMPLE_EPS)
        # one 7-channel array: one interpolation pass per band instead of three
        packed = np.concatenate([lo, a, guide_lo[:, :, None]], axis=2)
        up = Upsampler(lo.shape[:2], (self.h, self.w))
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
        finish(self.src[y0:y1], styl, self.out[y0:y1],
               None if self.mask is None else self.mask[y0:y1], self.opt.preserve_colors)


def finish(src: np.ndarray, styl: np.ndarray, out: np.ndarray, mask: Optional[np.ndarray],
           preserve_colors: bool = False) -> None:
    """The last step of every render, the one rule for colours, mask and alpha: float RGB
    `styl` painted for the pixels `src` -> `out` (src's shape and dtype). `mask`: HxW 0..1
    (0 = the input pixel bit for bit). Transparent pixels keep their exact input values. The
    clip renderer (clip.py) finishes its stabilised frames with it too."""
    if preserve_colors or mask is not None:
        content = np.clip(to_float(color_part(src)), 0.0, 1.0)
        if preserve_colors:
            styl = keep_colors(styl, content)
        if mask is not None:
            m = mask[:, :, None]
            styl = styl * m + content * (1.0 - m)
    c = channels(src)
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
    if mask is not None:
        keep = mask <= 0.0  # mask 0 = bit-identical input
        out[keep] = src[keep]

