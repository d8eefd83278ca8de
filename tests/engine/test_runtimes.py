"""The two runtimes on the real models: OpenVINO beside LiteRT (the reference and fallback).

The rest of tests/engine runs on whatever $STYLE_TRANSFER_RUNTIME selects (auto = OpenVINO when
it works); scripts/test.sh runs them a second time with STYLE_TRANSFER_RUNTIME=litert. These
tests compare the two directly. In CI OpenVINO must be installed (it is in the test extras);
elsewhere they skip without it.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from style_transfer.engine import RUNTIME_CHOICES, Engine, InputError, RenderOptions
from style_transfer.engine.images import resize_float, rgb_float
from style_transfer.engine.quality import psnr, seam_figure
from style_transfer.engine.tiles import plan_tiles

if os.environ.get("CI"):
    import openvino  # noqa: F401  (CI must test OpenVINO, never skip it)
else:
    pytest.importorskip("openvino")


@pytest.fixture(scope="module")
def udnie(engine, load) -> np.ndarray:
    return engine.style_vector(load("udnie.jpg"))


def _square(load, name: str, side: int) -> np.ndarray:
    return np.clip(resize_float(rgb_float(load(name)), (side, side)), 0.0, 1.0)


def test_contract() -> None:
    assert RUNTIME_CHOICES == ("auto", "openvino", "litert")
    assert RenderOptions().runtime is None
    with pytest.raises(InputError, match="Unknown runtime 'cuda'"):
        Engine(runtime="cuda")


def test_default_output_within_38_db_of_litert_f16(engine, load, udnie) -> None:
    """Issue target: the default output (Model int8 on auto) vs LiteRT's f16 network at 384^2,
    on three real photos."""
    default = engine.network("int8", "auto")
    assert default.runtime == "openvino"
    reference = engine.network("f16", "litert")
    for name in ("stata.jpg", "golden_gate.jpg", "chicago.jpg"):
        x = _square(load, name, 384)
        assert psnr(default.transform(x, udnie), reference.transform(x, udnie)) >= 38.0, name


def test_fixed_size_files_really_resize(engine, load, udnie) -> None:
    """The f16 file has Interpolate nodes with constant output sizes: without the graph edit
    OpenVINO returns 384x384 whatever the input. With it: the asked size, and at 384 the same
    picture as LiteRT."""
    net = engine.network("f16", "openvino")
    x = np.clip(resize_float(rgb_float(load("stata.jpg")), (600, 800)), 0.0, 1.0)
    out = net.transform(x, udnie)
    assert out.shape == (600, 800, 3)
    # the picture is the content's, not a squeezed one: edges line up with the content's
    gray = lambda a: a.mean(axis=2)  # noqa: E731
    gx_out, gx_in = np.abs(np.diff(gray(out), axis=1)), np.abs(np.diff(gray(x), axis=1))
    assert np.corrcoef(gx_out.ravel(), gx_in.ravel())[0, 1] > 0.3
    x384 = _square(load, "stata.jpg", 384)
    assert psnr(net.transform(x384, udnie),
                engine.network("f16", "litert").transform(x384, udnie)) > 100


def test_whole_image_is_one_call_up_to_the_budget(engine) -> None:
    net = engine.network("int8", "openvino")
    assert plan_tiles(1536, 2048, net).count == 1
    assert plan_tiles(2048, 2048, net).count == 1
    big = plan_tiles(4096, 4096, net)
    assert big.count > 1 and big.shared_stats
    assert big.tile_h * big.tile_w <= net.one_call_pixels


def test_tiles_above_the_budget_share_the_whole_images_statistics(models_dir, load,
                                                                   udnie) -> None:
    """Above the one-call budget, tiles are normalised with the whole image's statistics: no
    tile grid, and closer to one whole-image call than tiles with their own statistics. The
    budget is lowered on a separate engine so that this runs at 1024 px."""
    eng = Engine(models=models_dir, runtime="openvino")
    net = eng.network("int8")
    content = (_square(load, "golden_gate.jpg", 1024) * 255).astype(np.uint8)
    whole = net.transform(rgb_float(content), udnie)
    net.one_call_pixels = 1024 * 1024 // 3
    plan = plan_tiles(1024, 1024, net)
    assert plan.count >= 4 and plan.shared_stats
    out = eng.stylize(content, [udnie], options=RenderOptions(scale=1.0)).astype(np.float32)
    out /= 255.0
    seams = seam_figure(out, plan.ys, plan.xs, plan.tile_h, plan.tile_w)
    assert abs(seams["aggregate"] - 1.0) <= 0.10, seams
    own = np.zeros_like(whole)  # the same tiles, each with its own statistics, pasted
    for y in plan.ys:
        for x in plan.xs:
            piece = rgb_float(content[y:y + plan.tile_h, x:x + plan.tile_w])
            own[y:y + plan.tile_h, x:x + plan.tile_w] = net.transform(piece, udnie)
    assert psnr(out, whole) > psnr(own, whole) + 2.0


def test_auto_falls_back_to_litert_with_the_reason(models_dir, load, udnie,
                                                   monkeypatch) -> None:
    """An OpenVINO that cannot compile (here: a device this machine does not have) must not
    break a render on auto: LiteRT paints it and the status line says why."""
    import style_transfer.engine.openvino_backend as ovb

    monkeypatch.setenv(ovb.ENV_DEVICE, "NO_SUCH_DEVICE")
    eng = Engine(models=models_dir, runtime="auto")
    content = (_square(load, "stata.jpg", 200) * 255).astype(np.uint8)
    out = eng.stylize(content, [udnie])
    ref = Engine(models=models_dir, runtime="litert").stylize(content, [udnie])
    assert np.array_equal(out, ref)
    status = eng.runtime_status()
    assert status.startswith("LiteRT ") and "OpenVINO failed" in status, status
    assert "\n" not in status
    with pytest.raises(Exception, match="NO_SUCH_DEVICE"):
        Engine(models=models_dir).stylize(content, [udnie],
                                          options=RenderOptions(runtime="openvino"))


def test_an_openvino_failure_anywhere_in_a_render_falls_back(models_dir, load, udnie,
                                                              monkeypatch) -> None:
    """OpenVINO raises RuntimeErrors of its own (out of memory, a plugin failure) from any
    call, the statistics pass of a big picture included (the transformer call alone was
    caught). Here that pass fails as OpenVINO would; the budget is lowered so a 512 px picture
    takes it. auto: LiteRT paints the render and the window, the status says why; openvino:
    one line."""
    import style_transfer.engine.openvino_backend as ovb
    from style_transfer.engine import ModelError

    class OutOfMemory:
        def infer(self, *args, **kwargs):
            raise RuntimeError("Exception from src/inference/src/cpp/infer_request.cpp:223:\n"
                               "std::bad_alloc: out of memory")

    real = ovb.OpenVINONetwork.request

    def request(net, h, w, kind=""):
        return OutOfMemory() if kind == "stats" else real(net, h, w, kind)

    monkeypatch.setattr(ovb.OpenVINONetwork, "request", request)
    content = (_square(load, "stata.jpg", 512) * 255).astype(np.uint8)
    opt = RenderOptions(scale=1.0)
    ref = Engine(models=models_dir, runtime="litert")
    for runtime in ("auto", "openvino"):
        eng = Engine(models=models_dir, runtime=runtime)
        eng.network("int8").one_call_pixels = 512 * 512 // 2  # tiles with shared statistics
        assert plan_tiles(512, 512, eng.network("int8")).shared_stats
        if runtime == "openvino":
            with pytest.raises(ModelError, match=r"^OpenVINO failed on the statistics .*memory"):
                eng.stylize(content, [udnie], options=opt)
            continue
        assert np.array_equal(eng.stylize(content, [udnie], options=opt),
                              ref.stylize(content, [udnie], options=opt))
        status = eng.runtime_status()
        assert status.startswith("LiteRT ") and "out of memory" in status, status
        eng = Engine(models=models_dir, runtime=runtime)  # the window falls back on its own
        eng.network("int8").one_call_pixels = 512 * 512 // 2
        box = (64, 64, 256, 256)
        assert np.array_equal(eng.stylize_window(content, [udnie], box, options=opt),
                              ref.stylize_window(content, [udnie], box, options=opt))


def test_status_lines(engine) -> None:
    assert engine.runtime_status("litert").startswith("LiteRT 2.")
    status = engine.runtime_status("openvino")
    assert status.startswith("OpenVINO 20") and "(CPU, " in status, status


def test_warm_up_compiles_what_the_first_preview_needs(models_dir) -> None:
    eng = Engine(models=models_dir, runtime="openvino")
    shape = eng.preview_shape(600, 800)
    assert eng.warm_up("int8", None, shape).startswith("OpenVINO ")
    net = eng.network("int8")
    compiled = net.compile_seconds
    x = np.full((*shape, 3), 0.5, np.float32)
    assert net.transform(x, np.zeros(100, np.float32)).shape == (*shape, 3)
    assert net.compile_seconds == compiled  # nothing left to compile


def test_preview_shapes_are_few() -> None:
    shapes = {Engine.preview_shape(h, w) for h in range(100, 3000, 37) for w in range(80, 4000, 53)}
    assert all(512 in s and s[0] % 64 == 0 and s[1] % 64 == 0 for s in shapes)
    assert len(shapes) <= 16, sorted(shapes)


def test_without_openvino_auto_is_litert_and_says_why(models_dir) -> None:
    """A Python where `import openvino` fails (as in a host without its wheels)."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys; sys.modules['openvino'] = None\n"
        "from style_transfer.engine import Engine, DependencyError\n"
        f"e = Engine(models={str(models_dir)!r})\n"
        "print(e.runtime_status()); print(e.network('int8').runtime)\n"
        "try:\n    e.network('int8', 'openvino')\nexcept DependencyError as x:\n    print(x)\n"
    )
    plugin = Path(__file__).resolve().parents[2] / "plugin"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=str(plugin),
                                STYLE_TRANSFER_RUNTIME="auto"))
    status, runtime, error = r.stdout.strip().splitlines()
    assert status.startswith("LiteRT 2.") and status.endswith("— OpenVINO not installed")
    assert runtime == "litert"
    assert "pip install openvino" in error


def test_block_means_of_the_statistics_thumbnail() -> None:
    from style_transfer.engine.tiles import _block_mean

    band = np.random.default_rng(1).random((12, 18, 3), dtype=np.float32)
    for k in (1, 2, 3):
        expect = band.reshape(12 // k, k, 18 // k, k, 3).mean(axis=(1, 3))
        assert np.allclose(_block_mean(band, k), expect, atol=1e-6)
