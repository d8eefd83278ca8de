"""An animation Apply in real Krita (issue 17): 24 keyframes of 1920x1080 at Auto, the time a
painter waits, and what it costs beside the same keys stylized as stills.

    .venv/bin/python bench/krita_animation.py [--keys 24] [--size 1920x1080] [--runtime auto]

Installs the plugin with installer.py into a throw-away Krita resource folder, builds an
animated document (tests/krita/anim_fixture.py: keys on every other frame, a 3 px/frame pan
over a photo, so the keys move like footage), and inside Krita (kritarunner) times:
- Frames › All keyframes at stability 0 (every key alone: the stills path) and at the default;
- per key: the main thread's read and write, from the controller's log of each.
Prints a table and writes JSON (bench/results/krita_animation.json).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "krita"))


def inside_krita(args: List[str]) -> None:
    """Runs in Krita (kritarunner -s krita_animation -f inside_krita)."""
    out, pykrita, images, keys, size, runtime = args
    sys.path.insert(0, pykrita)
    n, (w, h) = int(keys), (int(v) for v in size.split("x"))
    result: Dict[str, Any] = {}
    try:
        from anim_fixture import animated_kra, keys_of
        from krita import Krita
        from krita_cases import load_rgba8, wait_finished
        from style_transfer.common.settings import JobSettings, StyleRef
        from style_transfer.krita import controller as ctlmod
        from style_transfer.krita import layers

        k = Krita.instance()
        photo = load_rgba8(f"{images}/stata.jpg", w + 6 * n, h)
        frames = {2 * i: layers.rgba_to_bytes(photo[:, 6 * i:6 * i + w].copy(), "U8")
                  for i in range(n)}
        kra = Path(out).with_name("bench-animation.kra")
        t = time.time()
        animated_kra(kra, frames, w, h, 2 * n - 1)
        result["fixture_seconds"] = round(time.time() - t, 2)
        del frames
        doc = k.openDocument(str(kra))
        src = next(c for c in doc.rootNode().childNodes() if c.name() == "anim")
        result["source_keys"] = len(keys_of(src, doc))
        base = JobSettings(styles=(StyleRef("file", f"{images}/udnie.jpg", "udnie"),),
                           runtime=runtime, frames="keys")
        ctl = ctlmod.controller()
        for label, settings in (("stability_0", base.replace(stability=0.0)),
                                ("default", base)):
            t = time.time()
            got = wait_finished(ctl, lambda s=settings: ctl.apply(s, doc, src))
            result[label] = round(time.time() - t, 2)
            result[label + "_message"] = got.get("message") or got.get("start_error")
            result[label + "_ui_ticks"] = got.get("ui_ticks")
            layer = got.get("layer")
            if layer is not None:
                result[label + "_keys"] = len(keys_of(layer, doc))
                layer.remove()
        result["runtime"] = ctl.engine().runtime_status()
        doc.close()
    except Exception:
        import traceback

        result["error"] = traceback.format_exc()
    Path(out).write_text(json.dumps(result), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keys", type=int, default=24)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--runtime", default="auto", choices=["auto", "openvino", "litert"])
    ap.add_argument("--out", type=Path, default=HERE / "results" / "krita_animation.json")
    a = ap.parse_args()
    from common import images_dir, load_average, models_dir
    from kritatest import installed, user_env

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        pykrita = installed(home, models_dir())
        env = user_env(home)
        env.update(QT_QPA_PLATFORM="offscreen",
                   PYTHONPATH=os.pathsep.join([str(HERE), str(REPO / "tests" / "krita")]),
                   PATH="/usr/sbin:/usr/bin:/sbin:/bin")  # pyenv shims break Krita's Python
        env.pop("STYLE_TRANSFER_MODELS", None)  # the installed copy's own model cache
        out = home / "result.json"
        load = load_average()
        subprocess.run(["kritarunner", "-s", "krita_animation", "-f", "inside_krita", str(out),
                        str(pykrita), str(images_dir()), str(a.keys), a.size, a.runtime],
                       env=env, cwd=str(home), capture_output=True, timeout=3600)
        if not out.is_file():
            sys.exit("kritarunner wrote no result")
        r = json.loads(out.read_text())
    if "error" in r:
        sys.exit(r["error"])
    r.update(keys=a.keys, size=a.size, load_average=load)
    print(f"| {a.keys} keys of {a.size}, Auto, {r['runtime']} | seconds | per key |\n|---|---|---|")
    for key, label in (("stability_0", "All keyframes, stability 0 (stills path)"),
                       ("default", "All keyframes, default stability")):
        print(f"| {label} | {r[key]:.1f} | {r[key] / a.keys:.2f} |")
    print(f"load average {load}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(r, indent=1))
    print(json.dumps(r))


if __name__ == "__main__":
    main()
