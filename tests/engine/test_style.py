"""Style vectors on the real style network: determinism, cache, blending, strength, presets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from style_transfer.engine import InputError, RenderOptions
from style_transfer.engine.style import blend, load_preset, normalise_weights, save_preset


def test_same_image_same_vector_and_cached(engine, load) -> None:
    img = load("udnie.jpg")
    before = engine.encoder.cached()
    invokes = engine.encoder.network.invokes
    v1 = engine.style_vector(img)
    v2 = engine.style_vector(img.copy())  # same pixels, another array: same cache entry
    assert v1.shape == (100,) and v1.dtype == np.float32
    assert np.array_equal(v1, v2)
    assert v2 is v1  # served from the cache
    assert engine.encoder.cached() <= before + 1
    assert engine.encoder.network.invokes <= invokes + 1
    assert not v1.flags.writeable  # a cached vector cannot be changed by a caller


def test_different_styles_give_different_vectors(engine, load) -> None:
    a, b = engine.style_vector(load("udnie.jpg")), engine.style_vector(load("stripes.jpg"))
    assert np.abs(a - b).mean() > 0.05
    wide = load("chicago.jpg")  # 712x474: crop, whole and multi see different pixels
    crop, whole, multi = (engine.style_vector(wide, m) for m in ("crop", "whole", "multi"))
    assert not np.array_equal(crop, whole) and not np.array_equal(crop, multi)
    with pytest.raises(InputError, match="crop mode"):
        engine.style_vector(wide, "tiles")


def test_vector_ignores_hidden_alpha_colour(engine, load) -> None:
    rgb = load("red_circles.jpg")
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    assert np.allclose(engine.style_vector(rgb), engine.style_vector(rgba), atol=1e-6)


def test_small_gray_image_is_a_style_image_not_a_vector(engine) -> None:
    gray = (np.arange(100).reshape(10, 10) * 2).astype(np.uint8)  # 100 values, but an image
    v = engine.resolve_style(gray)
    assert np.array_equal(v, engine.style_vector(gray))
    vec = np.linspace(-1, 1, 100, dtype=np.float32)
    for shape in ((100,), (1, 100), (1, 1, 1, 100)):
        assert np.array_equal(engine.resolve_style(vec.reshape(shape)), vec)


def test_weights_are_normalised() -> None:
    a, b = np.ones(100, np.float32), np.zeros(100, np.float32)
    assert np.allclose(blend([a, b], [2, 2]), blend([a, b], [0.5, 0.5]))
    assert np.allclose(blend([a, b], [3, 1]), 0.75)
    assert np.allclose(normalise_weights([7, 0, 3], 3), [0.7, 0.0, 0.3])
    assert np.allclose(blend([a, b]), 0.5)  # no weights = equal weights
    with pytest.raises(InputError, match="one weight per style"):
        blend([a, b], [1.0])
    with pytest.raises(InputError, match="zero or positive"):
        blend([a, b], [1.0, -1.0])
    with pytest.raises(InputError, match="above zero"):
        blend([a, b], [0, 0])


def test_three_styles_blend_in_the_render(engine, load) -> None:
    styles = [load("udnie.jpg"), load("stripes.jpg"), load("red_circles.jpg")]
    vecs = [engine.style_vector(s) for s in styles]
    mix = engine.style_mix(styles, [1, 1, 2])
    assert np.allclose(mix, 0.25 * vecs[0] + 0.25 * vecs[1] + 0.5 * vecs[2], atol=1e-6)


def test_strength_ends(engine, load) -> None:
    content = load("golden_gate.jpg")
    style = load("udnie.jpg")
    opts = RenderOptions(scale=None)
    full = engine.stylize(content, [style], options=opts)
    # strength 1 is exactly the style
    same = engine.stylize(content, [engine.style_vector(style)], options=opts)
    assert np.array_equal(full, same)
    # strength 0 is the content's own stylization (its own vector), whatever the style
    zero = engine.stylize(content, [style], options=RenderOptions(strength=0.0))
    own = engine.stylize(content, [engine.content_vector(content)], options=opts)
    assert np.abs(zero.astype(int) - own.astype(int)).max() <= 1
    # and half way lies between
    half = engine.stylize(content, [style], options=RenderOptions(strength=0.5))
    d_full = np.abs(half.astype(int) - full.astype(int)).mean()
    d_zero = np.abs(half.astype(int) - zero.astype(int)).mean()
    d_ends = np.abs(full.astype(int) - zero.astype(int)).mean()
    assert d_full < d_ends and d_zero < d_ends
    with pytest.raises(InputError, match="between 0 and 1"):
        engine.stylize(content, [style], options=RenderOptions(strength=1.5))


def test_strength_with_a_fixed_content_vector(engine, load) -> None:
    """The one place strength is mixed takes the picture's own vector from the caller when
    given (a preview of a part uses the whole picture's; a clip one for all its frames), and
    checks the strength on every entry point, stylize_window included."""
    content = load("golden_gate.jpg")[::4, ::4]
    style, other = engine.style_vector(load("udnie.jpg")), engine.content_vector(load("beach.jpg"))
    half = RenderOptions(strength=0.5)
    own = engine.stylize(content, [style], options=half)
    given = engine.stylize(content, [style], options=half,
                           content_vector=engine.content_vector(content))
    assert np.array_equal(own, given)  # the default is the picture's own vector
    fixed = engine.stylize(content, [style], options=half, content_vector=other)
    by_hand = engine.stylize(content, [0.5 * style + 0.5 * other])  # Magenta's mix, strength 1
    assert np.abs(fixed.astype(int) - by_hand.astype(int)).max() <= 1
    assert np.abs(fixed.astype(int) - own.astype(int)).mean() > 1  # it was used
    h, w = content.shape[:2]
    part = engine.stylize_window(content, [style], (0, 0, w, h), options=half,
                                 content_vector=other)
    assert np.abs(np.rint(part * 255) - fixed).max() <= 1
    for bad in (1.5, -0.1):
        with pytest.raises(InputError, match="between 0 and 1"):
            engine.stylize_window(content, [style], (0, 0, w, h),
                                  options=RenderOptions(strength=bad))


def test_preset_round_trip(engine, load, tmp_path: Path) -> None:
    style = load("udnie.jpg")
    v = engine.style_vector(style)
    path = tmp_path / "udnie.json"
    save_preset(path, "Udnie", v, thumbnail=style)
    p = load_preset(path)
    assert p.name == "Udnie" and np.allclose(p.vector, v)
    assert p.thumbnail is not None and max(p.thumbnail.shape[:2]) == 128
    # a preset renders exactly like the image it came from
    content = load("beach.jpg")
    assert np.array_equal(engine.stylize(content, [path]), engine.stylize(content, [style]))


def test_bad_vectors_and_presets(engine, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros(50, np.float32))
    with pytest.raises(InputError, match=r"wrong\.npy.*50 values.*exactly 100"):
        engine.resolve_style(wrong)
    not_preset = tmp_path / "other.json"
    not_preset.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(InputError, match="not a style preset"):
        engine.resolve_style(not_preset)
    short = tmp_path / "short.json"
    short.write_text('{"format": "style-transfer-preset", "vector": [1, 2]}', encoding="utf-8")
    with pytest.raises(InputError, match="exactly 100"):
        engine.resolve_style(short)
    with pytest.raises(InputError, match="No style given"):
        engine.style_mix([])
