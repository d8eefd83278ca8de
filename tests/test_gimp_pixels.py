"""GIMP adapter pieces that run without GIMP: pixel conversions, regions, model names."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from style_transfer.gimp import pixels

ARGS_PY = Path(__file__).resolve().parents[1] / "plugin" / "style_transfer" / "gimp" / "args.py"


@pytest.mark.parametrize(
    ("nick", "expected"),
    [
        ("u8-non-linear", pixels.RGBA_U8),
        ("u8-linear", pixels.RGBA_U8),
        ("u16-perceptual", pixels.RGBA_U16),
        ("u32-linear", pixels.RGBA_FLOAT),
        ("half-non-linear", pixels.RGBA_FLOAT),
        ("float-linear", pixels.RGBA_FLOAT),
        ("double-perceptual", pixels.RGBA_FLOAT),
    ],
)
def test_format_keeps_precision(nick: str, expected: pixels.PixelFormat) -> None:
    fmt = pixels.format_for_precision(nick)
    assert fmt == expected
    # Always the gamma-encoded (primed) sRGB variant: the models were trained on sRGB pixels.
    assert fmt.babl.startswith("R'G'B'A ")


def test_unknown_precision_is_an_error() -> None:
    with pytest.raises(ValueError, match="precision"):
        pixels.format_for_precision("u64-linear")


@pytest.mark.parametrize("fmt", [pixels.RGBA_U8, pixels.RGBA_U16, pixels.RGBA_FLOAT])
def test_bytes_round_trip(fmt: pixels.PixelFormat) -> None:
    rng = np.random.default_rng(1)
    if fmt.dtype == np.float32:
        arr = rng.random((5, 7, 4), dtype=np.float32)
    else:
        arr = rng.integers(0, np.iinfo(fmt.dtype).max, (5, 7, 4), endpoint=True).astype(fmt.dtype)
    data = pixels.rgba_to_bytes(arr, fmt)
    assert len(data) == 5 * 7 * fmt.bytes_per_pixel
    back = pixels.bytes_to_rgba(data, 7, 5, fmt)
    np.testing.assert_array_equal(back, arr)
    back[0, 0, 0] = 0  # the engine may write into it: must not raise (read-only buffer)


def test_layout_is_row_major_rgba() -> None:
    # Gegl hands rows top to bottom, pixels left to right, R G B A within a pixel.
    data = bytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    arr = pixels.bytes_to_rgba(data, 3, 1, pixels.RGBA_U8)
    assert arr.shape == (1, 3, 4)
    assert arr[0, 1].tolist() == [5, 6, 7, 8]
    arr = pixels.bytes_to_rgba(data, 1, 3, pixels.RGBA_U8)
    assert arr[2, 0].tolist() == [9, 10, 11, 12]


def test_wrong_sizes_are_rejected() -> None:
    with pytest.raises(ValueError, match="expected"):
        pixels.bytes_to_rgba(b"\0" * 15, 2, 2, pixels.RGBA_U8)
    with pytest.raises(ValueError, match="dtype"):
        pixels.rgba_to_bytes(np.zeros((2, 2, 4), np.float32), pixels.RGBA_U8)
    with pytest.raises(ValueError, match="shape"):
        pixels.rgba_to_bytes(np.zeros((2, 2, 3), np.uint8), pixels.RGBA_U8)


def test_mask_from_bytes_clips_and_shapes() -> None:
    values = np.array([[0.0, 0.25, 1.0], [1.5, -0.1, 0.5]], np.float32)
    mask = pixels.mask_from_bytes(values.tobytes(), 3, 2)
    assert mask.shape == (2, 3)
    assert mask.dtype == np.float32
    np.testing.assert_allclose(mask, [[0.0, 0.25, 1.0], [1.0, 0.0, 0.5]])


def test_full_mask_is_dropped() -> None:
    assert pixels.effective_mask(np.ones((3, 3), np.float32)) is None
    partial = np.ones((3, 3), np.float32)
    partial[1, 1] = 0.5
    assert pixels.effective_mask(partial) is partial
    assert pixels.effective_mask(None) is None


def test_work_region() -> None:
    # No selection: the whole layer, whatever mask_intersect says.
    assert pixels.work_region((40, 30), (True, 0, 0, 40, 30), False) == pixels.Region(0, 0, 40, 30)
    # Selection inside the layer: its bounding box, in layer coordinates.
    assert pixels.work_region((40, 30), (True, 5, 6, 10, 12), True) == pixels.Region(5, 6, 10, 12)
    # Selection elsewhere: nothing to do on this layer.
    assert pixels.work_region((40, 30), (False, 0, 0, 0, 0), True) is None
    assert pixels.Region(1, 2, 3, 4).moved(10, 20) == pixels.Region(11, 22, 3, 4)


def _fallback_model_nicks() -> list[str]:
    # args.py imports gi (absent here), so read its fallback table from the source. GIMP uses it
    # only when the engine cannot be imported at registration; it must still name real models.
    tree = ast.parse(ARGS_PY.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "_FALLBACK_MODELS":
            return [row.elts[0].value for row in node.value.elts]
    raise AssertionError("_FALLBACK_MODELS not found in args.py")


def test_fallback_model_choices_match_engine() -> None:
    texts = pytest.importorskip("style_transfer.common.texts")
    assert _fallback_model_nicks() == [name for name, _, _ in texts.model_choices()]
