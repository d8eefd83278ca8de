"""Per-region styles, strength map, stroke-size map and colour source, on the real models."""

from __future__ import annotations

import numpy as np
import pytest
from style_transfer.engine import InputError, RenderOptions
from style_transfer.engine.colors import srgb_to_lab
from style_transfer.engine.images import resize_float, to_float
from style_transfer.engine.quality import psnr
from style_transfer.engine.regions import PaintMaps, Region, interpolation, levels_for, paint

H, W = 384, 576


@pytest.fixture(scope="module")
def content(load) -> np.ndarray:
    img = to_float(load("stata.jpg"))
    return np.rint(resize_float(img, (H, W)) * 255).clip(0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def vectors(engine, load) -> dict:
    return {name: engine.style_vector(load(f"{name}.jpg")) for name in ("udnie", "stripes")}


def _half_masks(feather: int = 0) -> tuple:
    x = np.arange(W, dtype=np.float32)
    if feather:
        left = np.clip((W / 2 + feather / 2 - x) / feather, 0.0, 1.0)
    else:
        left = (x < W / 2).astype(np.float32)
    left = np.repeat(left[None, :], H, axis=0)
    return left, 1.0 - left


class Counting:
    """The real engine, counting its stylize calls (the cost of a multi-region render)."""

    def __init__(self, engine) -> None:
        self.engine, self.calls = engine, 0

    def __getattr__(self, name: str):
        return getattr(self.engine, name)

    def stylize(self, *args, **kwargs):
        self.calls += 1
        return self.engine.stylize(*args, **kwargs)


def test_region_interiors_equal_single_style_renders(engine, content, vectors) -> None:
    left, right = _half_masks(feather=48)
    counting = Counting(engine)
    regions = [Region(left, [vectors["udnie"]]), Region(right, [vectors["stripes"]])]
    out = paint(counting, content, [], None, RenderOptions(), PaintMaps(regions=regions))
    assert counting.calls == 2  # one render per region, no global render needed
    a = engine.stylize(content, [vectors["udnie"]])
    b = engine.stylize(content, [vectors["stripes"]])
    m = 32  # away from the feathered border
    db_a = psnr(out[:, : W // 2 - 24 - m], a[:, : W // 2 - 24 - m])
    db_b = psnr(out[:, W // 2 + 24 + m:], b[:, W // 2 + 24 + m:])
    print(f"region interiors vs single renders: {db_a:.1f} / {db_b:.1f} dB")
    assert db_a >= 30 and db_b >= 30
    # the border is a per-pixel cross-fade of the two renders: no seam of its own
    expect = a.astype(np.float32) * left[:, :, None] + b.astype(np.float32) * right[:, :, None]
    assert np.abs(out.astype(np.float32) - expect).max() <= 1.0
    step = np.abs(np.diff(out.astype(np.float32), axis=1)).mean(axis=(0, 2))
    border = step[W // 2 - 24: W // 2 + 24].mean()
    assert border <= 1.3 * step.mean(), (border, step.mean())


def test_pixels_in_no_region_keep_the_global_style_or_the_original(engine, content,
                                                                   vectors) -> None:
    left, _ = _half_masks()
    region = [Region(left, [vectors["stripes"]])]
    out = paint(engine, content, [], None, RenderOptions(), PaintMaps(regions=region))
    assert np.array_equal(out[:, W // 2:], content[:, W // 2:])  # no global style: original
    glob = paint(engine, content, [vectors["udnie"]], None, RenderOptions(),
                 PaintMaps(regions=region))
    single = engine.stylize(content, [vectors["udnie"]])
    assert np.array_equal(glob[:, W // 2:], single[:, W // 2:])


def test_strength_map_ends_equal_strength_one_and_zero(engine, content, vectors) -> None:
    left, _ = _half_masks()
    out = paint(engine, content, [vectors["udnie"]], None, RenderOptions(),
                PaintMaps(strength_map=left))
    full = engine.stylize(content, [vectors["udnie"]], options=RenderOptions(strength=1.0))
    none = engine.stylize(content, [vectors["udnie"]], options=RenderOptions(strength=0.0))
    db1 = psnr(out[:, : W // 2], full[:, : W // 2])
    db0 = psnr(out[:, W // 2:], none[:, W // 2:])
    print(f"strength map white / black vs strength 1 / 0 renders: {db1:.1f} / {db0:.1f} dB")
    assert db1 >= 30 and db0 >= 30


def test_smooth_strength_map_is_close_to_exact_renders(engine, content, vectors) -> None:
    """Three levels (0, 1/2, 1) interpolated: the error against exact renders at 1/4, 3/4."""
    for s in (0.25, 0.75):
        flat = np.full((H, W), s, np.float32)
        levels_hint = np.linspace(0, 1, 7, dtype=np.float32)  # > 3 distinct values: 3 levels
        smap = flat.copy()
        smap[0, :7] = levels_hint
        out = paint(engine, content, [vectors["udnie"]], None, RenderOptions(),
                    PaintMaps(strength_map=smap))
        exact = engine.stylize(content, [vectors["udnie"]], options=RenderOptions(strength=s))
        db = psnr(out[4:], exact[4:])
        print(f"strength {s}: interpolated from 3 levels vs exact {db:.1f} dB")
        assert db >= 25


def test_constant_stroke_size_map_equals_that_scales_render(engine, content, vectors) -> None:
    cmap = np.full((H, W), 0.5, np.float32)
    out = paint(engine, content, [vectors["udnie"]], None, RenderOptions(),
                PaintMaps(scale_map=cmap, scale_range=(0.5, 2.0)))
    exact = engine.stylize(content, [vectors["udnie"]], options=RenderOptions(scale=1.0))
    assert np.abs(out.astype(int) - exact.astype(int)).max() <= 1
    with pytest.raises(InputError, match="scale range"):
        paint(engine, content, [vectors["udnie"]], None, RenderOptions(),
              PaintMaps(scale_map=cmap))


def test_color_source_gives_its_chroma(engine, content, vectors, load) -> None:
    source = load("red_circles.jpg")
    out = paint(engine, content, [vectors["udnie"]], None, RenderOptions(),
                PaintMaps(color_source=source))
    lab_out = srgb_to_lab(to_float(out))
    lab_src = srgb_to_lab(to_float(source))
    plain = srgb_to_lab(to_float(engine.stylize(content, [vectors["udnie"]])))
    for c in (1, 2):
        # within 4 (gamut clipping on the way back to sRGB trims the most saturated reds)
        assert abs(lab_out[..., c].mean() - lab_src[..., c].mean()) < 4.0
    assert abs(plain[..., 1].mean() - lab_src[..., 1].mean()) > 5.0  # it did change something


def test_maps_of_the_wrong_size_say_so(engine, content, vectors) -> None:
    with pytest.raises(InputError, match="same size"):
        paint(engine, content, [vectors["udnie"]], None, RenderOptions(),
              PaintMaps(strength_map=np.ones((10, 10), np.float32)))
    with pytest.raises(InputError, match="at least one region"):
        paint(engine, content, [], None, RenderOptions(), PaintMaps())


def test_levels_and_interpolation() -> None:
    assert levels_for(np.array([0.0, 1.0, 1.0]), 3) == [0.0, 1.0]
    assert levels_for(np.linspace(0, 1, 11), 3) == [0.0, 0.5, 1.0]
    w = interpolation(np.array([0.0, 0.25, 0.5, 1.0], np.float32), [0.0, 0.5, 1.0])
    assert np.allclose(np.sum(w, axis=0), 1.0)
    assert np.allclose(w[0], [1, 0.5, 0, 0]) and np.allclose(w[2], [0, 0, 0, 1])
