"""The one Qt shim: every module of the Krita adapter imports Qt from here, never from PyQt5/6.

Krita 5 embeds PyQt5 and Krita 6 embeds PyQt6 (and refuses PyQt5 imports), so the binding must be
chosen by asking Krita, not by trying imports: a stray PyQt5 on sys.path inside Krita 6 would
otherwise be picked up and crash. `pykrita.qt_major_version()` exists from Krita 5.3/6 on; older
Krita (5.1, 5.2) lacks it and is always Qt 5.

Only scoped enum names (Qt.AlignmentFlag.AlignLeft) are used in the adapter: they work in PyQt5
5.11+ and are the only form PyQt6 accepts.
"""

from __future__ import annotations

import os
import sys


def qt_major_version() -> int:
    """5 or 6: the Qt major version the running host embeds."""
    forced = os.environ.get("STYLE_TRANSFER_QT")  # tests: import the plugin under PyQt6 off-Krita
    if forced in ("5", "6"):
        return int(forced)
    try:
        import pykrita  # only exists inside Krita

        ask = getattr(pykrita, "qt_major_version", None)
        if ask is not None:
            return int(ask())
        return 5  # Krita before 5.3 has no qt_major_version and is always Qt 5
    except ImportError:
        pass
    if "PyQt6" in sys.modules:
        return 6
    if "PyQt5" in sys.modules:
        return 5
    try:
        import PyQt5  # noqa: F401

        return 5
    except ImportError:
        return 6


QT_MAJOR = qt_major_version()

if QT_MAJOR == 6:
    from PyQt6 import QtCore, QtGui, QtWidgets
    from PyQt6.QtCore import pyqtSignal

    QAction = QtGui.QAction  # moved from QtWidgets to QtGui in Qt 6
else:
    from PyQt5 import QtCore, QtGui, QtWidgets
    from PyQt5.QtCore import pyqtSignal

    QAction = QtWidgets.QAction

Qt = QtCore.Qt
QObject = QtCore.QObject
QByteArray = QtCore.QByteArray
QBuffer = QtCore.QBuffer
QIODevice = QtCore.QIODevice
QTimer = QtCore.QTimer
QEventLoop = QtCore.QEventLoop
QImage = QtGui.QImage
QPixmap = QtGui.QPixmap
QIcon = QtGui.QIcon


def exec_dialog(dialog: QtWidgets.QDialog) -> int:
    """QDialog.exec() (Qt 6) / exec_() (old PyQt5 spelling still needed on some distros)."""
    run = getattr(dialog, "exec", None) or dialog.exec_
    return int(run())


__all__ = [
    "QT_MAJOR",
    "QAction",
    "QBuffer",
    "QByteArray",
    "QEventLoop",
    "QIODevice",
    "QIcon",
    "QImage",
    "QObject",
    "QPixmap",
    "QTimer",
    "Qt",
    "QtCore",
    "QtGui",
    "QtWidgets",
    "exec_dialog",
    "pyqtSignal",
    "qt_major_version",
]
