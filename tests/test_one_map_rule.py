"""One rule turns a map image into 0..1, whoever reads it: the CLI's --mask, --region and
--strength-map, and the host-neutral path both hosts use (common/maps.py on the pixels Krita and
GIMP hand it). The rule: Rec. 709 luma (0.2126 R + 0.7152 G + 0.0722 B) times alpha; gray as it
is; gray + alpha = gray x alpha.

The same four files go through every front end: an RGB ramp, a gray ramp, a gray + alpha file
whose left half is transparent (white under it) and a pure green one. The CLI's map is seen in
its result: each CLI render must equal the engine render made with the hosts' map."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import numpy as np
import pytest
from PIL import Image
from style_transfer.cli import main
from style_transfer.common import maps
from style_transfer.common.settings import JobSettings, MapRef, StyleRef
from style_transfer.engine import RenderOptions
from style_transfer.engine.images import load_image, resize_float, to_float
from style_transfer.engine.masks import gray_of
from style_transfer.gimp import pixels as gimp_pixels
from style_transfer.krita import color as krita_color

H, W = 96, 144
REF = MapRef("node", "{map}", "map")
KINDS = ("rgb", "gray", "gray_alpha_half_transparent", "green")


def _mask_file(kind: str, folder: Path) -> Path:
    ramp = np.tile(np.linspace(0, 255, W).round().astype(np.uint8), (H, 1))
    down = np.tile(np.linspace(255, 0, H).round().astype(np.uint8)[:, None], (1, W))
    if kind == "rgb":
        im = Image.fromarray(np.dstack([ramp, 255 - ramp, down]), "RGB")
    elif kind == "gray":
        im = Image.fromarray(ramp, "L")
    elif kind == "gray_alpha_half_transparent":
        alpha = np.full((H, W), 255, np.uint8)
        alpha[:, : W // 2] = 0  # white paint under it: a map that ignores alpha sees 1 here
        im = Image.fromarray(np.dstack([np.maximum(ramp, 128), alpha]), "LA")
    else:
        im = Image.fromarray(np.dstack([np.zeros((H, W), np.uint8),
                                        np.full((H, W), 255, np.uint8),
                                        np.zeros((H, W), np.uint8)]), "RGB")
    path = folder / f"{kind}.png"
    im.save(path)
    return path


def _by_the_rule(path: Path) -> np.ndarray:
    """The documented rule, written out here from the file's own channels."""
    with Image.open(path) as im:
        rgba = np.asarray(im.convert("RGBA"), np.float64) / 255.0
    luma = rgba[:, :, :3] @ np.array([0.2126, 0.7152, 0.0722])
    return luma * rgba[:, :, 3]


def _krita_pixels(path: Path) -> np.ndarray:
    """The file as a paint layer of an 8-bit sRGB Krita document: pixelData is B, G, R, A, and
    map_layers.node_pixels hands it through krita/color.to_srgb."""
    with Image.open(path) as im:
        rgba = np.asarray(im.convert("RGBA"))
    data = np.ascontiguousarray(rgba[:, :, [2, 1, 0, 3]]).tobytes()
    space = krita_color.Space("RGBA", "U8", krita_color.SRGB_PROFILE)
    return krita_color.to_srgb(data, W, H, space)


def _gimp_pixels(path: Path) -> np.ndarray:
    """The file as a GIMP channel (gray files only: a channel has one value per pixel), read as
    job.read_maps reads it: "Y float" bytes."""
    with Image.open(path) as im:
        gray = np.asarray(im.convert("L"), np.float32) / 255.0
    return gimp_pixels.mask_from_bytes(gray.tobytes(), W, H)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, images_dir: Path) -> Dict[str, Path]:
    folder = tmp_path_factory.mktemp("maps")
    photo = to_float(load_image(images_dir / "stata.jpg"))
    small = np.rint(resize_float(photo, (H, W)) * 255).clip(0, 255).astype(np.uint8)
    Image.fromarray(small).save(folder / "content.png")
    out = {kind: _mask_file(kind, folder) for kind in KINDS}
    out["content"] = folder / "content.png"
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_hosts_read_a_map_file_by_the_rule(files: Dict[str, Path], kind: str) -> None:
    want = _by_the_rule(files[kind])
    krita = gray_of(_krita_pixels(files[kind]))
    assert krita.shape == (H, W) and np.abs(krita - want).max() < 1e-5
    if kind == "gray":
        gimp = gray_of(_gimp_pixels(files[kind]))
        assert np.abs(gimp - want).max() < 1e-5
    if kind == "green":
        assert krita.mean() == pytest.approx(0.7152, abs=1e-5)
    if kind == "gray_alpha_half_transparent":
        assert krita[:, : W // 2].max() == 0.0  # transparent = unpainted = none


def _cli(files: Dict[str, Path], tmp_path: Path, *args: str) -> np.ndarray:
    out = tmp_path / "cli.png"
    assert main([str(files["content"]), *args, "-o", str(out), "-q"]) == 0
    return load_image(out).astype(np.int16)


@pytest.mark.parametrize("flag", ["--mask", "--region", "--strength-map"])
@pytest.mark.parametrize("kind", KINDS)
def test_cli_maps_equal_the_hosts_maps(engine, files: Dict[str, Path], images_dir: Path,
                                       tmp_path: Path, kind: str, flag: str) -> None:
    style = str(images_dir / "udnie.jpg")
    content = load_image(files["content"])
    host = _krita_pixels(files[kind])  # what a host hands common/maps
    mask_file = str(files[kind])
    if flag == "--mask":
        got = _cli(files, tmp_path, "-s", style, "--mask", mask_file)
        want = engine.stylize(content, [style], options=RenderOptions(mask=gray_of(host)))
    elif flag == "--region":
        got = _cli(files, tmp_path, "--region", f"{mask_file}={style}")
        settings = JobSettings(styles=(StyleRef("file", style, "udnie", region=REF),))
        want = maps.render(engine, content, settings, {REF: host})
    else:
        got = _cli(files, tmp_path, "-s", style, "--strength-map", mask_file)
        settings = JobSettings(styles=(StyleRef("file", style, "udnie"),), strength_map=REF)
        want = maps.render(engine, content, settings, {REF: host})
    diff = int(np.abs(got - want).max())
    assert diff <= 1, f"{flag} {kind}: not the hosts' map (differs by up to {diff}/255)"
