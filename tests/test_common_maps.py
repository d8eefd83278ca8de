"""common/maps.py: regions and maps from host pixels, the one policy both hosts follow."""

from __future__ import annotations

import numpy as np
import pytest
from style_transfer.common import maps, naming, preview
from style_transfer.common.settings import JobSettings, MapRef, StyleRef
from style_transfer.engine.images import resize_float, to_float
from style_transfer.engine.masks import gray_of
from style_transfer.engine.quality import psnr

H, W = 360, 540
SKY = MapRef("node", "{sky}", "sky")
LEVEL = MapRef("channel", "7", "fade")


@pytest.fixture(scope="module")
def content(load) -> np.ndarray:
    img = to_float(load("stata.jpg"))
    rgb = np.rint(resize_float(img, (H, W)) * 255).clip(0, 255).astype(np.uint8)
    return np.dstack([rgb, np.full((H, W), 255, np.uint8)])


@pytest.fixture(scope="module")
def styles(images_dir) -> tuple:
    return (StyleRef("file", str(images_dir / "udnie.jpg"), "udnie", region=SKY),
            StyleRef("file", str(images_dir / "stripes.jpg"), "stripes"))


def _paint_layer() -> np.ndarray:
    """A Krita paint layer as the user paints it: white opaque on the top half, nothing below."""
    layer = np.zeros((H, W, 4), np.uint8)
    layer[: H // 2] = 255
    return layer


def test_map_refs_round_trip_and_name_the_result(styles) -> None:
    s = JobSettings(styles=styles, strength_map=LEVEL, scale_map=SKY, scale_range=(0.5, 1.5))
    back = JobSettings.from_json(s.to_json())
    assert back == s and back.styles[0].region == SKY
    assert s.uses_maps and not JobSettings(styles=styles[1:]).uses_maps
    assert s.map_refs() == [SKY, LEVEL]  # each map once
    name = naming.result_name(s)
    assert name.startswith("Stylized · udnie in sky + stripes 100% · strength map fade")
    assert name.endswith("stroke map 0.5–1.5×")
    assert "scale 2×" not in naming.result_name(s.replace(scale=2.0))  # the map replaces it
    assert JobSettings().scale_range == (1.0, 0.5)  # white = strokes twice as large
    bad = s.replace(scale_range=(0.0, 2.0))
    assert "positive" in (bad.problem() or "")
    assert "'fade' is gone" in (maps.missing(s, {SKY: _paint_layer()}) or "")


def test_gray_of_counts_unpainted_as_none() -> None:
    layer = _paint_layer()
    layer[: H // 2, :, 3] = 128  # half-transparent white paint
    g = gray_of(layer)
    assert g[0, 0] == pytest.approx(128 / 255) and g[-1, -1] == 0.0
    assert gray_of(np.full((4, 4), 65535, np.uint16)).min() == 1.0


def test_region_from_a_paint_layer_equals_single_style_renders(engine, content, styles) -> None:
    s = JobSettings(styles=styles)
    out = maps.render(engine, content, s, {SKY: _paint_layer()})
    top = engine.stylize(content, [styles[0].path])
    rest = engine.stylize(content, [styles[1].path])
    assert psnr(out[: H // 2 - 32], top[: H // 2 - 32]) >= 30
    assert psnr(out[H // 2 + 32:], rest[H // 2 + 32:]) >= 30


def test_strength_map_white_is_the_strength_setting(engine, content, styles) -> None:
    s = JobSettings(styles=styles[1:], strength=0.6, strength_map=LEVEL)
    out = maps.render(engine, content, s, {LEVEL: _paint_layer()})
    at = engine.stylize(content, [styles[1].path], options=s.render_options())
    zero = engine.stylize(content, [styles[1].path], options=s.render_options(strength=0.0))
    assert psnr(out[: H // 2 - 8], at[: H // 2 - 8]) >= 30
    assert psnr(out[H // 2 + 8:], zero[H // 2 + 8:]) >= 30


def test_preview_shows_the_blend(engine, content, styles) -> None:
    s = JobSettings(styles=styles)
    masks = {SKY: _paint_layer()}
    apply = maps.render(engine, content, s, masks)
    plan = preview.plan_for(s, H, W)
    shown = preview.render(engine, content, plan, s, content, masks=masks)
    db = preview.compare(apply, shown, plan)
    print(f"preview with regions vs Apply: {db:.1f} dB")
    assert db >= 30
    with pytest.raises(Exception, match="is gone"):
        preview.render(engine, content, plan, s, content, masks={})
