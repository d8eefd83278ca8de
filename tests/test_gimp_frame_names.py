"""GIMP's animation convention in layer names, and how a "(combine)" frame is drawn
(gimp/frame_names.py: pure, no GIMP needed)."""

from __future__ import annotations

import numpy as np
from style_transfer.gimp.frame_names import combine, parse


def test_names_delays_and_modes() -> None:
    f = parse("Frame 3 (120ms) (combine)")
    assert (f.name, f.delay_ms, f.combine) == ("Frame 3", 120, True)
    assert f.result() == "Frame 3 (120ms) (replace)"
    f = parse("Walk (replace)  (80 ms)")
    assert (f.name, f.delay_ms, f.combine) == ("Walk", 80, False)
    f = parse("Background")  # no tags: GIMP's default delay, combined
    assert (f.name, f.delay_ms, f.combine) == ("Background", None, True)
    assert f.result() == "Background (replace)"
    assert parse("(100ms)").result() == "Frame (100ms) (replace)"


def test_combine_blends_in_linear_light() -> None:
    black = np.zeros((1, 2, 4), np.float32)
    black[..., 3] = 1.0
    top = np.ones((1, 2, 4), np.float32)
    top[0, 0, 3], top[0, 1, 3] = 0.5, 0.0  # half-transparent white; a fully transparent pixel
    out = combine(top, black)
    # half of linear white is 0.5 linear = 0.735 sRGB-encoded (not 0.5, as sRGB values mixed)
    np.testing.assert_allclose(out[0, 0, :3], 0.7354, atol=1e-3)
    np.testing.assert_allclose(out[0, 1], black[0, 1], atol=1e-6)
    opaque = top.copy()
    opaque[..., 3] = 1.0
    np.testing.assert_allclose(combine(opaque, black), opaque, atol=1e-6)
