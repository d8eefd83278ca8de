"""The README's screenshots, made in the real hosts with the project's own sample pictures
(scripts/make_samples.py: nothing third-party ends up in docs/):

    .venv/bin/python scripts/screenshots.py [--gimp] [--krita]      (both by default)

- docs/gimp-dialog.jpg: GIMP 3 (the Debian 13 chroot of the tests) on Xvfb, the sample landscape
  open, Filters › Artistic › Style Transfer… run interactively with the sample painting as
  style 1, taken once the dialog's preview has painted;
- docs/krita-docker.jpg: Krita 5.1.5 on Xvfb (1600x1000) with the plugin installed by
  installer.py, the landscape open, the painting as the style, the preview painted and one
  Apply done (the GUI tests' probe plugin, mode "docs").
Both reuse the GUI tests' machinery (tests/gimp/gui.py, tests/krita/test_krita_gui.py), so they
need what those tests need: root, .ci/setup_krita.sh and .ci/setup_gimp.sh done, Xvfb, xdotool,
ImageMagick.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def samples(folder: Path) -> Path:
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_samples.py"), str(folder)],
                   check=True, stdout=subprocess.DEVNULL)
    return folder


def publish(shot: Path, target: Path) -> Path:
    """At most 1280 px wide, as JPEG: a full-screen PNG of a stylized picture is 2 MB."""
    from PIL import Image

    with Image.open(shot) as im:
        im = im.convert("RGB")
        if im.width > 1280:
            im = im.resize((1280, round(im.height * 1280 / im.width)), Image.LANCZOS)
        im.save(target, quality=88, optimize=True)
    return target


def gimp_dialog(pictures: Path) -> Path:
    os.environ.setdefault("STYLE_TRANSFER_GIMP_WORK", "/tmp/style-transfer-screenshots-gimp")
    sys.path.insert(0, str(REPO / "tests"))
    from gimp.gui import GuiSession, start_preview_case
    from gimp.harness import WORK, GimpChroot, chroot_ready

    reason = chroot_ready()
    if reason:
        raise SystemExit(f"GIMP: {reason}")
    gimp = GimpChroot()
    gimp.open()
    session = GuiSession(gimp, "screenshots.log")
    try:
        run = gimp.install()
        if run.returncode != 0:
            raise SystemExit(f"installer.py --gimp failed\n{run.output}")
        shutil.copy(pictures / "style.png", gimp.host_path(f"{WORK}/images/painting.png"))
        session.start_x()
        _, out = start_preview_case(gimp, session, 960, "screenshots", style="painting.png",
                                    source=pictures / "content.png")
        wid = session.dialog(timeout=90)
        session.wait((out / "preview.json").is_file, 180, "the preview to render")
        time.sleep(1.0)  # let GTK paint it
        session.x(["xdotool", "windowactivate", "--sync", wid])
        session.x(["xdotool", "mousemove", "1279", "799"])  # no tooltip over the dialog
        time.sleep(1.5)
        shot = session.screenshot("screenshots-gimp.png")
        target = publish(shot, DOCS / "gimp-dialog.jpg")
        session.x(["xdotool", "key", "--clearmodifiers", "Escape"])
        return target
    finally:
        session.close()
        gimp.close()


def krita_docker(pictures: Path) -> Path:
    sys.path.insert(0, str(REPO / "tests" / "krita"))
    from kritatest import HOST
    from test_krita_gui import run_gui

    reason = HOST.problem()
    if reason:
        raise SystemExit(f"Krita: {reason}")
    HOST.open(Path(os.environ.get("STYLE_TRANSFER_MODELS", REPO.parent / "shared" / "models")),
              pictures)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        home = tmp_path / "home"
        HOST.installed(home)
        run_gui(HOST, tmp_path, home, "screenshots_docs", "1600x1000", {
            "ST_GUI_PROBE_MODE": "docs",
            "ST_GUI_PROBE_STYLE": str(pictures / "style.png"),
            "ST_GUI_PROBE_CONTENT": str(pictures / "content.png"),
        }, timeout=300)
    return publish(HOST.artifacts / "screenshots_docs.png", DOCS / "krita-docker.jpg")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gimp", action="store_true")
    parser.add_argument("--krita", action="store_true")
    args = parser.parse_args()
    both = not (args.gimp or args.krita)
    with tempfile.TemporaryDirectory() as tmp:
        pictures = samples(Path(tmp))
        if args.gimp or both:
            print("wrote", gimp_dialog(pictures))
        if args.krita or both:
            print("wrote", krita_docker(pictures))


if __name__ == "__main__":
    main()
