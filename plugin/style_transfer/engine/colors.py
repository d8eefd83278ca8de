"""sRGB <-> CIELAB (D65), float32, for 'preserve original colours': lightness from the
stylization, chroma (a*, b*) from the content. Lab rather than YCbCr because its chroma is
perceptual, so the kept colours look like the original's, not just numerically close."""

from __future__ import annotations

import numpy as np

#: Rec. 709 luma weights of R, G, B (sRGB's primaries): a picture's lightness for the network's
#: gray results and for maps (masks.py)
LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
_M = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
     [0.0193339, 0.1191920, 0.9503041]], dtype=np.float32)
_M_INV = np.linalg.inv(_M).astype(np.float32)
_WHITE = np.array([0.95047, 1.0, 1.08883], dtype=np.float32)
_EPS = 216 / 24389
_KAPPA = 24389 / 27


def _to_linear(c: np.ndarray) -> np.ndarray:
    c = np.clip(c, 0.0, 1.0)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _to_srgb(c: np.ndarray) -> np.ndarray:
    c = np.clip(c, 0.0, 1.0)
    return np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055).astype(np.float32)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    xyz = (_to_linear(rgb) @ _M.T) / _WHITE
    f = np.where(xyz > _EPS, np.cbrt(xyz), (_KAPPA * xyz + 16) / 116)
    lab = np.empty_like(f)
    lab[..., 0] = 116 * f[..., 1] - 16
    lab[..., 1] = 500 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200 * (f[..., 1] - f[..., 2])
    return lab.astype(np.float32)


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    fy = (lab[..., 0] + 16) / 116
    fx = fy + lab[..., 1] / 500
    fz = fy - lab[..., 2] / 200
    f = np.stack([fx, fy, fz], axis=-1)
    xyz = np.where(f**3 > _EPS, f**3, (116 * f - 16) / _KAPPA) * _WHITE
    return _to_srgb(xyz @ _M_INV.T)


def keep_colors(stylized: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Lightness of `stylized` with the a*/b* chroma of `content` (both sRGB float32 HxWx3)."""
    lab = srgb_to_lab(content)
    lab[..., 0] = srgb_to_lab(stylized)[..., 0]
    return lab_to_srgb(lab)
