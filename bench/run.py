"""Benchmark of issue #5: speed, memory, baselines and quality of our render path, one command.

    .venv/bin/python bench/run.py            # full run (< 10 min on 2 cores), table + JSON
    .venv/bin/python bench/run.py --quick    # no 4096², no f16: a fast iteration loop

Each size and scale is measured in fresh child processes (this file with --child) so that peak
RSS belongs to one render and no run warms another's caches. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
from common import (
    BENCH_DIR,
    CONTENT_IMAGE,
    STYLE_IMAGE,
    engine_info,
    ensure_engine_importable,
    images_dir,
    load_average,
    machine_info,
    models_dir,
)

ensure_engine_importable()

DEFAULT_SIZES = (384, 1024, 2048, 4096)
SCALES = ("1", "auto")
PLAIN_TILES_MAX = 4096  # the seam reference costs as much model time as our own render
ABOVE_ROW = (1024, "4")  # painting above the image's size (hosts offer 4x): its memory budget


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="skip 4096² and the f16 model")
    p.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",") if x],
                   help="square content sizes, comma separated (default 384,1024,2048,4096)")
    p.add_argument("--preview", type=int, default=512, help="preview size in px (0 = skip)")
    p.add_argument("--scales", default=",".join(SCALES), help="'1', 'auto' or both (default)")
    p.add_argument("--budget", type=float, default=6.0,
                   help="repeat a timed render while under this many seconds (max --max-runs)")
    p.add_argument("--max-runs", type=int, default=3)
    p.add_argument("--no-plain-tiles", dest="plain_tiles", action="store_false",
                   help="skip the plain-tiles seam reference")
    p.add_argument("--profile", action="store_true",
                   help="one extra cProfile'd run of ours per row; hot spots go to the JSON")
    p.add_argument("--threads", type=int, help="Engine(threads=N) (default: the engine's)")
    p.add_argument("--workers", type=int, help="Engine(workers=N), if the engine has it")
    p.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "latest.json")
    # child side (internal)
    p.add_argument("--child", choices=["load", "ours", "naive"], help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, help=argparse.SUPPRESS)
    p.add_argument("--scale", help=argparse.SUPPRESS)
    p.add_argument("--work", help=argparse.SUPPRESS)
    p.add_argument("--images", help=argparse.SUPPRESS)
    p.add_argument("--models", type=lambda s: s.split(","), default=["int8"],
                   help=argparse.SUPPRESS)
    p.add_argument("--model", default="int8", help=argparse.SUPPRESS)
    p.add_argument("--plain-tiles", dest="plain_tiles_job", action="store_true",
                   help=argparse.SUPPRESS)
    return p.parse_args(argv)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def make_contents(images: Path, sizes: List[int], work: Path) -> None:
    """Test content at each size from one photo (Lanczos), saved once for all children."""
    from PIL import Image

    src = Image.open(images / CONTENT_IMAGE).convert("RGB")
    for s in sizes:
        np.save(work / f"content_{s}.npy", np.asarray(src.resize((s, s), Image.LANCZOS)))


class Children:
    """Starts the child jobs with the same interpreter and collects their JSON."""

    def __init__(self, args: argparse.Namespace, work: Path, images: Path) -> None:
        self.args, self.work, self.images = args, work, images
        self.counter = 0

    def engine_args(self) -> List[str]:
        out = []
        for name in ("threads", "workers"):
            if getattr(self.args, name):
                out += [f"--{name}", str(getattr(self.args, name))]
        return out

    def run(self, job: str, *extra: str) -> Optional[Dict[str, Any]]:
        self.counter += 1
        out = self.work / f"result_{self.counter}.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", job,
               "--work", str(self.work), "--images", str(self.images), "--out", str(out),
               "--budget", str(self.args.budget), "--max-runs", str(self.args.max_runs),
               *self.engine_args(), *extra]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:  # keep going: one failed size must not cost the whole run
            log(f"child {job} {' '.join(extra)} failed:\n{proc.stderr[-3000:]}")
            return {"error": proc.stderr.strip().splitlines()[-1:]}
        return json.loads(out.read_text(encoding="utf-8"))


def plan_rows(args: argparse.Namespace) -> List[Dict[str, Any]]:
    sizes = args.sizes or [s for s in DEFAULT_SIZES if not (args.quick and s > 2048)]
    rows = []
    targets = ([(args.preview, True)] if args.preview else []) + [(s, False) for s in sizes]
    for size, preview in targets:
        for scale in args.scales.split(","):
            label = f"preview {size}²" if preview else f"{size}²"
            rows.append({"image": label, "size": size, "preview": preview, "scale": scale})
    if not args.sizes and args.scales == ",".join(SCALES):  # the default run: add it
        rows.append({"image": f"{ABOVE_ROW[0]}²", "size": ABOVE_ROW[0], "preview": False,
                     "scale": ABOVE_ROW[1]})
    return rows


def measure_row(row: Dict[str, Any], kids: Children, args: argparse.Namespace) -> None:
    models = "int8" if args.quick else "int8,f16"
    common = ["--size", str(row["size"]), "--scale", row["scale"], "--models", models]
    if args.profile:
        common.append("--profile")
    t0 = time.perf_counter()
    row["ours"] = kids.run("ours", *common)
    if args.plain_tiles and row["scale"] == "1" and row["size"] <= PLAIN_TILES_MAX:
        common.append("--plain-tiles")
    row["naive"] = kids.run("naive", *common)
    row["working"] = (row["ours"] or {}).get("working") or [row["size"], row["size"]]
    log(f"{row['image']} scale {row['scale']}: {time.perf_counter() - t0:.1f} s")


def add_quality(rows: List[Dict[str, Any]], work: Path, images: Path) -> None:
    from child import load_style
    from figures import Fidelity, quality_row
    from style_transfer.engine import Engine

    engine = Engine()
    fid = Fidelity(engine, load_style(images))
    for row in rows:
        row["quality"] = quality_row(engine, fid, work, row["size"], row["scale"],
                                     row["working"])


def run_bench(args: argparse.Namespace) -> int:
    from report import render_all, targets

    t0 = time.perf_counter()
    meta: Dict[str, Any] = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(), "engine": engine_info(), "load_start": load_average(),
        "content": CONTENT_IMAGE, "style": STYLE_IMAGE,
        "models_dir": str(models_dir()), "argv": sys.argv[1:],
    }
    images = images_dir()
    rows = plan_rows(args)
    with tempfile.TemporaryDirectory(prefix="st-bench-") as tmp:
        work = Path(tmp)
        make_contents(images, sorted({r["size"] for r in rows}), work)
        kids = Children(args, work, images)
        load = kids.run("load")
        log(f"load-only child: {load}")
        for row in rows:
            measure_row(row, kids, args)
        log("quality figures")
        add_quality(rows, work, images)
    meta["load_end"] = load_average()
    meta["wall_seconds"] = time.perf_counter() - t0
    load_only = (load or {}).get("rss", {}).get("peak_mb")
    items = targets(rows, args.preview)
    text = render_all(meta, rows, load_only, items)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"meta": meta, "load_only": load, "rows": rows, "targets": items, "table": text}
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    log(f"wrote {args.out} in {meta['wall_seconds']:.0f} s")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    models_dir()  # fail early, and let children inherit STYLE_TRANSFER_MODELS
    if args.child:
        from child import child_main

        child_main(args)
        return 0
    return run_bench(args)


if __name__ == "__main__":
    sys.exit(main())
