"""Pure parts of the Krita adapter (pixel byte layouts, dtypes, bounds, masks): no Krita needed."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from style_transfer.krita import layers
from style_transfer.krita.layers import Rect


def test_u8_bgra_bytes_become_rgba_and_back():
    # one pixel as Krita stores it: B=10, G=20, R=30, A=255
    data = bytes([10, 20, 30, 255, 1, 2, 3, 4])
    rgba = layers.bytes_to_rgba(data, 2, 1, "U8")
    assert rgba.dtype == np.uint8 and rgba.shape == (1, 2, 4)
    assert rgba[0, 0].tolist() == [30, 20, 10, 255]
    assert rgba[0, 1].tolist() == [3, 2, 1, 4]
    assert layers.rgba_to_bytes(rgba, "U8") == data


def test_u16_is_little_endian_bgra():
    data = struct.pack("<4H", 1000, 2000, 65535, 300)  # B, G, R, A
    rgba = layers.bytes_to_rgba(data, 1, 1, "U16")
    assert rgba.dtype == np.uint16
    assert rgba[0, 0].tolist() == [65535, 2000, 1000, 300]
    assert layers.rgba_to_bytes(rgba, "U16") == data


@pytest.mark.parametrize("depth,fmt", [("F32", "<4f"), ("F16", "<4e")])
def test_float_is_rgba_order_and_widened_to_float32(depth, fmt):
    data = struct.pack(fmt, 0.25, 0.5, 1.5, 1.0)  # R, G, B, A; HDR value above 1 kept
    rgba = layers.bytes_to_rgba(data, 1, 1, depth)
    assert rgba.dtype == np.float32
    assert rgba[0, 0].tolist() == [0.25, 0.5, 1.5, 1.0]
    assert layers.rgba_to_bytes(rgba, depth) == data


def test_rows_are_top_to_bottom():
    w, h = 3, 2
    px = np.arange(w * h * 4, dtype=np.uint8).reshape(h, w, 4)
    rgba = layers.bytes_to_rgba(px.tobytes(), w, h, "U8")
    assert rgba[1, 2].tolist() == px[1, 2, [2, 1, 0, 3]].tolist()


def test_wrong_byte_count_and_unknown_depth_are_refused():
    with pytest.raises(ValueError):
        layers.bytes_to_rgba(b"\0" * 7, 1, 2, "U8")
    with pytest.raises(layers.ColorSpaceError):
        layers.bytes_to_rgba(b"\0" * 4, 1, 1, "U32")


def test_writing_another_dtype_converts_with_rounding():
    rgba8 = np.array([[[255, 128, 0, 255]]], dtype=np.uint8)
    data16 = layers.rgba_to_bytes(rgba8, "U16")
    assert struct.unpack("<4H", data16) == (0, 32896, 65535, 65535)  # B, G, R, A
    f = np.array([[[1.2, 0.5, -0.1, 1.0]]], dtype=np.float32)
    assert layers.rgba_to_bytes(f, "U8") == bytes([0, 128, 255, 255])  # clipped, rounded, BGRA


def test_round_trip_random_u16():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 65536, size=(5, 7, 4), dtype=np.uint16)
    assert np.array_equal(layers.bytes_to_rgba(layers.rgba_to_bytes(a, "U16"), 7, 5, "U16"), a)


def test_rect_intersection_and_offset_layers_keep_position():
    layer = Rect(-50, 20, 300, 100)  # starts left of the canvas, as moved layers do
    assert layers.content_rect(layer, None) == layer
    assert layers.content_rect(layer, Rect(0, 0, 100, 60)) == Rect(0, 20, 100, 40)
    assert layers.content_rect(layer, Rect(400, 0, 10, 10)).empty


def test_selection_mask_and_alpha():
    """The selection bytes become the 0..1 coverage common.coverage applies (one policy)."""
    from style_transfer.common import coverage

    mask = layers.selection_mask(bytes([0, 128, 255, 255]), 2, 2)
    assert mask.dtype == np.float32 and mask[0, 0] == 0 and mask[1, 1] == 1
    rgba = np.full((2, 2, 4), 200, dtype=np.uint8)
    out = coverage.apply_to_alpha(rgba, mask)
    assert out[0, 0].tolist() == [0, 0, 0, 0]  # outside the selection: fully transparent
    assert out[0, 1, 3] == round(200 * 128 / 255)  # feathered edge keeps a partial alpha
    assert out[1, 1].tolist() == [200, 200, 200, 200]
    assert rgba[0, 0, 3] == 200  # input untouched
    f = coverage.apply_to_alpha(np.ones((2, 2, 4), np.float32), mask)
    assert f[0, 1, 3] == pytest.approx(128 / 255)


def test_colour_routes_by_profile():
    from style_transfer.krita.color import Space

    assert Space("RGBA", "U8", "sRGB-elle-V2-srgbtrc.icc").route == "srgb"
    assert Space("RGBA", "U16", "sRGB-elle-V2-g10.icc").route == "linear"  # Krita's 16-bit default
    assert Space("RGBA", "F32", "sRGB-elle-V2-g10.icc").route == "linear"
    assert Space("RGBA", "U16", "Rec2020-elle-V4-g10.icc").route == "convert"
    assert Space("LABA", "U16", "Lab identity built-in").route == "convert"
    assert Space("CMYKA", "U8", "Chemical proof").route == "convert"


def test_linear_values_are_encoded_with_the_srgb_curve():
    from style_transfer.krita import color

    # sRGB grey 128 is 0.2158 in linear light (HOST_NOTES: reads 14146/65535 in Krita)
    assert abs(float(color.decode(np.float32(128 / 255))) - 14146 / 65535) < 1e-4
    ramp = np.linspace(0, 1, 1001, dtype=np.float32)
    assert np.abs(color.encode(color.decode(ramp)) - ramp).max() < 1e-5
    u16 = np.array([[[14146, 14146, 14146, 65535]]], np.uint16)
    enc = color._curve(u16, color.encode)
    assert enc.dtype == np.uint16 and abs(int(enc[0, 0, 0]) - 128 * 257) <= 16
    assert enc[0, 0, 3] == 65535  # alpha is not a colour
