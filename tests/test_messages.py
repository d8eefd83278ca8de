"""One place for what a user reads when something fails (common/messages.py), used by the CLI,
Krita and GIMP alike, and an engine that names no host."""

from __future__ import annotations

import ast
import subprocess
import venv
from pathlib import Path

import pytest
from style_transfer.common import messages
from style_transfer.engine import Cancelled, InputError

REPO = Path(__file__).resolve().parents[1]
ENGINE = REPO / "plugin" / "style_transfer" / "engine"


def test_the_engine_names_no_host() -> None:
    """No host in the engine's strings (docstrings and comments aside): no look into
    sys.modules for "krita" or "gi.repository.Gimp", no "press ... in the docker". Hosts pass
    their own fixes in."""
    found = []
    for path in sorted(ENGINE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and id(node) not in docstrings:
                words = node.value.lower()
                if any(w in words for w in ("krita", "gimp", "docker")):
                    found.append(f"{path.name}:{node.lineno}: {node.value[:60]!r}")
    assert found == []


def test_which_failures_are_shown_as_they_are() -> None:
    assert messages.user_message(InputError("The mask is 2x2 pixels.")) == "The mask is 2x2 pixels."
    assert messages.user_message(messages.UserError("Select a layer.")) == "Select a layer."
    assert messages.user_message(ValueError("bad")) is None  # a bug
    assert messages.failure_message(ValueError("bad"), "/x/krita.log") == (
        "Style transfer failed: ValueError: bad (details in /x/krita.log)")
    assert messages.failure_message(InputError("one line")) == "one line"
    assert messages.is_cancel(Cancelled()) and not messages.is_cancel(InputError("x"))


def test_a_failed_import_names_its_package() -> None:
    error = ImportError("No module named 'no_such_package_here'", name="no_such_package_here")
    assert messages.missing_packages(error) == ["no_such_package_here"]
    # one of ours failing is a bug, not a missing package; an importable one is not missing
    assert messages.missing_packages(ImportError("x", name="style_transfer.engine.core")) == []
    assert messages.missing_packages(ImportError("x", name="json")) == []
    text = messages.missing_message("Fix: do this.", "Krita", error)
    assert text.startswith("Style Transfer is missing the Python package "
                           "'no_such_package_here' for Krita's Python 3.")
    assert text.endswith(" Fix: do this.")


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A Python with none of the plugin's packages: what a zip-only install meets."""
    folder = tmp_path_factory.mktemp("bare")
    venv.EnvBuilder(with_pip=False).create(folder)
    return str(folder / "bin" / "python3")


def _run(python: str, *args: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(REPO / "plugin"), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run([python, *args], env=env, capture_output=True, text=True, timeout=120)


def test_hosts_get_every_missing_package_in_one_line(bare_python: str) -> None:
    """What Krita's docker and GIMP's run show (messages.load_engine): every package by its pip
    name, whose Python it is, and the host's own fix."""
    code = ("from style_transfer.common import messages\n"
            "try:\n"
            "    messages.load_engine('Fix: press the button.', None, 'Krita')\n"
            "except messages.SetupError as e:\n"
            "    print(e)\n")
    r = _run(bare_python, "-c", code)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    line = r.stdout.strip()
    assert "\n" not in line and line.startswith("Style Transfer is missing the Python packages "
                                                "'ai-edge-litert', 'numpy', 'pillow', "
                                                "'opencv-python-headless' for "
                                                "Krita's Python 3."), line
    assert line.endswith("Fix: press the button.")


def test_the_cli_names_the_missing_packages_in_one_line(bare_python: str, tmp_path: Path) -> None:
    r = _run(bare_python, "-m", "style_transfer.cli", str(tmp_path), "-s", str(tmp_path))
    assert r.returncode == 1, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith("style-transfer: error: Style Transfer is missing the Python "
                               "packages 'ai-edge-litert', 'numpy', 'pillow', "
                               "'opencv-python-headless', 'tqdm' for Python 3")
    assert "pip install ." in r.stderr
