"""Pixel conversions (uint8 / uint16 / float, gray / RGB / RGBA) and image files.

Inside the engine colour is float32 sRGB-encoded values in [0, 1] with straight (not premultiplied)
alpha; hosts hand in whatever their layer holds and get the same dtype and channel count back.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np
from PIL import Image, ImageOps

from .colors import LUMA
from .errors import AnimatedImageError, InputError

PathLike = Union[str, "os.PathLike[str]"]

#: Refuse files that would decode to more than this many pixels (decompression bombs).
MAX_PIXELS = 16384 * 16384
SUPPORTED_DTYPES = (np.uint8, np.uint16, np.float16, np.float32, np.float64)


def check_array(img: np.ndarray, what: str = "image") -> None:
    if not isinstance(img, np.ndarray):
        raise InputError(f"The {what} must be a numpy array, not {type(img).__name__}.")
    if img.dtype.type not in SUPPORTED_DTYPES:
        raise InputError(f"The {what} has pixel type {img.dtype}; use uint8, uint16 or float32.")
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 2, 3, 4)):
        raise InputError(
            f"The {what} has shape {img.shape}; expected HxW, HxWx1, HxWx2, HxWx3 or HxWx4."
        )
    if img.shape[0] < 1 or img.shape[1] < 1:
        raise InputError(f"The {what} is empty ({img.shape[1]}x{img.shape[0]} pixels).")


def scale_of(dtype: np.dtype) -> float:
    """Value that means 'full intensity' for a dtype."""
    if dtype == np.uint8:
        return 255.0
    if dtype == np.uint16:
        return 65535.0
    return 1.0


def to_float(a: np.ndarray) -> np.ndarray:
    """Any supported dtype -> float32 in [0, 1] (floats are passed through, not clipped)."""
    if a.dtype == np.float32:
        return a
    out = a.astype(np.float32)
    s = scale_of(a.dtype)
    if s != 1.0:
        out *= np.float32(1.0 / s)
    return out


def from_float(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """float32 in [0, 1] -> dtype, rounding and clipping for integer types."""
    s = scale_of(dtype)
    if s == 1.0:
        return a.astype(dtype, copy=False)
    return np.clip(np.rint(a * np.float32(s)), 0, s).astype(dtype)


def channels(img: np.ndarray) -> int:
    return 1 if img.ndim == 2 else int(img.shape[2])


def color_part(img: np.ndarray) -> np.ndarray:
    """The colour channels as an HxWx3 view-or-copy in the input's dtype (gray is repeated)."""
    c = channels(img)
    if img.ndim == 2:
        img = img[:, :, None]
    if c in (1, 2):
        return np.repeat(img[:, :, :1], 3, axis=2)
    return img[:, :, :3]


def alpha_part(img: np.ndarray) -> Optional[np.ndarray]:
    c = channels(img)
    if c == 2:
        return img[:, :, 1]
    if c == 4:
        return img[:, :, 3]
    return None


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb @ LUMA


def rgb_float(img: np.ndarray, background: Optional[np.ndarray] = None) -> np.ndarray:
    """HxWx3 float32 colour; where alpha < 1 the colour is blended towards `background` (an RGB
    triple) so that hidden colour under transparent pixels does not steer the network."""
    rgb = np.clip(to_float(color_part(img)), 0.0, 1.0)
    alpha = alpha_part(img)
    if alpha is None or background is None:
        return rgb  # np.clip made a new array: callers may modify it
    a = np.clip(to_float(alpha), 0.0, 1.0)[:, :, None]
    return rgb * a + background.astype(np.float32) * (1.0 - a)


def mean_visible_color(img: np.ndarray) -> np.ndarray:
    """Mean colour of the (partly) opaque pixels, weighted by alpha; mid-grey if none."""
    step = max(1, int(np.sqrt(img.shape[0] * img.shape[1] / 250_000)))  # a sample is enough
    small = img[::step, ::step]
    rgb = np.clip(to_float(color_part(small)), 0.0, 1.0)
    alpha = alpha_part(small)
    if alpha is None:
        return rgb.reshape(-1, 3).mean(axis=0)
    a = np.clip(to_float(alpha), 0.0, 1.0).reshape(-1)
    if a.sum() < 1e-6:
        return np.full(3, 0.5, dtype=np.float32)
    return (rgb.reshape(-1, 3) * a[:, None]).sum(axis=0) / a.sum()


def to_uint8_rgb(
    img: np.ndarray, background: Tuple[float, float, float] = (1.0, 1.0, 1.0)
) -> np.ndarray:
    """For the style network: RGB uint8, transparency flattened onto `background`."""
    return from_float(rgb_float(img, np.asarray(background, np.float32)), np.dtype(np.uint8))


def block_mean(x: np.ndarray, k: int) -> np.ndarray:
    """k x k block means of an HxWxC array (a box low-pass, then one sample per block); blocks
    cut short by the edge average the pixels they have."""
    h, w = x.shape[:2]
    ys, xs = np.arange(0, h, k), np.arange(0, w, k)
    sums = np.add.reduceat(np.add.reduceat(x, ys, axis=0), xs, axis=1)
    counts = np.outer(np.diff(np.append(ys, h)), np.diff(np.append(xs, w)))
    return (sums / counts[:, :, None]).astype(np.float32)


def resize_float(
    img: np.ndarray,
    size_hw: Tuple[int, int],
    resample: Optional[int] = None,
    box: Optional[Tuple[float, float, float, float]] = None,
) -> np.ndarray:
    """Resize an HxWxC float32 array per channel with Pillow ('F' mode keeps full precision).
    Default filter: Lanczos when shrinking (antialiased), bicubic when enlarging. `box` picks a
    (fractional) source region, as in PIL.Image.resize."""
    h, w = size_hw
    if img.shape[:2] == (h, w) and box is None:
        return img
    if resample is None:
        resample = Image.LANCZOS if h < img.shape[0] or w < img.shape[1] else Image.BICUBIC
    chans = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(img[:, :, c])).resize((w, h), resample, box=box)
        )
        for c in range(img.shape[2])
    ]
    return np.stack(chans, axis=2)


# -- files ---------------------------------------------------------------------------------------


def load_image(path: PathLike) -> np.ndarray:
    """Read any still image Pillow can: returns uint8 RGB/RGBA, or uint16 / float32 RGB for 16-bit
    and float files (grayscale files come back as RGB whatever their depth, so they are painted
    in colour alike).

    EXIF orientation is applied; CMYK, palette, 1-bit and Lab files are converted to RGB(A).
    Animated or multi-page files are refused: using only their first frame would drop the rest
    without a word."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a folder, not an image file. Give one image file.")
    if not p.is_file():
        raise InputError(f"{p}: no such file.")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: the file is empty (0 bytes).")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                if im.width * im.height > MAX_PIXELS:
                    raise Image.DecompressionBombError("too many pixels")
                frames = getattr(im, "n_frames", 1)
                # MPO (camera JPEGs): the first frame is the photo, the others previews
                if frames > 1 and im.format != "MPO":
                    raise AnimatedImageError(
                        f"{p}: has {frames} frames (animated or multi-page); only still images "
                        f"can be stylized. Split it first, e.g. `magick {p.name} -coalesce "
                        "frame-%03d.png`, then stylize the frames' folder.", frames)
                im.load()
                im = ImageOps.exif_transpose(im)
                return _pil_to_array(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(
            f"{p}: the image is too large to open safely (more than {MAX_PIXELS // 1_000_000} "
            "megapixels). Scale it down first."
        ) from None
    except InputError:
        raise
    except (OSError, ValueError, SyntaxError) as e:
        raise InputError(
            f"{p}: cannot read this image ({e}). Is it truncated or not an image? "
            "Re-export it as PNG or JPEG."
        ) from None


def _pil_to_array(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        a = np.asarray(im)
        if mode == "I":  # 32-bit int files are almost always 16-bit data in disguise
            a = np.clip(a, 0, 65535)
        return _gray_to_rgb(a.astype(np.uint16))
    if mode == "F":
        return _gray_to_rgb(np.asarray(im, dtype=np.float32))
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        mode == "P" and "transparency" in im.info
    )
    return np.asarray(im.convert("RGBA" if has_alpha else "RGB"))


def _gray_to_rgb(a: np.ndarray) -> np.ndarray:
    """Pillow's deep modes are gray only; 8-bit gray is read as RGB (Image.convert), so deep
    gray is too: the same picture then gives the same (colour) result at any bit depth."""
    return np.repeat(a[:, :, None], 3, axis=2)


def flatten_alpha(img: np.ndarray, background: float = 1.0) -> np.ndarray:
    """Composite straight alpha onto a flat background (1.0 = white), as image editors do when
    they export to a format without transparency: hidden colour under transparent pixels must
    not show. Returns float32 gray or RGB without the alpha channel."""
    alpha = alpha_part(img)
    if alpha is None:
        return to_float(img)
    a = np.clip(to_float(alpha), 0.0, 1.0)[:, :, None]
    col = to_float(img[:, :, :-1])
    return col * a + np.float32(background) * (1.0 - a)


def check_writable(path: PathLike) -> None:
    """Raise InputError unless a file can be created at `path`: its folder (or the nearest
    existing parent, which save_image would create the rest under) must accept a new file.
    Tried for real with a temporary file, because permission bits do not tell (root, read-only
    mounts, ACLs)."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a folder; give a file name inside it.")
    folder = p.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(f"{p}: cannot write here, {folder} is a file, not a folder.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".write-test.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise InputError(
            f"{p}: cannot write in {folder} ({e.strerror or e}); choose another output folder."
        ) from None
    try:
        os.close(fd)
    finally:  # a SIGTERM / Ctrl+C landing here must not leave the probe behind
        os.unlink(tmp)


#: Formats by extension without asking Pillow: Image.registered_extensions() imports every
#: format plug-in Pillow has (0.12-0.2 s of a CLI run).
_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF",
            ".webp": "WEBP", ".bmp": "BMP"}
#: zlib level for PNG. Pillow's default 6 spends 6.0 s on a 4096² picture against 1.6 s at 1
#: (the level OpenCV writes by default) for files about 20 % bigger: a third of a whole
#: OpenVINO render at that size. Recompress with oxipng/optipng when size matters more.
PNG_COMPRESS_LEVEL = 1


def save_image(path: PathLike, img: np.ndarray, quality: int = 95) -> None:
    """Write atomically: a temp file in the same folder, then rename, so a failure or a cancel
    never leaves a half-written file at `path`. 16-bit and float data are written as 8-bit;
    transparency is composited on white for JPEG; PNG at zlib level PNG_COMPRESS_LEVEL."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext in (".jpg", ".jpeg") and channels(img) in (2, 4):
        img = flatten_alpha(img)  # JPEG has no alpha: composite on white, as GIMP's export does
    if img.dtype != np.uint8:
        img = from_float(to_float(img), np.dtype(np.uint8))
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    im = Image.fromarray(img)
    fmt = _FORMATS.get(ext) or Image.registered_extensions().get(ext)
    if fmt is None:
        raise InputError(f"{p}: unknown image format '{ext}'; use .png, .jpg, .tif or .webp.")
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + p.name + ".", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            kwargs: dict = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
            if fmt == "PNG":
                kwargs["compress_level"] = PNG_COMPRESS_LEVEL
            im.save(f, format=fmt, **kwargs)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
