"""Issue 10, engine: thin images at --scale 1, painting above the image's resolution in bands,
and downscaling that low-passes first (no aliasing). Real models; memory is in bench/."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from style_transfer.engine import RenderOptions
from style_transfer.engine.render import working_size
from style_transfer.engine.tiles import DYNAMIC_MAX_SIDE, plan_tiles
from style_transfer.engine.upsample import BandShrinker, Upsampler


@pytest.fixture(scope="module")
def udnie(engine, load) -> np.ndarray:
    return engine.style_vector(load("udnie.jpg"))


def _photo(load, w: int, h: int, name: str = "stata.jpg") -> np.ndarray:
    return np.asarray(Image.fromarray(load(name)).resize((w, h), Image.LANCZOS))


@pytest.mark.parametrize("runtime", ["litert", "auto"])
@pytest.mark.parametrize("w,h", [(100, 2100), (18000, 16), (2100, 100)])
def test_thin_images_render_at_scale_1(engine, load, udnie, w: int, h: int, runtime: str) -> None:
    """LiteRT's planner checked the area only: 100x2100 was one call of 2100 px, 16x18000 two
    tiles of 9000 px, and one call of the dynamic model takes at most 2048 px per side."""
    if runtime == "litert":
        plan = plan_tiles(h, w, engine.network("int8", "litert"))
        assert max(plan.tile_h, plan.tile_w) <= DYNAMIC_MAX_SIDE
    content = _photo(load, w, h)
    out = engine.stylize(content, [udnie], options=RenderOptions(scale=1.0, runtime=runtime))
    assert out.shape == content.shape
    assert np.abs(out.astype(int) - content.astype(int)).mean() > 10  # really stylized


def _stripes(h: int, w: int, period: float) -> np.ndarray:
    """Fine vertical and horizontal texture: a sine grating near the working size's limit."""
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    g = 0.5 + 0.45 * np.sin(2 * np.pi * xx / period) * np.sin(2 * np.pi * yy / period)
    return np.repeat(g[:, :, None], 3, axis=2).astype(np.float32)


def test_shrinking_fine_texture_shows_no_false_pattern() -> None:
    """A grating of period 2.25 px shrunk 3x has no frequency the output can show: a low-pass
    makes it flat grey. Plain bilinear sampling (the old way back from scale > 1) turned it into
    a strong false period-3 pattern. Rows arrive in uneven bands, as tiles finish them."""
    big = _stripes(900, 900, 2.25)
    out = np.zeros((300, 300, 3), np.float32)
    seen = []

    def sink(y0: int, y1: int, rows: np.ndarray) -> None:
        seen.append((y0, y1))
        out[y0:y1] = rows

    shrinker = BandShrinker((900, 900), (300, 300), sink)
    for y0, y1 in ((0, 77), (77, 401), (401, 402), (402, 900)):
        shrinker.feed(y0, y1, big[y0:y1])
    assert seen[0][0] == 0 and seen[-1][1] == 300
    assert all(a[1] == b[0] for a, b in zip(seen, seen[1:]))  # every row once, in order
    ours = out[..., 0]
    assert ours.std() < 0.02, ours.std()  # flat: no pattern
    assert abs(ours.mean() - 0.5) < 0.01
    # the old path on the same input: the false pattern the test is about
    bilinear = Upsampler((900, 900), (300, 300)).rows(big, 0, 300)[..., 0]
    assert bilinear.std() > 0.1, bilinear.std()
    spectrum = np.abs(np.fft.rfft(bilinear[0] - bilinear[0].mean()))
    assert abs(300 / spectrum.argmax() - 3.0) < 0.1  # its period: 3 output pixels


def test_band_shrinker_equals_one_whole_resize() -> None:
    """Bands must not show: shrinking in pieces gives one whole-image antialiased resize, at a
    non-integer factor too."""
    rng = np.random.default_rng(0)
    big = rng.random((301, 257, 3)).astype(np.float32)
    out = np.zeros((120, 100, 3), np.float32)
    shrinker = BandShrinker((301, 257), (120, 100), lambda y0, y1, r: out.__setitem__(
        slice(y0, y1), r))
    for y0 in range(0, 301, 37):
        shrinker.feed(y0, min(301, y0 + 37), big[y0:y0 + 37])
    whole = np.stack([np.asarray(Image.fromarray(big[:, :, c]).resize((100, 120), Image.LANCZOS))
                      for c in range(3)], axis=2)
    assert np.abs(out - whole).max() < 1e-4


@pytest.mark.parametrize("scale", [2.0, 4.0])
def test_scale_above_1_is_the_low_passed_big_render(engine, load, udnie,
                                                             scale: float) -> None:
    """Above scale 1 the network paints the enlarged content; the result must be that render
    shrunk back with a low-pass (as an antialiased resize does), not sampled and aliased."""
    content = _photo(load, 240, 160, "bricks.jpg")
    wh, ww = working_size(160, 240, scale)
    out = engine.stylize(content, [udnie], options=RenderOptions(scale=scale))
    assert out.shape == content.shape
    big_in = np.asarray(Image.fromarray(content).resize((ww, wh), Image.BICUBIC))
    big = engine.stylize(big_in, [udnie], options=RenderOptions(scale=1.0))
    ideal = np.asarray(Image.fromarray(big).resize((240, 160), Image.LANCZOS)).astype(int)
    sampled = np.asarray(Image.fromarray(big).resize((240, 160), Image.NEAREST)).astype(int)
    diff = np.abs(out.astype(int) - ideal).mean()
    assert diff < 0.6, diff  # before the bands: 1.96 at 2x, 5.4 at 4x (sampled, aliased)
    assert np.abs(sampled - ideal).mean() > 4 * diff  # sampling would be visibly different


def test_tone_reference_input_is_low_passed(engine) -> None:
    """The whole-image tone reference of a big image is made from a shrunk copy: a grating of
    period 4.5 px shrunk 4x must fade, not turn into a false period-9 pattern at full strength
    (what plain striding, the old way, gives)."""
    from style_transfer.engine.progress import Progress
    from style_transfer.engine.render import Render

    grating = (_stripes(512, 4096, 4.5) * 255).astype(np.uint8)
    r = Render(grating, engine.network("int8"), np.zeros(100, np.float32), RenderOptions(),
               Progress(None, None))
    small = r._small_image()[..., 0]
    assert small.shape == (128, 1024)
    strided = grating[::4, ::4, 0] / 255.0
    assert strided.std() > 0.15  # the aliased pattern, at full strength
    assert small.std() < 0.35 * strided.std(), (small.std(), strided.std())
