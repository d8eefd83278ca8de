"""Temporal stabilisation of a stylized clip: one frame in, one frame out, O(1) frames kept.

This network flickers when run frame by frame: its strokes swim whenever the input moves by a
non-multiple of its stride (4 px) or carries noise. `Stabilizer` blends each new render with the
previous OUTPUT carried along optical flow (DIS, OpenCV) computed on the CONTENT frames:

    out_t = S_t + M * (a_hi * D_high + a_lo * D_low),   D = warp(out_{t-1}) - S_t

- M: pixels whose flow is forward-backward consistent (the test of Lai et al. 2018, the same
  test the warping-error measure uses) and whose source lies in the previous frame;
  occluded and newly seen pixels take the new render as it is, so nothing is smeared there.
- Two bands: the fine texture (where the flicker lives) is held strongly (a_hi), broad
  changes (a glow that follows a moving figure, a change of light) follow the new render
  faster (a_lo = 0.45 a_hi). Measured against one uniform blend at the same flicker on the
  pan (0.09x): +1.5 dB to the per-frame render on a hand-drawn clip, +0.3 dB on footage.
- The warp samples the previous output where the FORWARD flow lands (two fixed-point steps
  inverting it from the backward flow), with bicubic interpolation: bilinear warps blur a
  little more every frame (mean gradient 0.79 of the per-frame render on a zoom, 0.90 bicubic).
- An exact repeat of the previous content (holds on 2s/3s) returns exactly the previous
  output; a scene cut (almost no consistent flow, or content that does not match along it)
  starts afresh with the new render as it is (`last.cut` says so).
- Alpha: colour is never taken from, nor given to, a transparent pixel; alpha passes through
  untouched (the caller keeps it).

Flow runs at the content's resolution up to `flow_pixels`, above that on a shrunk copy, so its
cost stays bounded next to the render's (which paints at most ~1024 px wide at auto scale).
It is DIS with the medium preset, as the warping-error measure (../shared/tools/flicker.py)
uses: cheaper settings (fast preset, fewer iterations, no variational refinement, half the
resolution) disagreed with it and left 1.3-3.5x more flicker on some clips. Kept between
frames: the previous content, grey, alpha and output (O(1) frames).
OpenCV: opencv-python-headless 4.11.0.86 runs with numpy 1.24 (Krita 5.1's system Python) and
numpy 2.x; 4.12 and later require numpy >= 2.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

import numpy as np

from .errors import DependencyError, InputError

#: The default stability: a_hi = 0.855, a_lo = 0.385. Chosen from bench/animation.py: the pan
#: is the tightest flicker target (0.090x for <= 0.10x; 0.85 gave 0.096x) and a hand-drawn clip
#: on 2s the tightest look target (25.9 dB for >= 25; a uniform blend that meets the pan
#: target gave 24.4 dB); footage-like clips land at 0.17x and 27-28 dB.
DEFAULT_STABILITY = 0.9
ALPHA_MAX = 0.95  # stability 1: the fine texture keeps 95 % of the previous frame
LOW_SHARE = 0.45  # broad changes are held by this share of the fine texture's weight
LOW_SIGMA = 4.0  # px (Gaussian): what counts as "broad" at the network's texture scale
#: Flow above this many pixels runs on a shrunk copy of the content (time bound; 1024x576).
FLOW_PIXELS = 1024 * 576
#: Lai et al.'s consistency test: |F + B(x+F)|^2 <= K (|F|^2 + |B(x+F)|^2) + C
CONSISTENCY_K, CONSISTENCY_C = 0.01, 0.5
#: A cut: almost no textured pixel with consistent flow (an unrelated shot kept 0.01-0.08;
#: flat areas say nothing: any flow fits them) ...
CUT_NONE = 0.05
#: ... or few of them AND content that does not match along the flow (normalised
#: cross-correlation of the consistent pixels; a change of light keeps it near 1). Moving
#: footage kept >= 0.75 consistent; a thin drawn figure jumping 40 px only 0.30, but it still
#: matched at 0.99, where an unrelated shot matched at 0.62 at most.
CUT_VALID, CUT_NCC = 0.4, 0.9
TEXTURE = 40.0  # Sobel |dx| + |dy| of the 8-bit grey (a 3x3 Sobel weighs 4x a 1 px step)
#: px: a source this far outside the frame still counts (flow is least sure at the border:
#: without it the pan's newest columns were never held, 0.093x -> 0.076x)
EDGE_TOLERANCE = 0.5
#: a pixel whose source in the previous frame is less opaque than this takes the new render
MIN_SOURCE_ALPHA = 0.5


@dataclass
class StepInfo:
    """What the last step() did, for the clip renderer's log / metrics."""

    cut: bool = False  # the history was dropped: a scene cut (or the first frame / a reset)
    repeat: bool = False  # the content repeated the previous frame exactly
    valid: float = 0.0  # share of textured pixels with consistent flow into the previous frame
    #: content match along the flow (1 = identical up to gain/offset); measured only when few
    #: pixels have consistent flow (that is when it decides between motion and a cut)
    ncc: Optional[float] = None


def import_cv2() -> Any:
    """OpenCV, or DependencyError naming the fix (only stability > 0 needs it)."""
    try:
        import cv2
    except ImportError as e:
        raise DependencyError(
            f"Animation stability needs OpenCV ({e}). Fix: `pip install "
            "'opencv-python-headless<4.12'` in the Python that runs this plugin (4.12+ needs "
            "numpy 2), or set stability 0."
        ) from None
    return cv2


def alphas(stability: float) -> Tuple[float, float]:
    """(a_hi, a_lo) for a stability in 0..1."""
    s = float(stability)
    if not 0.0 <= s <= 1.0:
        raise InputError(f"Stability must be between 0 and 1, not {stability}.")
    hi = ALPHA_MAX * s
    return hi, LOW_SHARE * hi


class Stabilizer:
    """Streaming stabiliser for the frames of one clip (one instance per clip; not thread-safe).

    step(content, stylized, alpha) -> the frame to show. content and stylized are HxWx3 float
    (0..1, sRGB-encoded) of the same size; alpha HxW 0..1 or None (opaque). The returned array
    is float32 HxWx3, a new array (the caller may keep it); with stability 0 it is `stylized`
    itself, bit for bit."""

    def __init__(self, stability: float = DEFAULT_STABILITY,
                 flow_pixels: int = FLOW_PIXELS) -> None:
        self.a_hi, self.a_lo = alphas(stability)
        self.stability = float(stability)
        self.flow_pixels = max(64 * 64, int(flow_pixels))
        self.last = StepInfo()
        self._cv2: Any = None
        self._dis: Any = None
        self._grid: Optional[Tuple[np.ndarray, np.ndarray]] = None
        self.reset()

    def reset(self) -> None:
        """Forget the history (a scene cut the caller knows of, or a new clip)."""
        self._content: Optional[np.ndarray] = None  # previous content, for exact repeats
        self._alpha: Optional[np.ndarray] = None
        self._gray: Optional[np.ndarray] = None  # previous content as the flow sees it
        self._out: Optional[np.ndarray] = None  # previous output

    # -- the step --------------------------------------------------------------------------------
    def step(self, content: np.ndarray, stylized: np.ndarray,
             alpha: Optional[np.ndarray] = None) -> np.ndarray:
        content, stylized, alpha = _check(content, stylized, alpha)
        if self.a_hi <= 0.0:
            self.last = StepInfo(cut=True)
            return stylized
        if self._cv2 is None:
            self._cv2 = import_cv2()
        if (self._content is not None and self._out is not None
                and np.array_equal(content, self._content)
                and _same_alpha(alpha, self._alpha)):
            self.last = StepInfo(repeat=True, valid=1.0)
            return self._out.copy()
        gray = self._flow_gray(content)
        self.last = StepInfo(cut=True)  # unless _blend finds a history to follow
        out: Optional[np.ndarray] = None
        if self._gray is not None and self._gray.shape == gray.shape and self._out is not None:
            out = self._blend(gray, stylized, alpha)
        if out is None:  # first frame, new size or a cut: the render as it is
            out = np.array(stylized, np.float32, copy=True)
            self.last.cut = True
        self._content = content.copy()
        self._alpha = None if alpha is None else alpha.copy()
        self._gray = gray
        self._out = out
        return out.copy()

    def _blend(self, gray: np.ndarray, styl: np.ndarray,
               alpha: Optional[np.ndarray]) -> Optional[np.ndarray]:
        cv2 = self._cv2
        assert self._gray is not None and self._out is not None
        h, w = styl.shape[:2]
        # the correspondence is found at the flow's size (a big frame's flow is computed on a
        # shrunk copy, so its full-size maps hold nothing finer), then the sampling map and
        # the mask are enlarged once: 1920x1080 paid 5 full-size remaps per frame before
        bw, fw = self._flows(gray, self._gray)  # t -> t-1, t-1 -> t
        fh, fwid = gray.shape
        gx, gy = self._grids(fh, fwid)
        mx, my = gx + bw[..., 0], gy + bw[..., 1]
        fw_at = cv2.remap(fw, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        bx, by, fx, fy = bw[..., 0], bw[..., 1], fw_at[..., 0], fw_at[..., 1]
        sx, sy = bx + fx, by + fy
        # per component: numpy's sum over a last axis of 2 was 40 % of the blend's time
        ok = sx * sx + sy * sy <= CONSISTENCY_K * (bx * bx + by * by + fx * fx + fy * fy) \
            + CONSISTENCY_C
        t = EDGE_TOLERANCE
        ok &= (mx >= -t) & (mx <= fwid - 1 + t) & (my >= -t) & (my <= fh - 1 + t)
        g_now = gray.astype(np.float32)
        step = 2 if gray.shape == (h, w) else 1  # a shrunk flow is already a sample
        valid = _textured_share(ok[::step, ::step], g_now[::step, ::step], cv2)
        ncc: Optional[float] = None
        if CUT_NONE <= valid < CUT_VALID:  # few consistent: does the content still match?
            g_was = cv2.remap(self._gray.astype(np.float32), mx, my, cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)
            ncc = _ncc(g_now, g_was, ok)
        self.last = StepInfo(valid=valid, ncc=ncc)
        if valid < CUT_NONE or (ncc is not None and ncc < CUT_NCC):
            return None
        # sample where the forward flow lands (the correspondence the eye and the warping
        # error follow), starting from the backward flow: x = y - F(x), two steps (pixels
        # outside M move too: harmless, they take the new render)
        for _ in range(2):
            f_at = cv2.remap(fw, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            mx = gx - f_at[..., 0]
            my = gy - f_at[..., 1]
        if (fh, fwid) != (h, w):
            mx, my, ok = _enlarge(mx, my, ok, (h, w), cv2)
        if self._alpha is None:
            warped = cv2.remap(self._out, mx, my, cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)
        else:
            # premultiplied: a transparent pixel of the previous frame lends no colour (its
            # weight is its alpha, 0); a source mostly transparent is not followed at all
            a = np.clip(self._alpha, 0.0, 1.0)
            wa = cv2.remap(a, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
            wc = cv2.remap(self._out * a[..., None], mx, my, cv2.INTER_CUBIC,
                           borderMode=cv2.BORDER_REPLICATE)
            ok &= wa >= MIN_SOURCE_ALPHA
            warped = wc / np.maximum(wa, MIN_SOURCE_ALPHA)[..., None]
        if alpha is not None:
            ok &= alpha > 0.0  # a transparent pixel takes no colour either
        m = ok.astype(np.float32)[..., None]
        d = warped
        d -= styl
        d *= m
        out = styl + self.a_hi * d
        out += (self.a_lo - self.a_hi) * m * _low_pass(d, cv2)
        np.clip(out, 0.0, 1.0, out=out)
        if alpha is not None:  # transparent pixels: exactly the render's values
            clear = alpha <= 0.0
            out[clear] = styl[clear]
        return out

    # -- flow --------------------------------------------------------------------------------------
    def _flow_gray(self, content: np.ndarray) -> np.ndarray:
        """8-bit grey of the content exactly as the warping-error measure builds it from a
        frame (its RGB, alpha dropped: a cel's transparent pixels as the host stores them),
        shrunk above flow_pixels."""
        cv2 = self._cv2
        g = cv2.cvtColor((np.clip(content, 0.0, 1.0) * 255).astype(np.uint8),
                         cv2.COLOR_RGB2GRAY)
        h, w = g.shape
        if h * w > self.flow_pixels:
            k = (self.flow_pixels / (h * w)) ** 0.5
            g = cv2.resize(g, (max(8, round(w * k)), max(8, round(h * k))),
                           interpolation=cv2.INTER_AREA)
        return g

    def _flows(self, g: np.ndarray, prev: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        cv2 = self._cv2
        if self._dis is None:
            # the medium preset, as the warping-error measure: a cheaper flow disagrees with it
            # (most in flat areas, where any flow fits) and left 0.32-0.83x of the flicker on
            # a hand-drawn clip; one instance per thread (an instance is not thread-safe)
            self._dis = [cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
                         for _ in range(2)]
        # both directions at once: DIS is mostly serial inside, so two threads took 39-60 ms
        # where one after the other took 56-96 ms (768x512, 2 cores). A thread per call, not
        # a pool: a pool left alive crashed kritarunner at exit (HOST_NOTES)
        got: List[Any] = []
        other = threading.Thread(target=lambda: got.append(self._dis[1].calc(prev, g, None)),
                                 name="style-flow", daemon=True)
        other.start()
        try:
            bw = self._dis[0].calc(g, prev, None)
        finally:
            other.join()
        if not got:
            raise RuntimeError("optical flow failed")
        return bw, got[0]

    def _grids(self, h: int, w: int) -> Tuple[np.ndarray, np.ndarray]:
        if self._grid is None or self._grid[0].shape != (h, w):
            gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
            self._grid = (gx, gy)
        return self._grid


def _enlarge(mx: np.ndarray, my: np.ndarray, ok: np.ndarray, hw: Tuple[int, int],
             cv2: Any) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A sampling map and its mask found at the flow's size, at the frame's size (pixel
    centres kept: x_full = (x + 0.5) * s - 0.5)."""
    h, w = hw
    sy, sx = h / mx.shape[0], w / mx.shape[1]
    big = cv2.resize(np.dstack([mx, my, ok.astype(np.float32)]), (w, h),
                     interpolation=cv2.INTER_LINEAR)
    return ((big[..., 0] + 0.5) * sx - 0.5, (big[..., 1] + 0.5) * sy - 0.5,
            big[..., 2] > 0.5)


def _low_pass(x: np.ndarray, cv2: Any) -> np.ndarray:
    """A Gaussian of LOW_SIGMA px, computed at a quarter of the size (5 ms -> 1 ms at
    768x512): it only has to separate broad changes from the network's texture."""
    h, w = x.shape[:2]
    k = 4 if min(h, w) >= 64 else 1
    small = cv2.resize(x, (max(1, w // k), max(1, h // k)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), LOW_SIGMA / k)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _textured_share(ok: np.ndarray, g: np.ndarray, cv2: Any) -> float:
    """Share of consistent pixels among those with texture: in flat areas any flow fits, so
    they say nothing about a cut (a cel's empty background, a sky)."""
    mag = np.abs(cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)) + np.abs(
        cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3))
    textured = mag > TEXTURE
    if textured.mean() < 0.01:
        return float(ok.mean())
    return float(ok[textured].mean())


def _ncc(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    """Normalised cross-correlation of a and b over mask, on a 1/16 sample (a cheap test)."""
    a, b, m = a[::4, ::4], b[::4, ::4], mask[::4, ::4]
    if m.sum() < 16:
        return 0.0
    x, y = a[m].astype(np.float64), b[m].astype(np.float64)
    x -= x.mean()
    y -= y.mean()
    den = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return 1.0 if den < 1e-6 else float((x * y).sum() / den)


def _same_alpha(a: Optional[np.ndarray], b: Optional[np.ndarray]) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return np.array_equal(a, b)


def _check(content: np.ndarray, stylized: np.ndarray, alpha: Optional[np.ndarray]
           ) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
    c, s = np.asarray(content), np.asarray(stylized)
    if c.ndim != 3 or c.shape[2] != 3 or s.shape != c.shape:
        raise InputError(f"Stabilizer: content {c.shape} and stylized {s.shape} must both be "
                         "HxWx3 of the same size.")
    if alpha is not None:
        alpha = np.asarray(alpha)
        if alpha.shape != c.shape[:2]:
            raise InputError(f"Stabilizer: alpha {alpha.shape} must be HxW {c.shape[:2]}.")
        alpha = alpha.astype(np.float32, copy=False)
    return c.astype(np.float32, copy=False), s.astype(np.float32, copy=False), alpha
