"""Settings per document, off Krita (fake `krita` module, PyQt6, the REAL engine and models, a
QApplication in a subprocess): two documents keep their own settings in the docker, a new one
starts from the last used minus its maps, an Apply records its job in the document (vectors, no
paths), the docker never marks a document modified, and a damaged record gives defaults and one
line. Real Krita saves, closes and reopens the .kra in test_krita_in_krita.py and switches
documents in its GUI in test_krita_gui.py."""

from __future__ import annotations

import json

from kritatest import run_under_pyqt6

SCRIPT = r"""
import json, sys, time
from PyQt6.QtWidgets import QApplication
from PyQt6.QtCore import QByteArray, QEventLoop, QTimer
app = QApplication(sys.argv)
from krita import Krita
from style_transfer.common.settings import StyleRef
from style_transfer.krita import controller as ctl
from style_transfer.krita.docker import StyleTransferDocker

UDNIE, STRIPES = sys.argv[1], sys.argv[2]
k = Krita.instance()

def new_doc(name):
    doc = k.createDocument(96, 64, name, "RGBA", "U8", "", 72.0)
    photo = doc.createNode("photo", "paintlayer")
    doc.rootNode().addChildNode(photo, None)
    photo.setPixelData(bytes(range(256)) * (96 * 64 * 4 // 256), 0, 0, 96, 64)
    doc.setActiveNode(photo)
    return doc, photo

def switch(doc):
    k.setActiveDocument(doc)
    d.sync_document()

def shown():
    return {"styles": [d.styles.item(i).text() for i in range(d.styles.count())],
            "strength": d.strength.value(), "scale": d.scale.value(),
            "model": d.model.currentData(), "message": d.message.text()}

a, a_photo = new_doc("A")
sky = a.createNode("sky", "paintlayer")
a.rootNode().addChildNode(sky, a_photo)
k.setActiveDocument(a)
d = StyleTransferDocker()
out = {}
d.add_files([UDNIE])
d.strength.setValue(70)
a.setActiveNode(sky)
d.use_as_region("layer")
a.setActiveNode(a_photo)
out["A"] = shown()

b, _ = new_doc("B")
switch(b)
out["B_new"] = shown()  # the last used, minus A's region
d.strength.setValue(30)
d.add_files([STRIPES])
d.model.setCurrentIndex(d.model.findData("f16"))
out["B"] = shown()
switch(a)
out["A_again"] = shown()
switch(b)
out["B_again"] = shown()
out["modified_by_docker"] = [a.modified(), b.modified()]
out["annotations_before_apply"] = a.annotationTypes() + b.annotationTypes()

switch(a)
done = []
d.ctl.finished.connect(lambda layer, msg: done.append(msg))
d.apply()
loop_start = time.time()
while not done and time.time() - loop_start < 120:
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
out["apply_message"] = done
data = bytes(a.annotation("style-transfer"))
out["record"] = json.loads(data.decode("utf-8"))
import os, tempfile
out["record_has_paths"] = [p for p in (os.path.dirname(UDNIE), tempfile.gettempdir())
                           if p.encode() in data]

# a damaged record in a document seen for the first time
c, _ = new_doc("C")
c.setAnnotation("style-transfer", "x", QByteArray(b"{not json"))
switch(c)
out["C"] = shown()
out["C_settings_styles"] = [s.name for s in d.settings.styles]
print("RESULT " + json.dumps(out))
"""


def test_each_document_keeps_its_settings_and_records_its_job(images_dir):
    stdout = run_under_pyqt6(SCRIPT, str(images_dir / "udnie.jpg"),
                             str(images_dir / "stripes.jpg"), timeout=600)
    out = json.loads(stdout.split("RESULT ", 1)[1])
    assert out["A"]["styles"] == ["udnie  ×1 — region: sky"] and out["A"]["strength"] == 70
    assert out["B_new"]["styles"] == ["udnie  ×1"] and out["B_new"]["strength"] == 70
    assert out["B"]["styles"] == ["udnie  ×1", "stripes  ×1"], out["B"]
    assert (out["B"]["strength"], out["B"]["model"]) == (30, "f16")
    assert {**out["A_again"], "message": ""} == {**out["A"], "message": ""}
    assert {**out["B_again"], "message": ""} == {**out["B"], "message": ""}
    assert out["modified_by_docker"] == [False, False]
    assert out["annotations_before_apply"] == []
    assert out["apply_message"] and out["apply_message"][0].startswith("Added layer"), out
    job = out["record"]["job"]
    assert out["record"]["format"] == "style-transfer" and out["record"]["version"] == 1
    assert [(s["name"], s["path"], len(s["vector"]), s["region"]["name"])
            for s in job["styles"]] == [("udnie", "udnie.jpg", 100, "sky")]
    assert job["strength"] == 0.7
    assert out["record_has_paths"] == []  # no folder of this machine in the document
    # damaged: the defaults a new document gets (the last used, no maps) and one line
    assert out["C"]["message"].count("\n") == 0 and "damaged" in out["C"]["message"], out["C"]
    assert out["C_settings_styles"] == ["udnie", "stripes"]
