"""Krita 6 embeds PyQt6: the plugin must load (register its extension + docker) and build its
docker under PyQt6. PyQt6 comes from PyPI; `krita` is a small stand-in (tests/krita/fake_krita),
because Krita 6 itself is not available here."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "krita"))
from kritatest import run_under_pyqt6  # noqa: E402

SCRIPT = r"""
import sys
from PyQt6.QtWidgets import QApplication
app = QApplication(sys.argv)
import krita
import style_transfer
from style_transfer.krita import qt
assert qt.QT_MAJOR == 6, qt.QT_MAJOR
assert "PyQt5" not in sys.modules, "PyQt5 was imported under Krita 6"
from style_transfer.krita.docker import StyleTransferDocker
d = StyleTransferDocker()
d.show_message("hello")
print("REGISTERED", krita.REGISTERED)
print("DOCKER", d.windowTitle(), d.message.text(), d.model.currentData())
"""


def test_plugin_loads_and_builds_its_docker_under_pyqt6():
    stdout = run_under_pyqt6(SCRIPT)
    assert "REGISTERED [('extension', 'StyleTransferExtension'), ('docker', " \
           "'style_transfer_docker')]" in stdout
    assert "DOCKER Style Transfer hello int8" in stdout
