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
    wid = session.dialog()
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
    help_ids = session.wait(lambda: session.windows("Style Transfer Help"), 15, "the help")
    session.screenshot("dialog-help.png")
    session.x(["xdotool", "windowactivate", "--sync", help_ids[0], "key", "Escape"])
    session.wait(lambda: not session.windows("Style Transfer Help"), 10, "help to close")

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


def test_second_layer_with_a_strokes_map_picked_in_the_dialog(gimp: GimpChroot,
                                                              session: GuiSession,
                                                              tmp_path: Path) -> None:
    """Issue 18, through the dialog: two layers selected (the top one flipped, so their results
    differ), the strokes map picked in the dialog (Alt+K: a ramp channel) and the preview
    switched to the second layer (Alt+D). The preview of that layer matches what OK paints for
    it, and OK paints it as the CLI's --scale-map does with the same map and the default
    range (1 at black, 0.5 at white)."""
    from PIL import Image
    from style_transfer.cli import main
    from style_transfer.common.preview import PreviewPlan, compare
    from style_transfer.engine.images import load_image
    from style_transfer.engine.quality import psnr

    result_file, out = start_preview_case(
        gimp, session, 600, "gui-preview-strokes", layers=2,
        extra={"flip_copies": True, "ramp": "Strokes", "save_stack": True})
    wid = session.dialog()
    session.wait((out / "preview.json").is_file, 120, "the first preview")
    session.x(["xdotool", "windowactivate", "--sync", wid])
    session.x(["xdotool", "key", "--clearmodifiers", "alt+k", "Down"])  # Strokes map: Strokes
    session.x(["xdotool", "key", "--clearmodifiers", "alt+d", "Down"])  # preview layer 2 of 2

    def shown() -> dict:
        try:
            meta = json.loads((out / "preview.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        picked = (meta["settings"].get("scale_map") or {}).get("name") == "Strokes"
        return meta if picked and "2 of 2" in meta["layer"] else {}

    meta = session.wait(shown, 120, "the preview of layer 2 with the strokes map")
    time.sleep(0.5)
    session.screenshot("dialog-strokes-map-layer-2.png")
    session.x(["xdotool", "windowactivate", "--sync", wid])
    session.x(["xdotool", "key", "--clearmodifiers", "alt+o"])  # OK (Return: the focused list)
    time.sleep(2.0)
    session.screenshot("dialog-strokes-map-ok.png")
    result = read_result(session, result_file, 300, "Apply to finish")
    assert "exception" not in result, result["exception"]
    assert result["status"] == "success", result
    names = [name for name, _ in result["stack"]]
    made = "Stylized · udnie 100% · stroke map 1–0.5×"  # as Krita names it
    assert names == [made, "copy 2", f"{made} (2)", "small.png"], names
    first, second, source = (np.load(out / result["stack"][i][1]) for i in (0, 2, 3))

    plan = PreviewPlan(tuple(meta["image_hw"]), tuple(meta["working_hw"]),
                       tuple(meta["region"]), tuple(meta["paint_hw"]))
    preview_img = np.load(out / "preview.npy")
    db = compare(second, preview_img, plan)
    other = compare(first, preview_img, plan)  # the flipped layer's result: far away
    # the CLI on the same source and map pixels, exported as PNG files
    Image.fromarray(source[..., :3]).save(tmp_path / "source.png")
    Image.fromarray(np.load(out / result["map"])).save(tmp_path / "map.png")
    udnie = gimp.host_path(f"{WORK}/images/udnie.jpg")  # the very file GIMP painted with
    assert main([str(tmp_path / "source.png"), "--style", str(udnie),
                 "--scale-map", str(tmp_path / "map.png"), "--scale-range", "1,0.5",
                 "-o", str(tmp_path / "cli.png"), "-q"]) == 0
    cli_db = psnr(second[..., :3] / 255.0, load_image(tmp_path / "cli.png")[..., :3] / 255.0)
    with (ARTIFACTS / "preview-psnr-strokes-layer-2.txt").open("w", encoding="utf-8") as f:
        f.write(f"{db:.2f} dB preview of layer 2 vs its Apply ({other:.2f} dB vs layer 1's); "
                f"{cli_db:.2f} dB Apply of layer 2 vs the CLI --scale-map\n"
                f"preview pane said: {meta['label']}\n")
    assert db >= 35.0, f"the preview of layer 2 is {db:.1f} dB from its Apply"
    assert other < db - 6.0, (db, other)
    assert cli_db >= 45.0, f"the dialog's strokes map is {cli_db:.1f} dB from the CLI's"
