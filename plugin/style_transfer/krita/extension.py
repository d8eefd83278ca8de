"""The one registration point of the Krita plugin: the docker factory and the Filter-menu actions.

Importing this needs Qt and Krita but not the engine, so a missing dependency never stops the
plugin from loading: the docker then explains which command installs it.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from krita import DockWidgetFactory, DockWidgetFactoryBase, Extension, Krita

from . import controller as ctl
from . import doc_jobs
from .preview_window import ACTION_PREVIEW

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
        # The handlers look the window up when triggered: the libkis Window wrapper passed here
        # can be deleted later, and a captured one raised "wrapped C/C++ object ... deleted".
        dialog = window.createAction(ACTION_DIALOG, "Style Transfer…", "Filter")
        dialog.triggered.connect(lambda: _guarded(self.show_docker))
        again = window.createAction(ACTION_AGAIN, "Apply Style Transfer Again", "Filter")
        again.triggered.connect(lambda: _guarded(self.apply_again))
        # its default shortcut (Ctrl+Alt+P) comes from style_transfer.action (installer / zip)
        preview = window.createAction(ACTION_PREVIEW, "Style Transfer Preview", "Filter")
        preview.triggered.connect(lambda: _guarded(self.toggle_preview))

    def show_docker(self) -> None:
        """Filter › Style Transfer…: show and focus the docker; never applies by itself (a
        painter who wants the one-key repeat has Apply Style Transfer Again)."""
        docker = find_docker(current_window())
        if docker is not None:
            docker.focus()

    def toggle_preview(self) -> None:
        """Show or hide the preview over the canvas (preview_window.py)."""
        docker = find_docker(current_window())
        if docker is not None:
            docker.large.toggle()

    def apply_again(self) -> None:
        """Repeat on the current layer the job last applied to this document (recorded in it,
        so also after it was saved and reopened), else the last applied anywhere, else the
        docker's settings."""
        settings = doc_jobs.last_applied(Krita.instance().activeDocument())
        error = ctl.controller().apply(settings)
        if error:
            notify(error)


def current_window() -> Optional[Any]:
    app = Krita.instance()
    # without a window manager activeWindow() can be None (HOST_NOTES); fall back to the first
    return app.activeWindow() or next(iter(app.windows()), None)


def notify(message: str) -> None:
    docker = find_docker(current_window())
    if docker is not None:
        docker.show_message(message)
        docker.show()
        return
    from .qt import QtWidgets

    QtWidgets.QMessageBox.information(None, "Style Transfer", message)


def _guarded(fn: Callable[[], None]) -> None:
    """Action handlers never raise into Krita (that would open its traceback dialog)."""
    try:
        fn()
    except Exception as e:
        ctl.log.exception("action failed")
        notify(f"Style transfer failed: {e} (details in {ctl.log_file()})")


def register() -> None:
    from .docker import StyleTransferDocker

    app = Krita.instance()
    app.addExtension(StyleTransferExtension(app))
    app.addDockWidgetFactory(
        DockWidgetFactory(DOCKER_ID, DockWidgetFactoryBase.DockRight, StyleTransferDocker)
    )
