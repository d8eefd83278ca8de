"""A user's batch script as kritarunner runs it: open a document, Apply through the plugin's
controller, return. `kritarunner -s apply_then_exit -f main OUT PYKRITA IMAGES RUNTIME`.

Krita crashes in its exit handlers (exit 139) when a Document wrapper is still alive at exit:
kritarunner never finalizes Python, so whatever the plugin keeps after a job must not hold one
(krita/layers.doc_key). The script returns without collecting garbage, as users' scripts do."""

from __future__ import annotations

import json
import sys
from typing import Any, Dict, List


def main(args: List[str]) -> None:
    out, pykrita, images, runtime = args
    sys.path.insert(0, pykrita)
    from krita import Krita
    from style_transfer.common.settings import JobSettings, StyleRef
    from style_transfer.krita import controller
    from style_transfer.krita.qt import QEventLoop, QTimer

    doc = Krita.instance().createDocument(200, 150, "batch", "RGBA", "U8", "", 72.0)
    node = doc.createNode("photo", "paintlayer")
    doc.rootNode().addChildNode(node, None)
    node.setPixelData(bytes([30, 120, 200, 255]) * (200 * 150), 0, 0, 200, 150)
    doc.refreshProjection()
    got: Dict[str, Any] = {}
    loop = QEventLoop()

    def finished(layer: Any, message: str) -> None:
        got["message"] = message
        loop.quit()

    ctl = controller.controller()
    ctl.finished.connect(finished)
    settings = JobSettings(styles=(StyleRef("file", f"{images}/udnie.jpg", "udnie"),),
                           scale=1.0, runtime=runtime)
    got["start_error"] = ctl.apply(settings, doc, node)
    QTimer.singleShot(120_000, loop.quit)
    loop.exec() if hasattr(loop, "exec") else loop.exec_()
    ctl.finished.disconnect(finished)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(got, f)
