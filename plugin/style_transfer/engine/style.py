"""Style vectors: image -> 100-d vector, cache, blending of N styles, strength, presets.

A style vector describes a look independently of the content, so it is computed once per style
image (cached by the image's bytes) and can be saved as a preset without the original image.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
from PIL import Image

from .errors import InputError
from .images import check_array, to_uint8_rgb
from .runtime import STYLE_DIM, Network

STYLE_SIZE = 256
CROP_MODES = ("crop", "whole", "multi")
PRESET_FORMAT = "style-transfer-preset"


def prepare(image: np.ndarray, mode: str = "crop") -> list:
    """Style network inputs (float32 256x256x3 in [0,1]) for one image.

    crop: square centre crop, as in the TFLite example (keeps brush marks at their aspect);
    whole: the whole image squeezed to a square;
    multi: the centre crop plus four half-size corner crops, for large paintings whose centre
           alone is not representative (their vectors are averaged)."""
    if mode not in CROP_MODES:
        raise InputError(f"Unknown style crop mode '{mode}'; use one of {', '.join(CROP_MODES)}.")
    rgb = Image.fromarray(to_uint8_rgb(image))
    w, h = rgb.size
    s = min(w, h)
    boxes = []
    if mode == "whole":
        boxes.append((0, 0, w, h))
    else:
        x0, y0 = (w - s) // 2, (h - s) // 2
        boxes.append((x0, y0, x0 + s, y0 + s))
    if mode == "multi":
        q = max(1, min(w, h) // 2)
        boxes += [(0, 0, q, q), (w - q, 0, w, q), (0, h - q, q, h), (w - q, h - q, w, h)]
    out = []
    for box in boxes:
        crop = rgb.resize((STYLE_SIZE, STYLE_SIZE), Image.BILINEAR, box=box)
        out.append(np.asarray(crop, dtype=np.float32) / 255.0)
    return out


class StyleEncoder:
    """Style network + an LRU cache keyed by the image's content (not its identity or path)."""

    def __init__(self, network: Network, cache_size: int = 64) -> None:
        self.network = network
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @staticmethod
    def key(image: np.ndarray, mode: str) -> str:
        h = hashlib.sha1(np.ascontiguousarray(image).data)
        h.update(f"{image.shape}{image.dtype}{mode}".encode())
        return h.hexdigest()

    def vector(self, image: np.ndarray, mode: str = "crop") -> np.ndarray:
        check_array(image, "style image")
        k = self.key(image, mode)
        with self._lock:
            if k in self._cache:
                self._cache.move_to_end(k)
                return self._cache[k]
        vecs = [self.network.predict(x) for x in prepare(image, mode)]
        v = np.mean(vecs, axis=0).astype(np.float32)
        v.setflags(write=False)  # shared through the cache: nobody may change it
        with self._lock:
            self._cache[k] = v
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return v

    def cached(self) -> int:
        return len(self._cache)


#: Real style vectors stay within about +-3 (measured: 11 photos and paintings, flat and noise
#: images, every crop mode). Far beyond that the transformer's normalisation saturates: 1e30
#: painted an all-black image. Generous, so that extrapolated blends still pass.
STYLE_VALUE_LIMIT = 100.0


def check_vector(v: object, what: str = "style vector") -> np.ndarray:
    """A (100,) float32 style vector from anything array-like, or InputError saying why not.
    Checked in float64 before the cast, so 1e300 is refused rather than overflowing (with a
    numpy warning) to infinity."""
    try:
        a = np.asarray(v)
        if a.dtype.kind not in "iuf":
            raise ValueError(a.dtype)
        a = a.astype(np.float64)
    except (ValueError, TypeError):
        raise InputError(
            f"The {what} does not hold numbers; a style vector is {STYLE_DIM} numbers. "
            "Was it made by this plugin (Save as preset / style-transfer --save-preset)?"
        ) from None
    if a.size != STYLE_DIM:
        raise InputError(
            f"The {what} has {a.size} values; a style vector has exactly {STYLE_DIM}. "
            "Was it made by this plugin (Save as preset / style-transfer --save-preset)?"
        )
    a = a.reshape(STYLE_DIM)
    if not np.all(np.isfinite(a)):
        raise InputError(f"The {what} contains NaN or infinite values.")
    big = float(np.abs(a).max())
    if big > STYLE_VALUE_LIMIT:
        raise InputError(
            f"The {what} has a value of {big:.3g}; style vectors stay within "
            f"+-{STYLE_VALUE_LIMIT:g} (usually +-3). Re-create it from a style image."
        )
    return a.astype(np.float32)


def normalise_weights(weights: Optional[Sequence[float]], n: int) -> np.ndarray:
    if n == 0:
        raise InputError("No style given: add at least one style image or preset.")
    if weights is None:
        return np.full(n, 1.0 / n, dtype=np.float32)
    w = np.asarray(list(weights), dtype=np.float64)
    if w.shape != (n,):
        raise InputError(f"{len(w)} weights given for {n} styles; give one weight per style.")
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise InputError("Style weights must be zero or positive numbers.")
    if w.sum() <= 0:
        raise InputError("At least one style weight must be above zero.")
    return (w / w.sum()).astype(np.float32)


def blend(vectors: Sequence[np.ndarray], weights: Optional[Sequence[float]] = None) -> np.ndarray:
    """Weighted average of N style vectors; weights are normalised to sum to 1."""
    w = normalise_weights(weights, len(vectors))
    stacked = np.stack([check_vector(v) for v in vectors])
    return (w[:, None] * stacked).sum(axis=0).astype(np.float32)


def check_strength(strength: float) -> None:
    if not 0.0 <= strength <= 1.0:
        raise InputError(f"Strength must be between 0 and 1 (0-100 %), not {strength}.")


def apply_strength(style: np.ndarray, content: np.ndarray, strength: float) -> np.ndarray:
    """strength*style + (1-strength)*content's own vector, as in the Magenta TF.js demo. Used
    by Engine.render_vector only (which checks the strength): every render mixes there."""
    return (strength * style + (1.0 - strength) * content).astype(np.float32)


# -- presets -------------------------------------------------------------------------------------


@dataclass
class Preset:
    name: str
    vector: np.ndarray
    thumbnail: Optional[np.ndarray] = None  # uint8 RGB, at most 128 px


def save_preset(
    path: Union[str, os.PathLike[str]],
    name: str,
    vector: np.ndarray,
    thumbnail: Optional[np.ndarray] = None,
) -> None:
    data = {"format": PRESET_FORMAT, "version": 1, "name": name,
            "vector": [float(x) for x in check_vector(vector)]}
    if thumbnail is not None:
        im = Image.fromarray(to_uint8_rgb(thumbnail))
        im.thumbnail((128, 128))
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        data["thumbnail_png"] = base64.b64encode(buf.getvalue()).decode("ascii")
    _write_atomically(Path(path), json.dumps(data, indent=1).encode("utf-8"))


def _write_atomically(p: Path, payload: bytes) -> None:
    """A fresh temporary file in the target folder (two processes saving at once never share
    one), then a rename; removed on any failure, Ctrl+C or SIGTERM (the CLI turns it into an
    exception). Errors become one InputError line."""
    if p.is_dir():
        raise InputError(f"{p}: is a folder; give a preset file name (e.g. {p / 'style.json'}).")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="." + p.name + ".", suffix=".tmp", dir=p.parent)
    except OSError as e:
        raise InputError(f"{p}: cannot save the preset there ({e.strerror or e}).") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.replace(tmp, p)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"{p}: cannot save the preset there ({e.strerror or e}).") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_preset(path: Union[str, os.PathLike[str]]) -> Preset:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{p}: not a readable style preset ({e}).") from None
    if not isinstance(data, dict) or data.get("format") != PRESET_FORMAT:
        raise InputError(f"{p}: not a style preset (expected format '{PRESET_FORMAT}').")
    vector = check_vector(data.get("vector", []), f"vector in {p}")
    thumb = None
    if data.get("thumbnail_png"):
        try:
            thumb = np.asarray(Image.open(io.BytesIO(base64.b64decode(data["thumbnail_png"]))))
        except (OSError, ValueError):
            thumb = None  # a broken thumbnail must not cost the user the preset
    return Preset(str(data.get("name") or p.stem), vector, thumb)


def load_vector_file(path: Union[str, os.PathLike[str]]) -> np.ndarray:
    """A raw .npy vector file (e.g. exported by other tools)."""
    try:
        v = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: not a readable .npy style vector ({e}).") from None
    return check_vector(v, f"style vector in {path}")
