"""Test-only Krita plugin: after the real GUI window opens, inspect the installed Style Transfer
plugin as a user would meet it (docker present, Filter menu entries), then drive one Apply and one
Ctrl+Z (edit_undo) on a document shown in the window, and write what it saw to
$ST_GUI_PROBE_OUT. Only tests/krita/test_krita_gui.py installs it, into a temporary folder."""

from __future__ import annotations

import json
import os
import traceback
from typing import Any, Dict

from krita import Extension, Krita

OUT = os.environ.get("ST_GUI_PROBE_OUT", "")
STYLE = os.environ.get("ST_GUI_PROBE_STYLE", "")
STATE: Dict[str, Any] = {}


def dump() -> None:
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(STATE, f, indent=1)


def probe() -> None:
    try:
        _probe()
    except Exception:
        STATE["error"] = traceback.format_exc()
        dump()


def _probe() -> None:
    from style_transfer.krita import controller as ctlmod
    from style_transfer.krita.qt import QTimer, QtWidgets

    k = Krita.instance()
    win = k.windows()[0]
    qwin = win.qwindow()
    docks = {d.objectName(): d for d in qwin.findChildren(QtWidgets.QDockWidget)}
    dock = docks.get("style_transfer_docker")
    STATE["docker_found"] = dock is not None
    STATE["docker_title"] = dock.windowTitle() if dock else None
    STATE["docker_visible_at_start"] = bool(dock and dock.isVisible())
    STATE["docker_area"] = int(qwin.dockWidgetArea(dock)) if dock else None  # 2 = right
    menus = {a.text().replace("&", ""): a.menu() for a in qwin.menuBar().actions()}
    filt = menus.get("Filter")
    STATE["filter_menu"] = [a.text() for a in filt.actions()] if filt else None
    for name in ("style_transfer_apply", "style_transfer_apply_again"):
        act = k.action(name)
        STATE[name] = act.text() if act else None
    if dock is not None and not dock.isVisible():
        dock.show()
    STATE["docker_message"] = dock.message.text() if dock else None

    doc = k.createDocument(400, 300, "gui-test", "RGBA", "U8", "", 300.0)
    win.addView(doc)
    k.setActiveDocument(doc)
    src = doc.createNode("photo", "paintlayer")
    doc.rootNode().addChildNode(src, None)
    # a simple gradient: enough for a visible stylization in the screenshot
    px = bytearray()
    for y in range(300):
        for x in range(400):
            px += bytes([(x * 255) // 399, (y * 255) // 299, 128, 255])
    src.setPixelData(bytes(px), 0, 0, 400, 300)
    doc.refreshProjection()
    doc.setActiveNode(src)
    dock.settings.styles = [ctlmod.StyleEntry("file", STYLE, "udnie")]
    dock._refresh_list()
    dock.strength.setValue(80)  # through the widget, as a user would
    dock._changed()
    STATE["layers_before"] = [n.name() for n in doc.rootNode().childNodes()]
    ctl = ctlmod.controller()

    def after_undo() -> None:
        doc.waitForDone()
        STATE["layers_after_undo"] = [n.name() for n in doc.rootNode().childNodes()]
        # apply again via the Filter-menu action, so the screenshot shows a result + docker
        k.action("style_transfer_apply_again").trigger()
        QTimer.singleShot(200, wait_again)

    def wait_again() -> None:
        if ctl.busy:
            QTimer.singleShot(200, wait_again)
            return
        doc.waitForDone()
        STATE["layers_after_apply_again"] = [n.name() for n in doc.rootNode().childNodes()]
        STATE["done"] = True
        dump()

    def finished(layer: Any, message: str) -> None:
        ctl.finished.disconnect(finished)
        STATE["apply_message"] = message
        doc.waitForDone()
        STATE["layers_after_apply"] = [n.name() for n in doc.rootNode().childNodes()]
        k.action("edit_undo").trigger()
        QTimer.singleShot(500, after_undo)

    def start() -> None:
        # setActiveNode reaches the GUI's layer selection asynchronously: apply only once the
        # photo layer really is the active one, as it would be after a user's click
        STATE["active_node"] = doc.activeNode().name()
        ctl.finished.connect(finished)
        dock.apply()
        STATE["docker_message_after_apply"] = dock.message.text()
        dump()

    QTimer.singleShot(1500, start)


class Probe(Extension):
    def setup(self) -> None:
        pass

    def createActions(self, window: Any) -> None:
        from style_transfer.krita.qt import QTimer

        QTimer.singleShot(4000, probe)  # let the window, dockers and menus settle first


if OUT:
    Krita.instance().addExtension(Probe(Krita.instance()))
