"""Quality figures, computed in the parent from the images the children saved.

- PSNR against f16: our int8 render vs our f16 render (same path, so only quantisation differs);
  the naive whole-image render vs our f16 render (the best picture we can make: it also counts
  tiling/tone differences, so at sizes where we tile it is a 'distance from our f16 picture',
  not pure quantisation error); the centre crop int8 vs f16 (pure quantisation error).
- Seam figure (engine issue): tile-line gradient / gradient away from lines, on the picture at
  the size the network painted it (1.0 = no grid, plain 384 tiles about 2.5).
- Style fidelity: cosine between the style network's vector of a picture and of the style image.
  "whole" squeezes the whole picture to the style net's 256 px (the issue's figure): at --scale 1
  on big images the brush marks shrink below a pixel there, so it falls with size whatever the
  render does. "local" averages 384 px crops of the picture at the size it was painted (what
  one tile saw), so it compares texture at the scale the network made it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
from child import out_path
from PIL import Image
from style_transfer.engine import quality
from style_transfer.engine.tiles import TilePlan, plan_tiles

PLAIN_TILE = 384  # baselines.plain_tiles uses the fixed model's input size
LOCAL_CROP = 384  # one tile of the fixed-size model


def _load(work: Path, kind: str, size: int, scale: str) -> Optional[np.ndarray]:
    path = out_path(work, kind, size, scale)
    return np.load(path) if path.is_file() else None


def _at_working_size(img: np.ndarray, working: Any) -> np.ndarray:
    """Seams live at the size the network painted; guided upsampling smears a 1-px seam over
    several pixels, so measure on the picture brought back down to that size."""
    wh, ww = working
    if img.shape[:2] == (wh, ww):
        return img
    return np.asarray(Image.fromarray(img).resize((ww, wh), Image.BOX))


def seam(img: Optional[np.ndarray], plan: TilePlan, working: Any) -> Optional[float]:
    if img is None or plan.count <= 1:
        return None  # one call, no tile lines: nothing to measure
    fig = quality.seam_figure(_at_working_size(img, working), plan.ys, plan.xs,
                              plan.tile_h, plan.tile_w)
    return fig["aggregate"]


def psnr(a: Optional[np.ndarray], b: Optional[np.ndarray]) -> Optional[float]:
    if a is None or b is None or a.shape != b.shape:
        return None
    return quality.psnr(a, b)


class Fidelity:
    """Cosine similarity of style vectors; the style image's vector is computed once."""

    def __init__(self, engine: Any, style: np.ndarray) -> None:
        self.engine = engine
        self.style = engine.style_vector(style)

    def __call__(self, img: Optional[np.ndarray]) -> Optional[float]:
        if img is None:
            return None
        # "whole": the picture squeezed to the style net's 256 px, as the engine does for a
        # content image's own vector (test images are square, so crop would give the same).
        return quality.cosine(self.engine.style_vector(img, "whole"), self.style)

    def local(self, img: Optional[np.ndarray], working: Any) -> Optional[float]:
        if img is None:
            return None
        small = _at_working_size(img, working)
        return float(np.mean([self(crop) for crop in crops(small, LOCAL_CROP)]))


def crops(img: np.ndarray, size: int) -> List[np.ndarray]:
    """The centre and the four quadrant centres, size x size (the whole picture if smaller)."""
    h, w = img.shape[:2]
    if min(h, w) <= size:
        return [img]
    centres = [(h // 2, w // 2)] + [(h * fy // 4, w * fx // 4) for fy in (1, 3) for fx in (1, 3)]
    out = []
    for cy, cx in centres:
        y = min(max(0, cy - size // 2), h - size)
        x = min(max(0, cx - size // 2), w - size)
        out.append(img[y:y + size, x:x + size])
    return out


def quality_row(engine: Any, fid: Fidelity, work: Path, size: int, scale: str,
                working: Any) -> Dict[str, Any]:
    get = lambda kind: _load(work, kind, size, scale)  # noqa: E731
    ours, ours_f16 = get("ours-int8"), get("ours-f16")
    naive, plain = get("naive-whole"), get("plain-tiles")
    crop, crop_f16 = get("crop-int8"), get("crop-f16")
    plan = plan_tiles(working[0], working[1], engine.network("int8"))
    wh, ww = working
    plan_f16 = plan_tiles(wh, ww, engine.network("f16"))
    plain_plan = TilePlan(PLAIN_TILE, PLAIN_TILE, 0, list(range(0, wh, PLAIN_TILE)),
                          list(range(0, ww, PLAIN_TILE)))
    content = np.load(work / f"content_{size}.npy")
    return {
        "psnr_vs_f16": {"ours": psnr(ours, ours_f16), "naive_whole": psnr(naive, ours_f16),
                        "centre_crop": psnr(crop, crop_f16)},
        "seam": {"ours": seam(ours, plan, working), "ours_f16": seam(ours_f16, plan_f16, working),
                 "plain_tiles": seam(plain, plain_plan, working)},
        "style_fidelity": {"ours": fid(ours), "ours_f16": fid(ours_f16),
                           "naive_whole": fid(naive), "centre_crop": fid(crop),
                           "content": fid(content)},
        "local_fidelity": {"ours": fid.local(ours, working),
                           "naive_whole": fid.local(naive, working),
                           "content": fid.local(content, working)},
    }
