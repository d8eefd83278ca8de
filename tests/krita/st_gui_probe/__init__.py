"""Test-only Krita plugin: after the real GUI window opens, inspect the installed Style Transfer
plugin as a user would meet it and write what it saw to $ST_GUI_PROBE_OUT.

$ST_GUI_PROBE_MODE:
  full  (default) docker present, Filter menu entries, the whole docker on screen, the live
        preview renders, one Apply and one Ctrl+Z (edit_undo) on a document shown in the window,
        Apply Again, then an image file dropped onto the style list (a real QDropEvent);
        regions from a layer and from a selection, a dab on the region layer (the poll
        repaints), a 2400x1800 canvas: a strength change and a drag (drafts, then the preview).
  vector a vector layer (shapes from SVG need a real canvas: addShapesFromSvg crashes under
        kritarunner) stylized as content through the controller: where the result goes, its
        pixels against the engine's render of the layer's projection, the layer untouched.
  preview the preview over the canvas (preview_mode.py): shown by its action at the canvas's
        size, refreshed by a dab on the photo, replaced by strength changes, hidden by Apply
        (one undo step, nothing else saved), a save, a document switch and Cancel; and what a
        preview layer made through the Python API would do instead.
  setup the install is broken on purpose (no wheels / no models): the docker's message, what
        pressing Apply says, and that no dialog (Krita's Python traceback dialog) popped up.

The main window is sized to the screen first (there is no window manager under Xvfb to maximize
it), so the screenshot shows what a user with a maximized Krita sees.
Only tests/krita/test_krita_gui.py installs it, into a temporary folder."""

from __future__ import annotations

import dataclasses
import json
import os
import time
import traceback
from typing import Any, Dict

from krita import Extension, Krita

OUT = os.environ.get("ST_GUI_PROBE_OUT", "")
STYLE = os.environ.get("ST_GUI_PROBE_STYLE", "")
DROP = os.environ.get("ST_GUI_PROBE_DROP", "")
MODE = os.environ.get("ST_GUI_PROBE_MODE", "full")
STATE: Dict[str, Any] = {"mode": MODE}


def dump() -> None:
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(STATE, f, indent=1)


def guarded(fn: Any) -> Any:
    def run(*args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            STATE["error"] = traceback.format_exc()
            dump()

    return run


def rect(r: Any) -> list:
    return [r.x(), r.y(), r.width(), r.height()]


def fill_screen(qwin: Any) -> None:
    from style_transfer.krita.qt import QtWidgets

    screen = QtWidgets.QApplication.primaryScreen().availableGeometry()
    qwin.showMaximized()
    qwin.setGeometry(screen)  # no window manager under Xvfb: showMaximized alone does nothing
    STATE["screen"] = rect(screen)


def on_screen(w: Any, qwin: Any) -> bool:
    """w is shown, not covered by its parents' clipping, and its whole rectangle is inside the
    main window (which fills the screen)."""
    from style_transfer.krita.qt import QtCore, QtWidgets

    if not w.isVisible() or w.visibleRegion().isEmpty():
        return False
    top_left = w.mapTo(qwin, QtCore.QPoint(0, 0))
    r = QtCore.QRect(top_left, w.size())
    # on the SCREEN too: a main window whose dockers need more height than the screen grows
    # past its bottom edge (no window manager stops it), and what is there is not seen
    screen = QtWidgets.QApplication.primaryScreen().geometry()
    on_screen = screen.contains(QtCore.QRect(w.mapToGlobal(QtCore.QPoint(0, 0)), w.size()))
    return (qwin.rect().contains(r) and on_screen
            and w.visibleRegion().boundingRect().size() == w.size())


def dialogs() -> list:
    """Visible top-level dialogs (Krita's Python error dialog, message boxes)."""
    from style_transfer.krita.qt import QtWidgets

    found = []
    for w in QtWidgets.QApplication.topLevelWidgets():
        if w.isVisible() and isinstance(w, QtWidgets.QDialog):
            text = w.text() if isinstance(w, QtWidgets.QMessageBox) else ""
            found.append(f"{type(w).__name__}: {w.windowTitle()} {text}".strip())
    return found


def docker_layout(dock: Any, qwin: Any) -> None:
    STATE["docker_geometry"] = rect(dock.geometry())
    msg = dock.message
    STATE["message_whole"] = (not msg.text()) or (
        on_screen(msg, qwin) and msg.height() >= msg.heightForWidth(msg.width()))
    STATE["apply_on_screen"] = on_screen(dock.apply_btn, qwin)
    STATE["cancel_on_screen"] = on_screen(dock.cancel_btn, qwin)
    STATE["apply_text"] = dock.apply_btn.text()
    STATE["cancel_text"] = dock.cancel_btn.text()
    bar = dock.scroll.verticalScrollBar()
    STATE["scroll_max"] = bar.maximum()  # 0: all settings fit without scrolling
    STATE["settings_height"] = dock.scroll.widget().sizeHint().height()
    pm = dock.preview.pixmap()
    STATE["preview_label_height"] = dock.preview.height()
    STATE["preview_caption"] = dock.preview_caption.text()
    STATE["preview_shown_height"] = 0 if pm is None or pm.isNull() else pm.height()


def probe() -> None:
    guarded(_probe)()


def _probe() -> None:
    k = Krita.instance()
    win = k.windows()[0]
    qwin = win.qwindow()
    fill_screen(qwin)
    from style_transfer.krita.qt import QtWidgets

    docks = {d.objectName(): d for d in qwin.findChildren(QtWidgets.QDockWidget)}
    dock = docks.get("style_transfer_docker")
    STATE["docker_found"] = dock is not None
    STATE["docker_title"] = dock.windowTitle() if dock else None
    STATE["docker_visible_at_start"] = bool(dock and dock.isVisible())
    STATE["docker_area"] = int(qwin.dockWidgetArea(dock)) if dock else None  # 2 = right
    if dock is None:
        dump()
        return
    if not dock.isVisible():
        dock.show()
    STATE["docker_message"] = dock.message.text() if dock.message.isVisible() else ""
    modes = {"setup": _setup_mode, "vector": _vector_mode, "close": _close_mode,
             "repeat": _repeat_mode, "firststart": _first_start_mode, "zip": _zip_mode,
             "documents": _documents_mode, "docs": _docs_mode,
             "preview": _preview_mode}
    modes.get(MODE, _full_mode)(k, win, qwin, dock)


def _setup_mode(k: Any, win: Any, qwin: Any, dock: Any) -> None:
    """Broken install: the docker must say what is wrong and which command fixes it."""
    from style_transfer.krita import controller as ctlmod
    from style_transfer.krita.qt import QTimer

    STATE["dialogs_at_start"] = dialogs()
    _use_style(dock, ctlmod)
    dock.apply_btn.click()  # the user tries anyway
    STATE["message_after_apply"] = dock.message.text() if dock.message.isVisible() else ""
    STATE["busy_after_apply"] = ctlmod.controller().busy

    def finish() -> None:
        docker_layout(dock, qwin)
        STATE["dialogs_at_end"] = dialogs()
        STATE["done"] = True
        dump()

    QTimer.singleShot(1000, guarded(finish))


def _close_mode(k: Any, win: Any, qwin: Any, dock: Any) -> None:
    """The user closes the document while Apply renders it; another document has unsaved work."""
    from style_transfer.krita import controller as ctlmod
    from style_transfer.krita.qt import QTimer, QtWidgets

    other = k.createDocument(300, 200, "other", "RGBA", "U8", "", 300.0)
    win.addView(other)
    lay = other.createNode("unsaved work", "paintlayer")
    other.rootNode().addChildNode(lay, None)
    lay.setPixelData(bytes([40, 90, 200, 255]) * (300 * 200), 0, 0, 300, 200)
    other.refreshProjection()
    doc = k.createDocument(1200, 900, "closed-while-rendering", "RGBA", "U8", "", 300.0)
    win.addView(doc)
    k.setActiveDocument(doc)
    src = doc.createNode("photo", "paintlayer")
    doc.rootNode().addChildNode(src, None)
    src.setPixelData(bytes(range(256)) * (1200 * 900 * 4 // 256), 0, 0, 1200, 900)
    doc.refreshProjection()
    ctl = ctlmod.controller()
    _use_style(dock, ctlmod)
    STATE["documents_before"] = len(k.documents())

    # the job waits at its "painting" stage until the document is closed: the close happens
    # during the render however fast this CPU paints (0.35 s for this canvas with bf16)
    from style_transfer.engine.progress import hold_at

    gate = hold_at("painting")

    def start() -> None:
        doc.setActiveNode(src)
        ctl.finished.connect(finished)
        STATE["start_error"] = ctl.apply(dock.settings.replace(scale=1.0), doc, src)
        wait_held()

    def wait_held() -> None:
        if gate.reached.is_set():
            guarded(close)()
            gate.open()
        else:
            QTimer.singleShot(10, wait_held)

    def close() -> None:
        STATE["busy_when_closing"] = ctl.busy
        QtWidgets.QApplication.processEvents()  # the progress line shows the stage
        STATE["progress_text"] = dock.progress.format()
        # Krita would ask whether to save the modified document; the user answers Discard:
        # the same as closing it unmodified
        doc.setModified(False)
        STATE["close_returned"] = doc.close()

    def finished(layer: Any, message: str) -> None:
        ctl.finished.disconnect(finished)
        STATE["result"] = None if layer is None else layer.name()
        QTimer.singleShot(500, guarded(finish))

    def finish() -> None:
        STATE["docker_message_after"] = dock.message.text()
        STATE["documents_after"] = len(k.documents())
        STATE["other_open"] = other in k.documents()
        STATE["other_layers"] = [n.name() for n in other.rootNode().childNodes()]
        STATE["other_modified"] = other.modified()
        docker_layout(dock, qwin)
        STATE["dialogs_at_end"] = dialogs()
        STATE["done"] = True
        dump()

    QTimer.singleShot(300, guarded(start))


def _zip_mode(k: Any, win: Any, qwin: Any, dock: Any) -> None:
    """After a zip-only import: the docker names every missing package; press Install
    dependencies (real pip, real PyPI), wait, then Apply on a document."""
    from style_transfer.krita import controller as ctlmod
    from style_transfer.krita.qt import QTimer

    STATE["dialogs_at_start"] = dialogs()
    STATE["install_visible"] = dock.install_btn.isVisible()
    STATE["status_before"] = dock.status.text()
    waited = {"s": 0.0}

    def press() -> None:
        dock.install_btn.click()
        STATE["message_while_installing"] = dock.message.text()
        STATE["apply_enabled_while_installing"] = dock.apply_btn.isEnabled()
        dump()
        QTimer.singleShot(1000, guarded(wait))

    def wait() -> None:
        waited["s"] += 1
        STATE["progress_text"] = dock.progress.format()
        if dock._setup_job is not None and waited["s"] < 900:
            QTimer.singleShot(1000, guarded(wait))
            return
        STATE["install_seconds"] = waited["s"]
        STATE["message_after_install"] = dock.message.text()
        STATE["install_visible_after"] = dock.install_btn.isVisible()
        STATE["status_after"] = dock.status.text()
        dump()
        doc = k.createDocument(200, 150, "after-install", "RGBA", "U8", "", 300.0)
        win.addView(doc)
        k.setActiveDocument(doc)
        src = doc.createNode("photo", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        src.setPixelData(bytes([30, 120, 220, 255]) * (200 * 150), 0, 0, 200, 150)
        doc.refreshProjection()
        _use_style(dock, ctlmod)
        ctl = ctlmod.controller()
        ctl.finished.connect(lambda layer, msg: finished(doc, msg))
        STATE["apply_error"] = ctl.apply(dock.settings, doc, src)
        if STATE["apply_error"] is not None:
            finished(doc, "")

    def finished(doc: Any, message: str) -> None:
        STATE["apply_message"] = message
        STATE["layers"] = [n.name() for n in doc.rootNode().childNodes()]
        QTimer.singleShot(1000, guarded(finish))  # the layout settles with the message first

    def finish() -> None:
        docker_layout(dock, qwin)
        STATE["dialogs_at_end"] = dialogs()
        STATE["done"] = True
        dump()

    QTimer.singleShot(500, guarded(press))


def _first_start_mode(k: Any, win: Any, qwin: Any, dock: Any) -> None:
    """Right after the first start (fresh settings): is what every Apply needs on screen without
    scrolling? The screenshot is taken once this reports."""
    from style_transfer.krita.qt import QTimer

    def finish() -> None:
        docker_layout(dock, qwin)
        essentials = {"styles": dock.styles, "add_image": dock.add_file_btn,
                      "add_layer": dock.add_layer_btn, "add_preset": dock.add_preset_btn,
                      "remove": dock.remove_btn, "strength": dock.strength, "scale": dock.scale,
                      "apply": dock.apply_btn, "cancel": dock.cancel_btn,
                      "options": dock.options.button, "preview": dock.preview_section.button}
        STATE["on_screen"] = {name: on_screen(w, qwin) for name, w in essentials.items()}
        STATE["dock_min_height"] = dock.minimumSizeHint().height()
        STATE["dialogs_at_end"] = dialogs()
        STATE["done"] = True
        dump()

    QTimer.singleShot(1500, guarded(finish))


def _repeat_mode(k: Any, win: Any, qwin: Any, dock: Any) -> None:
    """A painter's repeat: Apply at 80 %, strength to 40 %, Apply again (the docker), then
    Filter › Style Transfer… (must only show the docker), with the docker closed too, then
    Apply Style Transfer Again (the one-key repeat). Layer stack and visible canvas recorded."""
    import numpy as np
    from style_transfer.krita import controller as ctlmod
    from style_transfer.krita import layers
    from style_transfer.krita.qt import QTimer

    doc = k.createDocument(320, 240, "repeat", "RGBA", "U8", "", 300.0)
    win.addView(doc)
    k.setActiveDocument(doc)
    src = doc.createNode("photo", "paintlayer")
    doc.rootNode().addChildNode(src, None)
    y, x = np.mgrid[0:240, 0:320]
    px = np.stack([x * 255 // 319, y * 255 // 239, np.full_like(x, 128), np.full_like(x, 255)],
                  -1).astype(np.uint8)
    src.setPixelData(layers.rgba_to_bytes(px, "U8"), 0, 0, 320, 240)
    doc.refreshProjection()
    doc.setActiveNode(src)
    _use_style(dock, ctlmod)
    dock.strength.setValue(80)
    ctl = ctlmod.controller()
    steps: list = []

    def stack() -> list:
        return [n.name() for n in doc.rootNode().childNodes()]

    def canvas_is_top_result() -> float:
        """Max difference between the visible canvas and the topmost result's pixels."""
        doc.refreshProjection()
        doc.waitForDone()
        top = doc.rootNode().childNodes()[-1]
        seen = layers.bytes_to_rgba(bytes(doc.pixelData(0, 0, 320, 240)), 320, 240, "U8")
        mine = layers.bytes_to_rgba(bytes(top.pixelData(0, 0, 320, 240)), 320, 240, "U8")
        return float(np.abs(seen[..., :3].astype(int) - mine[..., :3]).max())

    def after_apply(then: Any) -> Any:
        def wait() -> None:
            if ctl.busy:
                QTimer.singleShot(200, guarded(wait))
                return
            doc.waitForDone()
            then()
        return wait

    def first() -> None:
        dock.apply_btn.click()
        QTimer.singleShot(200, guarded(after_apply(second)))

    def second() -> None:
        steps.append({"after": "apply 80", "stack": stack(), "active": doc.activeNode().name(),
                      "canvas_vs_top": canvas_is_top_result(),
                      "message": dock.message.text()})
        dock.strength.setValue(40)
        dock.apply_btn.click()
        QTimer.singleShot(200, guarded(after_apply(third)))

    def third() -> None:
        steps.append({"after": "apply 40", "stack": stack(), "active": doc.activeNode().name(),
                      "canvas_vs_top": canvas_is_top_result(),
                      "message": dock.message.text()})
        k.action("style_transfer_apply").trigger()  # Filter › Style Transfer…
        QTimer.singleShot(1500, guarded(fourth))

    def fourth() -> None:
        steps.append({"after": "Filter › Style Transfer… (docker shown)", "stack": stack(),
                      "busy": ctl.busy, "docker_visible": dock.isVisible(),
                      "apply_has_focus": dock.apply_btn.hasFocus()})
        dock.close()  # the user closed the docker
        QTimer.singleShot(300, guarded(fifth))

    def fifth() -> None:
        hidden = not dock.isVisible()
        k.action("style_transfer_apply").trigger()
        QTimer.singleShot(1500, guarded(lambda: sixth(hidden)))

    def sixth(was_hidden: bool) -> None:
        steps.append({"after": "Filter › Style Transfer… (docker closed)", "stack": stack(),
                      "was_hidden": was_hidden, "busy": ctl.busy,
                      "docker_visible": dock.isVisible(), "floating": dock.isFloating()})
        dock.setFloating(False)  # back into its place for the screenshot
        k.action("style_transfer_apply_again").trigger()
        QTimer.singleShot(200, guarded(after_apply(seventh)))

    def seventh() -> None:
        steps.append({"after": "Apply Style Transfer Again", "stack": stack(),
                      "active": doc.activeNode().name(),
                      "canvas_vs_top": canvas_is_top_result()})
        STATE["steps"] = steps
        docker_layout(dock, qwin)
        STATE["dialogs_at_end"] = dialogs()
        STATE["done"] = True
        dump()

    QTimer.singleShot(500, guarded(first))


def _documents_mode(k: Any, win: Any, qwin: Any, dock: Any) -> None:
    """Settings per document as a painter meets them (issue 18): doc A gets a style from a
    layer (the docker's + Layer menu) and a region (Use as region › from the active layer),
    doc B other settings; the views are switched A, B, A in the window (the docker follows by
    itself); Apply on A, A saved and closed, reopened from another folder with its layer-style
    snapshot gone: the docker shows A's job and Apply Style Transfer Again paints the same
    pixels; a .kra with a damaged record opens with the defaults and one line."""
    steps = _documents_steps(k, win, qwin, dock)

    def tick() -> None:
        wait = next(steps, None)
        if wait is not None:
            QTimer.singleShot(wait, guarded(tick))

    from style_transfer.krita.qt import QTimer

    QTimer.singleShot(500, guarded(tick))


def _documents_steps(k: Any, win: Any, qwin: Any, dock: Any) -> Any:
    """The steps of _documents_mode; each yield waits that many ms for Krita's event loop."""
    import numpy as np
    from style_transfer.krita import controller as ctlmod
    from style_transfer.krita import layers
    from style_transfer.krita.qt import QByteArray

    ctl = ctlmod.controller()
    work = os.path.join(os.path.dirname(OUT), "documents")
    os.makedirs(os.path.join(work, "moved"), exist_ok=True)

    def new_doc(name: str, w: int, h: int, rgba: Any) -> tuple:
        doc = k.createDocument(w, h, name, "RGBA", "U8", "", 300.0)
        view = win.addView(doc)
        src = doc.createNode("photo", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        src.setPixelData(layers.rgba_to_bytes(rgba, "U8"), 0, 0, w, h)
        doc.refreshProjection()
        return doc, view, src

    def gradient(w: int, h: int, blue: int) -> Any:
        y, x = np.mgrid[0:h, 0:w]
        return np.stack([x * 255 // (w - 1), y * 255 // (h - 1), np.full_like(x, blue),
                         np.full_like(x, 255)], -1).astype(np.uint8)

    def show(view: Any, doc: Any) -> Any:
        view.setVisible()  # what clicking the document's tab does: its view becomes active
        k.setActiveDocument(doc)

    def shown() -> Dict[str, Any]:
        return {"styles": [dock.styles.item(i).text() for i in range(dock.styles.count())],
                "strength": dock.strength.value(), "model": dock.model.currentData(),
                "message": dock.message.text() if dock.message.isVisible() else "",
                "active_document": k.activeDocument().name() if k.activeDocument() else None,
                "kinds": [st.kind for st in dock.settings.styles],
                "icons": [not dock.styles.item(i).icon().isNull()
                          for i in range(dock.styles.count())]}

    def pixels(node: Any) -> Any:
        b = layers.Rect.of(node.bounds())
        return layers.bytes_to_rgba(bytes(node.pixelData(b.x, b.y, b.w, b.h)), b.w, b.h, "U8")

    def grab(name: str) -> None:
        dock.widget().grab().save(f"{OUT}.{name}.png", "PNG")  # with its message line

    stripes = np.zeros((120, 120, 4), np.uint8)
    stripes[..., 3] = 255
    stripes[(np.arange(120) // 10 % 2 == 0)] = [230, 40, 30, 255]
    palette, _, lay = new_doc("palette", 120, 120, stripes)
    lay.setName("stripes layer")
    a, view_a, src_a = new_doc("doc-a", 320, 240, gradient(320, 240, 90))
    sky = a.createNode("sky", "paintlayer")
    a.rootNode().addChildNode(sky, src_a)
    sky.setPixelData(bytes([255]) * (320 * 120 * 4), 0, 0, 320, 120)
    sky.setVisible(False)
    a.refreshProjection()
    show(view_a, a)
    yield 1000
    STATE["docs_followed"] = [shown()["active_document"]]
    # + Layer › palette › stripes layer, as the menu does it
    dock.set_settings(dock.settings.replace(styles=[]))
    dock._fill_layer_menu()
    sub = next(act.menu() for act in dock.layer_menu.actions()
               if act.menu() is not None and act.text() == "palette")
    next(act for act in sub.actions() if act.text().strip() == "stripes layer").trigger()
    # the layer's snapshot in the plugin's own folder: the only file this mode deletes
    layer_png = next(st.path for st in dock.settings.styles if st.kind == "layer")
    assert os.path.dirname(layer_png) == ctlmod.data_dir("styles"), layer_png
    dock.styles.setCurrentRow(0)
    a.setActiveNode(sky)
    yield 300
    dock.region_actions[1].trigger()  # Use as region: from the active layer
    a.setActiveNode(src_a)
    dock.strength.setValue(90)
    yield 300
    STATE["A"] = shown()
    # a new document (its view becomes the active one): the last used settings, minus maps
    b, view_b, _ = new_doc("doc-b", 300, 200, gradient(300, 200, 200))
    yield 1500  # the docker follows the active view (canvasChanged, else its poll)
    STATE["B_new"] = shown()
    dock.add_files([STYLE])
    dock.strength.setValue(40)
    dock.model.setCurrentIndex(dock.model.findData("f16"))
    yield 300
    STATE["B"] = shown()
    grab("doc_b")
    show(view_a, a)
    yield 1500
    STATE["A_again"] = shown()
    grab("doc_a")
    show(view_b, b)
    yield 1500
    STATE["B_again"] = shown()
    show(view_a, a)
    yield 1500
    a.setActiveNode(src_a)
    yield 300
    dock.apply_btn.click()
    yield 200
    while ctl.busy:
        yield 200
    yield 500
    STATE["apply_message"] = dock.message.text()
    def results(doc: Any) -> list:
        return [n for n in doc.rootNode().childNodes() if n.name().startswith("Stylized")]

    top = results(a)[-1]  # above the photo, under the (hidden) sky layer
    STATE["first_layer"] = top.name()
    STATE["layers_after_apply"] = [n.name() for n in a.rootNode().childNodes()]
    first = pixels(top)
    kra = os.path.join(work, "doc-a.kra")
    STATE["saved"] = bool(a.saveAs(kra))
    a.waitForDone()
    STATE["modified_after_save"] = a.modified()
    dock.strength.setValue(25)  # looked at and changed, not applied
    yield 300
    STATE["modified_by_docker"] = a.modified()
    a.setModified(False)
    a.close()
    yield 1500
    STATE["after_close"] = shown()
    moved = os.path.join(work, "moved", "doc-a.kra")
    os.replace(kra, moved)
    os.remove(layer_png)  # as on another machine: the layer's snapshot is not there
    a2 = k.openDocument(moved)
    win.addView(a2)
    k.setActiveDocument(a2)
    yield 1500
    STATE["A_reopened"] = shown()
    grab("doc_a_reopened")
    src2 = next(n for n in a2.rootNode().childNodes() if n.name() == "photo")
    a2.setActiveNode(src2)
    yield 300
    k.action("style_transfer_apply_again").trigger()
    yield 200
    while ctl.busy:
        yield 200
    yield 500
    STATE["layers_after_again"] = [n.name() for n in a2.rootNode().childNodes()]
    again = results(a2)[-1]
    STATE["again_layer"] = again.name()
    second = pixels(again)
    STATE["again_max_diff"] = (int(np.abs(second.astype(int) - first.astype(int)).max())
                               if second.shape == first.shape else None)
    # a .kra whose record is damaged
    c = k.createDocument(200, 150, "doc-c", "RGBA", "U8", "", 300.0)
    c.setAnnotation("style-transfer", "damaged", QByteArray(b"\x00garbage{"))
    ckra = os.path.join(work, "doc-c.kra")
    c.saveAs(ckra)
    c.waitForDone()
    c.close()
    c2 = k.openDocument(ckra)
    win.addView(c2)
    k.setActiveDocument(c2)
    yield 1500
    STATE["C"] = shown()
    grab("doc_c_damaged")
    for doc in (a2, b, c2, palette):
        doc.setModified(False)
    docker_layout(dock, qwin)
    STATE["dialogs_at_end"] = dialogs()
    STATE["done"] = True
    dump()


def _preview_mode(k: Any, win: Any, qwin: Any, dock: Any) -> None:
    from . import preview_mode

    preview_mode.run(k, win, qwin, dock)


def _use_style(dock: Any, ctlmod: Any) -> None:
    """The style the tests use, set as a user's list would hold it."""
    from style_transfer.common.settings import StyleRef

    dock.set_settings(dock.settings.replace(styles=[StyleRef("file", STYLE, "udnie")]))


SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="240" height="160">
 <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
  <stop offset="0" stop-color="#1060d0"/><stop offset="0.5" stop-color="#f0d020"/>
  <stop offset="1" stop-color="#c02040"/></linearGradient></defs>
 <rect x="-20" y="30" width="150" height="100" fill="url(#g)"/>
 <ellipse cx="170" cy="70" rx="50" ry="40" fill="#20a040" stroke="#101010" stroke-width="6"/>
</svg>"""


def _vector_mode(k: Any, win: Any, qwin: Any, dock: Any) -> None:
    """A vector layer (with a shape sticking out left of the canvas) as content."""
    import hashlib

    import numpy as np
    from style_transfer.engine import RenderOptions
    from style_transfer.krita import controller as ctlmod
    from style_transfer.krita import layers
    from style_transfer.krita.qt import QTimer

    doc = k.createDocument(240, 160, "vector-test", "RGBA", "U8", "", 72.0)  # 1 pt = 1 px
    win.addView(doc)
    k.setActiveDocument(doc)
    vl = doc.createVectorLayer("shapes")
    doc.rootNode().addChildNode(vl, None)
    shapes = vl.addShapesFromSvg(SVG)
    STATE["shapes_added"] = len(shapes)
    dump()
    ctl = ctlmod.controller()
    from style_transfer.common.settings import JobSettings, StyleRef

    settings = JobSettings(styles=(StyleRef("file", STYLE, "udnie"),), strength=0.8,
                           scale=1.0, model="int8")
    wait = {"ms": 0, "last": None}

    def proj(node: Any) -> Any:
        b = layers.Rect.of(node.bounds())
        return b, layers.bytes_to_rgba(bytes(node.projectionPixelData(b.x, b.y, b.w, b.h)),
                                       b.w, b.h, "U8")

    def rendered() -> None:
        # shapes are rendered into the layer asynchronously: wait until its bounds settle
        doc.waitForDone()
        b = rect(vl.bounds())
        if (b[2] <= 0 or b != wait["last"]) and wait["ms"] < 20_000:
            wait["last"] = b
            wait["ms"] += 250
            QTimer.singleShot(250, guarded(rendered))
            return
        STATE["vector_wait_ms"] = wait["ms"]
        STATE["vector_type"] = vl.type()
        STATE["vector_bounds"] = b
        _, src = proj(vl)
        STATE["vector_opaque_fraction"] = float((src[..., 3] > 0).mean())
        wait["src"] = src
        wait["digest"] = hashlib.sha256(src.tobytes()).hexdigest()
        ctl.finished.connect(finished)
        STATE["vector_start_error"] = ctl.apply(settings, doc, vl)
        dump()

    def finished(layer: Any, message: str) -> None:
        ctl.finished.disconnect(finished)
        doc.waitForDone()
        STATE["vector_message"] = message
        names = [n.name() for n in doc.rootNode().childNodes()]
        STATE["vector_layers"] = names
        if layer is not None:
            STATE["vector_result_directly_above"] = names.index(layer.name()) == \
                names.index("shapes") + 1
            STATE["vector_result_type"] = layer.type()
            _, mine = proj(layer)
            STATE["vector_result_bounds"] = rect(layer.bounds())
            src = wait["src"]
            STATE["vector_source_unchanged"] = (
                hashlib.sha256(proj(vl)[1].tobytes()).hexdigest() == wait["digest"]
                and len(vl.shapes()) == STATE["shapes_added"])
            ref = ctl.engine().stylize(src, [STYLE], [1.0],
                                       RenderOptions(strength=0.8, scale=1.0, model="int8"))
            if ref.shape == mine.shape:
                STATE["vector_max_diff_vs_engine"] = int(np.abs(
                    mine.astype(int) - ref.astype(int)).max())
                both = (src[..., 3] > 0) & (mine[..., 3] > 0)
                STATE["vector_mean_abs_change"] = float(np.abs(
                    mine[..., :3][both].astype(float) - src[..., :3][both]).mean())
            STATE["vector_result_alpha_matches"] = bool(
                ref.shape == mine.shape and ((mine[..., 3] > 0) == (src[..., 3] > 0)).all())
        dump()
        QTimer.singleShot(300, guarded(finish))

    def finish() -> None:
        docker_layout(dock, qwin)
        STATE["dialogs_at_end"] = dialogs()
        STATE["done"] = True
        dump()

    QTimer.singleShot(500, guarded(rendered))


def _full_mode(k: Any, win: Any, qwin: Any, dock: Any) -> None:
    from style_transfer.krita import controller as ctlmod
    from style_transfer.krita.qt import Qt, QtCore, QtGui, QTimer, QtWidgets

    menus = {a.text().replace("&", ""): a.menu() for a in qwin.menuBar().actions()}
    filt = menus.get("Filter")
    STATE["filter_menu"] = [a.text() for a in filt.actions()] if filt else None
    for name in ("style_transfer_apply", "style_transfer_apply_again"):
        act = k.action(name)
        STATE[name] = act.text() if act else None

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
    _use_style(dock, ctlmod)
    dock.strength.setValue(80)  # through the widget, as a user would (also starts the preview)
    STATE["layers_before"] = [n.name() for n in doc.rootNode().childNodes()]
    ctl = ctlmod.controller()
    preview = {"key": None, "waited": 0}
    region: Dict[str, Any] = {}

    def pixmap_key() -> Any:
        pm = dock.preview.pixmap()
        return None if pm is None or pm.isNull() else pm.cacheKey()

    def wait_preview(then: Any, old_key: Any = None) -> None:
        # the preview renders on a worker after a 400 ms debounce; a new pixmap = it rendered
        key = pixmap_key()
        idle = dock.ctl.preview_job is None and not dock.previews.preview_timer.isActive()
        if (key is None or key == old_key or not idle) and preview["waited"] < 60_000:
            preview["waited"] += 200
            QTimer.singleShot(200, guarded(lambda: wait_preview(then, old_key)))
            return
        pm = dock.preview.pixmap()
        then(None if pm is None or pm.isNull() else [pm.width(), pm.height()])

    def fit_view() -> None:
        act = k.action("toggle_zoom_to_fit")  # a toggle: trigger it once only
        if act is not None:
            act.trigger()  # the whole 400x300 picture, not a corner of it
        STATE["zoom_to_fit"] = act is not None

    def preview_rendered(size: Any) -> None:
        STATE["preview_pixmap"] = size
        STATE["preview_ms"] = preview["waited"]
        start()

    def start() -> None:
        # setActiveNode reaches the GUI's layer selection asynchronously: apply only once the
        # photo layer really is the active one, as it would be after a user's click
        STATE["active_node"] = doc.activeNode().name()
        ctl.finished.connect(finished)
        dock.apply_btn.click()
        STATE["busy_after_click"] = ctl.busy
        STATE["cancel_enabled_while_busy"] = dock.cancel_btn.isEnabled()
        STATE["docker_message_after_apply"] = dock.message.text()
        dump()

    def finished(layer: Any, message: str) -> None:
        ctl.finished.disconnect(finished)
        STATE["apply_message"] = message
        doc.waitForDone()
        STATE["layers_after_apply"] = [n.name() for n in doc.rootNode().childNodes()]
        k.action("edit_undo").trigger()
        QTimer.singleShot(500, guarded(after_undo))

    def after_undo() -> None:
        doc.waitForDone()
        STATE["layers_after_undo"] = [n.name() for n in doc.rootNode().childNodes()]
        # apply again via the Filter-menu action, so the screenshot shows a result + docker
        k.action("style_transfer_apply_again").trigger()
        QTimer.singleShot(200, guarded(wait_again))

    def wait_again() -> None:
        if ctl.busy:
            QTimer.singleShot(200, guarded(wait_again))
            return
        doc.waitForDone()
        STATE["layers_after_apply_again"] = [n.name() for n in doc.rootNode().childNodes()]
        drop()

    def drop() -> None:
        # a file dragged from a file manager onto the style list: enter, then drop, sent to the
        # list's viewport as Qt delivers them
        view = dock.styles.viewport()
        mime = QtCore.QMimeData()
        mime.setUrls([QtCore.QUrl.fromLocalFile(DROP)])
        pos = view.rect().center()
        copy = Qt.DropAction.CopyAction
        left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        enter = QtGui.QDragEnterEvent(pos, copy, mime, left, none)
        QtWidgets.QApplication.sendEvent(view, enter)
        STATE["drag_enter_accepted"] = enter.isAccepted()
        ev = QtGui.QDropEvent(QtCore.QPointF(pos), copy, mime, left, none)
        QtWidgets.QApplication.sendEvent(view, ev)
        STATE["drop_accepted"] = ev.isAccepted()
        STATE["styles_after_drop"] = [s.name for s in dock.settings.styles]
        STATE["list_after_drop"] = [dock.styles.item(i).text()
                                    for i in range(dock.styles.count())]
        STATE["saved_styles_after_drop"] = [s.name for s in ctlmod.load_settings().styles]
        preview["waited"] = 0
        wait_preview(preview_after_drop, pixmap_key())

    def preview_after_drop(size: Any) -> None:
        STATE["preview_after_drop"] = size
        # "Use as region": the user paints the sky white on a (hidden) layer, selects it, picks
        # udnie in the list and presses Use as region › From the active layer in the docker
        sky = doc.createNode("sky", "paintlayer")
        doc.rootNode().addChildNode(sky, None)
        sky.setPixelData(b"\xff" * (400 * 120 * 4), 0, 0, 400, 120)
        sky.setVisible(False)
        doc.setActiveNode(sky)
        region["sky"] = sky
        when_active(sky, set_region)

    def when_active(node: Any, then: Any, waited: int = 0) -> None:
        # setActiveNode reaches the GUI's layer selection asynchronously
        active = doc.activeNode()
        if (active is None or active.name() != node.name()) and waited < 10_000:
            QTimer.singleShot(100, guarded(lambda: when_active(node, then, waited + 100)))
            return
        then()

    def set_region() -> None:
        dock.maps_section.set_expanded(True)
        dock.styles.setCurrentRow(0)
        menu = dock.region_btn.menu()
        STATE["region_menu"] = [a.text() for a in menu.actions()]
        menu.actions()[1].trigger()  # Use as region: from the active layer
        STATE["region_message"] = dock.message.text()
        STATE["region_list"] = [dock.styles.item(i).text() for i in range(dock.styles.count())]
        STATE["region_saved"] = [s.region.name if s.region else None
                                 for s in ctlmod.load_settings().styles]
        # Apply with the map layer still active: one clear line, nothing stylized
        dock.apply_btn.click()
        STATE["region_apply_on_map"] = dock.message.text()
        STATE["region_busy_on_map"] = ctl.busy
        doc.setActiveNode(src)  # the normal flow: back to the photo, then Apply
        when_active(src, lambda: wait_preview(apply_regions, preview_key_now()))

    def preview_key_now() -> Any:
        preview["waited"] = 0
        return pixmap_key()

    def apply_regions(size: Any) -> None:
        STATE["region_preview"] = size
        STATE["region_preview_caption"] = dock.preview_caption.text()
        ctl.finished.connect(regions_done)
        dock.apply_btn.click()

    def regions_done(layer: Any, message: str) -> None:
        ctl.finished.disconnect(regions_done)
        doc.waitForDone()
        STATE["region_apply_message"] = message
        STATE["region_layers"] = [n.name() for n in doc.rootNode().childNodes()]
        STATE["region_active"] = doc.activeNode().name()
        dock.set_map("scale", "layer")  # the photo as a stroke-size map: the Sizes row shows
        STATE["sizes_shown"] = dock.sizes.isVisible()
        QTimer.singleShot(300, guarded(grab_docker))

    def grab_docker() -> None:
        # the docker with its Regions and maps part open, for a person to look at; then folded
        # again and the stroke map cleared, so the checks below see the usual docker
        dock.scroll.widget().grab().save(OUT + ".docker.png", "PNG")  # all of its settings
        dock.clear_map("scale")
        STATE["sizes_shown_after_clear"] = dock.sizes.isVisible()
        dock.maps_section.set_expanded(False)
        preview["waited"] = 0
        wait_preview(lambda size: selection_region(), pixmap_key())  # the cleared settings'

    def selection_region() -> None:
        # "Use as region" from a SELECTION, through the docker: the user selects the lower
        # left quarter, picks stata in the list, Use as region › From the selection, deselects
        from krita import Selection

        sel = Selection()
        sel.select(0, 150, 200, 150, 255)
        doc.setSelection(sel)
        dock.maps_section.set_expanded(True)
        dock.styles.setCurrentRow(1)
        dock.region_btn.menu().actions()[0].trigger()  # Use as region: from the selection
        STATE["selection_message"] = dock.message.text()
        STATE["selection_list"] = [dock.styles.item(i).text()
                                   for i in range(dock.styles.count())]
        ref = ctlmod.load_settings().styles[1].region
        STATE["selection_ref_kind"] = None if ref is None else ref.kind
        if ref is not None:  # the snapshot: white where selected, black elsewhere
            from style_transfer.krita import layers as klayers
            from style_transfer.krita import map_layers
            from style_transfer.krita.qt import QImage

            img = QImage(ref.key)
            seen = map_layers.file_pixels(ref.key, klayers.Rect(0, 0, 400, 300))
            STATE["selection_png"] = [img.width(), img.height(), img.offset().x(),
                                      img.offset().y(), int(seen[200, 50]), int(seen[50, 300])]
        doc.setSelection(Selection())  # deselect, as the message says
        wait_preview(selection_preview, preview_key_now())

    def selection_preview(size: Any) -> None:
        STATE["selection_preview"] = size
        STATE["selection_caption"] = dock.preview_caption.text()
        dock.scroll.widget().grab().save(OUT + ".selection.png", "PNG")
        dock.styles.setCurrentRow(1)
        dock.clear_region()  # stata paints the rest again, as before this step
        wait_preview(paint_on_map, preview_key_now())

    def paint_on_map(size: Any) -> None:
        # the painter selects the region layer (sky, udnie's region) to paint on it; the
        # preview goes on showing the photo (the layer it showed), not "sky is a map"
        sky = region["sky"]
        doc.setActiveNode(sky)
        when_active(sky, lambda: QTimer.singleShot(1000, guarded(
            lambda: wait_preview(lambda size: dab(), None))))

    def dab() -> None:
        # paint on it: Krita sends the docker no signal, its poll must notice the paint and
        # paint a new preview by itself
        from style_transfer.krita import map_layers

        sky = region["sky"]
        STATE["map_active_caption"] = dock.preview_caption.text()
        t = time.perf_counter()
        before = map_layers.signatures(doc, dock.settings)
        STATE["map_signature_ms"] = round((time.perf_counter() - t) * 1000, 1)
        sky.setPixelData(b"\xff" * (120 * 80 * 4), 250, 180, 120, 80)  # a white dab lower down
        doc.waitForDone()
        STATE["map_signature_changed"] = map_layers.signatures(doc, dock.settings) != before
        region["painted_at"] = time.perf_counter()
        wait_preview(map_repainted, preview_key_now())

    def map_repainted(size: Any) -> None:
        STATE["map_repaint_preview"] = size
        STATE["map_repaint_ms"] = round((time.perf_counter() - region["painted_at"]) * 1000)
        STATE["map_repaint_caption"] = dock.preview_caption.text()
        doc.setActiveNode(src)
        when_active(src, big_canvas)

    def big_canvas() -> None:
        # a painter's canvas (2400x1800): a strength change shows a draft first, then the
        # true preview; the same change without drafts (as before) for the record
        import numpy as np
        from style_transfer.krita import layers as klayers

        big = k.createDocument(2400, 1800, "big-canvas", "RGBA", "U8", "", 300.0)
        win.addView(big)
        k.setActiveDocument(big)
        layer = big.createNode("photo", "paintlayer")
        big.rootNode().addChildNode(layer, None)
        yy, xx = np.mgrid[0:1800, 0:2400]
        px = np.stack([xx * 255 // 2399, yy * 255 // 1799, (xx // 7 + yy // 5) % 256,
                       np.full_like(xx, 255)], -1).astype(np.uint8)
        layer.setPixelData(klayers.rgba_to_bytes(px, "U8"), 0, 0, 2400, 1800)
        big.refreshProjection()
        big.setActiveNode(layer)
        region["big"] = big
        from style_transfer.krita import map_layers

        as_map = dock.settings.replace(strength_map=map_layers.ref_from_node(layer))
        thumbs = dock.watcher.map_thumbs
        map_layers.signatures(big, as_map, thumbs)
        t = time.perf_counter()
        map_layers.signatures(big, as_map, thumbs)  # the docker's poll on a big map layer
        STATE["big_signature_ms"] = round((time.perf_counter() - t) * 1000, 1)
        first = dock.settings.styles[0]
        dock.set_settings(dock.settings.replace(styles=[dataclasses.replace(first, region=None)]))
        region["captions"] = []
        orig = dock.previews.set_preview

        def spy(pix: Any, caption: str) -> None:
            region["captions"].append(caption)
            orig(pix, caption)
            if caption.startswith("Draft") and "drafted" not in region:
                region["drafted"] = True  # what the draft looks like in the docker
                dock.scroll.widget().grab().save(OUT + ".draft.png", "PNG")

        dock.previews.set_preview = spy

        def settled(waited: int = 0) -> None:
            # the layer selection reaches the GUI asynchronously, and the docker's watcher
            # previews a newly active layer: measure only once all that is over
            active = big.activeNode()
            if (active is None or active.name() != "photo") and waited < 10_000:
                QTimer.singleShot(100, guarded(lambda: settled(waited + 100)))
                return
            QTimer.singleShot(1500, guarded(
                lambda: burst_end(lambda: big_change(60, "big_with_drafts"))))

        settled()

    def burst_end(then: Any, waited: int = 0) -> None:
        busy = (dock.previews.changed_at is not None or dock.ctl.preview_job is not None
                or dock.previews.preview_timer.isActive() or dock.previews.draft_timer.isActive())
        if busy and waited < 60_000:
            QTimer.singleShot(100, guarded(lambda: burst_end(then, waited + 100)))
            return
        then()

    def big_change(value: Any, key: str) -> None:
        region["captions"].clear()
        region["t0"] = time.perf_counter()
        dock.ctl.read_times.clear()
        if isinstance(value, int):
            dock.strength.setValue(value)  # the slider, as a user moves it
            burst_end(lambda: big_done(key))
            return
        for i, v in enumerate(value):  # a drag: a new value every 50 ms
            QTimer.singleShot(i * 50, guarded(lambda v=v: dock.strength.setValue(v)))
        QTimer.singleShot(len(value) * 50, guarded(lambda: burst_end(lambda: big_done(key))))

    def big_done(key: str) -> None:
        from style_transfer.common import draft

        STATE[key] = {"captions": list(region["captions"]), "ms": dict(dock.previews.times),
                      "reads": [list(r) for r in dock.ctl.read_times],
                      "total_ms": round((time.perf_counter() - region["t0"]) * 1000),
                      "strength": dock.settings.strength}
        dump()
        if key == "big_with_drafts":
            region["worth_it"] = draft.worth_it
            draft.worth_it = lambda hw, side=384: False  # the docker as it was
            big_change(50, "big_without_drafts")
            return
        draft.worth_it = region["worth_it"]
        if key == "big_without_drafts":
            big_change(list(range(52, 72, 2)), "big_drag")  # 0.5 s drag, 52 % to 70 %
            return
        dock.scroll.widget().grab().save(OUT + ".big.png", "PNG")
        big = region.pop("big")
        big.setModified(False)
        big.close()
        k.setActiveDocument(doc)
        del dock.previews.set_preview
        dock.maps_section.set_expanded(False)
        key = preview_key_now()
        dock.schedule_preview()
        wait_preview(lambda size: layout_and_finish(), key)

    def layout_and_finish() -> None:
        fit_view()
        show_whole_docker()
        QTimer.singleShot(300, guarded(show_whole_docker))  # again, once the layout settled
        QTimer.singleShot(800, guarded(finish))

    def show_whole_docker() -> None:
        # what a user does on a tall screen: drag the separators in the right column so the
        # other dockers get less room and this one shows whole
        others = dock.widget().sizeHint().height() - dock.scroll.sizeHint().height()
        want = others + dock.scroll.widget().sizeHint().height() + 40  # + title bar, spacing
        others = [d for d in qwin.findChildren(QtWidgets.QDockWidget)
                  if d is not dock and d.isVisible() and not d.isFloating()
                  and qwin.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea]
        qwin.resizeDocks([*others, dock], [*(d.minimumSizeHint().height() for d in others), want],
                         Qt.Orientation.Vertical)
        STATE["docker_height_wanted"] = want
        STATE["right_docks"] = {
            d.objectName(): [d.height(), d.minimumSizeHint().height()]
            for d in qwin.findChildren(QtWidgets.QDockWidget)
            if d.isVisible() and qwin.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea}

    def finish() -> None:
        from . import preview_mode

        # the preview over the canvas at this screen's size (grabbed), hidden again
        STATE["large_preview"] = preview_mode.grab_large(dock, qwin, OUT + ".large.png")
        docker_layout(dock, qwin)
        STATE["dialogs_at_end"] = dialogs()
        STATE["done"] = True
        dump()

    QTimer.singleShot(0, guarded(lambda: wait_preview(preview_rendered)))


def _docs_mode(k: Any, win: Any, qwin: Any, dock: Any) -> None:
    """The README's screenshot (scripts/screenshots.py): a picture file opened as a painter
    would ($ST_GUI_PROBE_CONTENT), the style $ST_GUI_PROBE_STYLE in the list, the preview
    painted, one Apply; the screenshot is taken once this reports done."""
    from style_transfer.common.settings import StyleRef
    from style_transfer.krita import controller as ctlmod
    from style_transfer.krita.qt import QTimer, QtWidgets

    # only the Layers docker beside ours, so the docker gets the height to show its preview
    for other in qwin.findChildren(QtWidgets.QDockWidget):
        if other is not dock and other.objectName() != "KisLayerBox" and other.isVisible():
            other.hide()
    doc = k.openDocument(os.environ["ST_GUI_PROBE_CONTENT"])
    win.addView(doc)
    k.setActiveDocument(doc)
    doc.setActiveNode(doc.rootNode().childNodes()[-1])
    dock.set_settings(dock.settings.replace(styles=[StyleRef("file", STYLE, "painting")]))
    ctl = ctlmod.controller()
    waited = {"ms": 0}

    def fit() -> None:
        act = k.action("toggle_zoom_to_fit")
        if act is not None:
            act.trigger()
        QTimer.singleShot(500, guarded(wait_preview))

    def wait_preview() -> None:
        pm = dock.preview.pixmap()
        idle = dock.ctl.preview_job is None and not dock.previews.preview_timer.isActive()
        if (pm is None or pm.isNull() or not idle) and waited["ms"] < 120_000:
            waited["ms"] += 250
            QTimer.singleShot(250, guarded(wait_preview))
            return
        ctl.finished.connect(finished)
        dock.apply_btn.click()

    def finished(layer: Any, message: str) -> None:
        ctl.finished.disconnect(finished)
        STATE["apply_message"] = message
        doc.waitForDone()
        QTimer.singleShot(500, guarded(refit))

    def refit() -> None:
        for name in ("zoom_to_fit", "toggle_zoom_to_fit"):
            act = k.action(name)
            if act is not None:
                act.trigger()
                break
        QTimer.singleShot(1500, guarded(finish))

    def finish() -> None:
        docker_layout(dock, qwin)
        STATE["dialogs_at_end"] = dialogs()
        STATE["done"] = True
        dump()

    QTimer.singleShot(1000, guarded(fit))


class Probe(Extension):
    def setup(self) -> None:
        pass

    def createActions(self, window: Any) -> None:
        from style_transfer.krita.qt import QTimer

        QTimer.singleShot(4000, probe)  # let the window, dockers and menus settle first


if OUT:
    Krita.instance().addExtension(Probe(Krita.instance()))
