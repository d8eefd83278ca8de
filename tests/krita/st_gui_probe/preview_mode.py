"""Probe mode "preview" (test_krita_gui.py): the preview over the canvas, as a painter uses it.

On a .kra reopened from disk (its undo history empty): the Style Transfer Preview action shows
the window over the canvas at the canvas's size (screen grabbed while it shows); a dab painted
on the photo brings a new picture (ms); two strength changes replace it; the document stays
unmodified; Apply hides it and is the ONE undo step; the saved .kra holds no other layer. The
window also hides on a switch to another document, on a save and on Cancel.

Then, on a scratch document, what a preview LAYER made through Krita's Python API would do (the
reason the preview is a window, preview_window.py): its undo steps, the modified flag, Ctrl+Z
after it was removed, and a save while it shows.
"""

from __future__ import annotations

import os
import time
import zipfile
from typing import Any, Callable, Dict, List

from style_transfer.krita import preview_window

import st_gui_probe as P


def grab_screen(path: str) -> List[int]:
    """The whole X screen, as the painter sees it (with the tool window on top)."""
    from style_transfer.krita.qt import QtWidgets

    screen = QtWidgets.QApplication.primaryScreen()
    pix = screen.grabWindow(0)
    pix.save(path, "PNG")
    return [pix.width(), pix.height()]


def window_facts(dock: Any, qwin: Any) -> Dict[str, Any]:
    from style_transfer.krita.qt import QtCore

    win = dock.large.window
    area = preview_window.canvas_area(qwin)
    top_left = area.mapToGlobal(QtCore.QPoint(0, 0))
    shown = win.picture.shown_rect() if win is not None else None
    return {"visible": dock.large.visible,
            "geometry": P.rect(win.geometry()) if win is not None else None,
            "canvas_area": [top_left.x(), top_left.y(), area.width(), area.height()],
            "picture_widget": [win.picture.width(), win.picture.height()] if win else None,
            "picture_shown": [shown.width(), shown.height()] if shown is not None else None,
            "pixmap": [win.picture.pix.width(), win.picture.pix.height()] if win else None,
            "caption": win.caption.text() if win is not None else None}


def maindoc_layers(path: str) -> List[str]:
    import re

    with zipfile.ZipFile(path) as z:
        xml = z.read("maindoc.xml").decode("utf-8")
    # any attribute order (Qt writes them in hash order); name=, not filename="layerN"
    return re.findall(r'<layer[^>]*?\sname="([^"]*)"', xml)


def run(k: Any, win: Any, qwin: Any, dock: Any) -> None:
    import numpy as np
    from style_transfer.krita import controller as ctlmod
    from style_transfer.krita import layers
    from style_transfer.krita.qt import QTimer, QtWidgets

    S = P.STATE
    folder = os.path.dirname(P.OUT)
    path = os.path.join(folder, "painting.kra")
    ctl = ctlmod.controller()
    undo = k.action("edit_undo")
    action = k.action(preview_window.ACTION_PREVIEW)
    S["action_text"] = action.text() if action else None
    S["action_shortcut"] = action.shortcut().toString() if action else None
    S["action_checkable"] = bool(action and action.isCheckable())

    # a painting saved and reopened: its undo history starts empty, as after opening a file
    w, h = 640, 480
    first = k.createDocument(w, h, "painting", "RGBA", "U8", "", 300.0)
    src = first.createNode("photo", "paintlayer")
    first.rootNode().addChildNode(src, None)
    y, x = np.mgrid[0:h, 0:w]
    px = np.stack([x * 255 // (w - 1), y * 255 // (h - 1), (x // 9 + y // 7) % 256,
                   np.full_like(x, 255)], -1).astype(np.uint8)
    src.setPixelData(layers.rgba_to_bytes(px, "U8"), 0, 0, w, h)
    first.refreshProjection()
    first.setFileName(path)
    first.save()
    first.waitForDone()
    first.close()
    doc = k.openDocument(path)
    win.addView(doc)
    k.setActiveDocument(doc)
    photo = next(n for n in doc.rootNode().childNodes() if n.name() == "photo")
    doc.setActiveNode(photo)
    S["layers_at_open"] = [n.name() for n in doc.rootNode().childNodes()]
    P._use_style(dock, ctlmod)
    steps: Dict[str, Any] = {}
    S["steps"] = steps

    def pix_key() -> Any:
        wnd = dock.large.window
        return None if wnd is None or wnd.picture.pix.isNull() else wnd.picture.pix.cacheKey()

    def undo_text() -> str:
        """What Edit › Undo would undo ("" = nothing): its enabled state lags under Xvfb,
        its text follows the active document's undo stack."""
        for _ in range(3):
            QtWidgets.QApplication.processEvents()
        text = undo.text().replace("&", "")
        return text[len("Undo"):].strip() if text.startswith("Undo") else text

    def settled() -> bool:
        return dock.previews.settled and not dock.previews.draft_timer.isActive()

    def wait_until(cond: Callable[[], bool], then: Callable[[], None], limit_ms: int = 60_000,
                   waited: int = 0) -> None:
        if cond() or waited >= limit_ms:
            then()
            return
        QTimer.singleShot(50, P.guarded(lambda: wait_until(cond, then, limit_ms, waited + 50)))

    def step1_toggle() -> None:
        S["active_at_start"] = doc.activeNode().name()
        S["undo_at_open"] = undo_text()
        S["docker_preview_rendered"] = not dock.previews.pix.isNull()
        action.trigger()  # Ctrl+Alt+P
        S["button_checked_after_action"] = dock.large_btn.isChecked()
        S["action_checked_after_action"] = action.isChecked()
        wait_until(lambda: pix_key() is not None and settled(), step2_shown)

    def step2_shown() -> None:
        steps["shown"] = window_facts(dock, qwin)
        S["screenshot_size"] = grab_screen(P.OUT + ".large.png")
        steps["shown"]["modified"] = doc.modified()
        # a dab on the photo itself (Krita sends no signal): the picture must change by itself
        before = pix_key()
        src_now = next(n for n in doc.rootNode().childNodes() if n.name() == "photo")
        t0 = time.perf_counter()
        src_now.setPixelData(b"\xff" * (24 * 24 * 4), 300, 200, 24, 24)
        doc.refreshProjection()

        watch = dock.watcher.content
        polls_before = watch.digests

        def seen() -> None:
            active = k.activeDocument()
            target = dock.previews.target(active) if active is not None else None
            steps["dab"] = {"first_new_picture_ms": round((time.perf_counter() - t0) * 1000),
                            "changed": pix_key() != before,
                            # what the watcher saw (for a failure's report)
                            "digests": watch.digests - polls_before, "live": dock.previews.live(),
                            "active_doc": active.name() if active is not None else None,
                            "target": target.name() if target is not None else None}
            wait_until(settled, lambda: dab_settled(t0))

        wait_until(lambda: pix_key() != before, seen, limit_ms=10_000)

    def dab_settled(t0: float) -> None:
        steps["dab"]["settled_ms"] = round((time.perf_counter() - t0) * 1000)
        strength(60, lambda: strength(40, step3_after_strengths))

    def strength(value: int, then: Callable[[], None]) -> None:
        before = pix_key()
        dock.strength.setValue(value)  # as the painter's slider does
        wait_until(lambda: pix_key() != before and settled(),
                   lambda: (steps.setdefault("strength", []).append(
                       {"value": value, "replaced": pix_key() != before,
                        "caption": dock.large.window.caption.text()}), then()))

    def step3_after_strengths() -> None:
        steps["before_apply"] = {"visible": dock.large.visible, "modified": doc.modified(),
                                 "undo": undo_text(),
                                 "layers": [n.name() for n in doc.rootNode().childNodes()]}
        ctl.finished.connect(applied)
        dock.apply_btn.click()
        steps["hidden_at_apply"] = not dock.large.visible
        S["button_checked_after_apply"] = dock.large_btn.isChecked()

    def applied(layer: Any, message: str) -> None:
        ctl.finished.disconnect(applied)
        doc.waitForDone()
        QTimer.singleShot(300, P.guarded(lambda: after_apply(message)))

    def after_apply(message: str) -> None:
        steps["apply"] = {"message": message, "undo": undo_text(),
                          "layers": [n.name() for n in doc.rootNode().childNodes()]}
        doc.save()
        doc.waitForDone()
        steps["apply"]["saved_layers"] = maindoc_layers(path)
        # count the undo steps: Ctrl+Z until there is nothing left to undo
        count, seen_layers, texts = 0, [], []
        while undo_text() and count < 10:
            texts.append(undo_text())
            undo.trigger()
            doc.waitForDone()
            count += 1
            seen_layers.append([n.name() for n in doc.rootNode().childNodes()])
        steps["undo"] = {"steps": count, "texts": texts, "layers_after_each": seen_layers}
        k.action("edit_redo").trigger()  # the result back, for the screenshot
        doc.waitForDone()
        hides()

    def hides() -> None:
        """The other moments the window must go: a save, a document switch, Cancel."""
        dock.large.show()
        shown = dock.large.visible
        doc.save()
        doc.waitForDone()
        QTimer.singleShot(500, P.guarded(lambda: after_save(shown)))

    def after_save(shown: bool) -> None:
        steps["save"] = {"shown_before": shown, "hidden_after": not dock.large.visible}
        dock.large.show()
        shown = dock.large.visible
        other = k.createDocument(200, 150, "other", "RGBA", "U8", "", 300.0)
        win.addView(other)  # the new view becomes the active one: canvasChanged
        QTimer.singleShot(800, P.guarded(lambda: after_switch(shown, other)))

    def after_switch(shown: bool, other: Any) -> None:
        steps["switch"] = {"shown_before": shown, "hidden_after": not dock.large.visible,
                           "active": k.activeDocument().name() if k.activeDocument() else None}
        for view in win.views():
            if view.document() is not None and view.document().fileName() == path:
                win.showView(view)
        k.setActiveDocument(doc)
        QTimer.singleShot(500, P.guarded(cancel_hides))

    def cancel_hides() -> None:
        dock.large.show()
        shown = dock.large.visible
        dock.cancel()
        steps["cancel"] = {"shown_before": shown, "hidden_after": not dock.large.visible}
        layer_facts()

    def layer_facts() -> None:
        """Why not a layer: one made the only way Python can, on a scratch document."""
        scratch_path = os.path.join(folder, "layer-facts.kra")
        d = k.createDocument(200, 150, "layer facts", "RGBA", "U8", "", 300.0)
        win.addView(d)
        k.setActiveDocument(d)
        d.setFileName(scratch_path)
        d.save()
        d.waitForDone()
        facts: Dict[str, Any] = {}

        def settle() -> None:
            d.waitForDone()
            for _ in range(3):
                QtWidgets.QApplication.processEvents()
                time.sleep(0.1)

        settle()
        facts["undo_before"] = undo_text()
        layer = d.createNode("PREVIEW", "paintlayer")
        layer.setPixelData(b"\x80" * (200 * 150 * 4), 0, 0, 200, 150)
        d.rootNode().addChildNode(layer, None)
        settle()
        facts["undo_after_add"] = undo_text()
        facts["modified_after_add"] = d.modified()
        d.save()
        d.waitForDone()
        facts["saved_with_it"] = "PREVIEW" in maindoc_layers(scratch_path)
        layer.remove()
        settle()
        facts["undo_after_remove"] = undo_text()
        undo.trigger()  # the painter's next Ctrl+Z
        settle()
        facts["after_one_ctrl_z"] = [n.name() for n in d.rootNode().childNodes()]
        S["layer_facts"] = facts
        d.setModified(False)
        k.setActiveDocument(doc)
        for view in win.views():
            if view.document() is not None and view.document().fileName() == path:
                win.showView(view)
        QTimer.singleShot(500, P.guarded(finish))

    def finish() -> None:
        P.docker_layout(dock, qwin)
        S["dialogs_at_end"] = P.dialogs()
        S["done"] = True
        P.dump()

    def photo_active() -> bool:
        # the layer selection reaches the GUI asynchronously (Krita 5.2.9 kept the Background
        # active after openDocument): ask again until the photo is the active layer
        node = doc.activeNode()
        if node is None or node.name() != "photo":
            doc.setActiveNode(photo)
            return False
        return True

    # the photo active, and the docker's own preview of it (the picture the window takes over)
    wait_until(photo_active, lambda: wait_until(
        lambda: not dock.previews.pix.isNull() and settled()
        and dock.previews.target(doc) is not None
        and dock.previews.target(doc).name() == "photo", step1_toggle))


def grab_large(dock: Any, qwin: Any, path: str) -> Dict[str, Any]:
    """Full mode's last look: the window shown over the canvas, the screen grabbed, hidden."""
    from style_transfer.krita.qt import QtWidgets

    dock.large.show()
    for _ in range(5):
        QtWidgets.QApplication.processEvents()
        time.sleep(0.05)
    facts = window_facts(dock, qwin)
    facts["screenshot_size"] = grab_screen(path)
    dock.large.hide()
    return facts
