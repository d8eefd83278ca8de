"""plugin/style_transfer/deps.py: the one copy of "install the wheels the plugin needs", used by
installer.py and by the Krita docker's *Install dependencies* (where sys.executable is krita).

These tests reach PyPI for real (pip's own cache, PIP_CACHE_DIR, keeps re-runs cheap): the one
full install runs pip from its wheel with a Python that has no pip, as inside Krita."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEPS = REPO / "plugin" / "style_transfer" / "deps.py"
#: pip's normal per-user cache, not the throw-away homes the tests make
PIP_CACHE = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")


def load_deps():
    import importlib.util

    spec = importlib.util.spec_from_file_location("_deps_under_test", DEPS)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python with only the standard library and no pip (like a host's embedded Python)."""
    root = tmp_path_factory.mktemp("bare") / "venv"
    venv.EnvBuilder(with_pip=False).create(root)
    exe = root / "bin" / "python3"
    r = subprocess.run([str(exe), "-m", "pip", "--version"], capture_output=True, text=True)
    assert r.returncode != 0, "the bare venv unexpectedly has pip"
    return exe


def run_in(python: Path, code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=env,
                          timeout=1200)


def test_module_is_stdlib_only_and_python39(bare_python: Path) -> None:
    import ast

    ast.parse(DEPS.read_text(encoding="utf-8"), feature_version=(3, 9))
    code = (f"import importlib.util as u, json; s = u.spec_from_file_location('d', {str(DEPS)!r});"
            "m = u.module_from_spec(s); s.loader.exec_module(m); print(json.dumps(m.missing()))")
    r = run_in(bare_python, code, dict(os.environ))
    assert r.returncode == 0, r.stderr
    # pip names, in REQUIREMENTS order, for a Python that has none of them
    assert json.loads(r.stdout) == ["ai-edge-litert", "numpy", "pillow", "opencv-python-headless"]


def test_missing_is_empty_where_everything_imports() -> None:
    deps = load_deps()
    assert deps.missing() == []  # the test venv has LiteRT, numpy, Pillow and OpenCV
    assert deps.deps_dir(Path("/x/pykrita/style_transfer")) == Path(
        "/x/pykrita/style_transfer/_deps")
    assert [deps.requirement_name(r) for r in deps.REQUIREMENTS] == [
        "ai-edge-litert", "numpy", "pillow", "opencv-python-headless"]


def test_inside_a_host_the_host_binary_is_not_taken_for_python(bare_python: Path) -> None:
    deps = load_deps()
    saved = sys.executable, getattr(sys, "_base_executable", None)
    try:
        sys.executable = sys._base_executable = "/usr/bin/krita"  # what Krita's Python says
        found = deps.python_candidates()
    finally:
        sys.executable, sys._base_executable = saved
    assert "/usr/bin/krita" not in found and found  # python3 from PATH instead
    assert deps._looks_like_python("/usr/bin/python3.11")
    assert deps._looks_like_python("C:/Krita/python/python.exe")
    assert not deps._looks_like_python("/usr/bin/krita")


def test_failed_install_leaves_the_target_unchanged(tmp_path: Path) -> None:
    deps = load_deps()
    target = tmp_path / "pkg" / "_deps"
    target.mkdir(parents=True)
    (target / "keep.txt").write_text("an earlier install", encoding="utf-8")
    os.environ.setdefault("PIP_CACHE_DIR", PIP_CACHE)
    lines = []
    with pytest.raises(deps.DependencyInstallError) as e:
        deps.install(target, python_version="3.99", progress=lines.append)  # no wheels exist
    msg = str(e.value)
    assert "\n" not in msg and "ai-edge-litert" in msg, msg
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["_deps"]  # no staging left
    assert lines and lines[0].startswith("Resolving")


@pytest.mark.slow
def test_install_from_a_pythonless_host_runs_pip_from_its_wheel(bare_python: Path,
                                                                 tmp_path: Path,
                                                                 models_dir: Path) -> None:
    """As inside Krita: sys.executable is not a python and the only python3 on PATH has no pip.
    deps.install downloads pip's wheel from PyPI (sha256-checked), runs pip from it, and the
    wheels it installs make LiteRT run a real model in that same bare Python."""
    env = dict(os.environ, PATH=str(bare_python.parent), PIP_CACHE_DIR=PIP_CACHE,
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    target = tmp_path / "pykrita" / "style_transfer" / "_deps"
    code = f"""
import importlib.util as u, sys
sys.executable = sys._base_executable = "/usr/bin/krita"
s = u.spec_from_file_location("d", {str(DEPS)!r}); d = u.module_from_spec(s)
s.loader.exec_module(d)
target = d.deps_dir(__import__("pathlib").Path({str(target.parent)!r}))
print("missing before:", d.missing())
d.install(target, progress=print)
print("usable now:", d.activate(target), d.missing())
"""
    r = run_in(bare_python, code, env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "Downloading pip from PyPI" in r.stdout
    assert ("missing before: ['ai-edge-litert', 'numpy', 'pillow', 'opencv-python-headless']"
            in r.stdout)
    assert "usable now: True []" in r.stdout  # no restart needed: nothing was loaded before
    wheel = list((tmp_path / "cache" / "style-transfer" / "pip").glob("pip-*-py3-none-any.whl"))
    assert len(wheel) == 1 and not list(wheel[0].parent.glob("*.part"))
    assert {"ai_edge_litert", "PIL", "numpy"} <= {p.name for p in target.iterdir()}
    assert sorted(p.name for p in target.parent.iterdir()) == ["_deps"]  # staging swapped in
    run = f"""
import sys; sys.path.append({str(target)!r})
from ai_edge_litert.interpreter import Interpreter
import numpy as np, PIL
it = Interpreter(model_path={str(models_dir / "style_predict_int8_256.tflite")!r})
it.allocate_tensors()
inp = it.get_input_details()[0]
it.set_tensor(inp["index"], np.full(inp["shape"], 0.5, np.float32)); it.invoke()
print(it.get_tensor(it.get_output_details()[0]["index"]).shape)
"""
    ok = run_in(bare_python, run, env)
    assert ok.returncode == 0, ok.stderr[-3000:]
    assert ok.stdout.strip() == "(1, 1, 1, 100)"
    # a second call finds the stamp: nothing is fetched again
    again = run_in(bare_python, code, env)
    assert again.returncode == 0 and "already in" in again.stdout, again.stderr[-2000:]
    assert "Downloading pip" not in again.stdout  # the verified pip wheel is reused
