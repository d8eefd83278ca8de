"""The live preview where the painter looks: a window of its own laid over Krita's canvas area,
showing the preview as large as the window (it scales with it; the painter may resize or move
it), toggled by the docker's *Large preview* button and the Style Transfer Preview action
(Ctrl+Alt+P by default, style_transfer.action).

Why a window and not a temporary layer above the source, as krita-ai-diffusion does: measured in
real Krita 5.1.5's GUI (tests/krita/test_krita_gui.py, mode "preview", which records it on
every run), a layer made through the Python API is an undo step ("Undo Add Layer", then "Undo
Remove Layer": the painter's next Ctrl+Z brings the removed preview back), marks the document
modified (setModified(False) clears the flag but not the undo steps), is written by Ctrl+S
(file_save) and by Krita's autosave while it is shown, and Krita has no before-save signal to
take it out first. A window is none of these: it never touches the document.

It hides on Apply (the result layer is then on the canvas), Cancel, a switch to another
document, and after a save (as the layer would have had to).
"""

from __future__ import annotations

from typing import Any, Optional

from .qt import QPixmap, Qt, QtCore, QtGui, QtWidgets, pyqtSignal

TITLE = "Style Transfer preview"
#: the action's id, as in style_transfer.action (which gives it its default shortcut); light to
#: import (Qt only) so extension.py registers it without numpy
ACTION_PREVIEW = "style_transfer_preview"


class Picture(QtWidgets.QWidget):
    """The preview scaled to fit the widget, centred on Krita's canvas grey."""

    def __init__(self, parent: Optional[Any] = None) -> None:
        super().__init__(parent)
        self.pix = QPixmap()
        self.setMinimumSize(120, 90)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding,
                           QtWidgets.QSizePolicy.Policy.Expanding)

    def set_pixmap(self, pix: QPixmap) -> None:
        self.pix = pix
        self.update()

    def shown_rect(self) -> QtCore.QRect:
        """Where the picture is drawn (the window's largest rectangle of its aspect)."""
        if self.pix.isNull():
            return QtCore.QRect()
        size = self.pix.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - size.width()) // 2
        y = (self.height() - size.height()) // 2
        return QtCore.QRect(x, y, size.width(), size.height())

    def paintEvent(self, event: Any) -> None:
        p = QtGui.QPainter(self)
        p.fillRect(self.rect(), QtGui.QColor(64, 64, 64))
        if not self.pix.isNull():
            p.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
            p.drawPixmap(self.shown_rect(), self.pix)
        p.end()


class PreviewWindow(QtWidgets.QWidget):
    """A tool window of Krita's main window (kept above it, no task-bar entry)."""

    visibility_changed = pyqtSignal(bool)

    def __init__(self, main_window: Optional[Any] = None) -> None:
        super().__init__(main_window, Qt.WindowType.Tool)
        self.setWindowTitle(TITLE)
        self.setObjectName("style_transfer_preview_window")
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.caption = QtWidgets.QLabel()
        self.caption.setContentsMargins(6, 2, 6, 2)
        lay.addWidget(self.caption)
        self.picture = Picture(self)
        lay.addWidget(self.picture, 1)
        self._placed = False  # placed over the canvas once; then where the painter put it
        close = QtGui.QShortcut if hasattr(QtGui, "QShortcut") else QtWidgets.QShortcut
        close(QtGui.QKeySequence("Escape"), self, activated=self.hide)

    def set_picture(self, pix: QPixmap, caption: str) -> None:
        self.picture.set_pixmap(pix)
        hint = f"Esc or {_shortcut()} hides it" if _shortcut() else "Esc hides it"
        self.caption.setText(f"{caption}  —  {hint}" if caption else hint)

    def show_over(self, area: Optional[Any]) -> None:
        """Show it; the first time over `area` (the canvas widget), at its size."""
        if not self._placed and area is not None and area.width() > 100:
            top_left = area.mapToGlobal(QtCore.QPoint(0, 0))
            self.setGeometry(QtCore.QRect(top_left, area.size()))
            self._placed = True
        elif not self._placed:
            self.resize(800, 600)
        self.show()
        self.raise_()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.visibility_changed.emit(True)

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        self.visibility_changed.emit(False)


def canvas_area(main_window: Any) -> Optional[Any]:
    """The widget of Krita's main window that holds the canvas views (its central widget)."""
    return main_window.centralWidget() if main_window is not None else None


class LargePreview(QtCore.QObject):
    """The docker's side of the window: `docker` (StyleTransferDocker) shows its previews here
    too (PreviewPane.set_preview) and keeps them live while the window shows."""

    def __init__(self, docker: Any) -> None:
        super().__init__(docker)
        self.docker = docker
        self.window: Optional[PreviewWindow] = None
        self.doc_key: Optional[str] = None  # the document it previews
        self.pix, self.caption_text = QPixmap(), ""
        docker.ctl.busy_changed.connect(lambda busy: busy and self.hide())  # Apply started
        from krita import Krita

        app = Krita.instance()
        notifier = app.notifier() if hasattr(app, "notifier") else None
        if notifier is not None:  # after a save, as a preview layer would have had to
            notifier.imageSaved.connect(lambda _name: self.hide())

    @property
    def visible(self) -> bool:
        return self.window is not None and self.window.isVisible()

    def toggle(self) -> None:
        if self.visible:
            self.hide()
        else:
            self.show()

    def show(self) -> None:
        from krita import Krita

        doc = Krita.instance().activeDocument()
        if doc is None:
            self.docker.show_message("Open a document first: the preview shows its picture.")
            self._sync(False)
            return
        from .layers import doc_key

        self.doc_key = doc_key(doc)
        main = _main_window(self.docker)
        if self.window is None:
            self.window = PreviewWindow(main)
            self.window.visibility_changed.connect(self._sync)
        self.window.set_picture(self.pix, self.caption_text)
        self.window.show_over(canvas_area(main))
        self.docker.schedule_preview()  # the newest settings, also if the docker's was off

    def hide(self) -> None:
        if self.window is not None:
            self.window.hide()

    def set_picture(self, pix: QPixmap, caption: str) -> None:
        self.pix, self.caption_text = pix, caption
        if self.window is not None:
            self.window.set_picture(pix, caption)

    def document_changed(self) -> None:
        """Krita changed the active view (docker.canvasChanged): another document, or none."""
        from krita import Krita

        from .layers import doc_key

        doc = Krita.instance().activeDocument()
        if self.visible and (doc is None or doc_key(doc) != self.doc_key):
            self.hide()

    def _sync(self, shown: bool) -> None:
        """The docker's button and the action follow the window (also when Esc hid it)."""
        from krita import Krita

        app = Krita.instance()
        action = app.action(ACTION_PREVIEW) if hasattr(app, "action") else None
        for w in (getattr(self.docker, "large_btn", None), action):
            if w is not None and w.isChecked() != shown:
                w.blockSignals(True)
                w.setChecked(shown)
                w.blockSignals(False)


def _shortcut() -> str:
    """The action's shortcut as the painter set it (Ctrl+Alt+P unless changed)."""
    from krita import Krita

    app = Krita.instance()
    action = app.action(ACTION_PREVIEW) if hasattr(app, "action") else None
    return action.shortcut().toString() if action is not None else ""


def _main_window(docker: Any) -> Optional[Any]:
    """Krita's main window holding the docker (a floating docker's too)."""
    main = docker.parentWidget()
    while main is not None and not isinstance(main, QtWidgets.QMainWindow):
        main = main.parentWidget()
    if main is None:
        from krita import Krita

        windows = Krita.instance().windows()
        main = windows[0].qwindow() if windows else None
    return main
