"""installer.py (Krita part) run as a user runs it, against a throw-away home folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Dict

import pytest
from kritatest import REPO, run_installer, user_env


def tree(root: Path) -> Dict[str, str]:
    """Every file and folder under root with its content (files) or 'dir'."""
    out = {}
    for p in sorted(root.rglob("*")):
        out[str(p.relative_to(root))] = "dir" if p.is_dir() else p.read_bytes().hex()[:4000]
    return out


def test_install_is_idempotent_and_uninstall_restores_the_tree(tmp_path: Path, models_dir: Path):
    home = tmp_path / "home"
    # a user who already has Krita settings and another plugin
    (home / "config").mkdir(parents=True)
    (home / "config" / "kritarc").write_text(
        "[General]\nfoo=1\n\n[python]\nenable_other=true\n\n[Zed]\nx[$e]=$HOME\n",
        encoding="utf-8")
    other = home / "data" / "krita" / "pykrita" / "other"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text("# someone else's plugin\n", encoding="utf-8")
    user_env(home)  # makes the XDG folders the installer runs with
    before = tree(home)

    dry = run_installer(home, models_dir, "--dry-run", "--krita-python", "3.11")
    assert dry.returncode == 0, dry.stderr
    assert "pip install --target" in dry.stdout and "dry run" in dry.stdout
    assert tree(home) == before  # a dry run changes nothing

    first = run_installer(home, models_dir)
    assert first.returncode == 0, first.stdout + first.stderr
    pkg = home / "data" / "krita" / "pykrita" / "style_transfer"
    assert (pkg / "_deps" / "ai_edge_litert").is_dir()
    assert (pkg / "manifest.json").is_file()
    assert (pkg.parent / "style_transfer.desktop").is_file()
    # the preview shortcut's default (Krita reads .action files from resources/actions)
    assert (home / "data" / "krita" / "actions" / "style_transfer.action").is_file()
    assert len(list((home / "data" / "style-transfer" / "models").glob("*.tflite"))) == 4
    rc = (home / "config" / "kritarc").read_text(encoding="utf-8")
    assert "enable_style_transfer=true" in rc and "x[$e]=$HOME" in rc and "enable_other" in rc

    again = run_installer(home, models_dir)
    assert again.returncode == 0, again.stderr
    assert "already in" in again.stdout  # wheels not fetched twice
    assert rc == (home / "config" / "kritarc").read_text(encoding="utf-8")

    gone = run_installer(home, None, "--uninstall")
    assert gone.returncode == 0, gone.stderr
    assert tree(home) == before


def test_uninstall_on_an_empty_home_removes_every_folder_it_made(tmp_path: Path,
                                                                  models_dir: Path):
    home = tmp_path / "home"
    home.mkdir()
    r = run_installer(home, models_dir)
    assert r.returncode == 0, r.stderr
    assert run_installer(home, None, "--uninstall").returncode == 0
    assert tree(home) == {"cache": "dir", "config": "dir", "data": "dir", "run": "dir"}


def test_uninstall_keeps_what_krita_wrote_into_folders_the_install_made(tmp_path: Path,
                                                                        models_dir: Path):
    """The install had to create ~/.local/share/krita; Krita then keeps its own resources
    there. Uninstalling the plugin must remove only the plugin, never the user's Krita data."""
    home = tmp_path / "home"
    home.mkdir()
    assert run_installer(home, models_dir).returncode == 0
    brushes = home / "data" / "krita" / "paintoppresets" / "mine.kpp"
    brushes.parent.mkdir(parents=True)
    brushes.write_bytes(b"user brush")
    cached = home / "data" / "style-transfer" / "models" / "extra.tflite"
    cached.write_bytes(b"a model the engine downloaded later")
    assert run_installer(home, None, "--uninstall").returncode == 0
    assert brushes.read_bytes() == b"user brush" and cached.is_file()
    assert not (home / "data" / "krita" / "pykrita").exists()  # ours, and empty: gone
    assert not list((home / "data" / "style-transfer" / "models").glob("style_*.tflite"))


KRITA_IMPORTER = Path("/usr/share/krita/pykrita/plugin_importer/plugin_importer.py")


def test_zip_for_kritas_import_plugin_dialog(tmp_path: Path):
    r = run_installer(tmp_path, None, "--zip", str(tmp_path / "dist"))
    assert r.returncode == 0, r.stderr
    z = next((tmp_path / "dist").glob("style_transfer-krita-*.zip"))
    infos = zipfile.ZipFile(z).infolist()
    names = [i.filename for i in infos]
    assert "style_transfer.desktop" in names and "style_transfer.action" in names
    for need in ("__init__.py", "manifest.json", "krita/extension.py", "deps.py",
                 "engine/models.py", "engine/errors.py", "Manual.html"):
        assert f"style_transfer/{need}" in names, need
    assert not [n for n in names if "__pycache__" in n or "/_deps" in n or n.endswith(".pyc")]
    assert not [p for p in tmp_path.joinpath("dist").iterdir() if p != z]  # no temporary left
    # a directory entry for every folder that holds a file (Krita's importer needs them)
    folders = {n.rsplit("/", 1)[0] + "/" for n in names if "/" in n.rstrip("/")}
    dirs = {i.filename for i in infos if i.is_dir()}
    assert "style_transfer/" in dirs and folders <= dirs, folders - dirs


def test_kritas_own_importer_accepts_the_zip(tmp_path: Path):
    """Krita's PluginImporter (what Tools › Scripts › Import Python Plugin from File runs) is
    plain Python: run it on the zip, then check the imported package finds its model manifest
    the way the engine does and that deps.py loads from it."""
    import builtins
    import importlib.util

    if not KRITA_IMPORTER.is_file():
        pytest.fail(f"Krita's plugin importer is missing: {KRITA_IMPORTER}")
    assert run_installer(tmp_path, None, "--zip", str(tmp_path / "dist")).returncode == 0
    z = next((tmp_path / "dist").glob("style_transfer-krita-*.zip"))
    spec = importlib.util.spec_from_file_location("krita_plugin_importer", KRITA_IMPORTER)
    assert spec and spec.loader
    importer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(importer)
    builtins.i18n = getattr(builtins, "i18n", str)  # Krita provides i18n as a builtin
    resources = tmp_path / "krita"
    resources.mkdir()
    imported = importer.PluginImporter(str(z), str(resources), lambda plugin: True).import_all()
    assert [p["name"] for p in imported] == ["style_transfer"]
    pkg = resources / "pykrita" / "style_transfer"
    assert (resources / "pykrita" / "style_transfer.desktop").is_file()
    assert (resources / "actions" / "style_transfer.action").is_file()  # the preview shortcut
    assert (pkg / "Manual.html").is_file() and (pkg / "deps.py").is_file()
    code = (
        "import importlib.util as u, sys\n"
        "def load(n, p):\n"
        "    s = u.spec_from_file_location(n, p); m = u.module_from_spec(s)\n"
        "    sys.modules[n] = m; s.loader.exec_module(m); return m\n"
        f"m = load('m', {str(pkg / 'engine' / 'models.py')!r})\n"
        "print(sorted(m.load_manifest()))\n"
        f"d = load('d', {str(pkg / 'deps.py')!r}); print(d.deps_dir({str(pkg)!r}))\n")
    env = {k: v for k, v in os.environ.items() if k != "STYLE_TRANSFER_MANIFEST"}
    r = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                       env=env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "transformer-int8-dynamic" in r.stdout and f"{pkg}/_deps" in r.stdout


def test_installer_is_python39_syntax():
    import ast

    ast.parse((REPO / "installer.py").read_text(encoding="utf-8"), feature_version=(3, 9))
