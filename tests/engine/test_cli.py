"""The `style-transfer` command end to end, as a user runs it (a subprocess, real models)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from style_transfer.engine.style import load_preset
from style_transfer.version import __version__

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO / "plugin"))
    return subprocess.run([sys.executable, "-m", "style_transfer.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_version(tmp_path: Path) -> None:
    r = _cli("--version", cwd=tmp_path)
    version, runtime = r.stdout.strip().splitlines()
    assert r.returncode == 0 and version == f"style-transfer {__version__}"
    assert runtime.startswith(("runtime: OpenVINO ", "runtime: LiteRT ")), runtime


def test_one_version_for_the_command_the_package_and_the_zip(tmp_path: Path) -> None:
    """A bump of plugin/style_transfer/version.py reaches `--version`, the package's
    __version__ and the name `installer.py --zip` gives the zip (they came from two files)."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "plugin", copy / "plugin",
                    ignore=shutil.ignore_patterns("__pycache__", "_deps"))
    shutil.copytree(REPO / "models", copy / "models")
    shutil.copy(REPO / "installer.py", copy)
    version_py = copy / "plugin" / "style_transfer" / "version.py"
    version_py.write_text(version_py.read_text(encoding="utf-8").replace(
        f'"{__version__}"', '"9.8.7"'), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(copy / "plugin"), STYLE_TRANSFER_RUNTIME="litert")
    cli = subprocess.run([sys.executable, "-m", "style_transfer.cli", "--version"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert cli.stdout.splitlines()[0] == "style-transfer 9.8.7", cli.stdout + cli.stderr
    package = subprocess.run([sys.executable, "-c", "import style_transfer as s; "
                              "print(s.__version__)"], env=env, capture_output=True, text=True)
    assert package.stdout.strip() == "9.8.7", package.stderr
    zipped = subprocess.run([sys.executable, str(copy / "installer.py"), "--zip",
                             str(tmp_path / "dist")], capture_output=True, text=True)
    assert zipped.returncode == 0, zipped.stderr
    assert [p.name for p in (tmp_path / "dist").iterdir()] == ["style_transfer-krita-9.8.7.zip"]


def test_version_names_the_runtime_asked_for(tmp_path: Path) -> None:
    env = {"STYLE_TRANSFER_RUNTIME": "litert"}
    r = subprocess.run([sys.executable, "-m", "style_transfer.cli", "--version"], cwd=tmp_path,
                       env=dict(os.environ, PYTHONPATH=str(REPO / "plugin"), **env),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.splitlines()[1].startswith("runtime: LiteRT 2."), r.stdout


def test_single_file_with_blend_strength_and_preset(tmp_path: Path, images_dir: Path) -> None:
    out = tmp_path / "result.jpg"
    preset = tmp_path / "mix.json"
    r = _cli(str(images_dir / "chicago.jpg"), "-s", str(images_dir / "udnie.jpg"),
             "-s", str(images_dir / "red_circles.jpg"), "--weights", "0.7,0.3",
             "--strength", "80%", "--preserve-colors", "-o", str(out),
             "--save-preset", str(preset), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    img = np.asarray(Image.open(out))
    assert img.shape == (474, 712, 3)
    src = np.asarray(Image.open(images_dir / "chicago.jpg"))
    assert np.abs(img.astype(int) - src.astype(int)).mean() > 5
    p = load_preset(preset)
    assert p.name == "udnie + red_circles" and p.vector.shape == (100,)
    # the preset reproduces the blend (strength/colours are render options, given again)
    out2 = tmp_path / "again.jpg"
    r = _cli(str(images_dir / "chicago.jpg"), "-s", str(preset), "--strength", "0.8",
             "--preserve-colors", "-o", str(out2), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    a, b = np.asarray(Image.open(out)).astype(int), np.asarray(Image.open(out2)).astype(int)
    assert np.abs(a - b).mean() < 1.0  # only JPEG noise and float rounding apart


def test_batch_folder_and_glob(tmp_path: Path, images_dir: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("beach.jpg", "clouds.jpg", "bricks.jpg"):
        shutil.copy(images_dir / name, src)
    (src / "readme.txt").write_text("not an image", encoding="utf-8")
    out = tmp_path / "out"
    r = _cli(str(src), "-s", str(images_dir / "zigzag.jpg"), "-o", str(out), "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["beach.png", "bricks.png", "clouds.png"]
    r = _cli(str(src / "b*.jpg"), "-s", str(images_dir / "zigzag.jpg"), "-o", str(tmp_path / "g"),
             "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["beach.png", "bricks.png"]
    # the same name from two folders: two outputs, not one overwritten
    (tmp_path / "in2").mkdir()
    shutil.copy(images_dir / "stripes.jpg", tmp_path / "in2" / "beach.jpg")
    r = _cli(str(src / "beach.jpg"), str(tmp_path / "in2" / "beach.jpg"), "-s",
             str(images_dir / "zigzag.jpg"), "-o", str(tmp_path / "d"), "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["beach-2.png", "beach.png"]


def test_batch_keeps_going_after_a_bad_file(tmp_path: Path, images_dir: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(images_dir / "beach.jpg", src / "a.jpg")
    (src / "b.jpg").write_bytes(b"\xff\xd8 broken")
    r = _cli(str(src), "-s", str(images_dir / "udnie.jpg"), "-o", str(tmp_path / "o"), "-q",
             cwd=tmp_path)
    assert r.returncode == 1
    assert (tmp_path / "o" / "a.png").is_file() and not (tmp_path / "o" / "b.png").exists()
    assert "b.jpg" in r.stderr


def test_default_output_name_and_mask(tmp_path: Path, images_dir: Path) -> None:
    content = tmp_path / "photo.png"
    shutil.copy(images_dir / "golden_gate.jpg", tmp_path / "g.jpg")
    Image.open(tmp_path / "g.jpg").save(content)
    mask = np.zeros((256, 256), np.uint8)
    mask[:, 128:] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    r = _cli(str(content), "-s", str(images_dir / "udnie.jpg"), "--mask",
             str(tmp_path / "mask.png"), "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = np.asarray(Image.open(tmp_path / "photo-stylized.png"))
    src = np.asarray(Image.open(content))
    assert np.array_equal(out[:, :128], src[:, :128])
    assert np.abs(out[:, 128:].astype(int) - src[:, 128:].astype(int)).mean() > 10


def test_models_list_and_verify(tmp_path: Path, models_dir: Path) -> None:
    r = _cli("models", "list", cwd=tmp_path)
    assert r.returncode == 0
    for model_id in ("predictor-int8", "transformer-int8", "transformer-f16"):
        assert model_id in r.stdout
    assert str(models_dir) in r.stdout
    r = _cli("models", "verify", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.count(": ok ") == 4


def test_the_command_says_which_runtime_rendered(tmp_path: Path, images_dir: Path) -> None:
    """A user (and the README's demo) sees what the pictures were painted on."""
    Image.open(images_dir / "stata.jpg").resize((96, 64)).save(tmp_path / "c.png")
    style = str(images_dir / "udnie.jpg")
    r = _cli(str(tmp_path / "c.png"), "-s", style, "-o", "a.png", "--runtime", "litert",
             cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("style-transfer: rendered on LiteRT 2")
    r = _cli(str(tmp_path / "c.png"), "-s", style, "-o", "b.png", "--runtime", "openvino",
             cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("style-transfer: rendered on OpenVINO 20")
    r = _cli(str(tmp_path / "c.png"), "-s", style, "-o", "c.png", "-q", cwd=tmp_path)
    assert "rendered on" not in r.stderr  # -q: nothing but errors
