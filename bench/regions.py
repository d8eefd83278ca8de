"""What painting by region costs (issue 12): a 2-region render and a strength-map render of a
1024² photo against a single render, in one process, warm, median of --runs.

    .venv/bin/python bench/regions.py [--size 1024] [--runs 3] [--runtime auto]

Target: a 2-region render under 2.5x a single render (each region is one render over the whole
picture, plus the per-pixel blend). Prints a table and writes JSON
(bench/results/regions.json).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable, Dict

import numpy as np
from common import (
    BENCH_DIR,
    CONTENT_IMAGE,
    STYLE_IMAGE,
    ensure_engine_importable,
    images_dir,
    load_average,
    models_dir,
    warm_median,
)

ensure_engine_importable()


def main() -> None:
    from style_transfer.engine import Engine, RenderOptions
    from style_transfer.engine.images import load_image, resize_float, to_float
    from style_transfer.engine.regions import PaintMaps, Region, paint

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--runtime", default="auto", choices=["auto", "openvino", "litert"])
    ap.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "regions.json")
    a = ap.parse_args()
    n = a.size
    images = images_dir()
    photo = to_float(load_image(images / CONTENT_IMAGE))[:, :, :3]
    content = np.rint(resize_float(photo, (n, n)) * 255).astype(np.uint8)
    engine = Engine(models=models_dir(), runtime=a.runtime)
    style1 = engine.style_vector(load_image(images / STYLE_IMAGE))
    style2 = engine.style_vector(load_image(images / "stripes.jpg"))
    top = np.zeros((n, n), np.float32)
    top[: n // 2] = 1.0
    ramp = np.repeat(np.linspace(0, 1, n, dtype=np.float32)[None, :], n, axis=0)
    opts = RenderOptions(scale=1.0)
    load = load_average()
    cases: Dict[str, Callable[[], Any]] = {
        "single render": lambda: engine.stylize(content, [style1], options=opts),
        "2 regions (half / half)": lambda: paint(
            engine, content, [], None, opts,
            PaintMaps(regions=[Region(top, [style1]), Region(1.0 - top, [style2])])),
        "strength map (smooth ramp: 3 levels)": lambda: paint(
            engine, content, [style1], None, opts, PaintMaps(strength_map=ramp)),
    }
    result: Dict[str, Any] = {"size": n, "runtime": engine.runtime_status(),
                              "load_average": load}
    for name, fn in cases.items():
        result[name] = round(warm_median(fn, a.runs), 3)
    single = result["single render"]
    print(f"| {n}² at --scale 1, {result['runtime']} | s (median of {a.runs}) | × single |")
    print("|---|---|---|")
    for name in cases:
        print(f"| {name} | {result[name]:.2f} | {result[name] / single:.2f}× |")
    ratio = result["2 regions (half / half)"] / single
    result["two_region_ratio"] = round(ratio, 2)
    print(f"target: 2 regions < 2.5× a single render: {ratio:.2f}× "
          f"({'met' if ratio < 2.5 else 'NOT met'}); load average {load}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
