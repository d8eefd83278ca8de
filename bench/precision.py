"""Which network and OpenVINO precision each *Model* choice should use: PSNR against LiteRT's
f16 network at 384^2 on real photos, and the time of one warm call at 384^2 and 1024^2.

    .venv/bin/python bench/precision.py [--images DIR] [--repeat 5]

Prints a markdown table (the README's "Runtimes" table). Runs in one process; the style network
(LiteRT) gives the vectors. The machine's other users share its cores: re-run odd figures.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from common import ensure_engine_importable, warm_median

ensure_engine_importable()

from style_transfer.engine.images import load_image, resize_float, rgb_float  # noqa: E402
from style_transfer.engine.quality import psnr  # noqa: E402
from style_transfer.engine.runtime import LiteRTNetwork  # noqa: E402

PHOTOS = ("stata.jpg", "golden_gate.jpg", "chicago.jpg")
STYLE = "udnie.jpg"
FILES = {
    "transformer-f16": "style_transfer_f16_384.tflite",
    "transformer-int8-dynamic": "style_transfer_int8_dynamic.tflite",
    "transformer-int8": "style_transfer_int8_384.tflite",
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", default=os.environ.get("STYLE_TRANSFER_IMAGES",
                                                      "../shared/images"))
    ap.add_argument("--models", default=os.environ.get("STYLE_TRANSFER_MODELS",
                                                      "../shared/models"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    images, models = Path(args.images), Path(args.models)
    from style_transfer.engine.openvino_backend import OpenVINONetwork, default_precision

    pred = LiteRTNetwork(models / "style_predict_int8_256.tflite")
    style = resize_float(rgb_float(load_image(images / STYLE)), (256, 256)).clip(0, 1)
    vec = pred.predict(style)
    photos = [rgb_float(load_image(images / p)) for p in PHOTOS]
    small = [resize_float(p, (384, 384)).clip(0, 1) for p in photos]
    big = resize_float(photos[0], (1024, 1024)).clip(0, 1)
    ref_net = LiteRTNetwork(models / FILES["transformer-f16"])
    refs = [ref_net.transform(x, vec) for x in small]
    rows: List[Tuple[str, str, str, List[float], float, Optional[float]]] = []

    def measure(label: str, net_id: str, runtime: str, net: Any, precision: str) -> None:
        outs = [net.transform(x, vec) for x in small]
        dbs = [psnr(o, r) for o, r in zip(outs, refs)]
        t384 = warm_median(lambda: net.transform(small[0], vec), args.repeat)
        t1024: Optional[float] = None
        if net.dynamic:
            t1024 = warm_median(lambda: net.transform(big, vec), max(1, args.repeat // 2))
        rows.append((label, net_id, runtime + (f" {precision}" if precision else ""), dbs,
                     t384, t1024))
        print(rows[-1], flush=True)

    for net_id, file in FILES.items():
        net = LiteRTNetwork(models / file, dynamic=net_id.endswith("dynamic"), workers=1)
        measure("", net_id, "LiteRT", net, "")
        net.close()
    precisions: Dict[str, Optional[str]] = {"f32": "f32", "default": None}
    for net_id, file in FILES.items():
        for name, hint in precisions.items():
            net = OpenVINONetwork(models / file, precision=hint)
            real = hint or default_precision()
            if name == "default" and real == "f32":
                continue  # the same compile as f32 on this CPU
            measure("", net_id, "OpenVINO", net, real)
            net.close()
    print("\n| network | runtime, precision | PSNR vs LiteRT f16 at 384² dB (" +
          ", ".join(p.split(".")[0] for p in PHOTOS) + ") | 384² warm ms | 1024² one call ms |")
    print("|---|---|---|---|---|")
    for _, net_id, runtime, dbs, t384, t1024 in rows:
        db = " / ".join("∞" if d > 99 else f"{d:.1f}" for d in dbs)
        big_ms = f"{t1024 * 1000:.0f}" if t1024 is not None else "fixed 384²"
        print(f"| {net_id} | {runtime} | {db} | {t384 * 1000:.0f} | {big_ms} |")


if __name__ == "__main__":
    main()
