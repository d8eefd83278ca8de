"""Acceptance: the plug-in's interactive dialog opens in the real GIMP 3 GUI, and Cancel leaves
the image untouched. On the way (one GIMP launch): F1 shows our help, not GIMP's missing-manual
box; with two layers selected the preview says which one it shows and can show the other; a
channel added in GIMP while the dialog is open appears in its Strength map list.

gimp-3.0 on Xvfb with openbox (see gui.py) opens a one-layer image, and its startup batch
command runs plug-in-style-transfer with RunMode.INTERACTIVE, as Filters > Artistic >
Style Transfer... does. The test waits for the dialog window by its title, takes a screenshot
(tests/_artifacts/gimp/dialog.png, for a human to judge the layout), presses Escape in it, and
checks that the run reports CANCEL and the image window still says 1 layer and is not dirty.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .gui import GuiSession, read_result, start_dialog_case
from .harness import GimpChroot

pytestmark = pytest.mark.slow

DIALOG_TITLE = "Style Transfer"




def test_dialog_opens_and_cancel_leaves_the_image_alone(gimp: GimpChroot,
                                                       session: GuiSession) -> None:
    result_file, out = start_dialog_case(gimp, session, layers=2)

    def dialogs() -> list[str]:
        ids = session.x(["xdotool", "search", "--onlyvisible", "--name",
                         f"^{DIALOG_TITLE}$"]).split()
        return ids

    ids = session.wait(dialogs, 60, f"the '{DIALOG_TITLE}' dialog window")
    assert len(ids) == 1, f"expected one dialog window, got {ids}: {session.titles()}"
    wid = ids[0]
    assert session.x(["xdotool", "getwindowname", wid]).strip() == DIALOG_TITLE

    session.dismiss_welcome()

    # The image behind the dialog is the untouched one-layer image.
    found = session.wait(session.image_window, 30, "the image window")
    assert int(found[1]["layers"]) == 2 and not found[1]["dirty"], found[1].string

    session.x(["xdotool", "windowactivate", "--sync", wid])
    session.wait(lambda: session.x(["xdotool", "getactivewindow"]).strip() == wid, 10,
                 "the dialog to get the focus")
    session.screenshot("dialog.png")
    geometry = session.x(["xdotool", "getwindowgeometry", wid])
    session.log.write(f"[gui] dialog {wid}: {geometry}\n")

    f1_shows_our_help(session, wid)
    preview_of_the_second_layer(session, out)
    new_channel_is_listed(session, wid, out)
    settings_with_a_map(session, wid, out)

    session.x(["xdotool", "windowactivate", "--sync", wid])
    session.x(["xdotool", "key", "--clearmodifiers", "Escape"])  # = Cancel
    result = read_result(session, result_file, 30, "the interactive run to return")
    assert "exception" not in result, result["exception"]
    assert result["images"] == 1 and result["layers_before"] == 2, result
    assert result["status"] == "cancel", result
    assert result["layers_after"] == ["copy 2", "small.png"], result

    session.wait(lambda: not dialogs(), 10, "the dialog to close")
    _, match = session.wait(session.image_window, 10, "the image window")
    session.screenshot("dialog-cancelled.png")
    session.log.write(f"[gui] after Escape: {match.string}\n")
    assert int(match["layers"]) == 2, match.string  # the new channel dirties it: no check

    # GIMP logs dialog-building mistakes ("Procedure 'plug-in-style-transfer': no mnemonic for
    # property ...", duplicate mnemonics, unknown widget ids) and GLib warnings to stderr.
    session.log.flush()
    log = Path(session.log.name).read_text(encoding="utf-8", errors="replace")

    def is_warning(line: str) -> bool:
        glib_warning = "-WARNING **" in line or "-CRITICAL **" in line
        return "'plug-in-style-transfer'" in line or (glib_warning and "style" in line.lower())

    warnings = [line for line in log.splitlines() if is_warning(line)]
    assert not warnings, "\n".join(warnings)


def _preview(out: Path) -> dict:
    """The preview shown last ({} while none is, or mid-write)."""
    try:
        return json.loads((out / "preview.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _log(session: GuiSession) -> str:
    session.log.flush()
    return Path(session.log.name).read_text(encoding="utf-8", errors="replace")


def f1_shows_our_help(session: GuiSession, wid: str) -> None:
    """F1 (GIMP binds it to its help system: 'manual is missing') opens help.txt."""
    before = set(session.titles().values())
    session.x(["xdotool", "key", "--clearmodifiers", "F1"])
    ids = session.wait(lambda: session.x(["xdotool", "search", "--onlyvisible", "--name",
                                          "^Style Transfer Help$"]).split(), 15, "our help")
    time.sleep(1.0)  # GIMP's own box would take a moment to appear too
    session.screenshot("dialog-f1-help.png")
    new = set(session.titles().values()) - before
    assert new == {"Style Transfer Help"}, f"F1 opened {new}"
    session.x(["xdotool", "windowactivate", "--sync", ids[0], "key", "Escape"])
    session.wait(lambda: "Style Transfer Help" not in session.titles().values(), 10,
                 "help to close")
    session.x(["xdotool", "windowactivate", "--sync", wid])


def preview_of_the_second_layer(session: GuiSession, out: Path) -> None:
    """Two layers selected: the preview names the one it shows; Alt+D picks the other."""
    first = session.wait(lambda: _preview(out).get("layer"), 120, "the first preview")
    assert first == "Preview of “copy 2” (1 of 2 selected layers)", first
    session.x(["xdotool", "key", "--clearmodifiers", "alt+d"])
    session.x(["xdotool", "key", "--clearmodifiers", "Down"])
    second = session.wait(lambda: "2 of 2" in _preview(out).get("layer", ""), 120,
                          "the preview of the second layer") and _preview(out)["layer"]
    assert second == "Preview of “small.png” (2 of 2 selected layers)", second
    time.sleep(0.5)
    session.screenshot("dialog-two-layers.png")


def new_channel_is_listed(session: GuiSession, wid: str, out: Path) -> None:
    """A channel made in GIMP (its action search: '/', 'New Channel' with the last values)
    while the dialog is open is in the Strength map list once the dialog has the focus
    again."""
    image_wid, _ = session.wait(session.image_window, 10, "the image window")
    session.x(["xdotool", "windowactivate", "--sync", image_wid])
    time.sleep(0.5)
    session.x(["xdotool", "key", "--clearmodifiers", "slash"])
    time.sleep(1.0)
    session.x(["xdotool", "type", "--delay", "50", "New Channel"])
    time.sleep(1.0)
    session.screenshot("dialog-new-channel-1-search.png")
    session.x(["xdotool", "key", "--clearmodifiers", "Return"])  # 'New Channel', last values
    session.wait(lambda: (session.image_window() or (0, {"dirty": ""}))[1]["dirty"], 15,
                 "GIMP to add the channel (the image title gets its '*')")
    session.screenshot("dialog-new-channel-2-gimp.png")
    session.x(["xdotool", "windowactivate", "--sync", wid])
    session.wait(lambda: "strength-map: the image's channels changed" in _log(session), 15,
                 "the dialog to list the new channel")
    session.x(["xdotool", "key", "--clearmodifiers", "alt+g"])
    session.x(["xdotool", "key", "--clearmodifiers", "Down"])
    picked = session.wait(lambda: (_preview(out).get("settings") or {}).get("strength_map"),
                          120, "the preview with the new channel as strength map")
    time.sleep(0.5)
    session.screenshot("dialog-new-channel-3-listed.png")
    session.log.write(f"[gui] strength map picked in the dialog: {picked}\n")


def settings_with_a_map(session: GuiSession, wid: str, out: Path) -> None:
    """Save Settings with a strength map chosen, Reset to factory defaults (no style, no map:
    no preview), Load Saved Settings: the style and the map come back, the preview uses them."""
    session.x(["xdotool", "windowactivate", "--sync", wid])
    session.x(["xdotool", "key", "--clearmodifiers", "alt+s"])  # Save Settings
    time.sleep(1.0)
    (out / "preview.json").unlink()
    session.x(["xdotool", "key", "--clearmodifiers", "alt+r"])  # Reset ▾
    time.sleep(0.5)
    session.x(["xdotool", "key", "--clearmodifiers", "Down", "Return"])  # ... Factory Defaults
    time.sleep(1.5)
    session.screenshot("dialog-settings-1-reset.png")
    assert not (out / "preview.json").exists(), "after Reset there is no style to preview"
    session.x(["xdotool", "key", "--clearmodifiers", "alt+l"])  # Load Saved Settings
    loaded = session.wait(lambda: _preview(out).get("settings"), 120,
                          "the preview of the loaded settings")
    time.sleep(0.5)
    session.screenshot("dialog-settings-2-loaded.png")
    assert loaded["styles"][0]["name"] == "udnie", loaded
    assert (loaded["strength_map"] or {}).get("name") == "Channel", loaded
