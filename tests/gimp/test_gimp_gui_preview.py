"""Acceptance (issue 9): the dialog's preview renders in the real GIMP 3 GUI and shows what
Apply paints; Help opens the help text; Enter applies (OK is the default button).

gimp-3.0 on Xvfb opens a photo (1600 px at Auto: the whole picture; 2000 px at style scale 1: a
100 % detail) and runs the plug-in INTERACTIVELY. The preview pane
paints (worker thread) and, for the test, also saves what it painted (preview.npy + its plan).
The test screenshots the dialog, opens Help (Alt+H) and closes it, then presses Enter: the
render runs from the dialog and the new layer's pixels are saved. common.preview.compare then
gives the PSNR of the Apply result scaled to the preview's size against the preview (README).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from .gui import ARTIFACTS, GuiSession, read_result, start_preview_case
from .harness import WORK, GimpChroot

pytestmark = pytest.mark.slow

# (width, style scale, lowest PSNR accepted; the measured figures are in README)
CASES = {
    # Auto on 1600 px: Apply paints at 1024 px and upsamples; the preview is the whole picture
    "whole": (1600, 0.0, 28.0),
    # Scale 1 on 2000 px: the working image is above 1024 px, the preview a 100 % detail,
    # painted with Apply's own tiles and whole-picture tones (Engine.stylize_window): 58.9 dB
    "detail": (2000, 1.0, 45.0),
    # Issue 12: udnie in a channel's region (chosen in the dialog's Region list by the
    # script's region-1), stripes elsewhere: the preview blends the same two renders
    "regions": (1600, 0.0, 28.0),
}




def _preview_settings(out: Path) -> dict:
    """The settings of the preview shown last ({} while none is, or mid-write)."""
    try:
        return json.loads((out / "preview.json").read_text(encoding="utf-8"))["settings"]
    except (OSError, ValueError, KeyError):
        return {}


def window(session: GuiSession, title: str) -> list[str]:
    return session.x(["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"]).split()


@pytest.mark.parametrize("kind", list(CASES))
def test_preview_matches_apply(gimp: GimpChroot, session: GuiSession, kind: str) -> None:
    from style_transfer.common.preview import PreviewPlan, compare

    width, scale, min_psnr = CASES[kind]
    props: dict = {"style-scale": scale}
    if kind == "regions":
        props["style-2"] = f"{WORK}/images/stripes.jpg"
    result_file, out = start_preview_case(gimp, session, width, f"gui-preview-{kind}",
                                          props=props,
                                          region="region-1" if kind == "regions" else None)
    wid = session.wait(lambda: window(session, "Style Transfer"), 60, "the dialog")[0]
    for other, title in session.titles().items():
        if title.startswith("Welcome to GIMP"):
            session.x(["xdotool", "windowactivate", "--sync", other, "key", "Escape"])
    session.wait((out / "preview.json").is_file, 120, "the preview to render")
    time.sleep(0.5)  # let GTK paint it
    session.x(["xdotool", "windowactivate", "--sync", wid])
    session.screenshot(f"dialog-preview-{kind}.png")

    if kind == "regions":  # pick a map in the dialog itself: Strength map (Alt+G) -> "Sky"
        session.x(["xdotool", "key", "--clearmodifiers", "alt+g"])
        session.x(["xdotool", "key", "--clearmodifiers", "Down"])
        session.wait(lambda: _preview_settings(out).get("strength_map"), 120,
                     "the preview with the strength map picked in the dialog")
        time.sleep(0.5)
        session.screenshot("dialog-preview-regions-picked.png")

    session.x(["xdotool", "key", "--clearmodifiers", "alt+h"])
    help_ids = session.wait(lambda: window(session, "Style Transfer Help"), 15, "the help")
    session.screenshot("dialog-help.png")
    session.x(["xdotool", "windowactivate", "--sync", help_ids[0], "key", "Escape"])
    session.wait(lambda: not window(session, "Style Transfer Help"), 10, "help to close")

    session.x(["xdotool", "windowactivate", "--sync", wid])
    session.x(["xdotool", "key", "--clearmodifiers", "Return"])  # OK is the default
    result = read_result(session, result_file, 300, "Apply to finish")
    session.screenshot(f"dialog-applied-{kind}.png")
    assert "exception" not in result, result["exception"]
    assert result["status"] == "success", result
    assert len(result["layers_after"]) == 2, result

    meta = json.loads((out / "preview.json").read_text(encoding="utf-8"))
    plan = PreviewPlan(tuple(meta["image_hw"]), tuple(meta["working_hw"]),
                       tuple(meta["region"]), tuple(meta["paint_hw"]))
    assert plan.image_hw[1] == width and plan.detail == (kind == "detail")
    assert max(plan.paint_hw) == 1024
    if kind == "regions":  # the Region list showed the script's channel, the preview used
        # it, and the strength map picked with the keyboard reached preview and Apply
        assert meta["settings"]["styles"][0]["region"]["name"] == "Sky", meta["settings"]
        assert meta["settings"]["strength_map"]["name"] == "Sky", meta["settings"]
        assert "udnie in Sky" in result["layers_after"][0], result
        assert "strength map Sky" in result["layers_after"][0], result
    preview_img = np.load(out / "preview.npy")
    applied = np.load(out / result["apply"])
    assert applied.shape[:2] == plan.image_hw
    db = compare(applied, preview_img, plan)
    with (ARTIFACTS / f"preview-psnr-{kind}.txt").open("w", encoding="utf-8") as f:
        f.write(f"{db:.2f} dB preview vs Apply ({kind}: {width} px image, region "
                f"{plan.region}, settings {json.dumps(meta['settings'])})\n"
                f"preview pane said: {meta['label']}\n")
    assert db >= min_psnr, f"preview is {db:.1f} dB from Apply"
    if plan.detail:  # it shows the right place: any other place of Apply is much further away
        x, y, w, h = plan.region
        for dx, dy in ((40, 0), (0, 40), (-40, -40)):
            moved = PreviewPlan(plan.image_hw, plan.working_hw, (x + dx, y + dy, w, h),
                                plan.paint_hw)
            assert compare(applied, preview_img, moved) < db - 4.0, (dx, dy)
