"""`style-transfer animate` on bad input: one line each, nothing written, nothing half-made."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from fractions import Fraction
from pathlib import Path
from typing import List

import numpy as np
import pytest
from animate_clips import REPO, animate, make_video, pan, save_animation
from ctrl_c import cli_command
from PIL import Image


@pytest.fixture()
def style(images_dir: Path) -> str:
    return str(images_dir / "udnie.jpg")


def _one_line(r: subprocess.CompletedProcess) -> str:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    return lines[0]


def _frames_dir(path: Path, frames: List[np.ndarray], names=None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        Image.fromarray(f).save(path / f"{(names or [])[i] if names else f'f{i + 1:02d}'}.png")
    return path


def _leftovers(folder: Path) -> List[str]:
    return sorted(p.name for p in folder.rglob(".*") if ".style-transfer-frames" not in p.name)


def test_one_frame_works_and_says_so(tmp_path: Path, images_dir: Path, style: str) -> None:
    still = tmp_path / "still.png"
    Image.fromarray(pan(images_dir, 1)[0]).save(still)
    r = animate(str(still), "-s", style, "-o", str(tmp_path / "out.gif"), cwd=tmp_path,
                quiet=False)
    assert r.returncode == 0, r.stderr
    assert "has 1 frame" in r.stderr
    with Image.open(tmp_path / "out.gif") as im:
        assert getattr(im, "n_frames", 1) == 1


def test_frames_of_different_sizes(tmp_path: Path, images_dir: Path, style: str) -> None:
    frames = pan(images_dir, 3)
    src = _frames_dir(tmp_path / "frames", frames)
    Image.fromarray(frames[0][:100, :150]).save(src / "f02.png")
    out = tmp_path / "out.mp4"
    r = animate(str(src), "-s", style, "-o", str(out), cwd=tmp_path)
    line = _one_line(r)
    assert r.returncode == 1 and "f02.png is 150x100" in line and "f01.png is 192x128" in line
    assert not out.exists() and _leftovers(tmp_path) == []


@pytest.mark.parametrize("out_name", ["out.gif", "out"])
def test_corrupt_frame_in_the_middle(tmp_path: Path, images_dir: Path, style: str,
                                     out_name: str) -> None:
    frames = pan(images_dir, 5)
    src = _frames_dir(tmp_path / "frames", frames)
    good = (src / "f03.png").read_bytes()
    (src / "f03.png").write_bytes(good[: len(good) // 2])  # the header reads, the pixels not
    out = tmp_path / out_name
    r = animate(str(src), "-s", style, "-o", str(out), cwd=tmp_path)
    line = _one_line(r)
    assert r.returncode == 1 and "f03.png" in line and "--keep-going" in line
    assert not out.exists() and _leftovers(tmp_path) == []
    r = animate(str(src), "-s", style, "-o", str(out), "--keep-going", cwd=tmp_path)
    assert r.returncode == 1 and "skipped 1 unreadable frame" in r.stderr and "f03.png" in r.stderr
    if out_name == "out":
        assert sorted(p.name for p in out.glob("*.png")) == ["f01.png", "f02.png", "f04.png",
                                                             "f05.png"]
    else:
        with Image.open(out) as im:
            assert im.n_frames == 4
    # not an image at all: named before any frame is rendered
    (src / "f03.png").write_text("not a picture", encoding="utf-8")
    r = animate(str(src), "-s", style, "-o", str(tmp_path / "x.gif"), cwd=tmp_path)
    assert r.returncode == 1 and "f03.png: cannot read" in _one_line(r)


def test_video_without_a_video_stream(tmp_path: Path, style: str) -> None:
    av = pytest.importorskip("av")
    sound = tmp_path / "sound.mp4"
    with av.open(str(sound), "w") as c:
        a = c.add_stream("aac", rate=48000)
        a.layout = "stereo"
        samples = np.zeros((2, 48000), np.float32)
        for k in range(0, 48000, 1024):
            f = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, k:k + 1024]),
                                           format="fltp", layout="stereo")
            f.sample_rate, f.pts = 48000, k
            for p in a.encode(f):
                c.mux(p)
        for p in a.encode(None):
            c.mux(p)
    r = animate(str(sound), "-s", style, "-o", str(tmp_path / "out.mp4"), cwd=tmp_path)
    assert r.returncode == 1 and "has no video stream (only audio)" in _one_line(r)
    assert not (tmp_path / "out.mp4").exists()


def test_unknown_container_and_output_type(tmp_path: Path, style: str) -> None:
    junk = tmp_path / "clip.xyz"
    junk.write_bytes(os.urandom(4096))
    r = animate(str(junk), "-s", style, "-o", str(tmp_path / "out.gif"), cwd=tmp_path)
    assert r.returncode == 1 and "unknown clip type" in _one_line(r)
    bad_mp4 = tmp_path / "clip.mp4"
    bad_mp4.write_bytes(os.urandom(4096))
    r = animate(str(bad_mp4), "-s", style, "-o", str(tmp_path / "out.gif"), cwd=tmp_path)
    assert r.returncode == 1 and "cannot read this video" in _one_line(r)
    r = animate(str(bad_mp4), "-s", style, "-o", str(tmp_path / "out.avi"), cwd=tmp_path)
    assert r.returncode == 2 and "unknown output type '.avi'" in _one_line(r)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "clip.xyz"]


def test_zero_frames(tmp_path: Path, style: str) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no frames here", encoding="utf-8")
    r = animate(str(empty), "-s", style, "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert r.returncode == 1 and "holds no frames" in _one_line(r)
    r = animate(str(tmp_path / "none*.png"), "-s", style, "-o", str(tmp_path / "out"),
                cwd=tmp_path)
    assert r.returncode == 1 and "matches no frame" in _one_line(r)
    assert not (tmp_path / "out").exists()


def test_output_inside_the_input_folder(tmp_path: Path, images_dir: Path, style: str) -> None:
    src = _frames_dir(tmp_path / "frames", pan(images_dir, 2))
    for out in (src / "styled", src / "clip.gif", src):
        r = animate(str(src), "-s", style, "-o", str(out), cwd=tmp_path)
        assert r.returncode == 1 and "inside the input folder" in _one_line(r), out
    r = animate(str(src / "*.png"), "-s", style, "-o", str(src / "out"), cwd=tmp_path)
    assert r.returncode == 1 and "inside the input folder" in _one_line(r)
    assert sorted(p.name for p in src.iterdir()) == ["f01.png", "f02.png"]
    # the clip file itself as the output
    gif = tmp_path / "a.gif"
    save_animation(gif, pan(images_dir, 2), [100, 100])
    r = animate(str(gif), "-s", style, "-o", str(gif), cwd=tmp_path)
    assert r.returncode == 2 and "would overwrite the input" in _one_line(r)


def test_output_folder_of_an_earlier_run(tmp_path: Path, images_dir: Path, style: str) -> None:
    frames = pan(images_dir, 5)
    long = _frames_dir(tmp_path / "long", frames)
    short = _frames_dir(tmp_path / "short", frames[:3], names=["a", "b", "c"])
    out = tmp_path / "out"
    assert animate(str(long), "-s", style, "-o", str(out), cwd=tmp_path).returncode == 0
    assert len(list(out.glob("*.png"))) == 5
    r = animate(str(short), "-s", style, "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "replaced the 5 frames of an earlier run" in _one_line(r)
    assert sorted(p.name for p in out.glob("*.png")) == ["a.png", "b.png", "c.png"]
    # images this command did not write: refused, nothing touched
    Image.fromarray(frames[0]).save(out / "mine.png")
    r = animate(str(long), "-s", style, "-o", str(out), cwd=tmp_path)
    assert r.returncode == 1 and "did not write (mine.png)" in _one_line(r)
    assert sorted(p.name for p in out.glob("*.png")) == ["a.png", "b.png", "c.png", "mine.png"]


@pytest.mark.parametrize("out_name", ["out.mp4", "out.gif", "out"])
def test_ctrl_c_mid_clip_leaves_nothing(tmp_path: Path, images_dir: Path, style: str,
                                        out_name: str) -> None:
    """SIGINT while frame 3 of 5 is held (engine.progress's test gate at "frame 3/5"):
    exit 130, no file at -o, no temporary file, an earlier run's frames untouched."""
    if out_name.endswith(".mp4"):
        pytest.importorskip("av")
    src = tmp_path / "clip.mp4"
    make_video(src, pan(images_dir, 5), Fraction(24))
    out = tmp_path / out_name
    earlier = None
    if out_name == "out":  # a folder with an earlier run's frames: they must survive
        r = animate(str(src), "-s", style, "-o", str(out), "--stability", "0", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        earlier = {p.name: p.read_bytes() for p in out.iterdir()}
    gate = tmp_path / "gate"
    env = dict(os.environ, PYTHONPATH=str(REPO / "plugin"),
               STYLE_TRANSFER_TEST_HOLD=f"frame 3/5@{gate}")
    proc = subprocess.Popen(cli_command("animate", str(src), "-s", style, "-o", str(out)),
                            env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (gate / "reached").exists() and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (gate / "reached").exists(), "the clip never reached frame 3"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "no partial output" in err
    if earlier is None:
        assert not out.exists()
    else:
        assert {p.name: p.read_bytes() for p in out.iterdir()} == earlier
    leftovers = [p.name for p in tmp_path.rglob(".*")
                 if p.name != ".style-transfer-frames.json"]
    assert leftovers == []


def test_stills_command_names_animate(tmp_path: Path, images_dir: Path, style: str) -> None:
    from animate_clips import stills

    gif = tmp_path / "anim.gif"
    save_animation(gif, pan(images_dir, 3), [100] * 3)
    r = stills(str(gif), "-s", style, cwd=tmp_path)
    line = _one_line(r)
    assert r.returncode == 1 and "3 frames" in line and "style-transfer animate" in line
    assert not (tmp_path / "anim-stylized.png").exists()
