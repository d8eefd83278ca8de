"""Filters › Animation › Style Transfer (plug-in-style-transfer-animation, issue 17) in real GIMP
3.0, called through the PDB as scripts and batch mode call it.

The image (batch_cases.animation_image): five frames with names and delays, a small
semi-transparent "(combine)" layer at an offset, a layer group and a smaller layer partly off
the canvas. The reference for each frame is what GIMP itself shows of it (the frame's layers
alone, merged by GIMP) stylized by the engine inside GIMP's Python (same runtime, same CPU).
"""

from __future__ import annotations

import numpy as np
import pytest

from .harness import GimpChroot, Run

pytestmark = pytest.mark.slow

NAMES = ["Frame 5 (replace)", "Group (100ms) (replace)", "Sparkle (80ms) (replace)",
         "Frame 2 (120ms) (replace)", "Frame 1 (100ms) (replace)"]  # top first, as GIMP lists


def frames(gimp: GimpChroot, files: list) -> list:
    return [np.load(gimp.out_file("main", f)) for f in files]


@pytest.mark.case("animation")
def test_frames_become_a_new_image_one_layer_each(case: dict, gimp: GimpChroot) -> None:
    from style_transfer.engine.quality import psnr

    still, steady = case["still"], case["steady"]
    for run in (still, steady):
        assert run["status"] == "success", run
        assert run["images_added"] == 1, run
        assert run["names"] == NAMES and run["size"] == case["size"], run
    # the source: same layers, same pixels, and no undo step (clean)
    assert case["source_layers_after"] == case["source_names"]
    assert case["source_unchanged"] and not case["dirty"], case
    painted, reference = frames(gimp, still["frames"]), frames(gimp, case["reference"])
    shown = frames(gimp, case["shown"])
    db = []
    for k, (out, ref) in enumerate(zip(painted, reference)):
        assert out.shape == ref.shape == shown[k].shape
        db.append(psnr(out[..., :3] / 255.0, ref[..., :3] / 255.0))
        np.testing.assert_array_equal(out[..., 3], ref[..., 3])  # alpha as GIMP shows it
        seen = shown[k][..., 3] == 255
        change = np.abs(out[..., :3].astype(float) - shown[k][..., :3])[seen].mean()
        assert change > 15, (k, change)  # really stylized
    print("GIMP animation, stability 0 vs the engine on each frame as GIMP shows it (dB):",
          [round(d, 1) if d != float("inf") else "identical" for d in db])
    assert min(db) >= 40.0, db
    # frame 5 covers part of the canvas only: transparent around it, as in the source
    assert painted[4][..., 3].min() == 0 and painted[4][..., 3].max() == 255
    steady_db = [psnr(a[..., :3] / 255.0, b[..., :3] / 255.0)
                 for a, b in zip(frames(gimp, steady["frames"]), painted)]
    print("GIMP animation, stability 0.9 vs stability 0 (dB):",
          [round(d, 1) if d != float("inf") else "identical" for d in steady_db])
    assert min(steady_db) >= 26.0, steady_db
    assert min(steady_db) < 60.0, "stability 0.9 painted exactly the per-frame stills"


@pytest.mark.case("animation_refused")
def test_one_layer_image_is_refused_in_one_line(case: dict) -> None:
    call = case["one_layer"]
    assert call["status"] == "execution-error", call
    assert call["message"] == (
        "This image is not an animation: it has one layer (each layer is a frame, the bottom "
        "one first); use Filters › Artistic › Style Transfer… for a still.")
    assert call["images_added"] == 0 and case["layers"] == 1 and not case["dirty"], case


def test_killed_mid_clip_leaves_no_new_image(animation_killed_run: tuple[Run, dict]) -> None:
    run, result = animation_killed_run
    case = result["cases"]["animation_killed"]
    assert "exception" not in case, case["exception"]
    assert case.get("killed_while_held"), case  # killed at frame 3 of 5, not after
    assert case["spooled_frames"] == [2], case  # frames 1 and 2 were painted by then
    assert case["call"]["status"] != "success" and case["call"]["images_added"] == 0, case
    assert case["source_unchanged"] and not case["dirty"], case
    assert "animation: new image" not in run.stderr.split("painting 2 frames")[0], run.stderr
    # the next run clears the killed run's spool, and works
    assert case["short"]["status"] == "success" and case["short"]["images_added"] == 1, case
    assert case["spools_after_next_run"] == 0, case
