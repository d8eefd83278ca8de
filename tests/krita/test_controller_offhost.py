"""The Krita controller's logic off Krita, in a second: the fake `krita` module
(tests/krita/fake_krita, like krita-ai-diffusion's mock) with PyQt6 and the REAL engine and
models on small pictures. What needs Krita's own pixels, colours or GUI runs in real Krita
(test_krita_in_krita.py, test_krita_gui.py); the settings race slipped through there because a
real-host test could not time a slider move inside a render."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest
from kritatest import HERE, pyqt6_path


@pytest.fixture(scope="module")
def fk(images_dir: Path) -> Any:
    """The fake krita module, PyQt6 and the controller module, in this process."""
    path = pyqt6_path()
    for p in (str(HERE / "fake_krita"), path):
        if p and p not in sys.path:
            sys.path.insert(0, p)
    before = os.environ.get("STYLE_TRANSFER_QT")
    os.environ["STYLE_TRANSFER_QT"] = "6"  # only while qt.py is imported: Krita runs get none
    if not hasattr(sys.modules.get("krita"), "Krita"):
        sys.modules.pop("krita", None)  # tests/krita itself, imported as a namespace package
    from PyQt6.QtCore import QCoreApplication

    app = QCoreApplication.instance() or QCoreApplication([])
    import krita
    from style_transfer.krita import controller

    krita.app = app
    krita.ctl = controller
    krita.udnie = str(images_dir / "udnie.jpg")
    if before is None:
        os.environ.pop("STYLE_TRANSFER_QT")
    else:
        os.environ["STYLE_TRANSFER_QT"] = before
    return krita


def photo(w: int = 96, h: int = 64) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    rgba = np.stack([x * 255 // w, y * 255 // h, (x + y) % 256, np.full_like(x, 255)], -1)
    return rgba.astype(np.uint8)


def new_doc(fk: Any, name: str = "picture", hidden: bool = False) -> tuple:
    doc = fk.Krita.instance().createDocument(96, 64, name, "RGBA", "U8", "", 72.0)
    src = doc.createNode("photo", "paintlayer")
    doc.rootNode().addChildNode(src, None)
    src.setPixelData(photo()[..., [2, 1, 0, 3]].tobytes(), 0, 0, 96, 64)
    src.setVisible(not hidden)
    doc.setActiveNode(src)
    fk.Krita.instance().setActiveDocument(doc)
    return doc, src


def settings(fk: Any, **kw: Any) -> Any:
    from style_transfer.common.settings import JobSettings, StyleRef

    base = dict(styles=(StyleRef("file", fk.udnie, "udnie"),), strength=0.8, scale=1.0)
    base.update(kw)
    return JobSettings(**base)


def run(fk: Any, start: Any, meanwhile: Any = None) -> Dict[str, Any]:
    """Start a render, do `meanwhile()` while it runs, spin Qt until the controller reports."""
    from PyQt6.QtCore import QEventLoop, QTimer

    ctl = fk.ctl.controller()
    got: Dict[str, Any] = {"stages": []}
    loop = QEventLoop()

    def done(layer: Any, message: str) -> None:
        got["layer"], got["message"] = layer, message
        loop.quit()

    ctl.finished.connect(done)
    ctl.progressed.connect(lambda f, s: got["stages"].append(s))
    got["start_error"] = start()
    if got["start_error"] is None:
        if meanwhile is not None:
            got["busy_meanwhile"] = ctl.busy
            meanwhile()
        QTimer.singleShot(60_000, loop.quit)
        loop.exec()
    ctl.finished.disconnect(done)
    ctl.progressed.disconnect()
    return got


def names(node: Any) -> List[str]:
    return [n.name() for n in node.childNodes()]


def test_apply_runs_on_a_frozen_copy_of_the_settings(fk):
    """The docker replaces its settings while a render runs; the job keeps its own copy, and
    that copy is what 'Apply again' repeats."""
    doc, src = new_doc(fk)
    styles = list(settings(fk).styles)
    job_settings = settings(fk).replace(styles=styles)
    object.__setattr__(job_settings, "styles", styles)  # a caller's mutable list, on purpose
    ctl = fk.ctl

    def meanwhile() -> None:  # the user edits while the render runs
        styles.clear()
        ctl.save_settings(settings(fk, strength=0.1, whole_image=True))

    got = run(fk, lambda: ctl.controller().apply(job_settings, doc, src), meanwhile)
    assert got["start_error"] is None and got["busy_meanwhile"]
    assert got["message"] == "Added layer 'Stylized · udnie 80% · scale 1×'."
    assert names(doc.rootNode()) == ["photo", "Stylized · udnie 80% · scale 1×"]
    last = ctl.load_settings("last_applied")
    assert (last.strength, last.whole_image, [s.name for s in last.styles]) == (0.8, False,
                                                                                 ["udnie"])
    assert got["stages"][0].startswith("picture: ")  # the progress line names the document


def test_closed_document_gets_nothing_and_is_never_touched(fk):
    doc, src = new_doc(fk, "closing")
    other, _ = new_doc(fk, "other")
    got = run(fk, lambda: fk.ctl.controller().apply(settings(fk), doc, src), doc.close)
    assert got["message"] == "The document was closed; nothing was added."
    assert got["layer"] is None and doc.calls_after_close == []
    assert names(other.rootNode()) == ["photo"]
    assert not fk.ctl.controller().busy


def test_deleted_layer_gets_nothing(fk):
    doc, src = new_doc(fk)
    got = run(fk, lambda: fk.ctl.controller().apply(settings(fk), doc, src), src.remove)
    assert got["message"] == "The layer 'photo' was deleted meanwhile; nothing was added."
    assert names(doc.rootNode()) == []


def test_repeat_apply_goes_on_top_of_earlier_results_and_keeps_the_source_active(fk):
    doc, src = new_doc(fk)
    ctl = fk.ctl.controller()
    first = run(fk, lambda: ctl.apply(settings(fk), doc, None))
    assert doc.activeNode() is src  # the next Apply stylizes the photo, not the result
    second = run(fk, lambda: ctl.apply(settings(fk, strength=0.5), doc, None))
    third = run(fk, lambda: ctl.apply(settings(fk, strength=0.5), doc, None))
    assert names(doc.rootNode()) == [
        "photo", "Stylized · udnie 80% · scale 1×", "Stylized · udnie 50% · scale 1×",
        "Stylized · udnie 50% · scale 1× (2)"]  # the newest on top (visible), never the same name
    assert first["layer"] is not None and second["layer"] is not None
    assert third["layer"].name().endswith("(2)") and doc.activeNode() is src


def test_hidden_source_gives_a_hidden_result_and_says_so(fk):
    doc, src = new_doc(fk, hidden=True)
    got = run(fk, lambda: fk.ctl.controller().apply(settings(fk), doc, src))
    assert got["layer"] is not None and not got["layer"].visible()
    assert "hidden like its source layer 'photo'" in got["message"]


def test_busy_and_bad_settings_are_refused_with_one_line(fk):
    from style_transfer.common.settings import JobSettings

    doc, src = new_doc(fk)
    ctl = fk.ctl.controller()
    assert "Add at least one style" in ctl.apply(JobSettings(), doc, src)
    got = run(fk, lambda: ctl.apply(settings(fk), doc, src),
              lambda: got_busy.append(ctl.apply(settings(fk), doc, src)))
    assert got_busy == ["A style transfer is already running."]
    assert got["message"].startswith("Added layer")


got_busy: List[Any] = []


def test_old_stored_settings_load(fk):
    fk.SETTINGS[("style_transfer", "old")] = (
        '{"styles": [{"kind": "layer", "path": "/s.png", "name": "s", "weight": 2.0}], '
        '"strength": 0.3, "scale": 0.5, "preserve_colors": false, "model": "int8-fixed", '
        '"whole_image": true}')
    s = fk.ctl.load_settings("old")
    assert (s.styles[0].kind, s.styles[0].weight, s.strength, s.scale, s.model, s.whole_image,
            s.runtime) == ("layer", 2.0, 0.3, 0.5, "int8-fixed", True, "auto")


def test_download_models_fetches_hash_checked_files_with_progress(fk, models_dir, tmp_path,
                                                                  monkeypatch):
    """*Download models* (krita/setup.py) through the engine's store: a local HTTP server plays
    the upstream (a manifest whose URLs point at it); every file lands verified in the cache."""
    import functools
    import http.server
    import json
    import threading

    from style_transfer.krita import setup

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(models_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_port}/"
        manifest = json.loads((Path(__file__).resolve().parents[2] / "models" /
                               "manifest.json").read_text(encoding="utf-8"))
        for m in manifest["models"]:
            for src in m["sources"]:
                src["url"] = base + m["file"]
        path = tmp_path / "manifest.json"
        path.write_text(json.dumps(manifest), encoding="utf-8")
        monkeypatch.setenv("STYLE_TRANSFER_MANIFEST", str(path))
        monkeypatch.setenv("STYLE_TRANSFER_MODELS", str(tmp_path / "empty"))
        monkeypatch.setenv("STYLE_TRANSFER_CACHE", str(tmp_path / "cache"))
        monkeypatch.delenv("STYLE_TRANSFER_OFFLINE", raising=False)
        (tmp_path / "empty").mkdir()
        needed = setup.needed_models("int8")
        assert needed == ["predictor-int8", "transformer-int8-dynamic"]
        seen: List[tuple] = []

        class Token:
            cancelled = False

        assert setup.download_models(needed, lambda f, s: seen.append((f, s)), Token()) == 2
        assert setup.needed_models("int8") == []  # found and verified now
        assert len(list((tmp_path / "cache").glob("*.tflite"))) == 2
        assert seen[-1][0] > 0.9 and "transformer-int8-dynamic" in seen[-1][1]
        assert [f for f, _ in seen] == sorted(f for f, _ in seen)  # progress only grows
    finally:
        server.shutdown()


def _sky(doc: Any) -> Any:
    """A paint layer a user paints the sky region on: white, opaque, on the top half."""
    sky = doc.createNode("sky", "paintlayer")
    doc.rootNode().addChildNode(sky, None)
    px = np.zeros((32, 96, 4), np.uint8)
    px[:] = 255
    sky.setPixelData(px.tobytes(), 0, 0, 96, 32)
    return sky


def test_region_from_a_paint_layer_is_read_live_and_never_written(fk, images_dir):
    from style_transfer.common.settings import StyleRef
    from style_transfer.engine.quality import psnr
    from style_transfer.krita import map_layers

    doc, src = new_doc(fk)
    sky = _sky(doc)
    ref = map_layers.ref_from_node(sky)
    stripes = str(images_dir / "stripes.jpg")
    s = settings(fk, styles=(StyleRef("file", fk.udnie, "udnie", region=ref),
                             StyleRef("file", stripes, "stripes")), strength=1.0)
    ctl = fk.ctl.controller()
    sky_before = sky.rgba.copy()
    # the user selected the map layer to set it, and pressed Apply still on it
    assert ctl.apply(s, doc, sky) == ("The active layer 'sky' is the region of udnie: select "
                                      "the layer to stylize (e.g. the photo) and press Apply "
                                      "again.")
    got = run(fk, lambda: ctl.apply(s, doc, src))
    assert got["message"].startswith("Added layer 'Stylized · udnie in sky + stripes 100%")
    assert names(doc.rootNode()) == ["sky", "photo", got["layer"].name()]  # one layer added
    assert (sky.rgba == sky_before).all()
    engine = ctl.engine()
    out, pic = got["layer"].rgba, photo()
    top = engine.stylize(pic, [fk.udnie], options=s.render_options())
    rest = engine.stylize(pic, [stripes], options=s.render_options())
    assert psnr(out[:20], top[:20]) >= 30 and psnr(out[44:], rest[44:]) >= 30


def test_a_map_that_is_gone_stops_the_job_with_one_line(fk):
    from style_transfer.common.settings import MapRef
    from style_transfer.krita import map_layers

    doc, src = new_doc(fk)
    sky = _sky(doc)
    s = settings(fk, strength_map=map_layers.ref_from_node(sky))
    sky.remove()
    ctl = fk.ctl.controller()
    msg = "The map 'sky' is gone (deleted or in another document): choose it again or clear it."
    assert ctl.apply(s, doc, src) == msg
    assert ctl.preview(s, doc, src) == msg
    gone_file = s.replace(strength_map=MapRef("file", "/nonexistent/sel.png", "selection 1"))
    assert "'selection 1' is gone" in ctl.apply(gone_file, doc, src)
    assert names(doc.rootNode()) == ["photo"] and not ctl.busy


def test_visible_image_with_a_visible_map_layer_asks_to_hide_it(fk):
    """Its white paint would be stylized with the picture; hidden, it still works as a map."""
    from style_transfer.krita import map_layers

    doc, src = new_doc(fk)
    sky = _sky(doc)
    s = settings(fk, whole_image=True, strength_map=map_layers.ref_from_node(sky))
    ctl = fk.ctl.controller()
    assert ctl.apply(s, doc, src) == (
        "The map layer 'sky' is visible, so its paint would be stylized with the visible image: "
        "hide it (it still works as a map) and press Apply again.")
    sky.setVisible(False)
    got = run(fk, lambda: ctl.apply(s, doc, src))
    assert got["message"].endswith("· strength map sky'.")
    assert sorted(names(doc.rootNode())) == sorted(["sky", "photo", got["layer"].name()])


def test_selection_snapshots_nothing_refers_to_are_pruned(fk, tmp_path):
    from style_transfer.common.settings import MapRef, StyleRef
    from style_transfer.krita import map_layers

    paths = [tmp_path / f"selection-{i}.png" for i in range(4)]
    for p in [*paths, tmp_path / "other.png"]:
        p.write_bytes(b"png")
    ref = [MapRef("file", str(p), f"selection {i}") for i, p in enumerate(paths)]
    docker = settings(fk, styles=(StyleRef("file", fk.udnie, "udnie", 0.0, region=ref[0]),),
                      strength_map=ref[1])  # a region of a style at weight 0 is kept too
    last = settings(fk, scale_map=ref[2])
    assert map_layers.prune(str(tmp_path), [docker, last]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "other.png", "selection-0.png", "selection-1.png", "selection-2.png"]
