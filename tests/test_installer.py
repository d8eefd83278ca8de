"""installer.py as a user runs it, in throw-away homes: failed installs, the shared model cache,
--dry-run warnings, and that it uses the engine's own model store (engine/models.py by path)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Dict, List

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "krita"))
from kritatest import run_installer, user_env  # noqa: E402

#: pip's normal per-user cache, so the wheels are downloaded once, not once per home
os.environ.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
KRITA = ("--krita-python", "3.11")


def tree(root: Path) -> Dict[str, str]:
    return {str(p.relative_to(root)): "dir" if p.is_dir() else p.read_bytes().hex()[:64]
            for p in sorted(root.rglob("*"))}


def fresh_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    for d in ("data", "config", "cache", "run"):
        (home / d).mkdir(parents=True)
    (home / "config" / "kritarc").write_text("[General]\nfoo=1\n", encoding="utf-8")
    return home


def load_installer():
    spec = importlib.util.spec_from_file_location("installer_under_test", REPO / "installer.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def models_in(home: Path) -> List[str]:
    return sorted(p.name for p in (home / "data" / "style-transfer" / "models").glob("*.tflite"))


def test_bad_models_folder_changes_nothing(tmp_path: Path) -> None:
    home = fresh_home(tmp_path)
    before = tree(home)
    r = run_installer(home, tmp_path / "no-such-folder", *KRITA)
    assert r.returncode == 1
    assert "no-such-folder: no such folder" in r.stderr and "Traceback" not in r.stderr
    assert tree(home) == before  # stopped before the first change


def test_dry_run_warns_about_a_missing_models_folder(tmp_path: Path) -> None:
    home = fresh_home(tmp_path)
    before = tree(home)
    r = run_installer(home, tmp_path / "nope", "--dry-run", *KRITA)
    assert r.returncode == 0, r.stderr
    assert "warning: --models" in r.stdout and "nope: no such folder" in r.stdout
    assert tree(home) == before


def test_gimp_dry_run_without_gimp_says_so(tmp_path: Path) -> None:
    if any(shutil.which(n) for n in ("gimp", "gimp-3.0", "gimp-3")) or list(
            Path("/usr").glob("lib*/**/gimp/3.0")):
        pytest.skip("a GIMP is installed on this machine (the tests run GIMP in a chroot)")
    r = run_installer(fresh_home(tmp_path), None, "--gimp", "--dry-run")
    assert r.returncode == 1
    assert "GIMP 3 was not found" in r.stderr and "Python 3." not in r.stdout + r.stderr


def test_a_failed_install_is_fully_removed_by_uninstall_even_after_a_retry(
        tmp_path: Path, models_dir: Path) -> None:
    home = fresh_home(tmp_path)
    before = tree(home)
    # a mirror that does not answer: the models fail after wheels, package and kritarc are in
    dead = run_installer(home, None, *KRITA, "--models", "http://127.0.0.1:9/models")
    assert dead.returncode == 1 and "is not available" in dead.stderr, dead.stderr
    assert "Fix: check that --models names a folder or base URL" in dead.stderr
    assert "--uninstall" in dead.stderr  # says how to remove the half install
    pkg = home / "data" / "krita" / "pykrita" / "style_transfer"
    assert (pkg / "install-record.json").is_file()
    retry = run_installer(home, models_dir, *KRITA)
    assert retry.returncode == 0, retry.stderr
    assert len(models_in(home)) == 4
    assert run_installer(home, None, "--uninstall").returncode == 0
    assert tree(home) == before


def test_half_install_then_uninstall_removes_everything(tmp_path: Path) -> None:
    home = fresh_home(tmp_path)
    before = tree(home)
    assert run_installer(home, None, *KRITA, "--models", "http://127.0.0.1:9/m").returncode == 1
    gone = run_installer(home, None, "--uninstall")
    assert gone.returncode == 0 and "nothing to uninstall" not in gone.stdout, gone.stdout
    assert tree(home) == before


def test_uninstalling_one_host_keeps_the_models_the_other_uses(tmp_path: Path,
                                                               models_dir: Path) -> None:
    home = fresh_home(tmp_path)
    before = tree(home)
    gimp = ("--gimp", "--gimp-dir", str(home / "config" / "GIMP" / "3.0" / "plug-ins"),
            "--gimp-python", "3.11")
    assert run_installer(home, models_dir, *KRITA).returncode == 0
    assert run_installer(home, models_dir, *gimp).returncode == 0
    four = models_in(home)
    assert len(four) == 4
    krita_gone = run_installer(home, None, "--uninstall")
    assert krita_gone.returncode == 0
    assert "GIMP still uses them" in krita_gone.stdout, krita_gone.stdout
    assert models_in(home) == four  # GIMP's plug-in still finds its models
    assert not (home / "data" / "krita" / "pykrita").exists()
    gimp_gone = run_installer(home, None, *gimp, "--uninstall")
    assert gimp_gone.returncode == 0, gimp_gone.stderr
    assert tree(home) == before  # the last host out removes the models too


def test_the_last_host_out_removes_the_plugins_own_logs_and_caches(tmp_path: Path,
                                                                  models_dir: Path) -> None:
    """What the plugin wrote for itself while it ran (the hosts' logs, GIMP's copies of layers
    used as styles, pip's wheel kept by *Install dependencies*) goes with the last host; an
    uninstall used to leave style-transfer/logs/krita.log behind."""
    home = fresh_home(tmp_path)
    before = tree(home)
    assert run_installer(home, models_dir, *KRITA).returncode == 0
    pykrita = home / "data" / "krita" / "pykrita"
    ran = ("from style_transfer.common.logs import logger\n"
           "logger('krita').warning('a job failed')\n"
           "logger('gimp').warning('a job failed')\n")
    env = dict(user_env(home), PYTHONPATH=str(pykrita))
    r = subprocess.run([sys.executable, "-c", ran], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (home / "data" / "style-transfer" / "logs" / "krita.log").stat().st_size > 0
    pip = home / "cache" / "style-transfer" / "pip"  # where deps.pip_wheel keeps it
    pip.mkdir(parents=True)
    (pip / "pip-25.0-py3-none-any.whl").write_bytes(b"pip")
    styles = home / "data" / "style-transfer" / "layer-styles"  # GIMP's layers used as styles
    styles.mkdir()
    (styles / "photo-sky-7.png").write_bytes(b"png")
    gone = run_installer(home, None, "--uninstall")
    assert gone.returncode == 0, gone.stderr
    assert tree(home) == before


@pytest.mark.parametrize("kritarc", [
    b"[General]\r\nfoo=1",  # Windows line ends, no newline at the end, no [python] section
    b"[General]\r\nfoo=1\r\n\r\n[python]\r\nenable_other=true",  # our section, at the end
    b"[python]\nenable_style_transfer = false\n[Zed]\nx=1\n",  # our key, set otherwise
    b"[General]\nfoo=1\n\n",  # a blank line of the user's own at the end
])
def test_kritarc_round_trip_is_byte_identical(tmp_path: Path, kritarc: bytes) -> None:
    installer = load_installer()
    rc = tmp_path / "kritarc"
    rc.write_bytes(kritarc)
    record = installer.Record(tmp_path / "record.json")
    installer.ini_set(rc, "python", "enable_style_transfer", "true", record)
    edited = rc.read_bytes()
    assert b"enable_style_transfer=true" in edited
    assert (b"\r\n" in edited) == (b"\r\n" in kritarc) and b"\r\r" not in edited
    assert edited.count(b"\n") == edited.count(b"\r\n") or b"\r\n" not in kritarc
    installer.uninstall(installer.Record(record.path), dry_run=False)
    assert rc.read_bytes() == kritarc


def test_installer_has_no_model_store_of_its_own(tmp_path: Path) -> None:
    """One store: installer.py loads engine/models.py by path; no copy of the cache folder
    rule, the hash or the download is left in it."""
    source = (REPO / "installer.py").read_text(encoding="utf-8")
    for copy in ("def model_cache_dir", "def _sha256", "urllib.request", "hashlib", '".part"'):
        assert copy not in source, copy
    installer = load_installer()
    assert installer.models.MODEL_CHOICES["int8"] == "transformer-int8-dynamic"
    assert installer.deps.REQUIREMENTS == installer.REQUIREMENTS


def test_models_py_runs_on_a_bare_python_loaded_by_path(tmp_path: Path,
                                                        models_dir: Path) -> None:
    """What installer.py needs of engine/models.py on a Python without numpy: load by path
    (its relative import of errors.py has no package then), find a model in a folder, copy it
    verified into a cache, and raise the engine's ModelError for a missing one."""
    bare = tmp_path / "bare"
    venv.EnvBuilder(with_pip=False).create(bare)
    code = f"""
import importlib.util as u, sys
s = u.spec_from_file_location("m", {str(REPO / "plugin/style_transfer/engine/models.py")!r})
m = u.module_from_spec(s); sys.modules["m"] = m; s.loader.exec_module(m)
store = m.ModelStore(sources=[{str(models_dir)!r}], cache_dir={str(tmp_path / "c")!r},
                     allow_download=False)
print(store.fetch("int8"))
empty = m.ModelStore(sources=[], cache_dir={str(tmp_path / "e")!r}, allow_download=False)
try:
    empty.path("f16")
except m.ModelError as e:
    print(type(e).__mro__[1].__name__)
"""
    r = subprocess.run([str(bare / "bin" / "python3"), "-I", "-c", code], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(tmp_path / "c" / "style_transfer_int8_dynamic.tflite"),
                                "EngineError"]
    assert [p.name for p in (tmp_path / "c").iterdir()] == ["style_transfer_int8_dynamic.tflite"]
