"""Quality figures shared by the tests and the benchmark (pure numpy)."""

from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np

from .images import color_part, luminance, to_float


def gradient_magnitude(img: np.ndarray) -> np.ndarray:
    """|grad| of luminance with central differences, same size as the image."""
    lum = luminance(np.clip(to_float(color_part(img)), 0, 1)).astype(np.float32)
    gy, gx = np.gradient(lum)
    return np.hypot(gx, gy)


def seam_lines(starts: Sequence[int], tile: int, n: int) -> List[int]:
    """Every place a tile begins or ends inside the image, and the middle of each overlap."""
    lines = set()
    for i, s in enumerate(starts):
        if i > 0:
            prev_end = starts[i - 1] + tile
            lines.update({s, prev_end, (s + prev_end) // 2})
    return sorted(x for x in lines if 0 < x < n)


def seam_figure(
    img: np.ndarray, ys: Sequence[int], xs: Sequence[int], tile_h: int, tile_w: int = 0
) -> Dict:
    """How visible a tile grid is: mean gradient magnitude on the internal tile lines (+-1 px)
    divided by the mean over pixels at least 8 px away from every line.

    `aggregate` pools all lines: one photo column's own gradient varies +-50 % from the image
    mean, so single lines measure the content more than the seams, while a real tile grid raises
    every line at once (naive 384 px tiles score about 2.5 on a photo). `per_line` is kept for
    inspection."""
    g = gradient_magnitude(img)
    h, w = g.shape
    rows, cols = seam_lines(ys, tile_h, h), seam_lines(xs, tile_w or tile_h, w)
    far = np.ones_like(g, dtype=bool)
    on = np.zeros_like(g, dtype=bool)
    for r in rows:
        far[max(0, r - 8):r + 8] = False
        on[max(0, r - 1):r + 1] = True
    for c in cols:
        far[:, max(0, c - 8):c + 8] = False
        on[:, max(0, c - 1):c + 1] = True
    base = float(g[far].mean()) if far.any() else float(g.mean())
    per_line = {f"row {r}": float(g[max(0, r - 1):r + 1].mean()) / base for r in rows}
    per_line.update({f"col {c}": float(g[:, max(0, c - 1):c + 1].mean()) / base for c in cols})
    aggregate = float(g[on].mean()) / base if on.any() else 1.0
    return {"aggregate": aggregate, "lines": len(rows) + len(cols), "per_line": per_line}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    fa, fb = to_float(a).astype(np.float64), to_float(b).astype(np.float64)
    mse = float(np.mean((fa - fb) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
