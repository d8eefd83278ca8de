"""Synthetic test clips for the animation bench (issue 17), streamed one frame at a time.

Each clip is made from the shared photos only, so nothing is downloaded or committed. A clip is
a name, a frame count and a generator of (RGB uint8 HxWx3, alpha uint8 HxW or None). They were
chosen to cover what hurts a flow-guided stabiliser, not one kind of footage:

- pan: the issue's 3 px/frame camera pan (exact motion known: frame t+1 = frame t moved 3 px left)
- noise: a still photo + camera noise sigma = 2/255
- sprite: two cut-out sprites crossing fast (18 and 13 px/frame, rotating) over a slow pan
- zoom: 2 %/frame zoom into the photo
- rotate: 1.5 deg/frame rotation
- drawn2s: a hand-drawn figure on paper, animated on 2s (each drawing held 2 frames, lines boil)
- cel2s: the same drawings on a transparent cel (RGBA), as a Krita animated layer gives them
- light: a slow pan under changing light (gain ramp + a flash frame)
- cut: a pan over one photo, then a hard cut to another
- shake: hand-held camera shake (sub-pixel, up to 6 px/frame) + a big sprite rushing past
  with motion blur and growing (fast motion, occlusions: the issue's "real clip" kind)
- hard: footage-like: shake + zoom/rotation, a deforming sprite rushing past with motion blur
  and another crossing it, sensor noise and JPEG compression on every frame
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np

Frame = Tuple[np.ndarray, Optional[np.ndarray]]
W, H = 768, 512


def _cv2():
    import cv2

    return cv2


def _photo(images: Path, name: str, scale: float = 1.0) -> np.ndarray:
    from PIL import Image

    im = Image.open(images / name).convert("RGB")
    if scale != 1.0:
        im = im.resize((round(im.width * scale), round(im.height * scale)), Image.LANCZOS)
    return np.asarray(im, np.uint8)


def _affine(src: np.ndarray, m: np.ndarray, size: Tuple[int, int] = (W, H)) -> np.ndarray:
    cv2 = _cv2()
    return cv2.warpAffine(src, m, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def _sprite(images: Path, name: str, side: int) -> Tuple[np.ndarray, np.ndarray]:
    """A photo cut out by a soft ellipse: RGB and a 0..1 float coverage."""
    rgb = _photo(images, name)
    rgb = _cv2().resize(rgb, (side, side), interpolation=_cv2().INTER_AREA)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    r = np.sqrt(((xx - side / 2) / (side * 0.42)) ** 2 + ((yy - side / 2) / (side * 0.48)) ** 2)
    return rgb, np.clip((1.0 - r) * side / 6, 0, 1).astype(np.float32)


def _paste(dst: np.ndarray, rgb: np.ndarray, cover: np.ndarray, cx: float, cy: float,
           angle: float = 0.0, scale: float = 1.0, blur: int = 0) -> None:
    """Composite a sprite centred at (cx, cy) (sub-pixel), rotated and scaled, in place."""
    cv2 = _cv2()
    side = rgb.shape[0]
    m = cv2.getRotationMatrix2D((side / 2, side / 2), angle, scale)
    m[:, 2] += (cx - side / 2, cy - side / 2)
    h, w = dst.shape[:2]
    col = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_CUBIC).astype(np.float32)
    cov = cv2.warpAffine(cover, m, (w, h), flags=cv2.INTER_LINEAR)
    if blur > 1:  # motion blur along x, as fast things on film have
        k = np.ones((1, blur), np.float32) / blur
        col = cv2.filter2D(col * cov[..., None], -1, k)
        cov = cv2.filter2D(cov, -1, k)
        col = col / np.maximum(cov[..., None], 1e-6)
    a = cov[..., None]
    dst[...] = np.clip(dst * (1 - a) + col * a, 0, 255)


def pan(images: Path, n: int = 24, step: int = 3) -> Iterator[Frame]:
    src = _photo(images, "stata.jpg")
    for t in range(n):
        yield np.ascontiguousarray(src[:H, step * t:step * t + W]), None


def noise(images: Path, n: int = 24, sigma: float = 2 / 255) -> Iterator[Frame]:
    src = _photo(images, "stata.jpg")[:H, 100:100 + W].astype(np.float32)
    rng = np.random.default_rng(17)
    for _ in range(n):
        f = src + rng.normal(0, sigma * 255, src.shape)
        yield np.clip(np.rint(f), 0, 255).astype(np.uint8), None


def sprite(images: Path, n: int = 24) -> Iterator[Frame]:
    bg = _photo(images, "stata.jpg")
    a_rgb, a_cov = _sprite(images, "statue_of_liberty.jpg", 220)
    b_rgb, b_cov = _sprite(images, "red_circles.jpg", 170)
    for t in range(n):
        f = np.ascontiguousarray(bg[80:80 + H, 2 * t:2 * t + W]).astype(np.float32)
        _paste(f, b_rgb, b_cov, 650 - 13 * t, 300 + 20 * math.sin(t / 3), angle=-4 * t)
        _paste(f, a_rgb, a_cov, 90 + 18 * t, 250 + 40 * math.sin(t / 4), angle=3 * t)
        yield np.rint(f).astype(np.uint8), None


def zoom(images: Path, n: int = 24, rate: float = 1.02) -> Iterator[Frame]:
    cv2 = _cv2()
    src = _photo(images, "stata.jpg")
    cx, cy = src.shape[1] / 2, src.shape[0] / 2
    for t in range(n):
        m = cv2.getRotationMatrix2D((cx, cy), 0.0, 0.76 * rate ** t)
        m[:, 2] += (W / 2 - cx, H / 2 - cy)
        yield _affine(src, m), None


def rotate(images: Path, n: int = 24, deg: float = 1.5) -> Iterator[Frame]:
    cv2 = _cv2()
    src = _photo(images, "stata.jpg", 1.4)
    cx, cy = src.shape[1] / 2, src.shape[0] / 2
    for t in range(n):
        m = cv2.getRotationMatrix2D((cx, cy), deg * t, 1.0)
        m[:, 2] += (W / 2 - cx, H / 2 - cy)
        yield _affine(src, m), None


def _drawing(k: int, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Drawing k of a walking figure: ink (0..1 float coverage) and fill (0..1 coverage)."""
    cv2 = _cv2()
    ink = np.zeros((H, W), np.float32)
    fill = np.zeros((H, W), np.float32)
    x0, y0 = 120 + 40 * k, 160 + 10 * abs(math.sin(k * 0.9))
    j = lambda: rng.uniform(-1.5, 1.5, 2)  # noqa: E731  (line boil between drawings)
    sw = math.sin(k * 0.9) * 0.6
    pts = {"head": (x0, y0), "neck": (x0, y0 + 45), "hip": (x0, y0 + 150)}
    limbs = [("neck", (x0 + 70 * math.sin(sw), y0 + 45 + 70 * math.cos(sw))),
             ("neck", (x0 - 70 * math.sin(sw), y0 + 45 + 70 * math.cos(sw))),
             ("hip", (x0 + 90 * math.sin(sw), y0 + 150 + 90 * math.cos(sw))),
             ("hip", (x0 - 90 * math.sin(sw), y0 + 150 + 90 * math.cos(sw)))]
    s = 8  # sub-pixel precision for cv2 drawing (shift bits 3)

    def p(xy):
        return (round(xy[0] * s), round(xy[1] * s))

    head = np.array(pts["head"]) + j()
    cv2.ellipse(fill, p(head), (38 * s, 44 * s), 0, 0, 360, 1.0, -1, cv2.LINE_AA, 3)
    body = np.array([pts["neck"], (x0 + 30, y0 + 100), pts["hip"], (x0 - 30, y0 + 100)])
    body = body + rng.uniform(-1.5, 1.5, body.shape)
    cv2.fillPoly(fill, [np.rint(body * s).astype(np.int32)], 1.0, cv2.LINE_AA, 3)
    cv2.ellipse(ink, p(head), (38 * s, 44 * s), 0, 0, 360, 1.0, 4, cv2.LINE_AA, 3)
    cv2.polylines(ink, [np.rint(body * s).astype(np.int32)], True, 1.0, 4, cv2.LINE_AA, 3)
    for a, end in limbs:
        cv2.line(ink, p(np.array(pts[a]) + j()), p(np.array(end) + j()), 1.0, 7, cv2.LINE_AA, 3)
    return np.clip(ink, 0, 1), np.clip(fill, 0, 1)


def _drawn(images: Path, n: int, cel: bool) -> Iterator[Frame]:
    rng = np.random.default_rng(5)
    paper = np.full((H, W, 3), (236, 228, 210), np.float32)
    paper += rng.normal(0, 3, (H, W, 1))  # paper grain, the same on every frame
    colour = np.array((200, 90, 60), np.float32)
    current: Optional[Frame] = None
    for t in range(n):
        if t % 2 == 0:  # on 2s: a new drawing every other frame
            ink, fill = _drawing(t // 2, rng)
            base = np.zeros((H, W, 3), np.float32) if cel else paper.copy()
            rgb = base * (1 - fill[..., None]) + colour * fill[..., None]
            rgb = rgb * (1 - ink[..., None]) + 20 * ink[..., None]
            alpha = None
            if cel:
                a = np.maximum(ink, fill)
                rgb = np.where(a[..., None] > 0, (rgb - base * (1 - a[..., None]))
                               / np.maximum(a[..., None], 1e-6), 0)  # straight colour
                alpha = np.rint(a * 255).astype(np.uint8)
            current = (np.clip(np.rint(rgb), 0, 255).astype(np.uint8), alpha)
        assert current is not None
        yield current[0].copy(), None if current[1] is None else current[1].copy()


def drawn2s(images: Path, n: int = 24) -> Iterator[Frame]:
    return _drawn(images, n, cel=False)


def cel2s(images: Path, n: int = 24) -> Iterator[Frame]:
    return _drawn(images, n, cel=True)


def light(images: Path, n: int = 24) -> Iterator[Frame]:
    src = _photo(images, "stata.jpg").astype(np.float32)
    for t in range(n):
        gain = 0.75 + 0.4 * t / (n - 1) + (0.35 if t == n // 2 else 0.0)
        f = src[100:100 + H, 2 * t:2 * t + W] * gain
        yield np.clip(np.rint(f), 0, 255).astype(np.uint8), None


def cut(images: Path, n: int = 24) -> Iterator[Frame]:
    a = _photo(images, "stata.jpg")
    b = _photo(images, "chicago.jpg", 1.25)
    for t in range(n):
        if t < n // 2:
            yield np.ascontiguousarray(a[50:50 + H, 3 * t:3 * t + W]), None
        else:
            u = t - n // 2
            yield np.ascontiguousarray(b[40:40 + H, 100 - 3 * u:100 - 3 * u + W]), None


def shake(images: Path, n: int = 24) -> Iterator[Frame]:
    bg = _photo(images, "chicago.jpg", 1.3)
    s_rgb, s_cov = _sprite(images, "statue_of_liberty.jpg", 256)
    rng = np.random.default_rng(3)
    ox, oy = 0.0, 0.0
    for t in range(n):
        ox += rng.uniform(-6, 6)
        oy += rng.uniform(-4, 4)
        m = np.float32([[1, 0, -60 - ox], [0, 1, -50 - oy]])
        f = _affine(bg, m).astype(np.float32)
        _paste(f, s_rgb, s_cov, -80 + 30 * t + 0.4 * t * t, 280 - 3 * t,
               angle=6 * math.sin(t / 2), scale=0.9 + 0.05 * t, blur=int(14 + t))
        yield np.rint(f).astype(np.uint8), None


def _wave(img: np.ndarray, t: int, amp: float = 6.0) -> np.ndarray:
    """Non-rigid motion: rows and columns bent by travelling waves (cloth, limbs, water)."""
    cv2 = _cv2()
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    mx = xx + amp * np.sin(yy / 37.0 + t * 0.7)
    my = yy + amp * np.sin(xx / 53.0 - t * 0.5)
    return cv2.remap(img, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def _jpeg(f: np.ndarray, quality: int) -> np.ndarray:
    cv2 = _cv2()
    _, buf = cv2.imencode(".jpg", f[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])


def hard(images: Path, n: int = 24) -> Iterator[Frame]:
    """Footage-like: a hand-held camera (shake + slow zoom/rotation), a deforming sprite rushing
    across with motion blur, a second one crossing it, sensor noise and JPEG compression on
    every frame (real footage's grain and codec noise flicker too)."""
    cv2 = _cv2()
    bg = _photo(images, "stata.jpg")
    a_rgb, a_cov = _sprite(images, "statue_of_liberty.jpg", 256)
    b_rgb, b_cov = _sprite(images, "beach.jpg", 200)
    rng = np.random.default_rng(11)
    ox, oy = 0.0, 0.0
    for t in range(n):
        ox += rng.uniform(-5, 5)
        oy += rng.uniform(-3, 3)
        m = cv2.getRotationMatrix2D((512 + ox, 340 + oy), 0.4 * t, 1.0 + 0.006 * t)
        m[:, 2] += (W / 2 - 512, H / 2 - 340)
        f = _affine(bg, m).astype(np.float32)
        wa, wc = _wave(a_rgb, t, 8.0), _wave(a_cov, t, 8.0)
        _paste(f, b_rgb, b_cov, 700 - 22 * t, 150 + 8 * t, angle=10 * t, scale=1.0, blur=9)
        _paste(f, wa, wc, -60 + 36 * t, 300 - 40 * math.sin(t / 3), angle=8 * math.sin(t),
               scale=1.0 + 0.03 * t, blur=int(10 + t))
        f += rng.normal(0, 3.0, f.shape)
        yield _jpeg(np.clip(np.rint(f), 0, 255).astype(np.uint8), 70), None


CLIPS: Dict[str, Callable[..., Iterator[Frame]]] = {
    "pan": pan, "noise": noise, "sprite": sprite, "zoom": zoom, "rotate": rotate,
    "drawn2s": drawn2s, "cel2s": cel2s, "light": light, "cut": cut, "shake": shake, "hard": hard,
}
#: clips whose frames are related by a known exact motion (judged with it, not with DIS)
EXACT_SHIFT = {"pan": 3}
#: where the clip has a hard cut (frame index of the first new shot)
CUTS = {"cut": 12}


def frames(name: str, images: Path, n: int = 24) -> List[Frame]:
    return list(CLIPS[name](images, n))
