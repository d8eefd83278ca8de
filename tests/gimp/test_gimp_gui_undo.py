"""Acceptance: one Edit > Undo in the real GIMP 3 GUI removes the whole plug-in run.

GIMP's PDB has no undo procedure, so this drives the GUI: gimp-3.0 on Xvfb with openbox, the
plug-in run through the PDB on an opened one-layer image, then ONE real Ctrl+Z keystroke
(xdotool / XTEST) in the focused image window. The window title carries the layer count and the
dirty flag, so it tells whether the undo took the new layer away (and only needed one step:
the image is back to its clean, just-opened state). Ctrl+Y then redoes it. The run paints
through a region channel (issue 12), so this also shows the channel read adds no undo step.
Screenshots and the GIMP log land in tests/_artifacts/gimp/.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from .gui import GuiSession, run_case
from .harness import WORK, GimpChroot

pytestmark = pytest.mark.slow




def test_one_ctrl_z_in_the_gui_removes_the_whole_run(gimp: GimpChroot,
                                                     session: GuiSession) -> None:
    # With a region (a channel "Sky", made and marked clean before the run): reading it must
    # add no undo step of its own, and nothing but the new layer.
    result = run_case(gimp, session, region="region-1")
    assert "exception" not in result, result["exception"]
    assert result["images"] == 1 and result["layers_before"] == 1, result
    assert result["status"] == "success", result
    assert result["layers_after"] == ["Stylized · udnie in Sky 100%", "small.png"], result
    # udnie in the channel (the left half); no style for the rest, so the original stays there
    out = gimp.host_path(f"{WORK}/out/gui")
    new = np.load(out / result["apply"]).astype(np.float64)
    source = np.load(out / result["source"]).astype(np.float64)
    half = new.shape[1] // 2
    assert np.abs(new[:, : half - 16] - source[:, : half - 16]).mean() > 15.0
    np.testing.assert_array_equal(new[:, half + 16:], source[:, half + 16:])

    def image_window_with(layers: int, dirty: bool):
        found = session.image_window()
        if found and int(found[1]["layers"]) == layers and bool(found[1]["dirty"]) == dirty:
            return found
        return None

    wid, match = session.wait(lambda: image_window_with(2, True), 30,
                              "the image window to show 2 layers")
    title_run = match.string

    # A first start of a new GIMP version shows "Welcome to GIMP x.y" whatever gimprc says;
    # close it so the screenshots show the image and it cannot hold the focus.
    for other, title in session.titles().items():
        if title.startswith("Welcome to GIMP"):
            session.x(["xdotool", "windowactivate", "--sync", other, "key", "Escape"])
    session.wait(lambda: not any(t.startswith("Welcome to GIMP")
                                 for t in session.titles().values()), 10,
                 "the welcome dialog to close")

    session.x(["xdotool", "windowactivate", "--sync", wid])
    session.wait(lambda: session.x(["xdotool", "getactivewindow"]).strip() == wid, 10,
                 "the image window to get the focus")
    session.screenshot("gui-undo-1-after-run.png")

    session.x(["xdotool", "key", "--clearmodifiers", "ctrl+z"])  # exactly one undo
    _, match = session.wait(lambda: image_window_with(1, False), 15,
                            "one Ctrl+Z to leave 1 layer and a clean image")
    title_undone = match.string
    session.screenshot("gui-undo-2-after-ctrl-z.png")

    session.x(["xdotool", "key", "--clearmodifiers", "ctrl+y"])
    _, match = session.wait(lambda: image_window_with(2, True), 15, "Ctrl+Y to redo the run")
    session.screenshot("gui-undo-3-after-ctrl-y.png")

    session.log.write(f"[gui] after run:    {title_run}\n[gui] after Ctrl+Z: {title_undone}\n"
                      f"[gui] after Ctrl+Y: {match.string}\n")
    assert re.search(r", 2 layers\)", title_run) and re.search(r", 1 layer\)", title_undone)
