"""The docker's live preview off Krita (fake `krita` module, PyQt6, the REAL engine and models, a
QApplication in a subprocess), on a 2400x1800 canvas where the true preview takes a second:

- a strength change shows a DRAFT (the whole picture at 384 px, captioned as a draft) long before
  the true preview, which then replaces it; the same change with drafts off (the docker as it
  was) shows nothing until the true preview. Both times are printed for the record;
- at 1x on that canvas the true preview is a 1024 px detail: the draft shows the same part;
- a slider dragged through several values shows drafts on the way and ends on the true preview
  of the LAST value (the newest request wins);
- painting on the strength-map layer (Krita sends no signal) brings a new preview within the
  docker's poll, and nothing is rendered while nobody paints.
Real Krita runs the draft and the poll in test_krita_gui.py."""

from __future__ import annotations

import json

from kritatest import run_under_pyqt6

SCRIPT = r"""
import json, sys, time
from PyQt6.QtWidgets import QApplication
from PyQt6.QtCore import QEventLoop, QTimer
app = QApplication(sys.argv)
import numpy as np
from krita import Krita
from style_transfer.common.settings import StyleRef
from style_transfer.common import draft
from style_transfer.krita import controller as ctl, map_layers
from style_transfer.krita.docker import StyleTransferDocker

UDNIE = sys.argv[1]
k = Krita.instance()
W, H = 2400, 1800
doc = k.createDocument(W, H, "big", "RGBA", "U8", "", 72.0)
photo = doc.createNode("photo", "paintlayer")
doc.rootNode().addChildNode(photo, None)
y, x = np.mgrid[0:H, 0:W]
px = np.stack([x * 255 // W, y * 255 // H, (x // 7 + y // 5) % 256, np.full_like(x, 255)], -1)
photo.setPixelData(px.astype(np.uint8)[..., [2, 1, 0, 3]].tobytes(), 0, 0, W, H)
k.setActiveDocument(doc)
doc.setActiveNode(photo)
d = StyleTransferDocker()
d.show()
shown = []  # (ms since start of the step, caption, size) each time the preview pixmap changes
t0 = [time.perf_counter()]
orig = d.previews.set_preview
def spy(pix, caption):
    shown.append((round((time.perf_counter() - t0[0]) * 1000), caption,
                  [pix.width(), pix.height()]))
    orig(pix, caption)
d.previews.set_preview = spy

def spin(ms):
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()

def settle(limit=60_000):
    # until the burst ended: no timer pending, no job, the true preview shown
    t = time.perf_counter()
    spin(100)
    while (d.previews.changed_at is not None or d.ctl.preview_job is not None
           or d.previews.preview_timer.isActive()) and (time.perf_counter() - t) * 1000 < limit:
        spin(50)

d.set_settings(d.settings.replace(styles=[StyleRef("file", UDNIE, "udnie")], strength=0.8,
                                  scale=None))
settle()
d.ctl.preview(d.settings, doc)  # warm the engine up (models loaded, first calls)
settle()
out = {}

def step(name, change):
    shown.clear()
    d.ctl.read_times.clear()
    t0[0] = time.perf_counter()
    change()
    settle()
    out[name] = {"shown": list(shown), "times": dict(d.previews.times),
                 "reads": [list(r) for r in d.ctl.read_times]}

step("with_drafts", lambda: d.strength.setValue(60))
real_worth = draft.worth_it
draft.worth_it = lambda hw, side=384: False  # the docker as it was: no drafts
step("without_drafts", lambda: d.strength.setValue(50))
draft.worth_it = real_worth

def drag():
    for i, v in enumerate(range(52, 72, 2)):  # a drag: a value every 50 ms for half a second
        QTimer.singleShot(i * 50, lambda v=v: d.strength.setValue(v))
    spin(10 * 50)
step("drag", drag)
out["drag_last_value"] = d.settings.strength
step("detail", lambda: d.scale.setValue(1.0))  # 1x: the true preview shows a 1024 px detail
d.scale.setValue(0.0)  # Auto again
settle()

# the strength map on a layer; then paint on it as a user would (no signal from Krita)
sky = doc.createNode("sky", "paintlayer")
doc.rootNode().addChildNode(sky, photo)
sky.setVisible(False)
sky.setPixelData(b"\xff" * (W * 600 * 4), 0, 0, W, 600)
doc.setActiveNode(sky)
d.set_map("strength", "layer")
doc.setActiveNode(photo)
settle()
spin(1600)  # two polls: the poll has seen the map
shown.clear()
spin(1600)
out["idle_renders"] = len(shown)  # nobody paints: nothing renders
t0[0] = time.perf_counter()
shown.clear()
sky.setPixelData(b"\xff" * (200 * 200 * 4), 1000, 1000, 200, 200)  # a dab lower down
t = time.perf_counter()
sigs = map_layers.signatures(doc, d.settings)
out["signature_ms"] = (time.perf_counter() - t) * 1000
spin(100)
while not shown or d.previews.changed_at is not None:
    spin(50)
    if (time.perf_counter() - t0[0]) > 30:
        break
out["after_paint"] = list(shown)
print("RESULT " + json.dumps(out))
"""


def test_live_preview_drafts_newest_wins_and_map_paint(images_dir):
    stdout = run_under_pyqt6(SCRIPT, str(images_dir / "udnie.jpg"), timeout=600)
    out = json.loads(stdout.split("RESULT ", 1)[1])
    print(json.dumps(out, indent=1))  # the figures, for the record (pytest -s)
    whole = "Whole, at 1024×768 px"
    draft = "Draft, coarser strokes…"
    # a change: the draft first, then the true preview replaces it
    got = out["with_drafts"]
    assert [c for _, c, _ in got["shown"]] == [draft, whole], got
    assert [size for _, _, size in got["shown"]] == [[384, 288], [1024, 768]]
    assert got["times"]["draft"] < got["times"]["preview"], got
    assert got["times"]["draft"] < 1000, got  # the true one takes longer than this alone
    # without drafts: nothing until the true preview
    assert [c for _, c, _ in out["without_drafts"]["shown"]] == [whole], out["without_drafts"]
    # a drag: drafts on the way, ends on the true preview of the last value, shown once
    captions = [c for _, c, _ in out["drag"]["shown"]]
    assert captions[0] == draft and captions[-1] == whole and captions.count(whole) == 1, captions
    assert out["drag_last_value"] == 0.70
    # drafts during the drag reuse the pixels just read; the true preview reads afresh
    reads = out["drag"]["reads"]
    assert any(reused for _, _, reused in reads), reads
    assert reads[-1][1:] == [False, False], reads
    assert out["without_drafts"]["reads"] == [out["without_drafts"]["reads"][0]]  # one read
    # at 1x the true preview is a detail: the draft paints the same part (a square here)
    got = out["detail"]["shown"]
    assert [c for _, c, _ in got] == [draft, "Detail at 100 % of 2400×1800"], got
    assert [size for _, _, size in got] == [[384, 384], [1024, 1024]], got
    # painting on the map layer: noticed without a signal, nothing rendered while idle
    assert out["idle_renders"] == 0
    assert [c for _, c, _ in out["after_paint"]][-1] == whole, out["after_paint"]
