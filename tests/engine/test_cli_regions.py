"""`style-transfer --region / --strength-map / --scale-map / --color-source`, as a user runs it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from style_transfer.cli import main
from style_transfer.engine.images import load_image
from style_transfer.engine.quality import psnr


@pytest.fixture()
def masks(tmp_path: Path, images_dir: Path) -> dict:
    w, h = Image.open(images_dir / "stata.jpg").size
    left = np.zeros((h, w), np.uint8)
    left[:, : w // 2] = 255
    paths = {"left": tmp_path / "left.png", "right": tmp_path / "right.png",
             "small": tmp_path / "small.png", "rgb": tmp_path / "rgb.png"}
    Image.fromarray(left).save(paths["left"])
    Image.fromarray(255 - left).save(paths["right"])
    Image.fromarray(left[::2, ::2]).save(paths["small"])
    Image.fromarray(np.dstack([left] * 3)).save(paths["rgb"])  # a grey mask saved as RGB
    return paths


def test_two_regions_equal_their_single_style_renders(tmp_path: Path, images_dir: Path,
                                                      masks: dict) -> None:
    stata, udnie, stripes = (str(images_dir / n) for n in ("stata.jpg", "udnie.jpg",
                                                             "stripes.jpg"))
    out = tmp_path / "two.png"
    rc = main([stata, "--region", f"{masks['left']}={udnie}",
               "--region", f"{masks['right']}={stripes}", "-o", str(out), "-q"])
    assert rc == 0
    for style, name in ((udnie, "u.png"), (stripes, "s.png")):
        assert main([stata, "--style", style, "-o", str(tmp_path / name), "-q"]) == 0
    two, u, s = (load_image(tmp_path / n) for n in ("two.png", "u.png", "s.png"))
    half = two.shape[1] // 2
    assert psnr(two[:, :half], u[:, :half]) >= 30 and psnr(two[:, half:], s[:, half:]) >= 30


def test_region_weights_and_a_pixel_outside_every_region(tmp_path: Path, images_dir: Path,
                                                         masks: dict) -> None:
    stata = str(images_dir / "stata.jpg")
    mix = f"{images_dir / 'udnie.jpg'}:0.7,{images_dir / 'stripes.jpg'}:0.3"
    out = tmp_path / "mix.png"
    assert main([stata, "--region", f"{masks['left']}={mix}", "-o", str(out), "-q"]) == 0
    got, src = load_image(out), load_image(stata)
    half = got.shape[1] // 2
    assert np.array_equal(got[:, half:], src[:, half:])  # no --style: the original stays
    assert psnr(got[:, :half], src[:, :half]) < 20  # and the region is restyled


def test_maps_and_colour_source_run(tmp_path: Path, images_dir: Path, masks: dict) -> None:
    stata, udnie = str(images_dir / "stata.jpg"), str(images_dir / "udnie.jpg")
    for extra in (["--strength-map", str(masks["rgb"])],  # an RGB map counts by its lightness
                  ["--scale-map", str(masks["left"]), "--scale-range", "0.5,1"],
                  ["--color-source", str(images_dir / "red_circles.jpg")]):
        out = tmp_path / f"{extra[0].strip('-')}.png"
        assert main([stata, "--style", udnie, *extra, "-o", str(out), "-q"]) == 0
        assert load_image(out).shape == load_image(stata).shape


@pytest.mark.parametrize("args, code, words", [
    (["--region", "{small}={udnie}"], 1, "the same size"),
    (["--region", "{left}"], 2, "is not MASK=STYLE"),
    (["--style", "{udnie}", "--scale-map", "{left}"], 2, "go together"),
    (["--style", "{udnie}", "--scale-map", "{left}", "--scale-range", "0,2"], 2, "scale must be"),
    ([], 2, "give a style"),
    (["--region", "{left}={udnie}", "-o", "{left}"], 2, "would overwrite the input"),
])
def test_bad_region_arguments_say_what_is_wrong(args: list, code: int, words: str,
                                                tmp_path: Path, images_dir: Path, masks: dict,
                                                capsys: pytest.CaptureFixture) -> None:
    names = {k: str(v) for k, v in masks.items()} | {"udnie": str(images_dir / "udnie.jpg")}
    argv = [str(images_dir / "stata.jpg"), *(a.format(**names) for a in args)]
    if "-o" not in argv:
        argv += ["-o", str(tmp_path / "x.png")]
    try:
        rc = main([*argv, "-q"])
    except SystemExit as e:  # argparse's own usage errors
        rc = e.code
    assert rc == code
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "x.png").exists()
    assert load_image(masks["left"]).shape[:2] == load_image(images_dir / "stata.jpg").shape[:2]
