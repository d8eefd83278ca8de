"""`style-transfer animate` on the real models: every container in and out, timings, audio,
colour tags, alpha, names, bit-identity with the stills command at stability 0, metrics."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from animate_clips import (
    animate,
    make_video,
    pan,
    probe,
    read_animation,
    save_animation,
    sprite,
    stills,
)
from PIL import Image

pytest.importorskip("av")


@pytest.fixture()
def style(images_dir: Path) -> str:
    return str(images_dir / "udnie.jpg")


def _png(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


def test_folder_keeps_names_and_stability_0_is_the_stills_command(
        tmp_path: Path, images_dir: Path, style: str) -> None:
    frames = pan(images_dir, 4)
    src = tmp_path / "frames"
    src.mkdir()
    names = ["shot2", "shot10", "shot1", "shot3"]  # natural order: 1, 2, 3, 10
    for name, f in zip(names, frames):
        Image.fromarray(f).save(src / f"{name}.png")
    r = animate(str(src), "-s", style, "-o", str(tmp_path / "out"), "--stability", "0",
                "--strength", "0.8", "--preserve-colors", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.glob("*.png")) == sorted(f"{n}.png" for n in names)
    r = stills(str(src), "-s", style, "-o", str(tmp_path / "stills"), "--strength", "0.8",
               "--preserve-colors", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for name in names:
        assert np.array_equal(_png(out / f"{name}.png"), _png(tmp_path / "stills" / f"{name}.png"))
    manifest = json.loads((out / ".style-transfer-frames.json").read_text())
    assert manifest["frames"] == ["shot1.png", "shot2.png", "shot3.png", "shot10.png"]


def test_a_held_frame_comes_out_identical(tmp_path: Path, images_dir: Path, style: str) -> None:
    """Frames exported on 2s: the repeated file comes out identical (no shimmer)."""
    f = pan(images_dir, 3)
    src = tmp_path / "held"
    src.mkdir()
    for i, frame in enumerate([f[0], f[1], f[1], f[2]]):
        Image.fromarray(frame).save(src / f"{i}.png")
    r = animate(str(src), "-s", style, "-o", str(tmp_path / "out"), cwd=tmp_path, quiet=False)
    assert r.returncode == 0, r.stderr
    assert "3 rendered, 1 held" in r.stderr
    outs = [_png(tmp_path / "out" / f"{i}.png") for i in range(4)]
    assert np.array_equal(outs[1], outs[2]) and not np.array_equal(outs[2], outs[3])


@pytest.mark.parametrize("ext", [".gif", ".webp", ".png"])
def test_animated_images_keep_durations_and_loop(tmp_path: Path, images_dir: Path, style: str,
                                                 ext: str) -> None:
    frames = pan(images_dir, 5, step=6)
    durations = [80, 120, 40, 200, 100]
    clip = tmp_path / f"clip{ext}"
    save_animation(clip, frames, durations, loop=3)
    out = tmp_path / f"out{ext}"
    r = animate(str(clip), "-s", style, "-o", str(out), cwd=tmp_path, quiet=False)
    assert r.returncode == 0, r.stderr
    assert "5 frames" in r.stderr and ("OpenVINO" in r.stderr or "LiteRT" in r.stderr)
    got, got_durations, loop = read_animation(out)
    assert len(got) == 5 and got[0].shape[:2] == frames[0].shape[:2]
    assert got_durations == durations and loop == 3
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("ext", [".gif", ".png"])
def test_transparent_frames_keep_their_alpha(tmp_path: Path, style: str, ext: str) -> None:
    frames = sprite(4)
    clip = tmp_path / f"cel{ext}"
    save_animation(clip, frames, [100] * 4, disposal=2 if ext == ".gif" else 1)
    src, _, _ = read_animation(clip)
    out = tmp_path / f"out{ext}"
    r = animate(str(clip), "-s", style, "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    got, _, _ = read_animation(out)
    assert len(got) == 4
    for a, b in zip(src, got):
        assert np.array_equal(a[..., 3] > 0, b[..., 3] > 0)  # GIF: 1-bit alpha
        if ext == ".png":
            assert np.array_equal(a[..., 3], b[..., 3])
        seen = a[..., 3] > 0
        assert np.abs(a[seen][:, :3].astype(int) - b[seen][:, :3]).mean() > 10  # stylized


def test_mp4_keeps_fps_audio_and_colour(tmp_path: Path, images_dir: Path, style: str) -> None:
    clip = tmp_path / "clip.mp4"
    make_video(clip, pan(images_dir, 8), Fraction(24), full_range=True)
    src = probe(clip)
    assert src["audio"] == ["aac"] and src["color_range"] == 2
    out = tmp_path / "out.mp4"
    r = animate(str(clip), "-s", style, "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    got = probe(out)
    assert got["frames"] == 8 and got["rate"] == 24 and got["codec"] == "h264"
    assert got["times"] == src["times"]
    for tag in ("color_range", "color_primaries", "color_trc", "colorspace"):
        assert got[tag] == src[tag], tag
    assert got["audio"] == ["aac"]
    assert got["audio_packets"] == src["audio_packets"]
    assert got["audio_bytes"] == src["audio_bytes"]  # copied, not re-encoded


def test_webm_keeps_fps_audio_and_limited_range(tmp_path: Path, images_dir: Path,
                                                style: str) -> None:
    clip = tmp_path / "clip.webm"
    make_video(clip, pan(images_dir, 6), Fraction(30), vcodec="libvpx-vp9", acodec="libopus",
               full_range=False)
    src = probe(clip)
    out = tmp_path / "out.webm"
    r = animate(str(clip), "-s", style, "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    got = probe(out)
    assert got["frames"] == 6 and got["codec"] == "vp9"
    assert [round(t, 3) for t in got["times"]] == [round(t, 3) for t in src["times"]]
    assert got["color_range"] == 1 and got["color_primaries"] == src["color_primaries"]
    assert got["audio"] == ["opus"] and got["audio_bytes"] == src["audio_bytes"]
    # a GIF's durations become the video's frame times
    gif = tmp_path / "clip.gif"
    save_animation(gif, pan(images_dir, 3), [100, 250, 100])
    r = animate(str(gif), "-s", style, "-o", str(tmp_path / "gif.webm"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert [round(t, 3) for t in probe(tmp_path / "gif.webm")["times"]] == [0.0, 0.1, 0.35]


def test_audio_the_container_cannot_hold_is_left_out_with_a_note(
        tmp_path: Path, images_dir: Path, style: str) -> None:
    clip = tmp_path / "clip.mp4"
    make_video(clip, pan(images_dir, 3), Fraction(24))
    r = animate(str(clip), "-s", style, "-o", str(tmp_path / "out.webm"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "audio track (aac) was left out" in r.stderr
    assert probe(tmp_path / "out.webm")["audio"] == []


def test_metrics_json(tmp_path: Path, images_dir: Path, style: str) -> None:
    clip = tmp_path / "pan.gif"
    save_animation(clip, pan(images_dir, 8), [50] * 8)
    m = tmp_path / "m.json"
    r = animate(str(clip), "-s", style, "-o", str(tmp_path / "out.gif"), "--metrics", str(m),
                cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(m.read_text())
    assert data["frames"] == 8 and data["rendered"] == 8 and data["stability"] > 0
    w = data["warp_error"]
    assert 0 <= w["content"] < w["stabilized"] < w["unstabilized"]
    assert data["ratio"] == pytest.approx(w["stabilized"] / w["unstabilized"])
    assert 20 < data["psnr_to_unstabilized_db"] < 99
    r = animate(str(clip), "-s", style, "-o", str(tmp_path / "out0.gif"), "--metrics", str(m),
                "--stability", "0", cwd=tmp_path)
    data = json.loads(m.read_text())
    assert data["ratio"] == 1.0 and data["warp_error"]["stabilized"] > 0
