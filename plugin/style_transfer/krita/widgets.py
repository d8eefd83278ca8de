"""Small widgets of the docker: the style list (drop target) and collapsible sections."""

from __future__ import annotations

from typing import Any, List

from .qt import Qt, QtCore, QtWidgets, pyqtSignal

IMAGE_EXT = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".json")
THUMB = 40


class StyleList(QtWidgets.QListWidget):
    """The style list; accepts image and preset files dropped from a file manager."""

    files_dropped = pyqtSignal(list)

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)
        self.setDragDropMode(QtWidgets.QAbstractItemView.DragDropMode.DropOnly)
        self.setIconSize(QtCore.QSize(THUMB, THUMB))
        self.setMinimumHeight(THUMB + 6)  # one style row, always

    def sizeHint(self) -> QtCore.QSize:
        # two rows by default (Qt's default asks for 192 px); the list scrolls beyond that
        return QtCore.QSize(super().sizeHint().width(), THUMB * 2 + 10)

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        if self.count() == 0:  # say what the empty box is for
            from .qt import QtGui

            p = QtGui.QPainter(self.viewport())
            p.setPen(self.palette().color(QtGui.QPalette.ColorRole.PlaceholderText))
            p.drawText(self.viewport().rect().adjusted(6, 0, -6, 0),
                       int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap),
                       "Drop style images or presets here, or use + Image…")
            p.end()

    def _paths(self, event: Any) -> List[str]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls()
                if u.isLocalFile() and u.toLocalFile().lower().endswith(IMAGE_EXT)]

    def dragEnterEvent(self, event: Any) -> None:
        if self._paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        if self._paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        paths = self._paths(event)
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths)


class Section(QtWidgets.QWidget):
    """A titled part of the docker that folds away with one click (the arrow button), so the
    essentials fit a laptop screen while the rest is one click away."""

    toggled = pyqtSignal(bool)

    def __init__(self, title: str, expanded: bool = False) -> None:
        super().__init__()
        self.button = QtWidgets.QToolButton(text=title)
        self.button.setCheckable(True)
        self.button.setChecked(expanded)
        self.button.setAutoRaise(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.toggled.connect(self.set_expanded)
        self.body = QtWidgets.QWidget()
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.button)
        lay.addWidget(self.body)
        self.set_expanded(expanded)

    @property
    def expanded(self) -> bool:
        return self.button.isChecked()

    def set_expanded(self, on: bool) -> None:
        if self.button.isChecked() != on:
            self.button.setChecked(on)  # comes back here through toggled
            return
        self.button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.body.setVisible(on)
        self.toggled.emit(on)
