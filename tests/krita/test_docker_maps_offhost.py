"""The docker's Regions and maps part off Krita (fake `krita` module, PyQt6, a QApplication in
a subprocess): what the buttons put into the settings and the list, and the one-line answers
when there is nothing to take. Real Krita runs the same flow in test_krita_gui.py."""

from __future__ import annotations

import json

from kritatest import run_under_pyqt6

SCRIPT = r"""
import json, sys
from PyQt6.QtWidgets import QApplication
app = QApplication(sys.argv)
import numpy as np
from krita import Krita
from style_transfer.common.settings import StyleRef
from style_transfer.krita import controller as ctl
from style_transfer.krita.docker import StyleTransferDocker

k = Krita.instance()
doc = k.createDocument(96, 64, "picture", "RGBA", "U8", "", 72.0)
photo = doc.createNode("photo", "paintlayer")
doc.rootNode().addChildNode(photo, None)
sky = doc.createNode("sky", "paintlayer")
doc.rootNode().addChildNode(sky, photo)
k.setActiveDocument(doc)
d = StyleTransferDocker()
out = {}
out["no_style"] = (d.use_as_region("layer"), d.message.text())
d.set_settings(d.settings.replace(styles=[StyleRef("file", "/a.png", "udnie"),
                                          StyleRef("file", "/b.png", "stripes")]))
d.styles.setCurrentRow(0)
doc.setActiveNode(sky)
ref = d.use_as_region("layer")
out["ref"] = [ref.kind, ref.key == sky.uniqueId().toString(), ref.name]
out["message"] = d.message.text()
out["list"] = [d.styles.item(i).text() for i in range(d.styles.count())]
out["saved"] = [s.region.name if s.region else None for s in ctl.load_settings().styles]
out["context_menu"] = [a.text() for a in d.styles.actions()]
out["no_selection"] = (d.use_as_region("selection"), d.message.text())
doc.setActiveNode(doc.createNode("g", "grouplayer"))
out["no_layer"] = (d.set_map("strength", "layer"), d.message.text())
doc.setActiveNode(sky)
d.set_map("scale", "layer")
out["scale_label"] = d.map_labels["scale"].text()
out["sizes_shown"] = not d.sizes.isHidden()
d.scale_lo.setValue(2.0)
d.scale_hi.setValue(0.5)
out["range"] = list(ctl.load_settings().scale_range)
d.clear_map("scale")
out["sizes_after_clear"] = not d.sizes.isHidden()
d.styles.setCurrentRow(0)
d.clear_region()
out["list_after_clear"] = [d.styles.item(i).text() for i in range(d.styles.count())]
out["maps_after_clear"] = [ref.name for ref in ctl.load_settings().map_refs()]
print("RESULT " + json.dumps(out))
"""


def test_docker_region_and_map_buttons_fill_the_settings():
    out = json.loads(run_under_pyqt6(SCRIPT).split("RESULT ", 1)[1])
    assert out["no_style"] == [None, "Select a style in the list first."]
    assert out["ref"] == ["node", True, "sky"]
    assert out["message"].startswith("udnie paints in 'sky'; styles without a region paint "
                                     "the rest. Painting on 'sky' counts"), out["message"]
    assert out["list"] == ["udnie  ×1 — region: sky", "stripes  ×1"]
    assert out["saved"] == ["sky", None]
    assert out["context_menu"] == ["Use as region: from the selection",
                                   "Use as region: from the active layer",
                                   "Whole picture (no region)"]
    assert out["no_selection"][0] is None
    assert out["no_selection"][1].startswith("There is no active selection")
    assert out["no_layer"][0] is None and "use a paint layer" in out["no_layer"][1], out
    assert out["scale_label"] == "sky" and out["sizes_shown"]
    assert out["range"] == [2.0, 0.5]  # white = 0.5x: big strokes where the map is white
    assert not out["sizes_after_clear"]
    assert out["list_after_clear"] == ["udnie  ×1", "stripes  ×1"]
    assert out["maps_after_clear"] == []
