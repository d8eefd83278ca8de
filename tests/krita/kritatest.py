"""Helpers for the Krita tests: find Krita, install the plugin with installer.py into a throw-away
Krita resource folder (XDG_DATA_HOME / XDG_CONFIG_HOME, exactly the user path), run kritarunner.

Without Krita the tests skip, unless STYLE_TRANSFER_REQUIRE_HOSTS=1 (CI), then they fail."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ARTIFACTS = REPO / "tests" / "_artifacts" / "krita"


def require_krita(*tools: str) -> None:
    missing = [t for t in ("krita", "kritarunner", *tools) if shutil.which(t) is None]
    if missing:
        msg = f"Krita test needs {', '.join(missing)} (run .ci/setup_krita.sh)"
        if os.environ.get("STYLE_TRANSFER_REQUIRE_HOSTS") == "1":
            pytest.fail(msg)
        pytest.skip(msg)


def user_env(home: Path) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               XDG_CACHE_HOME=str(home / "cache"), XDG_RUNTIME_DIR=str(home / "run"),
               LANG="C.UTF-8")
    for d in ("data", "config", "cache", "run"):
        (home / d).mkdir(parents=True, exist_ok=True)
    os.chmod(home / "run", 0o700)
    return env


def run_installer(home: Path, models: Optional[Path], *extra: str) -> subprocess.CompletedProcess:
    args = [sys.executable, str(REPO / "installer.py"), *extra]
    if models is not None:
        args += ["--models", str(models)]
    return subprocess.run(args, env=user_env(home), capture_output=True, text=True, timeout=600)


def installed(home: Path, models: Path) -> Path:
    """Install the plugin for this home; returns the pykrita folder Krita loads from."""
    r = run_installer(home, models)
    assert r.returncode == 0, r.stdout + r.stderr
    pykrita = home / "data" / "krita" / "pykrita"
    assert (pykrita / "style_transfer" / "__init__.py").is_file()
    return pykrita


def kritarunner(home: Path, module: str, func: str, args: List[str], out: Path,
                timeout: int = 600) -> Dict[str, Any]:
    env = user_env(home)
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(HERE))
    log = out.with_suffix(".log")
    with open(log, "w", encoding="utf-8") as f:
        run = subprocess.run(["kritarunner", "-s", module, "-f", func, *args], env=env, stdout=f,
                             stderr=subprocess.STDOUT, timeout=timeout, cwd=str(home))
    assert out.is_file(), f"kritarunner wrote no result; log: {log}\n" + log.read_text()[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    result["exit_code"] = run.returncode  # kritarunner itself exits 0, unless Krita crashed
    return result


def krita_python_has(module: str) -> bool:
    """Whether Krita's own Python imports `module` without the plugin's wheels: Debian's Krita
    embeds the system python3, which sees Debian's packages (python3-numpy, and python3-pil
    on many desktops). What the docker lists as missing depends on it."""
    r = subprocess.run(["/usr/bin/python3", "-c",
                        f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r})"
                        " is None)"], env={"PATH": "/usr/bin:/bin"}, capture_output=True)
    return r.returncode == 0


def other_pillow() -> str:
    """A folder holding Pillow for Krita's Python, to put on PYTHONPATH: a Pillow from outside
    the plugin's wheels, as a system-wide one is (installed from PyPI once)."""
    folder = REPO / "tests" / "_artifacts" / "pillow-for-krita"
    if not (folder / "PIL").is_dir():
        r = subprocess.run(["/usr/bin/python3", "-c",
                            "import sys; print('%d.%d' % sys.version_info[:2])"],
                           capture_output=True, text=True)
        version = r.stdout.strip()
        r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target",
                            str(folder), "--only-binary", ":all:", "--python-version", version,
                            "--no-deps", "Pillow"], capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            if os.environ.get("STYLE_TRANSFER_REQUIRE_HOSTS") == "1":
                pytest.fail("could not install Pillow from PyPI: " + r.stderr[-2000:])
            pytest.skip("Pillow not installable here")
    return str(folder)


PYQT6 = REPO / "tests" / "_artifacts" / "pyqt6"


def pyqt6_path() -> str:
    """A folder to put on sys.path for PyQt6 ("" if it already imports): Krita 6's binding,
    used by the off-host tests with the fake krita module. Installed from PyPI once."""
    import importlib.util

    spec = importlib.util.find_spec("PyQt6")
    if spec is not None and not str(spec.origin).startswith(str(PYQT6)):
        return ""  # installed elsewhere, on every process's path
    if not (PYQT6 / "PyQt6").is_dir():
        r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target",
                            str(PYQT6), "PyQt6"], capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            if os.environ.get("STYLE_TRANSFER_REQUIRE_HOSTS") == "1":
                pytest.fail("could not install PyQt6 from PyPI: " + r.stderr[-2000:])
            pytest.skip("PyQt6 not installable here")
    return str(PYQT6)


def run_under_pyqt6(script: str, *args: str, timeout: int = 300) -> str:
    """Run `script` in a new Python with the fake krita module, PyQt6 (Krita 6's binding) and
    the plugin on its path, offscreen; assert it succeeded and return its stdout."""
    paths = [str(HERE / "fake_krita"), pyqt6_path(), str(REPO / "plugin")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p),
               QT_QPA_PLATFORM="offscreen")
    env.pop("STYLE_TRANSFER_QT", None)
    r = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True,
                       text=True, timeout=timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout
