"""First Apply in a fresh Krita (issue 11): how long a painter waits the first time, and after.

    .venv/bin/python bench/krita_first_apply.py [--size 1024] [--runtime auto]

Installs the plugin with installer.py into a throw-away Krita resource folder (the user's path),
starts real Krita headless (kritarunner) and, inside it, times:
- Krita start -> our script running (Krita's own start-up, for scale);
- the first Apply on a size x size photo layer (imports the engine, loads and compiles the
  models, renders, adds the layer) and a second Apply with the same settings;
- one preview (common/preview.py) after them.
OpenVINO's on-disk compile cache starts empty (a new cache folder), as on first use. Prints a
table and writes JSON (bench/results/krita_first_apply.json).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "krita"))


def inside_krita(args: List[str]) -> None:
    """Runs in Krita (kritarunner -s krita_first_apply -f inside_krita)."""
    t_script = time.time()
    out, pykrita, images, size, runtime = args[0], args[1], args[2], int(args[3]), args[4]
    sys.path.insert(0, pykrita)
    result: Dict[str, Any] = {"script_started": t_script}
    try:
        from krita import Krita
        from krita_cases import load_rgba8, make_doc, paint, wait_finished
        from style_transfer.common import preview
        from style_transfer.common.settings import JobSettings, StyleRef
        from style_transfer.krita import controller as ctlmod

        k = Krita.instance()
        doc = make_doc(k, size, size, "RGBA", "U8", "first-apply")
        src = doc.createNode("photo", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        paint(src, load_rgba8(f"{images}/golden_gate.jpg", size, size), 0, 0)
        settings = JobSettings(styles=(StyleRef("file", f"{images}/udnie.jpg", "udnie"),),
                               runtime=runtime)
        ctl = ctlmod.controller()
        for key in ("first_apply", "second_apply"):
            t = time.time()
            got = wait_finished(ctl, lambda: ctl.apply(settings, doc, src))
            result[key] = round(time.time() - t, 3)
            result[key + "_message"] = got.get("message") or got.get("start_error")
        engine = ctl.engine()
        result["runtime"] = engine.runtime_status()
        h = w = size
        plan = preview.plan_for(settings, h, w)
        t = time.time()
        preview.render(engine, load_rgba8(f"{images}/golden_gate.jpg", w, h), plan, settings)
        result["preview"] = round(time.time() - t, 3)
        result["preview_size"] = list(plan.paint_hw)
    except Exception:
        import traceback

        result["error"] = traceback.format_exc()
    Path(out).write_text(json.dumps(result), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--runtime", default="auto", choices=["auto", "openvino", "litert"])
    ap.add_argument("--out", type=Path, default=HERE / "results" / "krita_first_apply.json")
    a = ap.parse_args()
    import subprocess

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
        t0 = time.time()
        subprocess.run(["kritarunner", "-s", "krita_first_apply", "-f", "inside_krita",
                        str(out), str(pykrita), str(images_dir()), str(a.size), a.runtime],
                       env=env, cwd=str(home), capture_output=True, timeout=900)
        total = time.time() - t0
        if not out.is_file():
            sys.exit("kritarunner wrote no result")
        r = json.loads(out.read_text())
    if "error" in r:
        sys.exit(r["error"])
    r.update(size=a.size, krita_start=round(r.pop("script_started") - t0, 2),
             krita_process_total=round(total, 2), load_average=load)
    print(f"| {a.size}² photo, {r['runtime']} | seconds |\n|---|---|")
    for key, label in (("krita_start", "Krita start-up until the plugin's script runs"),
                       ("first_apply", "first Apply (engine import, models, compile, render)"),
                       ("second_apply", "second Apply"), ("preview", "preview after them")):
        print(f"| {label} | {r[key]:.2f} |")
    print(f"load average {load}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(r, indent=1))
    print(json.dumps(r))


if __name__ == "__main__":
    main()
