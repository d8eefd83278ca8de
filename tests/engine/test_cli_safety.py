"""Issue 10, command line: no silent data loss, no tracebacks, checks before the render.
Each case runs the real command in a subprocess on the real models, as a user would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path, quiet: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO / "plugin"))
    extra = ["-q"] if quiet else []
    return subprocess.run([sys.executable, "-m", "style_transfer.cli", *extra, *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


def _one_line(r: subprocess.CompletedProcess) -> str:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def _photo(images_dir: Path, dst: Path, size=(160, 120)) -> Path:
    Image.open(images_dir / "beach.jpg").convert("RGB").resize(size).save(dst)
    return dst


def _leftovers(folder: Path) -> List[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp"))


# -- silent data loss ----------------------------------------------------------------------------


def test_output_onto_any_input_is_refused(tmp_path: Path, images_dir: Path) -> None:
    content = _photo(images_dir, tmp_path / "c.png")
    style = tmp_path / "style.jpg"
    style.write_bytes((images_dir / "udnie.jpg").read_bytes())
    mask = tmp_path / "mask.png"
    Image.new("L", (160, 120), 255).save(mask)
    preset = tmp_path / "p.json"
    assert _cli(str(content), "-s", str(style), "--save-preset", str(preset), "-o",
                str(tmp_path / "first.png"), cwd=tmp_path).returncode == 0
    before = {p: p.read_bytes() for p in (style, mask, preset)}
    for args in (["-s", str(style), "-o", str(style)],
                 ["-s", str(style), "--mask", str(mask), "-o", str(mask)],
                 ["-s", str(preset), "-o", str(tmp_path / "x.png"), "--save-preset", str(preset)]):
        r = _cli(str(content), *args, cwd=tmp_path)
        assert r.returncode == 2, (args, r.stderr)
        assert "would overwrite the input" in _one_line(r)
    assert {p: p.read_bytes() for p in before} == before


def test_several_inputs_and_an_image_file_as_output(tmp_path: Path, images_dir: Path) -> None:
    """-o result.png with two inputs is a slip (the user meant one file): one line, exit 2,
    and nothing made; it used to create a FOLDER named result.png and exit 0."""
    a, b = _photo(images_dir, tmp_path / "a.png"), _photo(images_dir, tmp_path / "b.png")
    before = sorted(p.name for p in tmp_path.iterdir())
    r = _cli(str(a), str(b), "-s", str(images_dir / "udnie.jpg"), "-o",
             str(tmp_path / "result.png"), cwd=tmp_path)
    line = _one_line(r)
    assert r.returncode == 2 and "result.png" in line and "folder" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    # a folder of that name the user made is a folder: it takes the results
    (tmp_path / "out.png").mkdir()
    r = _cli(str(a), str(b), "-s", str(images_dir / "udnie.jpg"), "-o",
             str(tmp_path / "out.png"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "out.png").iterdir()) == ["a.png", "b.png"]


def test_same_name_in_one_folder_and_second_run(tmp_path: Path, images_dir: Path) -> None:
    """x.jpg and x.png give two results; a second run on the folder does not stylize them."""
    _photo(images_dir, tmp_path / "x.jpg")
    Image.open(images_dir / "clouds.jpg").convert("RGB").resize((160, 120)).save(tmp_path / "x.png")
    style = str(images_dir / "udnie.jpg")
    r = _cli(str(tmp_path), "-s", style, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    outs = sorted(p.name for p in tmp_path.glob("*-stylized*"))
    assert outs == ["x-stylized-2.png", "x-stylized.png"]
    a, b = (np.asarray(Image.open(tmp_path / n)).astype(int) for n in outs)
    assert np.abs(a - b).mean() > 5  # two different pictures, none lost
    r = _cli(str(tmp_path), "-s", style, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "skipping 2 earlier result(s)" in _one_line(r)
    assert sorted(p.name for p in tmp_path.glob("*-stylized*")) == outs  # nothing stylized twice


# -- tracebacks ----------------------------------------------------------------------------------


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder no file can be created in. Root ignores permission bits, so it gets /sys."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    if os.access("/sys", os.W_OK) and Path("/sys/kernel").is_dir():
        return Path("/sys")  # sysfs refuses new files even to root
    pytest.skip("no unwritable folder available")


def test_unwritable_output_is_one_line_before_the_render(tmp_path: Path, images_dir: Path) -> None:
    content = _photo(images_dir, tmp_path / "c.png", (1600, 1200))
    locked = _unwritable_folder(tmp_path)
    # not quiet: a render would print a progress bar before the error; the check comes first
    r = _cli(str(content), "-s", str(images_dir / "udnie.jpg"), "-o", str(locked / "out.png"),
             cwd=tmp_path, quiet=False)
    assert r.returncode == 1
    line = _one_line(r)
    assert "cannot write in" in line and str(locked) in line
    r = _cli(str(content), "-s", str(images_dir / "udnie.jpg"), "-o", str(tmp_path / "o.png"),
             "--save-preset", str(locked / "p.json"), cwd=tmp_path, quiet=False)
    assert r.returncode == 1 and "cannot write in" in _one_line(r)
    assert not (tmp_path / "o.png").exists()


def test_save_preset_into_missing_folder_or_onto_folder(tmp_path: Path, images_dir: Path) -> None:
    content = _photo(images_dir, tmp_path / "c.png")
    style = str(images_dir / "udnie.jpg")
    r = _cli(str(content), "-s", style, "-o", str(tmp_path / "a.png"), "--save-preset",
             str(tmp_path / "new" / "sub" / "p.json"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr  # made like -o's folders are
    assert json.loads((tmp_path / "new" / "sub" / "p.json").read_text())["vector"]
    folder = tmp_path / "presets"
    folder.mkdir()
    r = _cli(str(content), "-s", style, "-o", str(tmp_path / "b.png"), "--save-preset",
             str(folder), cwd=tmp_path)
    assert r.returncode == 1 and "is a folder" in _one_line(r)
    assert not (tmp_path / "b.png").exists()  # refused before the render
    assert list(folder.iterdir()) == [] and _leftovers(tmp_path) == []


def test_sigterm_while_writing_leaves_no_temporary_file(tmp_path: Path,
                                                         images_dir: Path) -> None:
    """SIGTERM as the result is being written (its temporary file exists): exit 143, no file
    at -o and no hidden .tmp. Before, the default SIGTERM action killed the process there."""
    big = tmp_path / "big.png"
    Image.open(images_dir / "stata.jpg").convert("RGB").resize((5000, 3750)).save(big)
    out = tmp_path / "out.png"
    env = dict(os.environ, PYTHONPATH=str(REPO / "plugin"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "style_transfer.cli", "-q", str(big), "-s",
         str(images_dir / "udnie.jpg"), "--scale", "0.1", "-o", str(out)],
        env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if _leftovers(tmp_path):  # the PNG encoder is writing now
            proc.send_signal(signal.SIGTERM)
            break
        time.sleep(0.002)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "terminated" in err and "Traceback" not in err
    assert not out.exists() and _leftovers(tmp_path) == []


# -- wrong answers -------------------------------------------------------------------------------


def test_style_folder_and_animated_gif(tmp_path: Path, images_dir: Path) -> None:
    content = _photo(images_dir, tmp_path / "c.png")
    r = _cli(str(content), "-s", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 1 and "is a folder" in _one_line(r)
    frames = [Image.new("RGB", (64, 48), c) for c in ("red", "green", "blue")]
    anim = tmp_path / "anim.gif"
    frames[0].save(anim, save_all=True, append_images=frames[1:], duration=100, loop=0)
    r = _cli(str(anim), "-s", str(images_dir / "udnie.jpg"), cwd=tmp_path)
    line = _one_line(r)
    assert r.returncode == 1 and "3 frames" in line and "style-transfer animate" in line
    assert not (tmp_path / "anim-stylized.png").exists()
    still = tmp_path / "still.gif"
    frames[0].save(still)
    r = _cli(str(still), "-s", str(images_dir / "udnie.jpg"), cwd=tmp_path)
    assert r.returncode == 0 and (tmp_path / "still-stylized.png").is_file()


def _chroma(path: Path) -> float:
    rgb = np.asarray(Image.open(path).convert("RGB")).astype(int)
    return float((rgb.max(axis=2) - rgb.min(axis=2)).mean())


def test_deep_grayscale_comes_out_in_colour_like_8_bit(tmp_path: Path, images_dir: Path) -> None:
    gray8 = np.asarray(Image.open(images_dir / "beach.jpg").convert("L").resize((200, 150)))
    Image.fromarray(gray8).save(tmp_path / "g8.png")
    Image.fromarray(gray8.astype(np.uint16) * 257).save(tmp_path / "g16.png")
    Image.fromarray(gray8.astype(np.float32) / 255).save(tmp_path / "gf.tif")
    for name in ("g8.png", "g16.png", "gf.tif"):
        r = _cli(str(tmp_path / name), "-s", str(images_dir / "udnie.jpg"), cwd=tmp_path)
        assert r.returncode == 0, r.stderr
    c8, c16, cf = (_chroma(tmp_path / f"{n}-stylized.png") for n in ("g8", "g16", "gf"))
    assert c8 > 10 and c16 > 10 and cf > 10, (c8, c16, cf)  # udnie's colours, all three
    a = np.asarray(Image.open(tmp_path / "g8-stylized.png").convert("RGB")).astype(int)
    b = np.asarray(Image.open(tmp_path / "g16-stylized.png").convert("RGB")).astype(int)
    assert np.abs(a - b).mean() < 2  # the same picture at any bit depth


def test_rgba_to_jpeg_shows_no_hidden_pixels(tmp_path: Path, images_dir: Path) -> None:
    """JPEG has no alpha: transparent areas are composited on white (as GIMP exports), not
    shown with whatever colour hides under them."""
    rgb = np.asarray(Image.open(images_dir / "beach.jpg").convert("RGB").resize((200, 150)))
    rgba = np.dstack([rgb, np.full((150, 200), 255, np.uint8)])
    rgba[:, :80, :3] = (255, 0, 0)  # hidden red
    rgba[:, :80, 3] = 0
    Image.fromarray(rgba).save(tmp_path / "c.png")
    r = _cli(str(tmp_path / "c.png"), "-s", str(images_dir / "udnie.jpg"), "-o",
             str(tmp_path / "out.jpg"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = np.asarray(Image.open(tmp_path / "out.jpg")).astype(int)
    assert out[:, :70].min() > 240  # white, no red
    assert np.abs(out[:, 90:] - rgb[:, 90:]).mean() > 10  # the visible part is stylized


@pytest.mark.parametrize("args", [
    ["--scale", "0"], ["--scale", "-1"], ["--scale", "nan"], ["--scale", "inf"],
    ["--scale", "5"], ["--threads", "0"], ["--threads", "-3"], ["--threads", "two"],
])
def test_bad_numbers_are_usage_errors(tmp_path: Path, images_dir: Path, args: List[str]) -> None:
    content = _photo(images_dir, tmp_path / "c.png")
    r = _cli(str(content), "-s", str(images_dir / "udnie.jpg"), *args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert args[0] in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "c-stylized.png").exists()
