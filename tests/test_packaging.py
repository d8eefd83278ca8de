"""What `pip install .` gives a command-line user: OpenVINO (the fast runtime) by default where
PyPI has a wheel for it, LiteRT alone elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]


def _openvino() -> Requirement:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"]
    (req,) = [Requirement(d) for d in deps if Requirement(d).name == "openvino"]
    return req


@pytest.mark.parametrize("env,wanted", [
    ({"sys_platform": "linux", "platform_machine": "x86_64", "python_version": "3.11"}, True),
    ({"sys_platform": "linux", "platform_machine": "aarch64", "python_version": "3.13"}, True),
    ({"sys_platform": "win32", "platform_machine": "AMD64", "python_version": "3.12"}, True),
    ({"sys_platform": "darwin", "platform_machine": "arm64", "python_version": "3.12"}, True),
    # no OpenVINO wheels there: LiteRT alone, and the install must not fail
    ({"sys_platform": "darwin", "platform_machine": "x86_64", "python_version": "3.12"}, False),
    ({"sys_platform": "linux", "platform_machine": "armv7l", "python_version": "3.11"}, False),
    ({"sys_platform": "win32", "platform_machine": "ARM64", "python_version": "3.12"}, False),
    ({"sys_platform": "linux", "platform_machine": "x86_64", "python_version": "3.9"}, False),
])
def test_openvino_is_a_default_dependency_where_it_has_wheels(env: dict, wanted: bool) -> None:
    marker = _openvino().marker
    assert marker is not None
    assert marker.evaluate(env) is wanted


def test_pip_install_in_a_fresh_venv_runs_on_openvino(tmp_path: Path) -> None:
    """The README's `pip install .`, for real (PyPI, pip's cache), then --version."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q",
                          "--disable-pip-version-check", str(REPO)],
                         capture_output=True, text=True, timeout=900)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    env = {k: v for k, v in os.environ.items() if k != "STYLE_TRANSFER_RUNTIME"}
    r = subprocess.run([str(venv / "bin" / "style-transfer"), "--version"], capture_output=True,
                       text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert "\nruntime: OpenVINO 20" in r.stdout, r.stdout
