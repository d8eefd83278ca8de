"""How much a stylized clip flickers: the warping error of Lai et al. 2018, streamed.

The same measure as the project's reference tool (shared/tools/flicker.py), frame pair by frame
pair so a clip of any length needs three frames in memory: DIS optical flow (OpenCV, medium
preset) between consecutive CONTENT frames, forward and backward; pixels whose flows disagree
(occlusions, flow errors: |F + B(x+F)|² > 0.01 (|F|² + |B(x+F)|²) + 0.5) or leave the frame
are masked out; each stylized frame t+1 is warped back onto frame t and the warping error is the
mean over pairs of the mean squared RGB difference (summed over channels, values 0..1) on the
valid pixels. Frames are measured as 8-bit RGB (alpha dropped), as the tool reads its PNGs.

Used by `style-transfer animate --metrics`, the benchmarks and the tests.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from .images import color_part, from_float, to_float


def import_cv2() -> Any:
    from .errors import DependencyError

    try:
        import cv2
    except ImportError as e:
        raise DependencyError(
            f"Measuring flicker needs OpenCV ({e}). Fix: `pip install opencv-python-headless` "
            "in the Python that runs this.") from None
    return cv2


def as_rgb(frame: np.ndarray) -> np.ndarray:
    """HxWx3 float32 0..1 of a frame as an 8-bit RGB file holds it."""
    u8 = frame if frame.dtype == np.uint8 else from_float(to_float(frame), np.dtype(np.uint8))
    return np.asarray(color_part(u8), np.float32) / 255


class FlickerMeter:
    """add(content, name=output, ...) once per frame, in order; result() at any time.

    Every name given to add() is one stylized version of the clip (e.g. "per_frame" and
    "stabilized"); the content clip's own error (lighting changes, flow errors: the floor) is
    always measured."""

    def __init__(self) -> None:
        self._cv2 = import_cv2()
        self._dis = self._cv2.DISOpticalFlow_create(self._cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        self._prev: Optional[Dict[str, np.ndarray]] = None
        self._prev_gray: Optional[np.ndarray] = None
        self._errors: Dict[str, List[float]] = {}
        self._raw: Dict[str, List[float]] = {}
        self._sq: Dict[str, float] = {}  # squared difference to the first version, summed
        self._pixels = 0
        self.frames = 0

    def add(self, content: np.ndarray, **outputs: np.ndarray) -> None:
        cur = {"content": as_rgb(content)}
        cur.update({name: as_rgb(o) for name, o in outputs.items()})
        for name, rgb in cur.items():
            if rgb.shape != cur["content"].shape:
                raise ValueError(f"{name}: {rgb.shape} is not the content's size "
                                 f"{cur['content'].shape}")
        gray = self._cv2.cvtColor((cur["content"] * 255).astype(np.uint8),
                                  self._cv2.COLOR_RGB2GRAY)
        names = list(cur)
        if len(names) > 2:  # distance of every later version to the first stylized one
            first = cur[names[1]]
            for name in names[2:]:
                self._sq[name] = self._sq.get(name, 0.0) + float(((cur[name] - first) ** 2).mean())
        if self._prev is not None and self._prev_gray is not None:
            if set(self._prev) != set(cur):
                raise ValueError("every frame must be added with the same versions")
            calc = self._dis.calc
            fw = calc(self._prev_gray, gray, None)
            bw = calc(gray, self._prev_gray, None)
            valid = self._valid(fw, bw)
            for name, rgb in cur.items():
                back = self._warp(rgb, fw)
                d = ((self._prev[name] - back) ** 2).sum(-1)
                self._errors.setdefault(name, []).append(float(d[valid].mean())
                                                         if valid.any() else 0.0)
                self._raw.setdefault(name, []).append(float(np.abs(self._prev[name]
                                                                   - rgb).mean()))
        self._prev, self._prev_gray = cur, gray
        self.frames += 1

    def _warp(self, img: np.ndarray, flow: np.ndarray) -> np.ndarray:
        cv2 = self._cv2
        h, w = flow.shape[:2]
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        return cv2.remap(img, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)

    def _valid(self, fw: np.ndarray, bw: np.ndarray) -> np.ndarray:
        h, w = fw.shape[:2]
        bw_at = self._warp(bw, fw)
        s = fw + bw_at
        ok = (s ** 2).sum(-1) <= 0.01 * ((fw ** 2).sum(-1) + (bw_at ** 2).sum(-1)) + 0.5
        gx, gy = np.meshgrid(np.arange(w), np.arange(h))
        x, y = gx + fw[..., 0], gy + fw[..., 1]
        ok &= (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
        return ok

    def result(self) -> Dict[str, Any]:
        """{"frames": n, "content": {...}, name: {"warp_error", "raw_flicker",
        "ratio_to_first", "psnr_to_first_db"}, ...}; errors are None below two frames."""
        out: Dict[str, Any] = {"frames": self.frames}
        names: Sequence[str] = list(self._prev) if self._prev else []
        first = names[1] if len(names) > 1 else None
        for name in names:
            errs = self._errors.get(name, [])
            r: Dict[str, Any] = {
                "warp_error": float(np.mean(errs)) if errs else None,
                "raw_flicker": float(np.mean(self._raw[name])) if errs else None,
            }
            if name not in ("content", first) and first is not None:
                base = out[first]["warp_error"]
                r["ratio_to_" + first] = (None if base in (None, 0.0) or r["warp_error"] is None
                                          else r["warp_error"] / base)
                mse = self._sq.get(name, 0.0) / max(1, self.frames)
                r["psnr_to_" + first + "_db"] = 99.0 if mse == 0 else float(10 * np.log10(1 / mse))
            out[name] = r
        return out
