"""The real Krita GUI under Xvfb with the installed plugin: the docker is there, the Filter menu has
both entries, Apply adds one layer and one Ctrl+Z (edit_undo) removes it. A test-only probe plugin
(st_gui_probe) reports what the window holds; a screenshot goes to tests/_artifacts/krita/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from kritatest import ARTIFACTS, HERE, installed, require_krita, user_env


def _free_display() -> int:
    for n in range(91, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


def test_gui_docker_menu_apply_and_undo(tmp_path: Path, models_dir: Path, images_dir: Path):
    require_krita("Xvfb", "import")
    home = tmp_path / "home"
    pykrita = installed(home, models_dir)
    # the probe plugin is installed only here, next to the real one, and enabled like it
    shutil.copytree(HERE / "st_gui_probe", pykrita / "st_gui_probe")
    shutil.copy(HERE / "st_gui_probe.desktop", pykrita / "st_gui_probe.desktop")
    kritarc = home / "config" / "kritarc"
    text = kritarc.read_text(encoding="utf-8")
    assert "enable_style_transfer=true" in text  # written by installer.py
    kritarc.write_text(text.replace("[python]\n", "[python]\nenable_st_gui_probe=true\n"),
                       encoding="utf-8")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = tmp_path / "probe.json"
    shot = ARTIFACTS / "krita_gui.png"
    shot.unlink(missing_ok=True)
    display = f":{_free_display()}"
    env = user_env(home)
    env.update(DISPLAY=display, ST_GUI_PROBE_OUT=str(out),
               ST_GUI_PROBE_STYLE=str(images_dir / "udnie.jpg"))
    env.pop("QT_QPA_PLATFORM", None)
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    krita = None
    log = open(ARTIFACTS / "krita_gui.log", "w", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        time.sleep(1.5)
        krita = subprocess.Popen(["krita", "--nosplash"], env=env, stdout=log,
                                 stderr=subprocess.STDOUT, cwd=str(home))
        state = {}
        deadline = time.time() + 150
        while time.time() < deadline and krita.poll() is None:
            if out.is_file():
                state = json.loads(out.read_text(encoding="utf-8") or "{}")
                if state.get("done") or state.get("error"):
                    break
            time.sleep(1)
        time.sleep(1.5)  # let the canvas repaint before the screenshot
        subprocess.run(["import", "-display", display, "-window", "root", str(shot)],
                       timeout=60, check=False)
    finally:
        if krita is not None:
            krita.kill()
            krita.wait(timeout=30)
        xvfb.kill()
        xvfb.wait(timeout=30)
        log.close()
    (ARTIFACTS / "krita_gui_probe.json").write_text(json.dumps(state, indent=1), encoding="utf-8")
    assert state, "the probe plugin never reported (see tests/_artifacts/krita/krita_gui.log)"
    assert "error" not in state, state["error"]
    assert state["docker_found"] and state["docker_title"] == "Style Transfer"
    assert state["docker_area"] == 2  # Qt.RightDockWidgetArea
    assert "Style Transfer…" in state["filter_menu"]
    assert "Apply Style Transfer Again" in state["filter_menu"]
    assert state["style_transfer_apply"] == "Style Transfer…"
    assert state["style_transfer_apply_again"] == "Apply Style Transfer Again"
    assert state["apply_message"] == "Added layer 'Stylized · udnie 80%'."
    assert state["active_node"] == "photo"
    before = state["layers_before"]
    assert state["layers_after_apply"] == [*before, "Stylized · udnie 80%"]
    assert state["layers_after_undo"] == before  # ONE undo step removes the result
    assert state["layers_after_apply_again"] == [*before, "Stylized · udnie 80%"]
    assert "Traceback" not in (ARTIFACTS / "krita_gui.log").read_text(errors="replace")
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert os.environ.get("DISPLAY") != display  # we never touched the caller's display
