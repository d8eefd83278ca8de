"""Issue 9 in real GIMP 3 (batch, through the PDB): layer masks and selections shape the new
layer's alpha so the picture is unchanged where the user did not ask for the style; errors and
a killed plug-in (GIMP's Cancel on the progress bar) leave the image clean; bad style paths
reach the plug-in's own one-line messages, which scripts read with get_last_error()."""

from __future__ import annotations

import numpy as np
import pytest

from .harness import GimpChroot, Run

pytestmark = pytest.mark.slow

MIN_STYLE_CHANGE = 15.0  # mean |change| on 0..255 where the style is fully applied


def composites(gimp: GimpChroot, case: dict, label: str = "main") -> tuple:
    before = np.load(gimp.out_file(label, case["before"])).astype(np.float64)
    after = np.load(gimp.out_file(label, case["after"])).astype(np.float64)
    return before, after


def assert_clean_failure(case: dict) -> str:
    call = case["call"]
    assert call["status"] == "execution-error", call
    assert len(case["layers"]) == 1, case["layers"]
    assert not case["dirty"], "a failed run must leave the image clean (no undo step)"
    # Scripts read the reason with get_last_error(); it is the same one line.
    assert call["last_error"] == call["message"], call
    return call["message"]


# -- masks and selections ----------------------------------------------------------------------


@pytest.mark.case("mask_selected")
def test_selected_mask_stands_for_its_layer(case: dict, gimp: GimpChroot) -> None:
    assert case["call"]["status"] == "success", case["call"]
    assert len(case["layers"]) == 3
    before, after = composites(gimp, case)
    hidden = np.load(gimp.out_file("main", case["mask"])) == 0
    assert np.abs(after - before)[hidden].max() <= 1.0


@pytest.mark.case("layer_mask")
def test_layer_mask_hidden_area_is_unchanged(case: dict, gimp: GimpChroot) -> None:
    assert case["call"]["status"] == "success", case["call"]
    assert len(case["layers"]) == 3  # result, photo (with its mask), paper
    before, after = composites(gimp, case)
    mask = np.load(gimp.out_file("main", case["mask"]))
    hidden, shown = mask == 0, mask == 255
    assert hidden.sum() > 5000 and shown.sum() > 5000
    # Where the mask hides the photo the white paper showed, and still does.
    assert np.abs(after - before)[hidden].max() <= 1.0
    assert np.abs(after - before)[..., :3][shown].mean() > MIN_STYLE_CHANGE
    # The ramp fades the style in with the mask.
    ramp = (mask > 60) & (mask < 190)
    change = np.abs(after - before)[..., :3].mean(axis=2)
    assert 0.2 * change[shown].mean() < change[ramp].mean() < 0.8 * change[shown].mean()


@pytest.mark.case("semi_transparent_selection")
def test_semi_transparent_source_outside_selection_is_unchanged(case: dict,
                                                                gimp: GimpChroot) -> None:
    assert case["call"]["status"] == "success", case["call"]
    before, after = composites(gimp, case)
    sel = np.load(gimp.out_file("main", case["selection"]))
    outside, inside = sel == 0.0, sel == 1.0
    assert outside.sum() > 5000 and inside.sum() > 3000
    assert np.abs(after - before)[outside].max() <= 1.0  # alpha included: it stays 128
    # Inside, the new layer has the source's alpha (128) and lies over the source: the
    # composite alpha there is 1 - (1 - 0.5)^2 = 0.75, as for any layer stacked on its copy.
    assert np.abs(after[..., 3][inside] - 192).max() <= 1.0
    assert np.abs(after - before)[..., :3][inside].mean() > MIN_STYLE_CHANGE


# -- errors leave the image clean ----------------------------------------------------------------


@pytest.mark.case("corrupt_style")
def test_corrupt_style_is_a_clean_error(case: dict) -> None:
    message = assert_clean_failure(case)
    assert "broken-style.jpg" in message, message
    assert "\n" not in message.strip(), message


@pytest.mark.case("selection_off_layer")
def test_selection_off_the_layer_is_a_clean_error(case: dict) -> None:
    message = assert_clean_failure(case)
    assert "selection" in message.lower(), message


@pytest.mark.case("missing_style")
def test_missing_style_path_names_the_file(case: dict) -> None:
    message = assert_clean_failure(case)
    assert "/nowhere/missing-style.jpg" in message and "missing" in message, message


@pytest.mark.case("folder_style")
def test_folder_as_style_says_so(case: dict) -> None:
    message = assert_clean_failure(case)
    assert "folder" in message and "/images" in message, message


@pytest.mark.case("unused_slot")
def test_unused_slot_with_a_bad_path_is_ignored(case: dict) -> None:
    assert case["call"]["status"] == "success", case["call"]
    assert len(case["layers"]) == 2


def test_killed_mid_render_leaves_the_image_untouched(killed_run: tuple[Run, dict]) -> None:
    run, result = killed_run
    case = result["cases"]["killed_mid_render"]
    assert "exception" not in case, case["exception"]
    assert case.get("killed_while_held"), case  # killed while it ran, not after
    assert case["call"]["status"] != "success", case["call"]
    assert len(case["layers"]) == 1 and not case["dirty"], case
    # It died while painting (the plug-in logs both steps), before it added anything ...
    assert "style-transfer: painting 1 layer(s)" in run.stderr, run.stderr
    assert "style-transfer: added" not in run.stderr, run.stderr
    # ... and no undo group was open then: GIMP had nothing to close.
    assert "inconsistent state" not in run.stderr, run.stderr
