"""Small clips for the animate tests, made from the sample photos (never committed media)."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def animate(*args: str, cwd: Path, env: Optional[dict] = None,
            quiet: bool = True) -> subprocess.CompletedProcess:
    full = dict(os.environ, PYTHONPATH=str(REPO / "plugin"), **(env or {}))
    cmd = [sys.executable, "-m", "style_transfer.cli", "animate", *args]
    if quiet:
        cmd.append("-q")
    return subprocess.run(cmd, cwd=cwd, env=full, capture_output=True, text=True, timeout=600)


def stills(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO / "plugin"))
    return subprocess.run([sys.executable, "-m", "style_transfer.cli", "-q", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


def pan(images_dir: Path, n: int = 6, step: int = 3, name: str = "stata.jpg",
        size=(192, 128)) -> List[np.ndarray]:
    im = Image.open(images_dir / name).convert("RGB")
    im = im.resize((im.width * 200 // im.height, 200))
    w, h = size
    return [np.asarray(im.crop((step * i, 30, step * i + w, 30 + h))) for i in range(n)]


def sprite(n: int = 4, w: int = 128, h: int = 96) -> List[np.ndarray]:
    """A textured square crossing a transparent canvas."""
    rng = np.random.default_rng(5)
    tex = rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)
    frames = []
    for i in range(n):
        f = np.zeros((h, w, 4), np.uint8)
        x = 16 + 8 * i
        f[28:68, x:x + 40, :3] = tex
        f[28:68, x:x + 40, 3] = 255
        frames.append(f)
    return frames


def save_animation(path: Path, frames: Sequence[np.ndarray], durations: Sequence[int],
                   loop: int = 0, **kw) -> None:
    ims = [Image.fromarray(f) for f in frames]
    fmt = {".gif": "GIF", ".webp": "WEBP", ".png": "PNG"}[path.suffix]
    ims[0].save(path, format=fmt, save_all=True, append_images=ims[1:], duration=list(durations),
                loop=loop, **kw)


def read_animation(path: Path):
    """(frames as RGBA arrays, durations in ms, loop) of an animated image."""
    frames, durations = [], []
    with Image.open(path) as im:
        loop = im.info.get("loop")
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            im.load()
            frames.append(np.asarray(im.convert("RGBA")))
            durations.append(im.info.get("duration"))
    return frames, durations, loop


def make_video(path: Path, frames: Sequence[np.ndarray], fps: Fraction, fmt: Optional[str] = None,
               vcodec: str = "libx264", acodec: Optional[str] = "aac",
               full_range: bool = True) -> None:
    """A video with PyAV: BT.709 primaries/matrix, full or limited range, and a 2-tone stereo
    audio track as long as the video."""
    import av

    c = av.open(str(path), "w", format=fmt)
    h, w = frames[0].shape[:2]
    vs = c.add_stream(vcodec, rate=fps)
    vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
    cc = vs.codec_context
    cc.color_range = 2 if full_range else 1  # JPEG (full) / MPEG (limited)
    cc.color_primaries, cc.color_trc, cc.colorspace = 1, 1, 1  # BT.709
    audio = None
    if acodec:
        audio = c.add_stream(acodec, rate=48000)
        audio.layout = "stereo"
    for i, f in enumerate(frames):
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(f[:, :, :3]), format="rgb24")
        vf = vf.reformat(format="yuv420p", dst_colorspace=1, dst_color_range=cc.color_range)
        vf.pts = i
        for p in vs.encode(vf):
            c.mux(p)
    for p in vs.encode(None):
        c.mux(p)
    if audio is not None:
        n = int(48000 * len(frames) / fps)
        t = np.arange(n) / 48000
        samples = (np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)])
                   * 0.3).astype(np.float32)
        step = audio.codec_context.frame_size or 1024
        for k in range(0, n, step):
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, k:k + step]),
                                            format="fltp", layout="stereo")
            af.sample_rate, af.pts = 48000, k
            for p in audio.encode(af):
                c.mux(p)
        for p in audio.encode(None):
            c.mux(p)
    c.close()


def probe(path: Path) -> dict:
    """What a video holds: streams, rate, frame count, colour tags, audio packets."""
    import av

    with av.open(str(path)) as c:
        v = c.streams.video[0]
        cc = v.codec_context
        info = {"rate": v.average_rate, "codec": cc.name, "width": cc.width, "height": cc.height,
                "color_range": int(cc.color_range), "color_primaries": int(cc.color_primaries),
                "color_trc": int(cc.color_trc), "colorspace": int(cc.colorspace),
                "audio": [s.codec_context.name for s in c.streams.audio]}
        times = [f.time for f in c.decode(v)]
    info["frames"] = len(times)
    info["times"] = times
    if info["audio"]:
        with av.open(str(path)) as c:
            a = c.streams.audio[0]
            packets = [p for p in c.demux(a) if p.size]
            info["audio_packets"] = len(packets)
            info["audio_bytes"] = sum(p.size for p in packets)
    return info
