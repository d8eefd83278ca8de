"""Whole-process cost of `style-transfer animate` (issue 17): time and peak memory.

    .venv/bin/python bench/animate_process.py [--frames 120] [--size 1280x720]
        [--outputs folder,mp4,webm,gif,apng,webp] [--no-stills]

Makes a clip of --frames frames (a 3 px/frame camera pan over stata.jpg, PNG files in a
temporary folder), then runs, each as a fresh process:
- the stills command on the frames' folder (`style-transfer FRAMES -o DIR/`): per-frame cost;
- `style-transfer animate FRAMES -o OUT` at the default stability, for each output type, and
  at stability 0 into a folder (the clip path without the stabiliser).
Targets: animate at the default stability into a folder <= 1.5x the stills command; peak RSS
< 1.5 GB for 120 frames of 1280x720. Peak RSS is the child's own VmHWM (read at its exit: the
parent's memory does not count). Prints a table and writes JSON
(bench/results/animate_process.json).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

from common import (
    BENCH_DIR,
    CONTENT_IMAGE,
    REPO,
    STYLE_IMAGE,
    images_dir,
    load_average,
    machine_info,
    models_dir,
)

ENV_REPORT = "STYLE_TRANSFER_BENCH_REPORT"


def child() -> None:
    """Run the CLI in this process and write this process's peak RSS at its exit."""
    sys.path.insert(0, str(REPO / "plugin"))
    from common import peak_rss_mb
    from style_transfer.cli import main

    rc = main(sys.argv[2:])
    Path(os.environ[ENV_REPORT]).write_text(json.dumps({"rc": rc, "peak_rss_mb": peak_rss_mb()}))
    sys.exit(rc)


def make_clip(folder: Path, frames: int, w: int, h: int) -> None:
    from PIL import Image

    im = Image.open(images_dir() / CONTENT_IMAGE).convert("RGB")
    need_w = w + 3 * frames
    scale = max(need_w / im.width, h / im.height)
    im = im.resize((round(im.width * scale) + 1, round(im.height * scale) + 1), Image.LANCZOS)
    top = (im.height - h) // 2
    folder.mkdir(parents=True)
    for i in range(frames):
        im.crop((3 * i, top, 3 * i + w, top + h)).save(folder / f"frame{i + 1}.png",
                                                         compress_level=1)


def run(argv: List[str], work: Path) -> Dict[str, Any]:
    report = work / "report.json"
    report.unlink(missing_ok=True)
    env = dict(os.environ, **{ENV_REPORT: str(report)})
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", *argv],
                       env=env, capture_output=True, text=True, cwd=str(BENCH_DIR))
    seconds = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} failed ({p.returncode}): {p.stderr[-2000:]}")
    data = json.loads(report.read_text())
    data["seconds"] = round(seconds, 2)
    data["stderr_tail"] = p.stderr.strip().splitlines()[-3:]
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--outputs", default="folder,mp4")
    ap.add_argument("--no-stills", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    models_dir()  # exported for the children
    style = str(images_dir() / STYLE_IMAGE)
    work = Path(tempfile.mkdtemp(prefix="st-animate-bench-"))
    rows: List[Dict[str, Any]] = []
    try:
        frames = work / "frames"
        t0 = time.perf_counter()
        make_clip(frames, args.frames, w, h)
        print(f"clip: {args.frames} frames of {w}x{h} made in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        jobs = []
        if not args.no_stills:
            jobs.append(("stills command -> PNGs", [str(frames), "-s", style, "-q", "-o",
                                                   str(work / "stills") + "/"]))
        ext = {"folder": "/", "mp4": ".mp4", "webm": ".webm", "gif": ".gif", "apng": ".png",
               "webp": ".webp"}
        for out in args.outputs.split(","):
            target = str(work / f"out-{out}") + ext[out] if out != "folder" \
                else str(work / "out-folder")
            jobs.append((f"animate -> {out}", ["animate", str(frames), "-s", style, "-q", "-o",
                                               target]))
            if out == "folder":
                jobs.append(("animate --stability 0 -> folder",
                             ["animate", str(frames), "-s", style, "-q", "--stability", "0",
                              "-o", str(work / "out-folder0")]))
        for name, argv in jobs:
            load = load_average()
            r = run(argv, work)
            rows.append({"run": name, "seconds": r["seconds"],
                         "per_frame_s": round(r["seconds"] / args.frames, 3),
                         "peak_rss_mb": round(r["peak_rss_mb"]), "load_before": load})
            print(f"{name}: {r['seconds']:.1f} s, peak {r['peak_rss_mb']:.0f} MB",
                  file=sys.stderr)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    base = next((r["seconds"] for r in rows if r["run"].startswith("stills")), None)
    for r in rows:
        r["vs_stills"] = round(r["seconds"] / base, 2) if base else None
    print(f"\n{args.frames} frames of {w}x{h}, style {STYLE_IMAGE}, whole processes\n")
    print("| run | s | s/frame | x stills | peak RSS MB |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['run']} | {r['seconds']:.1f} | {r['per_frame_s']:.3f} | "
              f"{r['vs_stills'] if r['vs_stills'] is not None else '-'} | {r['peak_rss_mb']} |")
    result = {"frames": args.frames, "size": [w, h], "rows": rows, "machine": machine_info()}
    out = BENCH_DIR / "results" / "animate_process.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child()
    else:
        main()
