"""The one registration point of the Krita plugin: the docker factory and the Filter-menu actions.

Importing this needs Qt and Krita but not the engine, so a missing dependency never stops the
plugin from loading: the docker then explains which command installs it.
"""

from __future__ import annotations

from typing import Any, Optional

from krita import DockWidgetFactory, DockWidgetFactoryBase, Extension, Krita

from . import controller as ctl

DOCKER_ID = "style_transfer_docker"
ACTION_DIALOG = "style_transfer_apply"
ACTION_AGAIN = "style_transfer_apply_again"


def find_docker(window: Any = None) -> Optional[Any]:
    from .docker import StyleTransferDocker

    windows = [window] if window is not None else Krita.instance().windows()
    for win in windows:
        for d in win.qwindow().findChildren(StyleTransferDocker):
            return d
    return None


class StyleTransferExtension(Extension):
    def __init__(self, parent: Any) -> None:
        super().__init__(parent)

    def setup(self) -> None:
        pass

    def createActions(self, window: Any) -> None:
        # "Filter" puts them at the end of Krita's Filter menu; both get a shortcut slot in
        # Settings › Configure Krita › Keyboard Shortcuts because they are real KActions.
        dialog = window.createAction(ACTION_DIALOG, "Style Transfer…", "Filter")
        dialog.triggered.connect(lambda: self.show_docker(window))
        again = window.createAction(ACTION_AGAIN, "Apply Style Transfer Again", "Filter")
        again.triggered.connect(lambda: self.apply_again(window))

    def show_docker(self, window: Any) -> None:
        """Raise the docker; if it is already visible, apply with its current settings."""
        docker = find_docker(window)
        if docker is None:
            return
        if docker.isVisible() and not docker.visibleRegion().isEmpty():
            docker.apply()
            return
        docker.show()
        docker.raise_()

    def apply_again(self, window: Any) -> None:
        settings = ctl.load_settings("last_applied")
        docker = find_docker(window)
        if not settings.styles:
            settings = ctl.load_settings()
        error = ctl.controller().apply(settings)
        if error and docker is not None:
            docker.show_message(error)
        elif error:
            from .qt import QtWidgets

            QtWidgets.QMessageBox.information(window.qwindow(), "Style Transfer", error)


def register() -> None:
    from .docker import StyleTransferDocker

    app = Krita.instance()
    app.addExtension(StyleTransferExtension(app))
    app.addDockWidgetFactory(
        DockWidgetFactory(DOCKER_ID, DockWidgetFactoryBase.DockRight, StyleTransferDocker)
    )
