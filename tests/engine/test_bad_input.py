"""Bad input: every case gives one clear message naming the file and the fix, and nothing is
left half-written at the output path. Files are made here, not taken from anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ctrl_c import cli_command
from PIL import Image
from style_transfer.engine import InputError
from style_transfer.engine.images import load_image

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO / "plugin"))
    return subprocess.run([sys.executable, "-m", "style_transfer.cli", "-q", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture()
def style(images_dir: Path) -> str:
    return str(images_dir / "udnie.jpg")


def _rgb(w: int = 64, h: int = 48) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w]
    return np.dstack([xx * 255 // w, yy * 255 // h, (xx + yy) % 256]).astype(np.uint8)


def test_unreadable_file(tmp_path: Path, style: str) -> None:
    bad = tmp_path / "notes.jpg"
    bad.write_text("this is not a picture", encoding="utf-8")
    with pytest.raises(InputError, match=r"notes\.jpg: cannot read this image"):
        load_image(bad)
    r = _cli(str(bad), "-s", style, "-o", str(tmp_path / "out.png"), cwd=tmp_path)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "notes.jpg" in lines[0] and "Re-export" in lines[0]
    assert not (tmp_path / "out.png").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.png")]


def test_truncated_file(tmp_path: Path, style: str) -> None:
    good = tmp_path / "good.jpg"
    Image.fromarray(_rgb(400, 300)).save(good, quality=95)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputError, match=r"cut\.jpg.*truncated"):
        load_image(cut)


def test_zero_size_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.png: the file is empty"):
        load_image(empty)


def test_decompression_bomb(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(bomb)  # 400 MP that compress to a few kB
    assert bomb.stat().st_size < 200_000
    with pytest.raises(InputError, match=r"bomb\.png: the image is too large.*Scale it down"):
        load_image(bomb)


@pytest.mark.parametrize("mode", ["CMYK", "P", "L", "LA", "I;16", "1", "RGBA"])
def test_unusual_modes_are_converted(engine, tmp_path: Path, mode: str, style: str) -> None:
    src = Image.fromarray(_rgb(80, 60))
    if mode == "I;16":
        im = Image.fromarray(np.asarray(src.convert("L")).astype(np.uint16) * 257)
    else:
        im = src.convert(mode)
    ext = ".jpg" if mode == "CMYK" else (".tif" if mode == "I;16" else ".png")
    path = tmp_path / f"img_{mode.replace(';', '')}{ext}"
    im.save(path)
    arr = load_image(path)
    assert arr.shape[:2] == (60, 80)
    if mode == "I;16":
        assert arr.dtype == np.uint16 and arr.max() > 255
    else:
        assert arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] in (3, 4)
    out = engine.stylize(arr, [style])
    assert out.shape == arr.shape and out.dtype == arr.dtype


def test_wrong_vector_file_and_missing_model_via_cli(tmp_path: Path, style: str) -> None:
    content = tmp_path / "c.png"
    Image.fromarray(_rgb()).save(content)
    wrong = tmp_path / "v.npy"
    np.save(wrong, np.zeros((3, 3), np.float32))
    r = _cli(str(content), "-s", str(wrong), cwd=tmp_path)
    assert r.returncode == 1 and "v.npy" in r.stderr and "exactly 100" in r.stderr
    empty = tmp_path / "nomodels"
    empty.mkdir()
    env_models = os.environ.pop("STYLE_TRANSFER_MODELS")
    try:
        os.environ["STYLE_TRANSFER_CACHE"] = str(tmp_path / "cache")
        r = _cli(str(content), "-s", style, "--models", str(empty), cwd=tmp_path)
    finally:
        os.environ["STYLE_TRANSFER_MODELS"] = env_models
        del os.environ["STYLE_TRANSFER_CACHE"]
    assert r.returncode == 1
    assert "style_predict_int8_256.tflite" in r.stderr and "--models DIR" in r.stderr
    assert "models fetch" not in r.stderr  # downloads are off in tests: only a folder helps
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "c-stylized.png").exists()


def test_usage_errors_exit_2(tmp_path: Path, style: str) -> None:
    content = tmp_path / "c.png"
    Image.fromarray(_rgb()).save(content)
    for args in (
        [str(content)],  # no --style
        [str(content), "-s", style, "--strength", "1.5"],
        [str(content), "-s", style, "--model", "int4"],
        [str(tmp_path / "missing.png"), "-s", style],
        [str(content), "-s", style, "-s", style, "-w", "1"],
        [str(content), "-s", style, "-o", str(content)],  # would overwrite its input
        [str(content), "-s", style, "-o", str(tmp_path / "out.xyz")],
    ):
        r = _cli(*args, cwd=tmp_path)
        assert r.returncode == 2, (args, r.stderr)
        assert "error:" in r.stderr
    assert content.stat().st_size > 0


def test_cancel_from_cli_leaves_no_output(tmp_path: Path, style: str, images_dir: Path) -> None:
    """Ctrl+C in the middle of a render: exit 130 and no file at -o. The render is held at its
    "painting" stage (engine.progress, STYLE_TRANSFER_TEST_HOLD) until the signal is sent, so
    the Ctrl+C lands mid-render however fast the CPU paints."""
    import signal
    import time

    content = tmp_path / "photo.png"
    Image.fromarray(load_image(images_dir / "stata.jpg")).resize((300, 200)).save(content)
    out = tmp_path / "out.png"
    gate = tmp_path / "gate"
    env = dict(os.environ, PYTHONPATH=str(REPO / "plugin"),
               STYLE_TRANSFER_TEST_HOLD=f"painting@{gate}")
    proc = subprocess.Popen(cli_command(str(content), "-s", style, "-o", str(out)),
                            env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (gate / "reached").exists() and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (gate / "reached").exists(), "the render never reached its painting stage"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.png")]


@pytest.mark.parametrize("vector,says", [
    ([1e30] * 100, "value of 1e+30"),  # finite but huge: was an all-black image with exit 0
    ([1e300] * 100, "value of 1e+300"),  # was a numpy RuntimeWarning before the message
    (["red"] * 100, "does not hold numbers"),  # was a ValueError traceback
    ([[1.0, 2.0], [3.0]], "does not hold numbers"),
])
def test_bad_preset_vectors_are_one_line(tmp_path: Path, style: str, vector, says: str) -> None:
    content = tmp_path / "c.png"
    Image.fromarray(_rgb()).save(content)
    preset = tmp_path / "p.json"
    preset.write_text(json.dumps({"format": "style-transfer-preset", "version": 1, "name": "x",
                                  "vector": vector}), encoding="utf-8")
    r = _cli(str(content), "-s", str(preset), cwd=tmp_path)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "p.json" in lines[0] and says in lines[0], r.stderr
    assert not (tmp_path / "c-stylized.png").exists()


def test_npy_of_strings_and_huge_blends_are_refused(tmp_path: Path) -> None:
    from style_transfer.engine.style import blend, check_vector, load_vector_file

    words = tmp_path / "words.npy"
    np.save(words, np.array(["a"] * 100))
    with pytest.raises(InputError, match=r"words\.npy does not hold numbers"):
        load_vector_file(words)
    ok = np.linspace(-2.5, 2.5, 100).astype(np.float32)
    assert np.array_equal(check_vector(ok), ok)
    with pytest.raises(InputError, match="stay within"):
        blend([ok, ok * 1e6])


def test_concurrent_preset_saves_do_not_collide(tmp_path: Path) -> None:
    """Processes saving one preset at once: each has its own temporary file (a fixed '.tmp'
    name made renames fail with FileNotFoundError), and the result is one valid preset."""
    from style_transfer.engine.style import load_preset

    target = tmp_path / "shared.json"
    code = ("import sys, numpy as np\n"
            "from style_transfer.engine.style import save_preset\n"
            "for _ in range(200):\n"
            "    save_preset(sys.argv[1], 'p', np.linspace(-1, 1, 100))\n")
    env = dict(os.environ, PYTHONPATH=str(REPO / "plugin"))
    procs = [subprocess.Popen([sys.executable, "-c", code, str(target)], env=env,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    assert np.allclose(load_preset(target).vector, np.linspace(-1, 1, 100))
    assert [p.name for p in tmp_path.iterdir()] == ["shared.json"]
