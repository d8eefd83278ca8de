"""The GIMP 3 plug-in inside real GIMP 3.0 (Debian 13 chroot), called through the PDB the way
user scripts and batch mode call it, on real images with the real models.

The batch runs happen once per session (conftest.py); each test judges one recorded case.
"""

from __future__ import annotations

import json
import os
import re
import stat

import numpy as np
import pytest

from .harness import WORK, GimpChroot, Run

pytestmark = pytest.mark.slow

# Mean |stylized - source| on 0..255 for udnie on chicago is ~50; an unchanged copy is 0.
MIN_STYLE_CHANGE = 15.0


def load(gimp: GimpChroot, label: str, name: str) -> np.ndarray:
    return np.load(gimp.out_file(label, name)).astype(np.float64)


def new_and_source(record: dict) -> tuple[dict, dict]:
    layers = record["layers"]
    assert len(layers) == 2, f"expected exactly one new layer: {layers}"
    return layers[0], layers[1]


def crop_source(source_px: np.ndarray, source: dict, new: dict) -> np.ndarray:
    """The source pixels under the new layer (both placed on the canvas by their offsets)."""
    x, y = new["x"] - source["x"], new["y"] - source["y"]
    return source_px[y:y + new["height"], x:x + new["width"]]


def over(top: np.ndarray, below: np.ndarray) -> np.ndarray:
    """RGB of the new layer (RGBA u8) composited over an opaque source, as GIMP shows it."""
    a = top[..., 3:4] / 255.0
    return top[..., :3] * a + below[..., :3] * (1.0 - a)


# -- install ---------------------------------------------------------------------------------


def test_installer_lays_out_the_plugin_as_gimp_requires(gimp: GimpChroot, installed: Run) -> None:
    folder = gimp.plugin_dir()
    entry = folder / "style-transfer.py"
    assert entry.is_file(), installed.output
    assert entry.stat().st_mode & stat.S_IXUSR, "GIMP only runs executable plug-in files"
    assert (folder / "style_transfer" / "engine" / "__init__.py").is_file()
    assert (folder / "style_transfer" / "manifest.json").is_file()
    deps = folder / "style_transfer" / "_deps"
    # Wheels for GIMP's python3.13, and Debian's numpy reused instead of a second copy.
    assert list(deps.glob("ai_edge_litert*")), sorted(p.name for p in deps.iterdir())
    assert "cpython-313" in " ".join(p.name for p in deps.rglob("*.so"))
    assert not (deps / "numpy").exists()
    assert "Python 3.13" in installed.stdout


def test_plugin_is_registered_and_runs(main_run: tuple[Run, dict]) -> None:
    run, result = main_run
    assert result["gimp"].startswith("3.")
    assert result["python"].startswith("3.13")
    # GIMP warns like this when a plug-in exits with an undo group still open.
    assert "inconsistent state" not in run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    # GIMP cannot serialize a channel argument into its last values; interactive runs move
    # them into the aux string first (args.remember_maps), so GIMP never has to.
    assert "couldn't serialize" not in run.stderr


# -- pixels, layers, selection ---------------------------------------------------------------


@pytest.mark.case("basic")
def test_new_layer_above_untouched_source(case: dict, gimp: GimpChroot) -> None:
    assert case["call"]["status"] == "success", case["call"]
    new, source = new_and_source(case)
    assert new["name"] == "Stylized · udnie 100%"  # common.naming.result_name
    assert (new["x"], new["y"], new["width"], new["height"]) == (
        source["x"], source["y"], source["width"], source["height"])
    assert not source["has_alpha"] and new["has_alpha"]  # layer without alpha works
    before = load(gimp, "main", case["source_before"])
    after = load(gimp, "main", case["source_after"])
    np.testing.assert_array_equal(after, before)  # the source is left alone, bit for bit
    result = load(gimp, "main", case["result"])
    assert np.abs(result[..., :3] - before[..., :3]).mean() > MIN_STYLE_CHANGE
    assert (result[..., 3] == 255).all()  # an opaque source gives an opaque result
    assert case["dirty"], "the run pushed no undo step"


@pytest.mark.case("selection")
def test_feathered_selection_blends(case: dict, gimp: GimpChroot) -> None:
    assert case["call"]["status"] == "success", case["call"]
    new, source = new_and_source(case)
    x1, y1, x2, y2 = case["selection_bounds"]
    # The new layer covers the selection's bounding box only.
    assert (new["x"], new["y"], new["x"] + new["width"], new["y"] + new["height"]) == (
        x1, y1, x2, y2)
    src = crop_source(load(gimp, "main", case["source_before"]), source, new)
    np.testing.assert_array_equal(load(gimp, "main", case["source_after"]),
                                  load(gimp, "main", case["source_before"]))
    result = load(gimp, "main", case["result"])
    mask = np.load(gimp.out_file("main", case["mask"]))
    # The selection is the new layer's alpha: transparent outside, opaque inside.
    assert np.abs(result[..., 3] - 255.0 * mask).max() <= 1.0
    diff = np.abs(over(result, src) - src[..., :3]).mean(axis=2)
    outside, inside = mask == 0.0, mask == 1.0
    partial = (mask > 0.2) & (mask < 0.8)
    assert outside.sum() > 1000 and inside.sum() > 1000 and partial.sum() > 500
    assert diff[outside].max() == 0.0, "unselected pixels must stay exactly as they were"
    assert diff[inside].mean() > MIN_STYLE_CHANGE
    # Feathered edge: a blend, clearly between untouched and fully stylized.
    assert 0.15 * diff[inside].mean() < diff[partial].mean() < 0.85 * diff[inside].mean()


@pytest.mark.case("offset")
def test_layer_with_offset_and_selection_line_up(case: dict, gimp: GimpChroot) -> None:
    assert case["call"]["status"] == "success", case["call"]
    new, source = new_and_source(case)
    assert (source["x"], source["y"]) == (37, 23)
    # Selection box (50, 30)-(220, 150) clipped to the layer (bottom edge at 23 + 133 = 156).
    assert new["x"] >= source["x"] and new["y"] >= source["y"]
    assert new["x"] + new["width"] <= source["x"] + source["width"]
    assert new["y"] + new["height"] <= source["y"] + source["height"]
    src = crop_source(load(gimp, "main", case["source_before"]), source, new)
    result = load(gimp, "main", case["result"])
    mask = np.load(gimp.out_file("main", case["mask"]))  # read by the test in canvas coords
    diff = np.abs(over(result, src) - src[..., :3]).mean(axis=2)
    # If layer offsets were ignored anywhere, the unchanged area would not match the selection.
    assert diff[mask == 0.0].max() == 0.0
    assert diff[mask == 1.0].mean() > MIN_STYLE_CHANGE


@pytest.mark.case("grayscale")
def test_grayscale_image(case: dict, gimp: GimpChroot) -> None:
    assert case["call"]["status"] == "success", case["call"]
    assert case["base_type"] == "gray"
    new, _ = new_and_source(case)
    assert new["is_gray"], "a grayscale image can only hold gray layers"
    before = load(gimp, "main", case["source_before"])
    np.testing.assert_array_equal(load(gimp, "main", case["source_after"]), before)
    result = load(gimp, "main", case["result"])
    assert np.abs(result[..., :3] - before[..., :3]).mean() > MIN_STYLE_CHANGE


@pytest.mark.case("high_bit_depth")
def test_16_bit_keeps_precision(case: dict, gimp: GimpChroot) -> None:
    assert case["call"]["status"] == "success", case["call"]
    assert case["precision"] == "u16-non-linear"
    before = load(gimp, "main", case["source_before"])
    np.testing.assert_array_equal(load(gimp, "main", case["source_after"]), before)
    result = np.load(gimp.out_file("main", case["result"]))
    assert np.abs(result[..., :3].astype(np.float64) - before[..., :3]).mean() > (
        MIN_STYLE_CHANGE * 257)
    # Written through an 8-bit path, every value would be a multiple of 257.
    assert (result[..., :3] % 257 != 0).mean() > 0.5


@pytest.mark.case("two_layers")
def test_each_selected_layer_gets_its_own_result(case: dict) -> None:
    assert case["call"]["status"] == "success", case["call"]
    names = [layer["name"] for layer in case["layers"]]
    # Result names never collide: the second one gets " (2)" (common.naming.unique_name).
    assert names == ["Stylized · stripes 100% (2)", "Copy", "Stylized · stripes 100%",
                     "Background"]
    copy_result = case["layers"][0]
    assert (copy_result["x"], copy_result["y"]) == (20, 10)


# -- regions and maps (issue 12) ---------------------------------------------------------------

BORDER = 32  # px kept away from the channel's edge (the left half) for the interiors


def halves(gimp: GimpChroot, name: str) -> tuple[np.ndarray, np.ndarray]:
    px = load(gimp, "main", name)[..., :3] / 255.0
    w = px.shape[1]
    return px[:, : w // 2 - BORDER], px[:, w // 2 + BORDER:]


def check_map_run(case: dict) -> None:
    """One new layer, one undo step, the source and the map channels untouched."""
    assert case["call"]["status"] == "success", case["call"]
    assert len(case["added"]) == 1, case["layers"]
    assert case["dirty"], "the run pushed no undo step"
    assert case["source_unchanged"] and case["channels_unchanged"]


@pytest.mark.case("runtimes")
def test_both_runtimes_render_inside_gimp(case: dict, gimp: GimpChroot) -> None:
    """OpenVINO from the plug-in's private wheels and LiteRT, in GIMP's Python (issue 11)."""
    from style_transfer.engine.quality import psnr

    for runtime in ("openvino", "litert"):
        assert case[runtime]["status"] == "success", (runtime, case[runtime])
    ov, lite = (load(gimp, "main", case[r]["pixels"])[..., :3] / 255.0
                for r in ("openvino", "litert"))
    db = psnr(ov, lite)
    print(f"GIMP: OpenVINO vs LiteRT {db:.1f} dB")
    assert db >= 28.0  # the f16 network against the int8-dynamic one: 33-38 dB on photos


@pytest.mark.case("regions")
def test_regions_from_a_channel_equal_single_style_renders(case: dict, gimp: GimpChroot) -> None:
    from style_transfer.engine.quality import psnr

    check_map_run(case)
    assert case["added"][0]["name"].startswith("Stylized · udnie in Sky + stripes")
    for key in ("udnie", "stripes", "interactive", "repeat"):
        assert case[key]["status"] == "success", (key, case[key])
    left, right = halves(gimp, case["result"])
    udnie, stripes = halves(gimp, case["udnie"]["pixels"]), halves(gimp, case["stripes"]["pixels"])
    db = (psnr(left, udnie[0]), psnr(right, stripes[1]))
    print(f"GIMP regions: channel interior vs udnie {db[0]:.1f} dB, rest vs stripes {db[1]:.1f} dB")
    assert min(db) >= 30.0, db
    assert psnr(left, stripes[0]) < 20.0 and psnr(right, udnie[1]) < 20.0  # really two styles
    # Filters > Repeat paints the same regions as the interactive run before it (GIMP drops
    # channels from its last values; the plug-in keeps them in args.MAPS_AUX).
    assert " in Sky" in case["interactive"]["name"], case["interactive"]
    assert case["repeat"]["name"].startswith(case["interactive"]["name"]), case["repeat"]
    np.testing.assert_array_equal(load(gimp, "main", case["repeat"]["pixels"]),
                                  load(gimp, "main", case["interactive"]["pixels"]))


@pytest.mark.case("strength_map")
def test_strength_map_ends_equal_strength_1_and_0(case: dict, gimp: GimpChroot) -> None:
    from style_transfer.engine.quality import psnr

    check_map_run(case)
    assert "strength map Fade mask" in case["added"][0]["name"]
    # the mask's layer covers the right half: white there, the left half is outside (= 0)
    black, white = halves(gimp, case["result"])
    full, zero = halves(gimp, case["full"]["pixels"]), halves(gimp, case["zero"]["pixels"])
    db = (psnr(white, full[1]), psnr(black, zero[0]))
    print(f"GIMP strength map (an offset layer's mask): white vs strength 1 {db[0]:.1f} dB, "
          f"black vs strength 0 {db[1]:.1f} dB")
    assert min(db) >= 30.0, db
    assert psnr(white, zero[1]) < 25.0  # strength 1 and 0 differ, so the test can fail


def cli_scale_map(gimp: GimpChroot, case: dict, folder, range_: str) -> np.ndarray:
    """The CLI's --scale-map on the case's source and map pixels (as PNG files, the way a
    user exports them), RGB 0..1."""
    from PIL import Image
    from style_transfer.cli import main
    from style_transfer.engine.images import load_image

    src, ramp, out = folder / "source.png", folder / "map.png", folder / "cli.png"
    Image.fromarray(np.load(gimp.out_file("main", case["source_px"]))[..., :3]).save(src)
    Image.fromarray(np.load(gimp.out_file("main", case["map_px"]))).save(ramp)
    udnie = gimp.host_path(f"{WORK}/images/udnie.jpg")  # the very file GIMP painted with
    assert main([str(src), "--style", str(udnie), "--scale-map",
                 str(ramp), "--scale-range", range_, "-o", str(out), "-q"]) == 0
    return load_image(out)[..., :3].astype(np.float64) / 255.0


@pytest.mark.case("scale_map")
def test_strokes_map_from_a_channel_equals_the_cli(case: dict, gimp: GimpChroot,
                                                   tmp_path) -> None:
    from style_transfer.engine.quality import psnr

    check_map_run(case)
    name = case["added"][0]["name"]
    assert name == "Stylized · udnie 100% · stroke map 0.5–1×", name  # as Krita names it
    mine = load(gimp, "main", case["result"])[..., :3] / 255.0
    cli = cli_scale_map(gimp, case, tmp_path, "0.5,1")
    db = psnr(mine, cli)
    print(f"GIMP strokes map (channel) vs CLI --scale-map: {db:.1f} dB")
    assert db >= 45.0, db
    # the range's direction counts: black and white swapped is another picture (about 22 dB)
    assert psnr(mine, cli_scale_map(gimp, case, tmp_path, "1,0.5")) < 35.0
    # Filters > Repeat after an interactive run: the same map and range (not the repeat
    # call's own stripes), pixel for pixel
    assert case["interactive"]["name"].startswith(name), case["interactive"]
    assert case["repeat"]["name"].startswith(name), case["repeat"]
    np.testing.assert_array_equal(load(gimp, "main", case["repeat"]["pixels"]),
                                  load(gimp, "main", case["interactive"]["pixels"]))
    foreign, gone = case["foreign"]["call"], case["gone"]["call"]
    assert foreign["message"] == (
        "The channel 'Elsewhere' belongs to another image: choose a channel or layer mask of "
        "this image as the region or map.")
    assert "'Strokes'" in gone["message"] and "is gone" in gone["message"], gone
    for record in (case["foreign"], case["gone"]):
        assert record["call"]["status"] == "execution-error" and "\n" not in record["call"][
            "message"]
        assert record["layers"] == case["layers"] and not record["dirty"]  # nothing added


@pytest.mark.case("region_offset")
def test_region_channel_lines_up_with_an_offset_layer(case: dict, gimp: GimpChroot) -> None:
    check_map_run(case)
    new, source = case["added"][0], case["layers"][1]
    assert (source["x"], source["y"]) == (37, 23) and (new["x"], new["y"]) == (37, 23)
    result = load(gimp, "main", case["result"])
    src = load(gimp, "main", case["source_px"])
    edge = 150 - source["x"]  # the channel's edge (canvas x 150) in layer pixels
    assert np.abs(result[:, : edge - 16, :3] - src[:, : edge - 16, :3]).mean() > MIN_STYLE_CHANGE
    # outside the region the original stays, pixel for pixel: off by the offset, this fails
    np.testing.assert_array_equal(result[:, edge + 16:], src[:, edge + 16:])


@pytest.mark.case("bad_map")
def test_gone_or_foreign_channel_is_one_clear_line(case: dict) -> None:
    foreign = case["foreign"]
    assert foreign["call"]["status"] == "execution-error"
    assert foreign["call"]["message"] == (
        "The channel 'Elsewhere' belongs to another image: choose a channel or layer mask of "
        "this image as the region or map.")
    assert case["first"]["status"] == "success", case["first"]
    assert '(map-channels "{\\"region-1\\": [' in case["last_file"], case["last_file"]
    repeat = case["repeat"]  # Filters > Repeat after the region's channel was deleted
    assert repeat["call"]["status"] == "execution-error"
    assert "'Gone'" in repeat["call"]["message"] and "is gone" in repeat["call"]["message"]
    assert "'Gone'" in case["renamed"]["message"] and "renamed" in case["renamed"]["message"]
    for record in (foreign, repeat):
        assert "\n" not in record["call"]["message"]
        assert len(record["layers"]) == 1 and not record["dirty"]  # nothing added, no undo
    # A script's own call does not inherit the last run's regions ...
    assert case["plain"]["status"] == "success"
    assert case["plain_layers"][0]["name"] == "Stylized · udnie 100%"
    # ... and a deleted channel passed by a script is refused by GIMP before the plug-in runs.
    assert case["script"]["status"] == "calling-error"
    assert len(case["script_layers"]) == 1


# -- arguments and errors --------------------------------------------------------------------


@pytest.mark.case("last_values")
def test_last_used_values_are_remembered(case: dict, gimp: GimpChroot) -> None:
    assert case["first"]["status"] == "success", case["first"]
    assert case["again"]["status"] == "success", case["again"]
    assert len(case["layers"]) == 3
    assert "first_result" in case, case["layers"]
    # The repeat ignored its own arguments (stripes, strength 1) and used udnie at 0.35.
    np.testing.assert_array_equal(load(gimp, "main", case["again_result"]),
                                  load(gimp, "main", case["first_result"]))
    assert all("udnie" in layer["name"] for layer in case["layers"][:2])
    assert "last_file" in case, "GIMP saved no last values"
    text = case["last_file"]
    strength = re.search(r"\(strength ([0-9.]+)\)", text)
    assert strength and float(strength.group(1)) == pytest.approx(0.35), text
    assert "udnie.jpg" in text and '(model "f16")' in text, text


@pytest.mark.case("indexed")
def test_indexed_image_gets_a_clear_message(case: dict) -> None:
    assert case["call"]["status"] == "execution-error"
    assert "Image > Mode > RGB" in case["call"]["message"]
    assert len(case["layers"]) == 1


@pytest.mark.case("no_style")
def test_missing_style_is_an_error_not_success(case: dict) -> None:
    assert case["call"]["status"] == "execution-error"
    assert "style image" in case["call"]["message"].lower()
    assert len(case["layers"]) == 1


def test_missing_model_names_the_fix(no_models_run: tuple[Run, dict]) -> None:
    _, result = no_models_run
    record = result["cases"]["error_run"]
    assert "exception" not in record, record["exception"]
    assert record["call"]["status"] == "execution-error", record["call"]
    message = record["call"]["message"]
    assert ".tflite" in message and "Fix:" in message, message
    assert len(record["layers"]) == 1, "a failed run must add no layer"
    assert not record["dirty"], "a failed run must leave no undo step"


def test_missing_dependency_names_the_fix(no_deps_run: tuple[Run, dict]) -> None:
    _, result = no_deps_run
    record = result["cases"]["error_run"]
    assert "exception" not in record, record["exception"]
    assert record["call"]["status"] == "execution-error", record["call"]
    assert "installer.py --gimp" in record["call"]["message"], record["call"]["message"]
    assert len(record["layers"]) == 1
    assert not record["dirty"]


# -- uninstall (last: it removes the plug-in the other tests use) ------------------------------


def test_uninstall_removes_exactly_what_was_added(gimp: GimpChroot, installed: Run,
                                                  main_run: tuple[Run, dict],
                                                  no_models_run: tuple[Run, dict],
                                                  no_deps_run: tuple[Run, dict],
                                                  killed_run: tuple[Run, dict]) -> None:
    home = gimp.host_path(f"{WORK}/home")
    plugins = home / ".config" / "GIMP" / "3.0" / "plug-ins"
    # Something of the user's own that must survive, in the folders we share with GIMP.
    (plugins / "users-own.py").write_text("# not ours\n", encoding="utf-8")
    record = gimp.plugin_dir() / "style_transfer" / "install-record.json"
    recorded = json.loads(record.read_text(encoding="utf-8"))["paths"]
    run = gimp.run(["python3", f"{WORK}/src/installer.py", "--gimp",
                    "--uninstall"], gimp.env())
    assert run.returncode == 0, run.output
    assert not gimp.plugin_dir().exists()
    assert (plugins / "users-own.py").is_file()
    for path in recorded:
        assert not gimp.host_path(path).exists(), path
    # GIMP's own files (pluginrc, plug-in-settings from the runs) are not ours to delete.
    assert (home / ".config" / "GIMP" / "3.0").is_dir()
    left = sorted(str(p.relative_to(home)) for p in home.rglob("*") if "style" in p.name.lower()
                  and "plug-in-settings" not in p.parts)
    assert left == [], left
    assert os.path.isdir(plugins)
