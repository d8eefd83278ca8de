"""OpenVINO against LiteRT, as a user meets them: the whole `style-transfer` process (start-up,
decode, render, encode) per runtime, its peak RSS, the naive one-call script, and model time
alone. The targets of issue 11.

    .venv/bin/python bench/runtimes.py [--runs 3] [--sizes 64,512,1024,2048,4096]

Every process is new ("first render in a new process"); OpenVINO's on-disk compile cache is
warm after the first run, as it is for a user after the first use. Other engineers share the
2 cores: a loaded machine inflates everything, so the load average is printed with the table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from common import (
    CONTENT_IMAGE,
    STYLE_IMAGE,
    ensure_engine_importable,
    images_dir,
    load_average,
    models_dir,
)

ensure_engine_importable()

RUNTIMES = ("openvino", "litert")
NAIVE_MAX = 1536  # the dynamic model fails above ~1800 px in one call

# The naive path a first attempt would write: LiteRT, the whole image in one call.
NAIVE = r"""
import sys, numpy as np
from PIL import Image
from ai_edge_litert.interpreter import Interpreter
content, style, out, models = sys.argv[1:5]
def load(path, size=None):
    im = Image.open(path).convert("RGB")
    return np.asarray(im.resize(size) if size else im, np.float32)[None] / 255
p = Interpreter(model_path=models + "/style_predict_int8_256.tflite"); p.allocate_tensors()
p.set_tensor(p.get_input_details()[0]["index"], load(style, (256, 256))); p.invoke()
vec = p.get_tensor(p.get_output_details()[0]["index"])
x = load(content)
t = Interpreter(model_path=models + "/style_transfer_int8_dynamic.tflite")
inp = {d["shape"][-1]: d["index"] for d in t.get_input_details()}
t.resize_tensor_input(inp[3], x.shape); t.allocate_tensors()
t.set_tensor(inp[3], x); t.set_tensor(inp[100], vec); t.invoke()
y = t.get_tensor(t.get_output_details()[0]["index"])[0]
Image.fromarray((np.clip(y, 0, 1) * 255 + 0.5).astype(np.uint8)).save(out)
"""


def timed_process(cmd: List[str], env: Dict[str, str]) -> Tuple[float, float]:
    """(wall seconds, peak RSS MB) of one new process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode() if proc.stderr else ""
    if status != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}… failed: {err.strip()[-500:]}")
    return wall, usage.ru_maxrss / 1024.0


def median_runs(cmd: List[str], env: Dict[str, str], runs: int) -> Tuple[float, float, float]:
    """(median wall, min wall, max peak RSS MB) over `runs` new processes."""
    walls, rss = [], []
    for _ in range(runs):
        w, r = timed_process(cmd, env)
        walls.append(w)
        rss.append(r)
    return statistics.median(walls), min(walls), max(rss)


def model_seconds(size: int, repeat: int) -> Dict[str, float]:
    """Warm model time at size^2 in this process: OpenVINO one call, LiteRT our tiles
    (what --runtime litert runs) and LiteRT one call (the naive path)."""
    import numpy as np
    from style_transfer.engine import Engine
    from style_transfer.engine.images import load_image, resize_float, rgb_float
    from style_transfer.engine.tiles import TileRenderer, plan_tiles

    engine = Engine(models=models_dir())
    vec = engine.style_vector(load_image(images_dir() / STYLE_IMAGE))
    x = np.clip(resize_float(rgb_float(load_image(images_dir() / CONTENT_IMAGE)),
                             (size, size)), 0, 1)
    out: Dict[str, float] = {}

    def best(fn) -> float:
        fn()  # warm: compile / allocate for this size
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    from style_transfer.engine.progress import Progress

    for runtime in RUNTIMES:
        net = engine.network("int8", runtime)
        plan = plan_tiles(size, size, net)

        def ours(net=net) -> None:
            TileRenderer(net, vec, Progress(None, None)).render(
                size, size, lambda y, x0, th, tw: x[y:y + th, x0:x0 + tw],
                lambda *a: None, None, (0.0, 1.0))

        out[f"{runtime} ({plan.count} call{'s' if plan.count > 1 else ''})"] = best(ours)
    if size <= NAIVE_MAX:
        naive = engine.network("int8", "litert")
        out["litert one call"] = best(lambda: naive.transform(x, vec))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3, help="new processes per figure (median)")
    ap.add_argument("--sizes", default="64,512,1024,2048,4096")
    ap.add_argument("--model-sizes", default="512,1024")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" /
                    "runtimes.json")
    args = ap.parse_args()
    from PIL import Image

    models, images = models_dir(), images_dir()
    env = dict(os.environ, STYLE_TRANSFER_MODELS=str(models), STYLE_TRANSFER_OFFLINE="1")
    env.pop("STYLE_TRANSFER_RUNTIME", None)
    style = str(images / STYLE_IMAGE)
    results: Dict[str, Dict[str, Optional[List[float]]]] = {}
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="st-runtimes-") as tmp:
        work = Path(tmp)
        src = Image.open(images / CONTENT_IMAGE).convert("RGB")
        for size in (int(s) for s in args.sizes.split(",")):
            content = work / f"c{size}.png"
            src.resize((size, size), Image.LANCZOS).save(content)
            runs = args.runs if size <= 2048 else 1
            for scale in (["1", "auto"] if size > 1024 else ["1"]):
                row: Dict[str, Optional[List[float]]] = {}
                for runtime in RUNTIMES:
                    cmd = [sys.executable, "-m", "style_transfer.cli", str(content), "-s", style,
                           "--scale", scale, "-q", "--runtime", runtime, "-o",
                           str(work / f"o_{runtime}.png")]
                    row[runtime] = list(median_runs(cmd, env, runs))
                if scale == "1" and size <= NAIVE_MAX:
                    cmd = [sys.executable, "-c", NAIVE, str(content), style,
                           str(work / "naive.png"), str(models)]
                    row["naive"] = list(median_runs(cmd, env, runs))
                results[f"{size}² scale {scale}"] = row
                print(f"{size}² --scale {scale}: {json.dumps(row)}", file=sys.stderr, flush=True)
    model = {f"{s}²": model_seconds(int(s), 3) for s in args.model_sizes.split(",")}
    load_after = load_average()
    print(f"\nload average before/after: {load_before} / {load_after}\n")
    print("| image | --scale | OpenVINO s (min) | LiteRT s (min) | naive one-call script s | "
          "vs LiteRT | vs naive | peak RSS MB OpenVINO / LiteRT / naive |")
    print("|---|---|---|---|---|---|---|---|")
    for name, row in results.items():
        size, _, scale = name.partition(" scale ")
        ov, lt, nv = row["openvino"], row["litert"], row.get("naive")
        assert ov is not None and lt is not None
        vs_naive = f"{nv[0] / ov[0]:.2f}×" if nv else "n/a"
        naive_s = f"{nv[0]:.2f}" if nv else "n/a (fails)"
        rss = f"{ov[2]:.0f} / {lt[2]:.0f} / " + (f"{nv[2]:.0f}" if nv else "n/a")
        print(f"| {size} | {scale} | {ov[0]:.2f} ({ov[1]:.2f}) | {lt[0]:.2f} ({lt[1]:.2f}) | "
              f"{naive_s} | {lt[0] / ov[0]:.2f}× | {vs_naive} | {rss} |")
    print("\n| image | warm model time s |")
    print("|---|---|")
    for name, figures in model.items():
        print(f"| {name} | " + ", ".join(f"{k}: {v:.3f}" for k, v in figures.items()) + " |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"processes": results, "model": model,
                                    "load": [load_before, load_after]}, indent=1),
                        encoding="utf-8")


if __name__ == "__main__":
    main()
