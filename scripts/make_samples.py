"""Draw the project's own sample images (no third-party pictures are committed or needed):
a small landscape to restyle and an abstract 'painting' to take the style from.

    python scripts/make_samples.py OUT_DIR   ->  OUT_DIR/content.png, OUT_DIR/style.png,
        OUT_DIR/style2.png (a second, cool-toned 'painting') and OUT_DIR/sky.png (a feathered
        mask of the landscape's sky, for the two-region example)
    python scripts/make_samples.py --strip CONTENT STYLE RESULT OUT.jpg   (README picture)
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def landscape(w: int = 960, h: int = 640, seed: int = 3) -> Image.Image:
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h)[:, None, None]
    sky = (1 - y) * np.array([70, 130, 210]) + y * np.array([250, 200, 150])
    img = Image.fromarray(np.broadcast_to(sky, (h, w, 3)).astype(np.uint8))
    d = ImageDraw.Draw(img)
    d.ellipse([w * 0.72, h * 0.12, w * 0.84, h * 0.12 + w * 0.12], fill=(255, 236, 170))
    for k, (base, col) in enumerate([(0.55, (90, 120, 150)), (0.68, (60, 120, 70)),
                                     (0.8, (40, 95, 45))]):
        pts = [(0, h)]
        for x in range(0, w + 20, 20):
            yy = base * h + 40 * math.sin(x / (90 + 40 * k) + k) + rng.normal(0, 4)
            pts.append((x, yy))
        pts.append((w, h))
        d.polygon(pts, fill=col)
    # a house with windows and a roof: hard edges and small details
    x0, y0 = int(w * 0.18), int(h * 0.58)
    d.rectangle([x0, y0, x0 + 190, y0 + 130], fill=(225, 210, 180), outline=(60, 40, 30), width=3)
    d.polygon([(x0 - 15, y0), (x0 + 95, y0 - 80), (x0 + 205, y0)], fill=(150, 50, 40))
    for i in range(3):
        d.rectangle([x0 + 20 + i * 55, y0 + 25, x0 + 55 + i * 55, y0 + 60], fill=(70, 110, 160),
                    outline=(255, 255, 255), width=2)
    d.rectangle([x0 + 80, y0 + 75, x0 + 110, y0 + 130], fill=(90, 60, 40))
    for i in range(9):  # trees
        tx = int(w * 0.5 + i * 45 + rng.integers(-10, 10))
        ty = int(h * 0.72 + rng.integers(-15, 15))
        d.rectangle([tx - 4, ty, tx + 4, ty + 40], fill=(80, 55, 30))
        d.ellipse([tx - 24, ty - 50, tx + 24, ty + 8], fill=(30, 110 + 10 * (i % 3), 50))
    # soft clouds and grain: flat areas give the network nothing to paint but stripes
    noise = Image.fromarray(rng.normal(128, 60, (h // 16, w // 16)).clip(0, 255).astype(np.uint8))
    clouds = np.asarray(noise.resize((w, h), Image.BICUBIC).filter(ImageFilter.GaussianBlur(12)))
    grain = rng.normal(0, 6, (h, w))
    arr = np.asarray(img).astype(np.float32) + ((clouds - 128.0) * 0.45 + grain)[:, :, None]
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def painting(size: int = 512, seed: int = 7) -> Image.Image:
    """Bold, swirling, colourful strokes: a style that is easy to recognise in the result."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (size, size), (25, 30, 60))
    d = ImageDraw.Draw(img)
    palette = [(240, 180, 40), (220, 60, 50), (40, 150, 200), (250, 240, 220), (30, 90, 60),
               (150, 60, 160)]
    for _ in range(260):
        cx, cy = rng.uniform(0, size, 2)
        r = rng.uniform(10, 90)
        a0 = rng.uniform(0, 2 * math.pi)
        col = palette[int(rng.integers(len(palette)))]
        pts = [(cx + r * math.cos(a0 + t / 8) * (1 + t / 40), cy + r * math.sin(a0 + t / 8))
               for t in range(int(rng.integers(8, 30)))]
        d.line(pts, fill=col, width=int(rng.integers(3, 12)), joint="curve")
    return img.filter(ImageFilter.SMOOTH)


def mosaic(size: int = 512, seed: int = 11) -> Image.Image:
    """A second style unlike the first: cool, angular tiles with dark seams."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (size, size), (20, 25, 35))
    d = ImageDraw.Draw(img)
    palette = [(40, 90, 160), (90, 170, 200), (220, 230, 240), (30, 60, 90), (120, 200, 180)]
    for _ in range(420):
        cx, cy = rng.uniform(0, size, 2)
        r = rng.uniform(8, 40)
        pts = [(cx + r * math.cos(a), cy + r * math.sin(a))
               for a in np.sort(rng.uniform(0, 2 * math.pi, int(rng.integers(3, 6))))]
        d.polygon(pts, fill=palette[int(rng.integers(len(palette)))], outline=(10, 10, 20))
    return img


def sky_mask(w: int = 960, h: int = 640) -> Image.Image:
    """White over the landscape's sky (above the far hills), black below, feathered 40 px."""
    y = np.arange(h, dtype=np.float32)[:, None]
    edge = 0.5 * h  # the far hills start at about 0.55 h, give or take their waves
    m = np.clip((edge - y) / 40.0 + 0.5, 0.0, 1.0) * np.ones((1, w), np.float32)
    return Image.fromarray((m * 255).astype(np.uint8))


def strip(content: Path, style: Path, result: Path, out: Path, height: int = 320) -> None:
    """content | style | result side by side (the README picture); RESULT may be
    STYLE2,RESULT for the two-region picture: content | style | style2 | result."""
    paths = [content, style, *(Path(p) for p in str(result).split(","))]
    ims = [Image.open(p).convert("RGB") for p in paths]
    ims = [im.resize((round(im.width * height / im.height), height), Image.LANCZOS) for im in ims]
    canvas = Image.new("RGB", (sum(im.width for im in ims) + 20, height), (255, 255, 255))
    x = 0
    for im in ims:
        canvas.paste(im, (x, 0))
        x += im.width + 10
    canvas.save(out, quality=88)
    print(f"wrote {out}")


def main(argv: list) -> None:
    if argv[:1] == ["--strip"]:
        strip(*(Path(a) for a in argv[1:5]))
        return
    folder = Path(argv[0] if argv else "samples")
    folder.mkdir(parents=True, exist_ok=True)
    landscape().save(folder / "content.png")
    painting().save(folder / "style.png")
    mosaic().save(folder / "style2.png")
    sky = sky_mask()
    sky.save(folder / "sky.png")
    Image.fromarray(255 - np.asarray(sky)).save(folder / "ground.png")
    print(f"wrote content.png, style.png, style2.png, sky.png and ground.png in {folder}")


if __name__ == "__main__":
    main(sys.argv[1:])
