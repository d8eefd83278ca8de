"""The clip renderer (engine/clip.py) on the real models: small clips made here from the sample
photos (a few frames of ~240x160, so each test runs in seconds)."""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import List

import numpy as np
import pytest
from PIL import Image
from style_transfer.engine import Cancelled, CancelToken, InputError, RenderOptions
from style_transfer.engine.clip import ClipRenderer, stylize_clip
from style_transfer.engine.regions import PaintMaps, Region, paint

STABILIZER = importlib.util.find_spec("style_transfer.engine.stabilize") is not None
needs_stabilizer = pytest.mark.skipif(not STABILIZER, reason="engine/stabilize.py not landed")


def pan(images_dir: Path, n: int = 5, step: int = 3, name: str = "stata.jpg",
        size=(240, 160)) -> List[np.ndarray]:
    """A camera pan: crops of a photo moving `step` px a frame."""
    im = Image.open(images_dir / name).convert("RGB")
    im = im.resize((im.width * 256 // im.height, 256))
    w, h = size
    return [np.asarray(im.crop((step * i, 40, step * i + w, 40 + h))) for i in range(n)]


def sprite(n: int = 4) -> List[np.ndarray]:
    """A textured square crossing a transparent canvas (a Krita cel)."""
    rng = np.random.default_rng(3)
    tex = rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)
    frames = []
    for i in range(n):
        f = np.zeros((96, 128, 4), np.uint8)
        f[..., :3] = 77  # hidden colour under transparent pixels: must stay as it is
        x = 20 + 6 * i
        f[30:70, x:x + 40, :3] = tex
        f[30:70, x:x + 40, 3] = 255
        frames.append(f)
    return frames


@pytest.fixture(scope="module")
def style(images_dir: Path) -> np.ndarray:
    from style_transfer.engine.images import load_image

    return load_image(images_dir / "udnie.jpg")


def test_stability_0_is_each_frame_alone(engine, images_dir: Path, style) -> None:
    frames = pan(images_dir, 4)
    mask = np.zeros(frames[0].shape[:2], np.float32)
    mask[:, 60:] = 1.0
    mask[:, 50:60] = 0.5
    opts = RenderOptions(strength=0.7, preserve_colors=True, mask=mask)
    r = ClipRenderer(engine, [style], options=opts, stability=0)
    outs = list(stylize_clip(r, iter(frames), total=len(frames)))
    vector = engine.style_mix([style])
    for f, out in zip(frames, outs):
        assert np.array_equal(out, engine.stylize(f, [vector], options=opts))
    assert r.stats.rendered == 4 and r.stats.repeats == 0


def test_stability_0_with_maps_is_paint_per_frame(engine, images_dir: Path, style) -> None:
    frames = pan(images_dir, 3)
    h, w = frames[0].shape[:2]
    left = np.zeros((h, w), np.float32)
    left[:, : w // 2] = 1.0
    strength = np.tile(np.linspace(0, 1, w, dtype=np.float32), (h, 1))
    maps = PaintMaps(regions=[Region(left, [str(images_dir / "stripes.jpg")], None, "left")],
                     strength_map=strength)
    r = ClipRenderer(engine, [style], stability=0)
    outs = list(stylize_clip(r, ((f, maps) for f in frames), total=3))
    for f, out in zip(frames, outs):
        assert np.array_equal(out, paint(engine, f, [style], None, RenderOptions(), maps))


@pytest.mark.parametrize("stability", [0.0, pytest.param(0.9, marks=needs_stabilizer)])
def test_a_held_frame_is_exactly_the_previous_output(engine, images_dir: Path, style,
                                                     stability: float) -> None:
    f = pan(images_dir, 3)
    frames = [f[0], f[1], f[1].copy(), f[1].copy(), f[2]]  # f1 held for three frames (on 3s)
    r = ClipRenderer(engine, [style], stability=stability)
    outs = list(stylize_clip(r, frames, total=5))
    assert np.array_equal(outs[1], outs[2]) and np.array_equal(outs[1], outs[3])
    assert r.stats.repeats == 2 and r.stats.rendered == 3
    assert not np.array_equal(outs[3], outs[4])
    # other maps on the same pixels are no repeat
    mask = np.ones(f[0].shape[:2], np.float32)
    r2 = ClipRenderer(engine, [style], stability=stability)
    r2.render(f[0])
    r2.render(f[0], PaintMaps(strength_map=mask * 0.5))
    assert r2.stats.repeats == 0 and r2.stats.rendered == 2


@needs_stabilizer
def test_stabilized_pan_flickers_less(engine, images_dir: Path, style) -> None:
    from style_transfer.engine.flicker import FlickerMeter

    frames = pan(images_dir, 8)
    r = ClipRenderer(engine, [style])  # the default stability
    meter = FlickerMeter()
    for out in stylize_clip(r, frames, total=8):
        meter.add(frames[r.stats.frames - 1], per_frame=r.last_unstabilized, stabilized=out)
    m = meter.result()
    assert m["stabilized"]["warp_error"] < 0.3 * m["per_frame"]["warp_error"], m
    assert m["stabilized"]["psnr_to_per_frame_db"] > 25, m
    assert r.stats.cuts == []


@needs_stabilizer
def test_cuts_reset_the_history(engine, images_dir: Path, style) -> None:
    a = pan(images_dir, 3)
    b = pan(images_dir, 3, name="golden_gate.jpg")
    r = ClipRenderer(engine, [style], stability=0.9)
    for f in a + b:
        r.render(f)
    assert r.stats.cuts == [3]  # detected: another photo
    # the frame after the cut is the fresh render (no colour dragged over from the old scene)
    r2 = ClipRenderer(engine, [style], stability=0.9)
    for f in a:
        r2.render(f)
    r2.cut()  # a cut the host knows of: even the same scene restarts
    out = r2.render(a[0])
    assert np.array_equal(out, r2.last_unstabilized)
    assert r2.stats.cuts == [3]
    # the detected cut's frame is fresh too
    r3 = ClipRenderer(engine, [style], stability=0.9)
    for f in a:
        r3.render(f)
    out = r3.render(b[0])
    assert np.array_equal(out, r3.last_unstabilized)


@needs_stabilizer
def test_the_content_vector_is_fixed_per_scene(engine, images_dir: Path, style) -> None:
    """Strength below 1 mixes with the scene's first frame's own vector, not each frame's."""
    frames = pan(images_dir, 3)
    opts = RenderOptions(strength=0.5)
    r = ClipRenderer(engine, [style], options=opts, stability=0.9)
    r.render(frames[0])
    r.render(frames[2])
    vector = engine.style_mix([style])
    fixed = engine.stylize(frames[2], [vector], options=opts,
                           content_vector=engine.content_vector(frames[0]))
    own = engine.stylize(frames[2], [vector], options=opts)
    assert np.array_equal(r.last_unstabilized, fixed)
    assert not np.array_equal(fixed, own)
    given = engine.content_vector(frames[1])
    r2 = ClipRenderer(engine, [style], options=opts, stability=0.9, content_vector=given)
    r2.render(frames[0])
    assert np.array_equal(r2.last_unstabilized, engine.stylize(
        frames[0], [vector], options=opts, content_vector=given))


@pytest.mark.parametrize("stability", [0.0, pytest.param(0.9, marks=needs_stabilizer)])
def test_alpha_is_kept_and_never_smeared(engine, style, stability: float) -> None:
    """Alpha passes through, hidden pixels keep their input values, and the colour hidden
    under transparent pixels never reaches a visible one (it would if the history took colour
    from transparent pixels: their output values are the hidden colour)."""
    results = []
    for hidden in (77, 200):
        frames = sprite(4)
        for f in frames:
            f[f[..., 3] == 0, :3] = hidden
        r = ClipRenderer(engine, [style], stability=stability)
        outs = []
        for f in frames:
            out = r.render(f)
            assert out.shape == f.shape and out.dtype == f.dtype
            assert np.array_equal(out[..., 3], f[..., 3])
            clear = f[..., 3] == 0
            assert np.array_equal(out[clear], f[clear])  # hidden pixels: the input's, exactly
            outs.append(out)
        results.append(outs)
    for a, b, f in zip(*results, sprite(4)):
        seen = f[..., 3] > 0
        assert np.array_equal(a[seen], b[seen])


@needs_stabilizer
def test_mask_keeps_unmasked_pixels_exactly(engine, images_dir: Path, style) -> None:
    frames = pan(images_dir, 3)
    mask = np.zeros(frames[0].shape[:2], np.uint8)
    mask[40:120, 60:200] = 255
    r = ClipRenderer(engine, [style], options=RenderOptions(mask=mask), stability=0.9)
    for f in frames:
        out = r.render(f)
        assert np.array_equal(out[mask == 0], f[mask == 0])
        assert not np.array_equal(out[mask > 0], f[mask > 0])


def test_progress_and_streaming(engine, images_dir: Path, style) -> None:
    frames = pan(images_dir, 3)
    pulled: List[int] = []

    def source():
        for i, f in enumerate(frames):
            pulled.append(i)
            yield f

    seen = []
    gen = stylize_clip(ClipRenderer(engine, [style], stability=0), source(), total=3,
                       progress=lambda f, s: seen.append((f, s)))
    next(gen)
    assert pulled == [0]  # one frame read, one made: nothing read ahead
    list(gen)
    stages = [s for _, s in seen]
    assert stages[0] == "frame 1/3" and "frame 2/3" in stages and stages[-1] == "done"
    assert set(stages) <= {"frame 1/3", "frame 2/3", "frame 3/3", "done"}
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all((k - 1) / 3 <= f <= k / 3 for f, s in seen if s.startswith("frame")
               for k in [int(s.split()[1].split("/")[0])])


def test_cancel_between_and_within_frames(engine, images_dir: Path, style) -> None:
    from style_transfer.engine.progress import hold_at

    frames = pan(images_dir, 4)
    cancel = CancelToken()
    made = []
    with pytest.raises(Cancelled):
        for out in stylize_clip(ClipRenderer(engine, [style], stability=0), frames, 4,
                                lambda f, s: None, cancel):
            made.append(out)
            cancel.cancel()  # between frames 1 and 2
    assert len(made) == 1
    # within a frame: held at frame 2's "painting", cancelled there
    gate = hold_at("frame 2/4")
    cancel = CancelToken()
    result: List[object] = []

    def run() -> None:
        try:
            result.extend(stylize_clip(ClipRenderer(engine, [style], stability=0), frames, 4,
                                       lambda f, s: None, cancel))
        except Cancelled as e:
            result.append(e)

    t = threading.Thread(target=run)
    t.start()
    try:
        assert gate.reached.wait(120)
        cancel.cancel()
        t.join(60)
    finally:
        gate.close()
    assert not t.is_alive()
    assert len(result) == 2 and isinstance(result[-1], Cancelled)  # frame 1, then Cancelled


def test_bad_stability_and_no_style(engine, style) -> None:
    with pytest.raises(InputError, match="Stability"):
        ClipRenderer(engine, [style], stability=1.5)
    r = ClipRenderer(engine, [], stability=0)
    with pytest.raises(InputError, match="Give a style"):
        r.render(np.zeros((32, 32, 3), np.uint8))


def test_flicker_measure_is_the_reference_tool(images_dir: Path, tmp_path: Path) -> None:
    """engine/flicker.py, streamed, gives the numbers of shared/tools/flicker.py on the same
    frames."""
    shared = Path(os.environ.get("STYLE_TRANSFER_SHARED", images_dir.parent))
    tool_path = shared / "tools" / "flicker.py"
    if not tool_path.is_file():
        pytest.fail(f"{tool_path} not found; set STYLE_TRANSFER_SHARED")
    spec = importlib.util.spec_from_file_location("flicker_tool", tool_path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    from style_transfer.engine.flicker import FlickerMeter

    content = pan(images_dir, 5)
    noisy = [np.clip(f.astype(int) + np.random.default_rng(i).integers(-20, 20, f.shape), 0, 255)
             .astype(np.uint8) for i, f in enumerate(content)]
    for d, seq in (("c", content), ("s", noisy)):
        (tmp_path / d).mkdir()
        for i, f in enumerate(seq):
            Image.fromarray(f).save(tmp_path / d / f"{i:03d}.png")
    c = tool.frames(str(tmp_path / "c"))
    fl = tool.flows(c, "dis")
    want = tool.warp_error(tool.frames(str(tmp_path / "s")), fl)
    meter = FlickerMeter()
    for f, s in zip(content, noisy):
        meter.add(f, noisy=s)
    got = meter.result()
    assert got["noisy"]["warp_error"] == pytest.approx(want, rel=1e-6)
    assert got["content"]["warp_error"] == pytest.approx(tool.warp_error(c, fl), rel=1e-6)
    assert got["frames"] == 5
