"""Acceptance: the plug-in's interactive dialog opens in the real GIMP 3 GUI, and Cancel leaves
the image untouched.

gimp-3.0 on Xvfb with openbox (see gui.py) opens a one-layer image, and its startup batch
command runs plug-in-style-transfer with RunMode.INTERACTIVE, as Filters > Artistic >
Style Transfer... does. The test waits for the dialog window by its title, takes a screenshot
(tests/_artifacts/gimp/dialog.png, for a human to judge the layout), presses Escape in it, and
checks that the run reports CANCEL and the image window still says 1 layer and is not dirty.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .gui import GuiSession, read_result, start_dialog_case
from .harness import GimpChroot

pytestmark = pytest.mark.slow

DIALOG_TITLE = "Style Transfer"




def test_dialog_opens_and_cancel_leaves_the_image_alone(gimp: GimpChroot,
                                                       session: GuiSession) -> None:
    result_file = start_dialog_case(gimp, session)

    def dialogs() -> list[str]:
        ids = session.x(["xdotool", "search", "--onlyvisible", "--name",
                         f"^{DIALOG_TITLE}$"]).split()
        return ids

    ids = session.wait(dialogs, 60, f"the '{DIALOG_TITLE}' dialog window")
    assert len(ids) == 1, f"expected one dialog window, got {ids}: {session.titles()}"
    wid = ids[0]
    assert session.x(["xdotool", "getwindowname", wid]).strip() == DIALOG_TITLE

    # A first start of a new GIMP version shows "Welcome to GIMP x.y" whatever gimprc says;
    # close it so it cannot hold the focus or cover the dialog.
    for other, title in session.titles().items():
        if title.startswith("Welcome to GIMP"):
            session.x(["xdotool", "windowactivate", "--sync", other, "key", "Escape"])

    # The image behind the dialog is the untouched one-layer image.
    found = session.wait(session.image_window, 30, "the image window")
    assert int(found[1]["layers"]) == 1 and not found[1]["dirty"], found[1].string

    session.x(["xdotool", "windowactivate", "--sync", wid])
    session.wait(lambda: session.x(["xdotool", "getactivewindow"]).strip() == wid, 10,
                 "the dialog to get the focus")
    session.screenshot("dialog.png")
    geometry = session.x(["xdotool", "getwindowgeometry", wid])
    session.log.write(f"[gui] dialog {wid}: {geometry}\n")

    session.x(["xdotool", "key", "--clearmodifiers", "Escape"])  # = Cancel
    result = read_result(session, result_file, 30, "the interactive run to return")
    assert "exception" not in result, result["exception"]
    assert result["images"] == 1 and result["layers_before"] == 1, result
    assert result["status"] == "cancel", result
    assert result["layers_after"] == ["small.png"], result

    session.wait(lambda: not dialogs(), 10, "the dialog to close")
    _, match = session.wait(session.image_window, 10, "the image window")
    session.screenshot("dialog-cancelled.png")
    session.log.write(f"[gui] after Escape: {match.string}\n")
    assert int(match["layers"]) == 1 and not match["dirty"], match.string

    # GIMP logs dialog-building mistakes ("Procedure 'plug-in-style-transfer': no mnemonic for
    # property ...", duplicate mnemonics, unknown widget ids) and GLib warnings to stderr.
    session.log.flush()
    log = Path(session.log.name).read_text(encoding="utf-8", errors="replace")

    def is_warning(line: str) -> bool:
        glib_warning = "-WARNING **" in line or "-CRITICAL **" in line
        return "'plug-in-style-transfer'" in line or (glib_warning and "style" in line.lower())

    warnings = [line for line in log.splitlines() if is_warning(line)]
    assert not warnings, "\n".join(warnings)
