"""Filters › Animation › Style Transfer… in the real GIMP 3 GUI (issue 17): opened from the menu
bar with the keyboard (Alt+R, I, T), a style chosen in its Style 1 chooser, OK: the clip is
painted and a NEW image window with one layer per frame opens; the source image stays clean.
Screenshots (tests/_artifacts/gimp/animation-*.png) are for a human to judge."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from .gui import GuiSession, forget_last_values
from .harness import SHARED, WORK, GimpChroot

pytestmark = pytest.mark.slow

TITLE = "Style Transfer (Animation)"
# a new image's window, e.g. "*[Untitled]-2.0 (RGB color 8-bit ..., 3 layers) 200x133 – GIMP"
NEW_IMAGE = re.compile(r"^\*?\[Untitled\].*, (?P<layers>\d+) layers\) (?P<size>\d+x\d+) – GIMP$")
# Runs inside GIMP at startup: the opened image becomes three frames with names and delays.
FRAMES = """
import gi
gi.require_version("Gimp", "3.0")
from gi.repository import Gimp
image = Gimp.get_images()[0]
bottom = image.get_layers()[0]
bottom.set_name("Frame 1 (100ms)")
for n, dx in ((2, 4), (3, 8)):
    copy = bottom.copy()
    image.insert_layer(copy, None, 0)
    copy.set_name(f"Frame {n} (100ms) (replace)")
    copy.set_offsets(dx, 0)
image.clean_all()
"""


def new_image(session: GuiSession):
    for title in session.titles().values():
        match = NEW_IMAGE.match(title)
        if match:
            return match
    return None


def test_menu_dialog_renders_a_new_image(gimp: GimpChroot, session: GuiSession) -> None:
    images = gimp.host_path(f"{WORK}/images")
    subprocess.run(["convert", str(SHARED / "images" / "chicago.jpg"), "-resize", "200x",
                    "-strip", f"PNG24:{images / 'small.png'}"], check=True, timeout=60)
    forget_last_values(gimp)  # the dialog opens with the defaults: no style yet
    script = f"{WORK}/gui-animation-frames.py"
    gimp.host_path(script).write_text(FRAMES, encoding="utf-8")
    session.start_gimp(f"{WORK}/images/small.png", script, STYLE_TRANSFER_GIMP_NO_DIALOG="0")
    found = session.wait(lambda: (session.image_window() or (0, {"layers": "0"}))[1]["layers"]
                         == "3" and session.image_window(), 90, "the image with 3 frames")
    image_wid = found[0]
    session.dismiss_welcome()
    session.x(["xdotool", "windowactivate", "--sync", image_wid])
    time.sleep(1.0)
    session.x(["xdotool", "key", "--clearmodifiers", "alt+r"])  # Filte_rs
    time.sleep(1.0)
    session.x(["xdotool", "key", "--clearmodifiers", "i"])  # An_imation
    time.sleep(1.0)
    session.screenshot("animation-menu.png")
    session.x(["xdotool", "key", "--clearmodifiers", "t"])  # Style _Transfer...
    wid = session.wait(lambda: session.windows(TITLE), 60, f"the '{TITLE}' dialog")[0]
    session.x(["xdotool", "windowactivate", "--sync", wid])

    # Style 1: its chooser, a typed path
    chooser = session.open_style_chooser(1)
    session.x(["xdotool", "windowactivate", "--sync", chooser, "key", "ctrl+l"])
    session.x(["xdotool", "type", "--delay", "20", f"{WORK}/images/udnie.jpg"])
    time.sleep(1.0)
    session.screenshot("animation-chooser.png")
    for _ in range(3):  # the first Return may only take the location's completion
        session.x(["xdotool", "key", "Return"])
        time.sleep(1.0)
        if not session.windows("Style 1"):
            break
    session.wait(lambda: not session.windows("Style 1"), 15, "the chooser to close")
    time.sleep(3.0)  # the thumbnail and the preview of frame 1
    session.x(["xdotool", "windowactivate", "--sync", wid])
    session.screenshot("animation-dialog.png")

    # OK by its mnemonic: the focus is on the Style 1 button, where Return opens the chooser
    session.x(["xdotool", "key", "--clearmodifiers", "alt+o"])
    match = session.wait(lambda: new_image(session), 120, "the new image window")
    time.sleep(1.0)
    session.screenshot("animation-new-image.png")
    assert match["layers"] == "3" and match["size"] == "200x133", match.string
    assert not session.windows(TITLE)
    # single-window mode: the new image is a tab of the same window; Alt+1 shows the first
    wid_new = session.x(["xdotool", "search", "--onlyvisible", "--name", "Untitled"]).split()[0]
    session.x(["xdotool", "windowactivate", "--sync", wid_new, "key", "--clearmodifiers",
               "alt+1"])
    _, source = session.wait(session.image_window, 15, "the source image's tab")
    assert source["layers"] == "3" and not source["dirty"], source.string  # untouched
    session.log.flush()
    log = Path(session.log.name).read_text(encoding="utf-8", errors="replace")
    assert "animation: new image with 3 layers" in log, log[-3000:]
    # GIMP names dialog-building mistakes (mnemonics, widget ids) with the procedure's name
    warnings = [line for line in log.splitlines()
                if "'plug-in-style-transfer-animation'" in line or "PyGIWarning" in line]
    assert not warnings, "\n".join(warnings)
