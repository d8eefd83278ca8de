"""Runs INSIDE real Krita via `kritarunner -s krita_cases -f main OUT_JSON PYKRITA_DIR IMAGES`.

Imports the plugin from the pykrita folder installer.py filled (exactly what Krita loads), drives
the same controller the docker and the Filter actions use, and writes one JSON object per case to
OUT_JSON for pytest to assert on (kritarunner itself always exits 0). The file is rewritten after
every case so a crash still leaves the cases before it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import traceback
from typing import Any, Callable, Dict, List, Tuple

RESULTS: Dict[str, Any] = {}
OUT = ""
ONLY: List[str] = []  # optional 4th argument "a,b": run only these cases (for debugging)


def dump() -> None:
    with open(OUT, "w", encoding="utf-8") as f:  # utf-8: Krita may run with an ASCII locale
        json.dump(RESULTS, f, indent=1)


def case(name: str, fn: Callable[[], Dict[str, Any]]) -> None:
    if ONLY and name not in ONLY:
        return
    RESULTS[name] = {"started": True}
    dump()
    t = time.time()
    try:
        RESULTS[name] = fn()
    except Exception:
        RESULTS[name] = {"error": traceback.format_exc()}
    RESULTS[name]["seconds"] = round(time.time() - t, 2)
    dump()


def digest(node: Any) -> str:
    b = node.bounds()
    return hashlib.sha256(bytes(node.pixelData(b.x(), b.y(), b.width(), b.height()))).hexdigest()


def wait_finished(ctl: Any, start: Callable[[], Any], cancel: bool = False,
                  meanwhile: Any = None) -> Dict[str, Any]:
    """Start a render and spin Qt's event loop until the controller reports back.
    meanwhile = what the user does while the render runs; cancel = press Cancel while it runs.
    Either holds the job at its "painting" stage (engine.progress.hold_at) until the action is
    done, so it really happens during the render however fast this CPU paints."""
    from style_transfer.engine.progress import hold_at
    from style_transfer.krita.qt import QEventLoop, QTimer

    got: Dict[str, Any] = {}
    loop = QEventLoop()
    progress: List[float] = []
    stages: List[str] = []

    def on_finished(layer: Any, message: str) -> None:
        got["layer"], got["message"] = layer, message
        loop.quit()

    ctl.finished.connect(on_finished)
    def on_progress(f: float, stage: str) -> None:
        progress.append(f)
        stages.append(stage)

    ctl.progressed.connect(on_progress)
    gate = hold_at("painting") if cancel or meanwhile is not None else None
    error = start()
    if error:
        ctl.finished.disconnect(on_finished)
        if gate is not None:
            gate.close()
        return {"start_error": error}
    poll = QTimer()
    if gate is not None:
        def act() -> None:
            if not gate.reached.is_set():
                return
            poll.stop()
            got["busy_when_acting"] = ctl.busy
            try:
                ctl.cancel() if cancel else meanwhile()
            except Exception:
                got["meanwhile_error"] = traceback.format_exc()
            gate.open()

        poll.timeout.connect(act)
        poll.start(10)
    # the main thread keeps spinning while the worker renders: count how often it got to run
    ticks = [0]
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    timer.start(20)
    QTimer.singleShot(180_000, loop.quit)
    t0 = time.time()
    loop.exec() if hasattr(loop, "exec") else loop.exec_()
    timer.stop()
    poll.stop()
    if gate is not None:
        got["held"] = gate.reached.is_set()
        gate.close()
    ctl.finished.disconnect(on_finished)
    ctl.progressed.disconnect(on_progress)
    got["ui_ticks"] = ticks[0]
    got["first_stage"] = stages[0] if stages else None
    got["render_seconds"] = time.time() - t0
    got["progress_calls"] = len(progress)
    return got


def rgba_of(node: Any) -> Any:
    from style_transfer.krita import layers

    b = layers.Rect.of(node.bounds())
    return layers.bytes_to_rgba(bytes(node.pixelData(b.x, b.y, b.w, b.h)), b.w, b.h,
                                node.colorDepth())


SRGB = "sRGB-elle-V2-srgbtrc.icc"


def make_doc(k: Any, w: int, h: int, model: str, depth: str, name: str,
             profile: str = "") -> Any:
    """profile "" = Krita's default for model/depth (linear sRGB-elle-V2-g10 for 16/32-bit)."""
    return k.createDocument(w, h, name, model, depth, profile, 300.0)


def photo_doc(k: Any, w: int, h: int, picture: str, name: str) -> Tuple[Any, Any]:
    """An 8-bit RGBA document `name` with a paint layer "photo" holding `picture` at w x h."""
    doc = make_doc(k, w, h, "RGBA", "U8", name)
    src = doc.createNode("photo", "paintlayer")
    doc.rootNode().addChildNode(src, None)
    paint(src, load_rgba8(picture, w, h), 0, 0)
    doc.refreshProjection()
    return doc, src


def fill_converted(k: Any, doc: Any, node: Any, rgba8: Any, x: int = 0, y: int = 0) -> None:
    """Put sRGB 8-bit pixels into `node` the way a user's pixels get there (pasting, opening a
    file): converted by Krita's colour management into the document's model/depth/profile."""
    h, w = rgba8.shape[:2]
    scratch = k.createDocument(w, h, "scratch", "RGBA", "U8", SRGB, 300.0)
    tmp = scratch.createNode("t", "paintlayer")
    scratch.rootNode().addChildNode(tmp, None)
    paint(tmp, rgba8, 0, 0)
    scratch.setColorSpace(doc.colorModel(), doc.colorDepth(), doc.colorProfile())
    scratch.waitForDone()
    tmp = scratch.rootNode().childNodes()[-1]
    node.setPixelData(bytes(tmp.pixelData(0, 0, w, h)), x, y, w, h)
    scratch.close()


def seen_in_srgb(doc: Any, node: Any) -> Any:
    """What a user sees of `node`: its pixels converted by Krita to 8-bit sRGB (via a clone)."""
    from style_transfer.krita import layers

    index = [n.uniqueId() for n in doc.rootNode().childNodes()].index(node.uniqueId())
    clone = doc.clone()
    clone.setColorSpace("RGBA", "U8", SRGB)
    clone.waitForDone()
    b = node.bounds()
    r = clone.rootNode().childNodes()[index]
    rgba = layers.bytes_to_rgba(bytes(r.pixelData(b.x(), b.y(), b.width(), b.height())),
                                b.width(), b.height(), "U8")
    clone.close()
    return rgba


def load_rgba8(path: str, w: int, h: int) -> Any:
    from style_transfer.krita import layers
    from style_transfer.krita.qt import QImage, Qt

    img = QImage(path).scaled(w, h, Qt.AspectRatioMode.IgnoreAspectRatio,
                              Qt.TransformationMode.SmoothTransformation)
    return layers.qimage_to_rgba(img)


def paint(node: Any, rgba: Any, x: int, y: int, depth: str = "U8") -> None:
    from style_transfer.krita import layers

    node.setPixelData(layers.rgba_to_bytes(rgba, depth), x, y, rgba.shape[1], rgba.shape[0])


def layer_info(doc: Any, source: Any, result: Any) -> Dict[str, Any]:
    parent = result.parentNode()
    siblings = [c.name() for c in parent.childNodes()]
    b, sb = result.bounds(), source.bounds()
    return {
        "name": result.name(),
        "type": result.type(),
        "bounds": [b.x(), b.y(), b.width(), b.height()],
        "source_bounds": [sb.x(), sb.y(), sb.width(), sb.height()],
        "directly_above": siblings.index(result.name()) == siblings.index(source.name()) + 1,
        "same_parent": parent.uniqueId() == source.parentNode().uniqueId(),
        "n_layers": len(doc.rootNode().childNodes()),
        "doc_model": [doc.colorModel(), doc.colorDepth()],
        "result_model": [result.colorModel(), result.colorDepth()],
    }


def main(args: List[str]) -> None:
    global OUT
    OUT, pykrita, images = args[0], args[1], args[2]
    ONLY[:] = args[3].split(",") if len(args) > 3 and args[3] else []
    sys.path.insert(0, pykrita)  # what Krita does for <resource folder>/pykrita
    import numpy as np

    RESULTS["python"] = sys.version.split()[0]
    from krita import Krita

    RESULTS["krita"] = Krita.instance().version()
    try:
        import style_transfer
        from style_transfer.krita import controller as ctlmod
        from style_transfer.krita import layers
    except Exception:
        RESULTS["import_error"] = traceback.format_exc()
        dump()
        return
    RESULTS["plugin_file"] = style_transfer.__file__
    RESULTS["numpy"] = [np.__version__, np.__file__]
    from krita import Selection

    k = Krita.instance()
    ctl = ctlmod.controller()
    udnie = f"{images}/udnie.jpg"
    from style_transfer.common.settings import JobSettings as S
    from style_transfer.common.settings import StyleRef as E

    base = S(styles=(E("file", udnie, "udnie"),), strength=0.8, scale=1.0, model="int8")
    photo = load_rgba8(f"{images}/golden_gate.jpg", 340, 150)

    def rgba8() -> Dict[str, Any]:
        doc = make_doc(k, 300, 200, "RGBA", "U8", "rgba8")
        src = doc.createNode("photo", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        paint(src, photo, -20, 10)  # wider than the canvas and offset: must keep its place
        doc.refreshProjection()
        before = digest(src)
        got = wait_finished(ctl, lambda: ctl.apply(base, doc, src))
        res = got.pop("layer", None)
        out = {k2: v for k2, v in got.items()}
        if res is None:
            return out
        out.update(layer_info(doc, src, res))
        out["source_unchanged"] = digest(src) == before
        # the layer must hold exactly what the engine makes of the same pixels (byte order!)
        engine = ctl.engine()
        from style_transfer.engine import RenderOptions

        ref = engine.stylize(rgba_of(src), [udnie], [1.0],
                             RenderOptions(strength=0.8, scale=1.0, model="int8"))
        mine = rgba_of(res)
        out["shape"] = list(mine.shape)
        out["max_diff_vs_engine"] = int(np.abs(mine.astype(int) - ref.astype(int)).max())
        out["mean_abs_change_vs_source"] = float(np.abs(mine[..., :3].astype(float)
                                                        - photo[..., :3]).mean())
        out["progress_max"] = got.get("progress_calls")
        return out

    def selection() -> Dict[str, Any]:
        doc = make_doc(k, 300, 200, "RGBA", "U8", "sel")
        src = doc.createNode("photo", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        paint(src, photo[:200, :300], 0, 0)
        sel = Selection()
        sel.select(60, 40, 120, 80, 255)
        doc.setSelection(sel)
        before = digest(src)
        got = wait_finished(ctl, lambda: ctl.apply(base, doc, src))
        res = got.pop("layer", None)
        if res is None:
            return got
        out = layer_info(doc, src, res)
        out["source_unchanged"] = digest(src) == before
        full = layers.bytes_to_rgba(bytes(res.pixelData(0, 0, 300, 200)), 300, 200, "U8")
        inside = np.zeros((200, 300), bool)
        inside[40:120, 60:180] = True
        out["alpha_outside_max"] = int(full[..., 3][~inside].max())
        out["alpha_inside_min"] = int(full[..., 3][inside].min())
        return out

    def depth16() -> Dict[str, Any]:
        doc = make_doc(k, 200, 120, "RGBA", "U16", "u16", SRGB)  # e.g. a 16-bit sRGB PNG
        src = doc.createNode("photo16", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        p16 = layers.convert_dtype(photo[:120, :200], np.dtype(np.uint16))
        paint(src, p16, 0, 0, "U16")
        before = digest(src)
        got = wait_finished(ctl, lambda: ctl.apply(base, doc, src))
        res = got.pop("layer", None)
        if res is None:
            return got
        out = layer_info(doc, src, res)
        out["source_unchanged"] = digest(src) == before
        mine = rgba_of(res)
        ref = engine_render(p16)
        out["dtype"] = str(mine.dtype)
        out["max_diff_vs_engine"] = int(np.abs(mine.astype(int) - ref.astype(int)).max())
        out["alpha_min"] = int(mine[..., 3].min())
        out["distinct_values"] = len(np.unique(mine[..., 0]))
        return out

    def float32() -> Dict[str, Any]:
        doc = make_doc(k, 160, 100, "RGBA", "F32", "f32", SRGB)
        src = doc.createNode("photof", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        pf = layers.convert_dtype(photo[:100, :160], np.dtype(np.float32))
        paint(src, pf, 0, 0, "F32")
        got = wait_finished(ctl, lambda: ctl.apply(base, doc, src))
        res = got.pop("layer", None)
        if res is None:
            return got
        out = layer_info(doc, src, res)
        mine = rgba_of(res)
        out["dtype"] = str(mine.dtype)
        out["rgb_range"] = [float(mine[..., :3].min()), float(mine[..., :3].max())]
        out["alpha_range"] = [float(mine[..., 3].min()), float(mine[..., 3].max())]
        return out

    def group() -> Dict[str, Any]:
        doc = make_doc(k, 240, 160, "RGBA", "U8", "group")
        grp = doc.createGroupLayer("grp")
        doc.rootNode().addChildNode(grp, None)
        a = doc.createNode("a", "paintlayer")
        b = doc.createNode("b", "paintlayer")
        grp.addChildNode(a, None)
        grp.addChildNode(b, a)
        paint(a, photo[:100, :200], 10, 10)
        paint(b, load_rgba8(f"{images}/clouds.jpg", 100, 80), 120, 70)
        doc.refreshProjection()
        doc.waitForDone()
        got = wait_finished(ctl, lambda: ctl.apply(base, doc, grp))
        res = got.pop("layer", None)
        if res is None:
            return got
        out = layer_info(doc, grp, res)
        out["group_children"] = [c.name() for c in grp.childNodes()]
        mine = rgba_of(res)
        out["opaque_fraction"] = float((mine[..., 3] > 0).mean())
        return out

    def cmyk() -> Dict[str, Any]:
        doc = make_doc(k, 160, 100, "CMYKA", "U8", "cmyk")
        src = doc.createNode("c", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        # fill through an RGBA scratch document so the CMYK bytes are real colour-managed ones
        scratch = make_doc(k, 160, 100, "RGBA", "U8", "scratch")
        tmp = scratch.createNode("t", "paintlayer")
        scratch.rootNode().addChildNode(tmp, None)
        paint(tmp, photo[:100, :160], 0, 0)
        scratch.setColorSpace("CMYKA", "U8", doc.colorProfile())
        scratch.waitForDone()
        tmp = scratch.rootNode().childNodes()[-1]
        src.setPixelData(bytes(tmp.pixelData(0, 0, 160, 100)), 0, 0, 160, 100)
        scratch.close()
        doc.refreshProjection()
        before = digest(src)
        # what is open besides this document: earlier cases' documents go once their Python
        # wrappers are collected, which no case controls, so count what the job opened
        opened_before = [d.name() for d in k.documents()]
        seen_during: List[str] = []

        def look(_f: float, _stage: str) -> None:
            seen_during.extend(d.name() for d in k.documents() if d.name() not in opened_before)

        ctl.progressed.connect(look)
        got = wait_finished(ctl, lambda: ctl.apply(base, doc, src))
        ctl.progressed.disconnect(look)
        res = got.pop("layer", None)
        out: Dict[str, Any] = {"message": got.get("message") or got.get("start_error")}
        out["doc_model_after"] = [doc.colorModel(), doc.colorDepth()]
        out["source_unchanged"] = digest(src) == before
        # when `finished` is reported every scratch copy of the job is closed already
        out["documents_before"] = opened_before
        out["documents_after"] = [d.name() for d in k.documents()]
        out["opened_while_rendering"] = sorted(set(seen_during))
        if res is not None:
            out.update(layer_info(doc, src, res))
            # read the result back through an RGBA clone, as a user's eye would see it
            clone = doc.clone()
            clone.setColorSpace("RGBA", "U8", "")
            clone.waitForDone()
            r = clone.rootNode().childNodes()[-1]
            rgb = layers.bytes_to_rgba(bytes(r.pixelData(0, 0, 160, 100)), 160, 100, "U8")
            clone.close()
            ref = engine_render(photo[:100, :160])
            out["mean_abs_diff_vs_rgb_render"] = float(
                np.abs(rgb[..., :3].astype(float) - ref[..., :3]).mean())
        return out

    def default_profiles() -> Dict[str, Any]:
        """The same photo in documents with Krita's DEFAULT profiles (linear sRGB for 16/32-bit,
        Lab), filled as a user's pixels get there: viewed in sRGB, the result must match the
        8-bit document's."""
        pic = photo[:120, :200]
        results: Dict[str, Any] = {}
        ref8 = None
        for model, depth in (("RGBA", "U8"), ("RGBA", "U16"), ("RGBA", "F16"), ("RGBA", "F32"),
                             ("LABA", "U16")):
            doc = make_doc(k, 200, 120, model, depth, f"{model}-{depth}")
            src = doc.createNode("photo", "paintlayer")
            doc.rootNode().addChildNode(src, None)
            fill_converted(k, doc, src, pic)
            doc.refreshProjection()
            t = time.time()
            got = wait_finished(ctl, lambda d=doc, n=src: ctl.apply(base, d, n))
            res = got.pop("layer", None)
            r: Dict[str, Any] = {"profile": doc.colorProfile(), "message": got.get("message"),
                                 "start_error": got.get("start_error"),
                                 "seconds": round(time.time() - t, 2)}
            results[f"{model}-{depth}"] = r
            if res is None:
                continue
            r["result_model"] = [res.colorModel(), res.colorDepth(), res.colorProfile()]
            seen = seen_in_srgb(doc, res)
            if ref8 is None:
                ref8 = seen
            r["mean_diff_vs_u8"] = float(np.abs(seen[..., :3].astype(float)
                                                - ref8[..., :3]).mean())
            r["mean"] = float(seen[..., :3].mean())
            # a style taken from a layer of this document: the same picture as from 8-bit
            style = ctlmod.style_from_layer(src)
            r["style_png_mean_diff_vs_photo"] = float(np.abs(
                load_rgba8(style.path, 200, 120)[..., :3].astype(float) - pic[..., :3]).mean())
        results["reference_mean_u8"] = float(ref8[..., :3].mean()) if ref8 is not None else None
        return results

    def preview_truth() -> Dict[str, Any]:
        """The preview against what Apply paints, on a large canvas, at Auto and at 1x: the
        Apply result cut to the preview's region and scaled to its size (common.preview)."""
        from style_transfer.common import preview
        from style_transfer.krita.qt import QEventLoop, QTimer

        w, h = 2400, 1600
        doc, src = photo_doc(k, w, h, f"{images}/stata.jpg", "large")
        out: Dict[str, Any] = {}
        for label, scale in (("auto", None), ("1x", 1.0)):
            s = S(styles=base.styles, strength=0.8, scale=scale, model="int8")
            got: Dict[str, Any] = {}
            loop = QEventLoop()

            def ready(image: Any, plan: Any, got: Dict[str, Any] = got,
                      loop: Any = loop) -> None:
                got["image"], got["plan"] = image, plan
                loop.quit()

            ctl.preview_ready.connect(ready)
            t = time.time()
            err = ctl.preview(s, doc, src)
            if err is None:
                QTimer.singleShot(300_000, loop.quit)
                loop.exec() if hasattr(loop, "exec") else loop.exec_()
            ctl.preview_ready.disconnect(ready)
            r: Dict[str, Any] = {"preview_error": err, "preview_seconds": round(time.time() - t, 2)}
            out[label] = r
            if "image" not in got:
                continue
            plan = got["plan"]
            r.update(detail=plan.detail, region=list(plan.region), paint_hw=list(plan.paint_hw),
                     working_hw=list(plan.working_hw))
            t = time.time()
            done = wait_finished(ctl, lambda s=s: ctl.apply(s, doc, src))
            r["apply_seconds"] = round(time.time() - t, 2)
            res = done.get("layer")
            if res is None:
                r["apply_message"] = done.get("message") or done.get("start_error")
                continue
            mine = layers.bytes_to_rgba(bytes(res.pixelData(0, 0, w, h)), w, h, "U8")
            r["psnr_db"] = round(float(preview.compare(mine, got["image"], plan)), 2)
            # what the old preview did (a 256 px thumbnail at scale 1) for comparison
            thumb = load_rgba8(f"{images}/stata.jpg", 256, 171)
            old = ctl.engine().stylize(thumb, [udnie], [1.0], s.render_options(scale=1.0))
            whole = preview.PreviewPlan((h, w), (h, w), (0, 0, w, h), (171, 256))
            r["old_thumbnail_psnr_db"] = round(float(preview.compare(mine, old, whole)), 2)
            res.remove()
        return out

    def cancel() -> Dict[str, Any]:
        doc, src = slow_doc("cancel")
        n_before = len(doc.rootNode().childNodes())
        slow = S(styles=base.styles, strength=1.0, scale=1.0, model="f16")
        got = wait_finished(ctl, lambda: ctl.apply(slow, doc, src), cancel=True)
        got.pop("layer", None)
        got["layers_before"] = n_before
        got["layers_after"] = len(doc.rootNode().childNodes())
        got["busy_after"] = ctl.busy
        return got

    def slow_doc(name: str) -> Any:
        """A document for "while Apply runs" cases. The job is held at a known stage while the
        user acts (wait_finished), so its size does not matter: small by default (a render of
        ~10 ms), ST_DURING_APPLY_SIZE=2400x1800 to see the same cases with renders of seconds."""
        w, h = (int(v) for v in os.environ.get("ST_DURING_APPLY_SIZE", "240x180").split("x"))
        doc = make_doc(k, w, h, "RGBA", "U8", name)
        src = doc.createNode("big", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        paint(src, load_rgba8(f"{images}/stata.jpg", w, h), 0, 0)
        doc.refreshProjection()
        return doc, src

    def other_doc() -> Any:
        """Another open document with unsaved work: it must survive whatever happens."""
        doc = make_doc(k, 200, 120, "RGBA", "U8", "other")
        lay = doc.createNode("unsaved work", "paintlayer")
        doc.rootNode().addChildNode(lay, None)
        paint(lay, photo[:120, :200], 0, 0)
        doc.refreshProjection()
        return doc, lay

    def close_during_apply() -> Dict[str, Any]:
        other, lay = other_doc()
        before = digest(lay)
        doc, src = slow_doc("closed-while-rendering")
        n_docs = len(k.documents())
        got = wait_finished(ctl, lambda: ctl.apply(base, doc, src), meanwhile=doc.close)
        got.pop("layer", None)
        got["documents_before"] = n_docs
        got["documents_after"] = len(k.documents())
        got["closed_still_listed"] = doc in k.documents()
        got["other_open"] = other in k.documents()
        got["other_layers"] = [n.name() for n in other.rootNode().childNodes()]
        got["other_unchanged"] = digest(lay) == before
        got["busy_after"] = ctl.busy
        # Krita is still alive and usable: a new document and a new render work
        again, again_src = slow_doc("after-close")
        small = S(styles=base.styles, strength=0.8, scale=0.25, model="int8")
        after = wait_finished(ctl, lambda: ctl.apply(small, again, again_src))
        got["next_render"] = after.get("message")
        return got

    def layer_deleted_during_apply() -> Dict[str, Any]:
        doc, src = slow_doc("deleted-layer")
        names = [n.name() for n in doc.rootNode().childNodes()]
        got = wait_finished(ctl, lambda: ctl.apply(base, doc, src), meanwhile=src.remove)
        got.pop("layer", None)
        got["layers_before"] = names
        got["layers_after"] = [n.name() for n in doc.rootNode().childNodes()]
        return got

    def layer_moved_during_apply() -> Dict[str, Any]:
        doc, src = slow_doc("moved-layer")
        grp = doc.createGroupLayer("group")
        doc.rootNode().addChildNode(grp, None)
        other, _ = other_doc()

        def move_and_switch() -> None:
            # the user drags the layer into a group, then switches to another document
            src.remove()
            grp.addChildNode(src, None)
            k.setActiveDocument(other)

        got = wait_finished(ctl, lambda: ctl.apply(base, doc, src),
                            meanwhile=move_and_switch)
        res = got.pop("layer", None)
        got["root"] = [n.name() for n in doc.rootNode().childNodes()]
        got["group"] = [n.name() for n in grp.childNodes()]
        got["other_layers"] = [n.name() for n in other.rootNode().childNodes()]
        got["result_parent"] = res.parentNode().name() if res is not None else None
        return got

    def style_from_layer() -> Dict[str, Any]:
        other = make_doc(k, 200, 200, "RGBA", "U8", "style-source")
        lay = other.createNode("stripes layer", "paintlayer")
        other.rootNode().addChildNode(lay, None)
        paint(lay, load_rgba8(f"{images}/stripes.jpg", 200, 200), 0, 0)
        entry = ctlmod.style_from_layer(lay)
        other.close()  # the style must outlive its document
        doc = make_doc(k, 200, 120, "RGBA", "U8", "target")
        src = doc.createNode("photo", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        paint(src, photo[:120, :200], 0, 0)
        s = S(styles=(entry,), strength=1.0, scale=1.0)
        got = wait_finished(ctl, lambda: ctl.apply(s, doc, src))
        res = got.pop("layer", None)
        if res is None:
            return got
        out = layer_info(doc, src, res)
        out["entry"] = [entry.kind, entry.name]
        ref_udnie = engine_render(photo[:120, :200], strength=1.0)
        mine = rgba_of(res)
        out["diff_vs_udnie"] = float(np.abs(mine.astype(float) - ref_udnie).mean())
        return out

    def settings_roundtrip() -> Dict[str, Any]:
        ctlmod.save_settings(base)
        back = ctlmod.load_settings()
        # settings stored by the previous version (its own Settings class, same field names)
        k.writeSetting("style_transfer", "old", '{"styles": [{"kind": "file", "path": "/a.png", '
                       '"name": "a", "weight": 0.5}], "strength": 0.7, "scale": null, '
                       '"preserve_colors": true, "model": "f16", "whole_image": false}')
        old = ctlmod.load_settings("old")
        last = ctlmod.load_settings("last_applied")
        return {"equal": back == base, "last_applied_styles": [s.name for s in last.styles],
                "old": [old.styles[0].name, old.styles[0].weight, old.strength, old.model,
                        old.preserve_colors, old.runtime]}

    def docker_widget() -> Dict[str, Any]:
        # the docker class builds without a window (its UI is exercised in the GUI test)
        from style_transfer.krita.docker import StyleTransferDocker

        d = StyleTransferDocker()
        d.add_files([f"{images}/clouds.jpg"])
        preset = d.save_preset("udnie+clouds")
        return {"styles": [s.name for s in d.settings.styles], "preset": preset,
                "message": d.message.text()}


    def documents() -> Dict[str, Any]:
        """Settings per document in the docker, and the job a .kra carries (issue 18): doc A
        with a region and a style from a layer, doc B with other settings, switched A, B, A;
        A saved, closed, moved to another folder, its layer-style snapshot deleted (another
        machine), reopened: the docker shows A's job and Apply Again paints the same pixels;
        a .kra with a damaged record opens with the defaults and one line."""
        import dataclasses
        import os
        import shutil

        from style_transfer.krita import doc_jobs, map_layers
        from style_transfer.krita.docker import StyleTransferDocker
        from style_transfer.krita.qt import QByteArray

        work = os.path.join(os.path.dirname(os.path.abspath(OUT)), "documents")
        os.makedirs(os.path.join(work, "moved"), exist_ok=True)
        palette = make_doc(k, 160, 160, "RGBA", "U8", "palette")
        lay = palette.createNode("stripes layer", "paintlayer")
        palette.rootNode().addChildNode(lay, None)
        paint(lay, load_rgba8(f"{images}/stripes.jpg", 160, 160), 0, 0)
        w, h = 240, 160
        a = make_doc(k, w, h, "RGBA", "U8", "doc-a")
        src = a.createNode("photo", "paintlayer")
        a.rootNode().addChildNode(src, None)
        paint(src, load_rgba8(f"{images}/stata.jpg", w, h), 0, 0)
        sky = a.createNode("sky", "paintlayer")
        a.rootNode().addChildNode(sky, src)
        paint(sky, np.full((h // 2, w, 4), 255, np.uint8), 0, 0)
        sky.setVisible(False)
        b = make_doc(k, 200, 120, "RGBA", "U8", "doc-b")
        bsrc = b.createNode("photo", "paintlayer")
        b.rootNode().addChildNode(bsrc, None)
        paint(bsrc, photo[:120, :200], 0, 0)

        def shown() -> Dict[str, Any]:
            return {"styles": [d.styles.item(i).text() for i in range(d.styles.count())],
                    "strength": d.strength.value(), "scale": d.scale.value(),
                    "model": d.model.currentData(), "message": d.message.text()}

        d = StyleTransferDocker()
        out: Dict[str, Any] = {}
        d.show_document(a)
        d.set_settings(S())  # whatever the cases before left as the last used
        # a style from a layer (of another document): a snapshot in the plugin's own folder,
        # the only file this case deletes (to play another machine)
        layer_png = d.add_layer_style(lay).path
        assert os.path.dirname(layer_png) == ctlmod.data_dir("styles"), layer_png
        d.add_files([udnie])
        # the stripes paint where the sky layer is white (kritarunner has no view, so no
        # active layer for "Use as region"; the GUI test presses it)
        first_style = dataclasses.replace(d.settings.styles[0],
                                          region=map_layers.ref_from_node(sky))
        d.set_settings(d.settings.replace(styles=[first_style, *d.settings.styles[1:]]))
        d.strength.setValue(90)
        d.scale.setValue(1.0)
        out["A"] = shown()
        d.show_document(b)
        out["B_new"] = shown()  # the last used, without A's region
        d.strength.setValue(40)
        d.model.setCurrentIndex(d.model.findData("f16"))
        out["B"] = shown()
        d.show_document(a)
        out["A_again"] = shown()
        d.show_document(b)
        out["B_again"] = shown()
        d.show_document(a)

        got = wait_finished(ctl, lambda: ctl.apply(d.settings, a, src))
        first = got.pop("layer", None)
        out["apply"] = got.get("message") or got.get("start_error")
        if first is None:
            return out
        first_px = rgba_of(first)
        record = bytes(a.annotation("style-transfer"))
        out["record_bytes"] = len(record)
        out["record_has_folders"] = [p for p in (images, os.path.dirname(layer_png), work)
                                     if p.encode() in record]
        kra = os.path.join(work, "doc-a.kra")
        out["saved"] = bool(a.saveAs(kra))
        a.waitForDone()
        out["modified_after_save"] = a.modified()
        d.strength.setValue(20)  # looked at, changed, not applied: the document stays as saved
        out["modified_by_docker"] = a.modified()
        # does setAnnotation itself mark a document modified? (on the saved document)
        a.setAnnotation("style-transfer", "probe", QByteArray(record))
        out["set_annotation_modifies"] = a.modified()
        a.setModified(False)
        a.close()
        d.show_document(b)  # what Krita shows after the close
        moved = os.path.join(work, "moved", "doc-a.kra")
        shutil.move(kra, moved)
        os.remove(layer_png)  # another machine: the layer's snapshot is not there
        a2 = k.openDocument(moved)
        out["annotation_types"] = list(a2.annotationTypes())
        d.show_document(a2)
        out["A_reopened"] = shown()
        out["A_reopened_region_found"] = [
            map_layers.source_problem(d.settings, a2, None) is None,
            [s.region.name for s in d.settings.styles if s.region is not None]]
        src2 = next(n for n in a2.rootNode().childNodes() if n.name() == "photo")
        again = doc_jobs.last_applied(a2)  # what Filter › Apply Style Transfer Again repeats
        got = wait_finished(ctl, lambda: ctl.apply(again, a2, src2))
        second = got.pop("layer", None)
        out["apply_again"] = got.get("message") or got.get("start_error")
        if second is not None:
            again_px = rgba_of(second)
            out["again_shape_equal"] = again_px.shape == first_px.shape
            if again_px.shape == first_px.shape:
                out["again_max_diff"] = int(np.abs(again_px.astype(int)
                                                   - first_px.astype(int)).max())
            save_artifact("documents_first_apply.png", first_px)
            save_artifact("documents_apply_again_after_reopen.png", again_px)

        # a damaged record
        c = make_doc(k, 64, 64, "RGBA", "U8", "doc-c")
        c.setAnnotation("style-transfer", "damaged", QByteArray(b"\x00garbage{"))
        ckra = os.path.join(work, "doc-c.kra")
        c.saveAs(ckra)
        c.waitForDone()
        c.setModified(False)
        c.close()
        c2 = k.openDocument(ckra)
        d.show_document(c2)
        out["C"] = shown()
        out["C_maps"] = [r.name for r in d.settings.map_refs()]
        out["C_is_default"] = d.settings == doc_jobs.without_maps(ctlmod.load_settings())
        for doc in (a2, c2, b, palette):
            doc.setModified(False)
        return out

    def opaque_box(rgba: Any, x0: int, y0: int) -> List[int]:
        """[x, y, w, h] in image coordinates of the pixels with alpha > 0 (array at x0, y0)."""
        ys, xs = np.nonzero(rgba[..., 3] > 0)
        if len(xs) == 0:
            return [0, 0, 0, 0]
        return [int(xs.min()) + x0, int(ys.min()) + y0, int(xs.max() - xs.min()) + 1,
                int(ys.max() - ys.min()) + 1]

    def engine_render(pixels: Any, strength: float = 0.8) -> Any:
        """What the engine itself makes of `pixels` with the cases' settings (the reference)."""
        from style_transfer.engine import RenderOptions

        return ctl.engine().stylize(pixels, [udnie], [1.0],
                                    RenderOptions(strength=strength, scale=1.0, model="int8"))

    def stylized_like_engine(out: Dict[str, Any], res: Any, expected_src: Any) -> None:
        """The result holds exactly what the engine makes of `expected_src` (same area)."""
        mine = rgba_of(res)
        ref = engine_render(expected_src)
        out["shape"] = list(mine.shape)
        if mine.shape == ref.shape:
            out["max_diff_vs_engine"] = int(np.abs(mine.astype(int) - ref.astype(int)).max())
        opaque = (expected_src[..., 3] > 0) & (mine[..., 3] > 0) if mine.shape == ref.shape \
            else np.zeros(mine.shape[:2], bool)
        out["mean_abs_change_vs_source"] = float(np.abs(
            mine[..., :3][opaque].astype(float) - expected_src[..., :3][opaque]).mean()) \
            if opaque.any() else 0.0
        b = res.bounds()
        out["result_opaque_box"] = opaque_box(mine, b.x(), b.y())

    def clone_case(moved: bool) -> Dict[str, Any]:
        # HOST_NOTES: closing a document with clone layers crashed kritarunner; never closed
        doc = make_doc(k, 240, 160, "RGBA", "U8", "clone")
        orig = doc.createNode("orig", "paintlayer")
        doc.rootNode().addChildNode(orig, None)
        if moved:
            pic, x, y = photo[:80, :120], 10, 10
        else:
            pic, x, y = photo, -20, 10  # wider than the canvas and offset
        paint(orig, pic, x, y)
        cl = doc.createCloneLayer("clone of orig", orig)
        doc.rootNode().addChildNode(cl, orig)
        doc.refreshProjection()
        doc.waitForDone()
        if moved:
            cl.move(100, 60)  # the clone shows the original 100 px right, 60 px down
            doc.refreshProjection()
            doc.waitForDone()
            x, y = x + 100, y + 60
        h, w = pic.shape[:2]
        before = [digest(orig), bytes(cl.projectionPixelData(x, y, w, h))]
        cb = cl.bounds()
        got = wait_finished(ctl, lambda: ctl.apply(base, doc, cl))
        res = got.pop("layer", None)
        out = dict(got)
        if res is None:
            return out
        out.update(layer_info(doc, cl, res))
        out["clone_type"] = cl.type()
        out["clone_position"] = [cl.position().x(), cl.position().y()]
        out["krita_clone_bounds"] = [cb.x(), cb.y(), cb.width(), cb.height()]
        out["expected_bounds"] = [x, y, w, h]
        out["layers"] = [n.name() for n in doc.rootNode().childNodes()]
        out["source_unchanged"] = [digest(orig), bytes(cl.projectionPixelData(x, y, w, h))
                                   ] == before
        stylized_like_engine(out, res, pic)  # the stylized photo, exactly where the clone shows it
        return out

    def file_layer() -> Dict[str, Any]:
        import os

        folder = os.path.join(os.path.dirname(os.path.abspath(OUT)), "file-layer")
        os.makedirs(folder, exist_ok=True)  # beside the result file: pytest cleans it up
        png = os.path.join(folder, "content.png")
        pic = photo[:120, :200]
        if not layers.rgba_to_qimage(pic).save(png, "PNG"):
            return {"error": f"could not write {png}"}
        doc = make_doc(k, 240, 160, "RGBA", "U8", "file")
        fl = doc.createFileLayer("file", png, "None")
        doc.rootNode().addChildNode(fl, None)
        fl.move(-15, 60)  # partly off the canvas (left and bottom)
        doc.refreshProjection()
        doc.waitForDone()
        before = [digest(doc.rootNode().childNodes()[0]),
                  bytes(fl.projectionPixelData(-15, 60, 200, 120))]
        got = wait_finished(ctl, lambda: ctl.apply(base, doc, fl))
        res = got.pop("layer", None)
        out = dict(got)
        if res is None:
            return out
        out.update(layer_info(doc, fl, res))
        out["file_type"] = fl.type()
        out["file_path"] = fl.path() == png
        out["layers"] = [n.name() for n in doc.rootNode().childNodes()]
        out["source_unchanged"] = [digest(doc.rootNode().childNodes()[0]),
                                   bytes(fl.projectionPixelData(-15, 60, 200, 120))] == before
        out["png_unchanged"] = bool((load_rgba8(png, 200, 120) == pic).all())
        stylized_like_engine(out, res, pic)
        return out

    def whole_image() -> Dict[str, Any]:
        doc = make_doc(k, 240, 160, "RGBA", "U8", "whole")
        low = doc.createNode("low", "paintlayer")
        doc.rootNode().addChildNode(low, None)
        paint(low, photo, -20, 10)  # larger than the canvas: only the visible part counts
        hidden = doc.createNode("hidden", "paintlayer")
        doc.rootNode().addChildNode(hidden, low)
        paint(hidden, load_rgba8(f"{images}/clouds.jpg", 100, 80), 60, 40)
        hidden.setVisible(False)
        top = doc.createNode("top", "paintlayer")
        doc.rootNode().addChildNode(top, hidden)
        paint(top, load_rgba8(f"{images}/clouds.jpg", 80, 60)[..., :4], 150, 0)
        doc.setActiveNode(low)  # the active layer must not matter in this mode
        doc.refreshProjection()
        doc.waitForDone()
        seen = layers.bytes_to_rgba(bytes(doc.pixelData(0, 0, 240, 160)), 240, 160, "U8")
        # what the user sees: white background, the photo from row 10, the top layer at 150,0
        want = np.full((160, 240, 4), 255, np.uint8)
        want[10:160, 0:240] = photo[0:150, 20:260]
        want[0:60, 150:230] = load_rgba8(f"{images}/clouds.jpg", 80, 60)
        digests = [digest(n) for n in doc.rootNode().childNodes()]
        s = S(styles=base.styles, strength=0.8, scale=1.0, model="int8", whole_image=True)
        got = wait_finished(ctl, lambda: ctl.apply(s, doc, low))
        res = got.pop("layer", None)
        out = dict(got)
        if res is None:
            return out
        names = [n.name() for n in doc.rootNode().childNodes()]
        out["layers"] = names
        out["on_top"] = names[-1] == res.name() and res.parentNode().uniqueId() == \
            doc.rootNode().uniqueId()
        b = res.bounds()
        out["bounds"] = [b.x(), b.y(), b.width(), b.height()]
        out["projection_is_visible_image"] = int(np.abs(seen.astype(int) - want).max())
        out["layers_unchanged"] = [digest(n) for n in doc.rootNode().childNodes()[:-1]] == digests
        out["hidden_still_hidden"] = not hidden.visible()
        stylized_like_engine(out, res, seen)
        return out

    def wait_preview(s: Any, doc: Any, node: Any) -> Dict[str, Any]:
        """Ask the controller for a preview and spin Qt until it is painted (or fails)."""
        from style_transfer.krita.qt import QEventLoop, QTimer

        got: Dict[str, Any] = {}
        loop = QEventLoop()

        def ready(image: Any, plan: Any) -> None:
            got["image"], got["plan"] = image, plan
            loop.quit()

        def failed(message: str) -> None:
            got["failed"] = message
            loop.quit()

        ctl.preview_ready.connect(ready)
        ctl.preview_failed.connect(failed)
        got["error"] = ctl.preview(s, doc, node)
        if got["error"] is None:
            QTimer.singleShot(120_000, loop.quit)
            loop.exec() if hasattr(loop, "exec") else loop.exec_()
        ctl.preview_ready.disconnect(ready)
        ctl.preview_failed.disconnect(failed)
        return got

    def save_artifact(name: str, rgba: Any) -> None:
        """An image beside the result file (tests/_artifacts/krita when run by pytest)."""
        import os

        path = os.path.join(os.path.dirname(os.path.abspath(OUT)), name)
        layers.rgba_to_qimage(layers.convert_dtype(rgba, np.dtype(np.uint8))).save(path, "PNG")

    def psnr_rgb(a: Any, b: Any) -> float:
        from style_transfer.engine.quality import psnr

        return round(float(psnr(a[..., :3], b[..., :3])), 2)

    def runtimes() -> Dict[str, Any]:
        """Both runtimes inside Krita: OpenVINO from the plugin's private wheels (what auto
        picks) and LiteRT, the reference; the same picture from each."""
        doc = make_doc(k, 256, 192, "RGBA", "U8", "runtimes")
        src = doc.createNode("photo", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        paint(src, photo[:192, :256], 0, 0)
        out: Dict[str, Any] = {"auto": ctl.engine().runtime_status()}
        pictures = {}
        for runtime in ("openvino", "litert"):
            got = wait_finished(ctl, lambda r=runtime: ctl.apply(base.replace(runtime=r), doc, src))
            layer = got.pop("layer", None)
            out[runtime] = got.get("message") or got.get("start_error")
            if layer is not None:
                pictures[runtime] = rgba_of(layer)
        if len(pictures) == 2:
            out["psnr_db"] = psnr_rgb(pictures["openvino"], pictures["litert"])
        return out

    def regions() -> Dict[str, Any]:
        """Two styles, udnie limited to the sky painted white on a paint layer over the top
        half, stripes everywhere else; the same region from a selection mask and from a
        selection snapshot; the preview blends like Apply."""
        from style_transfer.common import preview
        from style_transfer.krita import map_layers

        w, h = 320, 200
        doc = make_doc(k, w, h, "RGBA", "U8", "regions")
        src = doc.createNode("photo", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        pic = load_rgba8(f"{images}/stata.jpg", w, h)
        paint(src, pic, 0, 0)
        sky = doc.createNode("sky", "paintlayer")
        doc.rootNode().addChildNode(sky, src)
        paint(sky, np.full((h // 2, w, 4), 255, np.uint8), 0, 0)
        doc.refreshProjection()
        doc.waitForDone()
        stripes = f"{images}/stripes.jpg"
        ref = map_layers.ref_from_node(sky)
        s = S(styles=(E("file", udnie, "udnie", region=ref), E("file", stripes, "stripes")),
              strength=1.0, scale=1.0, model="int8")
        before = [digest(src), digest(sky)]
        n_before = len(doc.rootNode().childNodes())
        out: Dict[str, Any] = {"ref": [ref.kind, ref.name]}
        # the normal slip: the map layer is still the active one when Apply is pressed
        out["map_active_error"] = ctl.apply(s, doc, sky)
        got = wait_finished(ctl, lambda: ctl.apply(s, doc, src))
        res = got.pop("layer", None)
        out.update(got)
        if res is None:
            return out
        out.update(layer_info(doc, src, res))
        out["layers_added"] = len(doc.rootNode().childNodes()) - n_before
        out["unchanged"] = [digest(src), digest(sky)] == before
        mine = rgba_of(res)
        engine = ctl.engine()
        top = engine.stylize(pic, [udnie], options=s.render_options())
        rest = engine.stylize(pic, [stripes], options=s.render_options())
        m = 32  # away from the border between the regions (row 100)
        out["sky_vs_udnie_db"] = psnr_rgb(mine[:h // 2 - m], top[:h // 2 - m])
        out["rest_vs_stripes_db"] = psnr_rgb(mine[h // 2 + m:], rest[h // 2 + m:])
        out["sky_vs_stripes_db"] = psnr_rgb(mine[:h // 2 - m], rest[:h // 2 - m])
        save_artifact("regions_result.png", mine)  # for a person to look at
        shown = wait_preview(s, doc, src)
        if "image" in shown:
            out["preview_vs_apply_db"] = round(float(preview.compare(
                mine, shown["image"], shown["plan"])), 2)
        else:
            out["preview_problem"] = shown.get("error") or shown.get("failed")
        # the same region as a selection mask, and as a snapshot of the selection
        sel = Selection()
        sel.select(0, 0, w, h // 2, 255)
        mask = doc.createSelectionMask("sky mask")
        mask.setSelection(sel)
        src.addChildNode(mask, None)
        doc.setSelection(sel)
        snap = map_layers.ref_from_selection(doc, ctlmod.data_dir("maps"))
        doc.setSelection(Selection())  # deselect: a selection also limits what Apply paints
        doc.waitForDone()
        for label, r in (("mask", map_layers.ref_from_node(mask)), ("snapshot", snap)):
            alt = s.replace(styles=(E("file", udnie, "udnie", region=r), s.styles[1]))
            again = wait_finished(ctl, lambda a=alt: ctl.apply(a, doc, src))
            layer = again.pop("layer", None)
            if layer is None:
                out[label] = again
                continue
            out[label] = {"db_vs_paint_layer": psnr_rgb(rgba_of(layer), mine),
                          "name": layer.name()}
            layer.remove()
        return out

    def strength_map() -> Dict[str, Any]:
        """A 16-bit document with Krita's default (linear) profile, photo and map painted as a
        user's pixels get there: white on the left half, black on the right. White = the
        Strength setting (80 %), black = 0 (the picture's own style)."""
        w, h = 320, 200
        doc = make_doc(k, w, h, "RGBA", "U16", "strength-map")
        src = doc.createNode("photo", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        fill_converted(k, doc, src, load_rgba8(f"{images}/golden_gate.jpg", w, h))
        fade = doc.createNode("fade", "paintlayer")
        doc.rootNode().addChildNode(fade, src)
        level = np.zeros((h, w, 4), np.uint8)
        level[..., 3] = 255
        level[:, : w // 2, :3] = 255
        fill_converted(k, doc, fade, level)
        doc.refreshProjection()
        doc.waitForDone()
        from style_transfer.krita import map_layers

        s = base.replace(strength=0.8, strength_map=map_layers.ref_from_node(fade))
        before = [digest(src), digest(fade)]
        n_before = len(doc.rootNode().childNodes())
        got = wait_finished(ctl, lambda: ctl.apply(s, doc, src))
        res = got.pop("layer", None)
        out = dict(got)
        if res is None:
            return out
        out.update(layer_info(doc, src, res))
        out["layers_added"] = len(doc.rootNode().childNodes()) - n_before
        out["unchanged"] = [digest(src), digest(fade)] == before
        content = layers.read_content(doc, src, False).rgba  # sRGB-encoded, as Apply read it
        mine = layers.read_content(doc, res, False).rgba
        engine = ctl.engine()
        full = engine.stylize(content, [udnie], options=s.render_options())
        zero = engine.stylize(content, [udnie], options=s.render_options(strength=0.0))
        m = 16
        out["dtype"] = str(mine.dtype)
        out["white_vs_strength_db"] = psnr_rgb(mine[:, : w // 2 - m], full[:, : w // 2 - m])
        out["black_vs_zero_db"] = psnr_rgb(mine[:, w // 2 + m:], zero[:, w // 2 + m:])
        out["white_vs_zero_db"] = psnr_rgb(mine[:, : w // 2 - m], zero[:, : w // 2 - m])
        save_artifact("strength_map_result.png", mine)
        # the same layer as a stroke-size map: black paints at 0.5x, white at 1x
        strokes = base.replace(strength=0.8, scale_map=s.strength_map, scale_range=(0.5, 1.0))
        again = wait_finished(ctl, lambda: ctl.apply(strokes, doc, src))
        layer = again.pop("layer", None)
        if layer is None:
            out["scale_map"] = again
            return out
        mine = layers.read_content(doc, layer, False).rgba
        fine = engine.stylize(content, [udnie], options=strokes.render_options(scale=1.0))
        coarse = engine.stylize(content, [udnie], options=strokes.render_options(scale=0.5))
        out["scale_map"] = {
            "name": layer.name(),
            "white_vs_1x_db": psnr_rgb(mine[:, : w // 2 - m], fine[:, : w // 2 - m]),
            "black_vs_half_db": psnr_rgb(mine[:, w // 2 + m:], coarse[:, w // 2 + m:]),
            "white_vs_half_db": psnr_rgb(mine[:, : w // 2 - m], coarse[:, : w // 2 - m])}
        return out

    def animation() -> Dict[str, Any]:
        """A 12-frame animation whose layer has keys at 0, 2, 5, 9 (four different photos, so
        each key's look can be told apart): Frames › All keyframes at stability 0 and at the
        default, Playback range, a cancelled run, a layer that is not animated, 16 bit."""
        from pathlib import Path

        from anim_fixture import animated_kra, keys_of
        from style_transfer.krita import layers

        w, h = 160, 120
        photos = {0: "stata", 2: "chicago", 5: "golden_gate", 9: "statue_of_liberty"}
        rgba = {t: load_rgba8(f"{images}/{p}.jpg", w, h) for t, p in photos.items()}
        out: Dict[str, Any] = {}
        kra = Path(OUT).with_name("animation.kra")
        animated_kra(kra, {t: layers.rgba_to_bytes(a, "U8") for t, a in rgba.items()}, w, h, 11)
        doc = k.openDocument(str(kra))
        src = next(n for n in doc.rootNode().childNodes() if n.name() == "anim")
        doc.setCurrentTime(7)
        out["source_keys"] = keys_of(src, doc)
        before = hashlib.sha256(b"".join(bytes(src.pixelDataAtTime(0, 0, w, h, t))
                                         for t in photos)).hexdigest()

        def key_rgba(node: Any, t: int) -> Any:
            return layers.bytes_to_rgba(bytes(node.pixelDataAtTime(0, 0, w, h, t)), w, h, "U8")

        stills = {t: engine_render(a) for t, a in rgba.items()}
        clip = base.replace(frames="keys", stability=0.0)
        got = wait_finished(ctl, lambda: ctl.apply(clip, doc, src))
        res = got.pop("layer", None)
        out["message"] = got.get("message") or got.get("start_error")
        out["progress_stages"] = got.get("first_stage")
        if res is not None:
            out["result_keys"] = keys_of(res, doc)
            out["held_frames_empty"] = [len(bytes(res.pixelDataAtTime(0, 0, 1, 1, t))) == 0
                                        for t in (1, 3, 4, 6, 7, 8, 10, 11)]
            out["max_diff_vs_stills"] = {
                t: int(np.abs(key_rgba(res, t).astype(int) - stills[t].astype(int)).max())
                for t in photos}
            out["layers"] = [n.name() for n in doc.rootNode().childNodes()]
            out["current_time_after"] = doc.currentTime()
            res.remove()
        # the default stability: each key still looks like ITS photo's stylization
        got = wait_finished(ctl, lambda: ctl.apply(base.replace(frames="keys"), doc, src))
        res = got.pop("layer", None)
        out["default_message"] = got.get("message") or got.get("start_error")
        if res is not None:
            out["default_keys"] = keys_of(res, doc)
            own, other = [], []
            for i, t in enumerate(sorted(photos)):
                mine = key_rgba(res, t)
                own.append(psnr_rgb(mine, stills[t]))
                nxt = sorted(photos)[(i + 1) % 4]
                other.append(psnr_rgb(mine, stills[nxt]))
            out["psnr_own_still"], out["psnr_neighbour_still"] = own, other
            res.remove()
        # playback range 3..7: the key at 2 shows at 3 (held), 5 is inside, 0 and 9 are not
        doc.setPlayBackRange(3, 7)
        got = wait_finished(ctl, lambda: ctl.apply(base.replace(frames="range"), doc, src))
        res = got.pop("layer", None)
        out["range_message"] = got.get("message") or got.get("start_error")
        if res is not None:
            out["range_keys"] = keys_of(res, doc)
            # the keys outside the range are left empty: only what was stylized shows
            out["range_painted"] = [t for t in photos
                                    if key_rgba(res, t)[..., 3].max() > 0]
            out["range_key2_vs_still"] = psnr_rgb(key_rgba(res, 2), stills[2])
            res.remove()
        doc.setPlayBackRange(0, 11)
        # Cancel while the first key paints: nothing added, the playhead where it was
        n_before = len(doc.rootNode().childNodes())
        got = wait_finished(ctl, lambda: ctl.apply(base.replace(frames="keys"), doc, src),
                            cancel=True)
        got.pop("layer", None)
        out["cancel"] = {"message": got.get("message"), "held": got.get("held"),
                         "layers_added": len(doc.rootNode().childNodes()) - n_before,
                         "current_time": doc.currentTime()}
        out["source_unchanged"] = before == hashlib.sha256(b"".join(
            bytes(src.pixelDataAtTime(0, 0, w, h, t)) for t in photos)).hexdigest()
        # a plain layer with "all keyframes" chosen
        plain = doc.createNode("plain", "paintlayer")
        doc.rootNode().addChildNode(plain, None)
        paint(plain, rgba[0], 0, 0)
        out["not_animated"] = ctl.apply(base.replace(frames="keys"), doc, plain)
        doc.close()
        # a 16-bit animation (Krita's linear default profile for U16): it works the same way
        kra16 = Path(OUT).with_name("animation16.kra")
        animated_kra(kra16, {t: layers.rgba_to_bytes(a, "U16") for t, a in rgba.items()},
                     w, h, 11, depth="U16")
        doc16 = k.openDocument(str(kra16))
        src16 = next(n for n in doc16.rootNode().childNodes() if n.name() == "anim")
        got = wait_finished(ctl, lambda: ctl.apply(base.replace(frames="keys"), doc16, src16))
        res = got.pop("layer", None)
        out["u16"] = {"message": got.get("message") or got.get("start_error"),
                      "profile": doc16.colorProfile()}
        if res is not None:
            out["u16"]["keys"] = keys_of(res, doc16)
            out["u16"]["model"] = [res.colorModel(), res.colorDepth()]
        doc16.close()
        return out

    def map_gone() -> Dict[str, Any]:
        """A map layer deleted, or in another document: one line, nothing added."""
        from style_transfer.krita import map_layers

        doc = make_doc(k, 160, 100, "RGBA", "U8", "map-gone")
        src = doc.createNode("photo", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        paint(src, photo[:100, :160], 0, 0)
        sky = doc.createNode("sky", "paintlayer")
        doc.rootNode().addChildNode(sky, src)
        other = make_doc(k, 160, 100, "RGBA", "U8", "elsewhere")
        there = other.createNode("elsewhere", "paintlayer")
        other.rootNode().addChildNode(there, None)
        region = S(styles=(E("file", udnie, "udnie", region=map_layers.ref_from_node(sky)),),
                   scale=1.0)
        elsewhere = base.replace(strength_map=map_layers.ref_from_node(there))
        sky.remove()
        doc.waitForDone()
        names = [n.name() for n in doc.rootNode().childNodes()]
        out = {"deleted": ctl.apply(region, doc, src), "elsewhere": ctl.apply(elsewhere, doc, src),
               "busy": ctl.busy, "layers": names,
               "layers_after": [n.name() for n in doc.rootNode().childNodes()]}
        shown = wait_preview(region, doc, src)
        out["preview_error"] = shown.get("error")
        # the visible image with a visible map layer: its paint would be stylized too
        fade = doc.createNode("fade", "paintlayer")
        doc.rootNode().addChildNode(fade, None)
        whole = base.replace(whole_image=True, strength_map=map_layers.ref_from_node(fade))
        out["visible_map"] = ctl.apply(whole, doc, src)
        fade.setVisible(False)
        done = wait_finished(ctl, lambda: ctl.apply(whole, doc, src))
        out["hidden_map"] = done.get("message") or done.get("start_error")
        try:
            map_layers.ref_from_node(doc.createGroupLayer("a group"))
        except map_layers.MapError as e:
            out["group_refused"] = str(e)
        return out

    def snapshot_place() -> Dict[str, Any]:
        """A selection snapshot lies where the selection was, also where the selection reaches
        outside the canvas (as the layer does): the map read for the content's rectangle equals
        the live selection there, and an Apply with the snapshot as a region equals one with
        the same selection as a selection mask."""
        from style_transfer.krita import map_layers
        from style_transfer.krita.qt import QImage

        doc = make_doc(k, 300, 200, "RGBA", "U8", "snapshot-place")
        src = doc.createNode("photo", "paintlayer")
        doc.rootNode().addChildNode(src, None)
        paint(src, photo, -40, 0)  # 340x150: 40 px of it left of the canvas
        doc.refreshProjection()
        doc.waitForDone()
        rect = layers.node_bounds(src)
        out: Dict[str, Any] = {"content": [rect.x, rect.y, rect.w, rect.h]}
        refs = {}
        for label, box in (("inside", (180, 60, 90, 70)), ("outside", (-40, 20, 120, 80))):
            sel = Selection()
            sel.select(*box, 255)
            doc.setSelection(sel)
            live = np.frombuffer(bytes(doc.selection().pixelData(rect.x, rect.y, rect.w,
                                                                 rect.h)), np.uint8)
            live = live.reshape(rect.h, rect.w).astype(int)
            refs[label] = ref = map_layers.ref_from_selection(doc, ctlmod.data_dir("maps"))
            img = QImage(ref.key)
            seen = map_layers.file_pixels(ref.key, rect)
            out[label] = {"png": [img.width(), img.height(), img.offset().x(), img.offset().y()],
                          "max_diff_vs_selection": int(np.abs(seen.astype(int) - live).max()),
                          "selected_px": int((seen > 0).sum())}
        sel = Selection()
        sel.select(-40, 20, 120, 80, 255)
        mask = doc.createSelectionMask("region mask")
        mask.setSelection(sel)
        src.addChildNode(mask, None)
        doc.setSelection(Selection())  # a live selection would also limit what Apply paints
        doc.waitForDone()
        stripes = f"{images}/stripes.jpg"
        renders = {}
        for label, ref in (("snapshot", refs["outside"]),
                           ("mask", map_layers.ref_from_node(mask))):
            s = S(styles=(E("file", udnie, "udnie", region=ref), E("file", stripes, "stripes")),
                  strength=1.0, scale=1.0, model="int8")
            got = wait_finished(ctl, lambda a=s: ctl.apply(a, doc, src))
            layer = got.pop("layer", None)
            if layer is None:
                out[label] = got
                return out
            renders[label] = rgba_of(layer)
            b = layer.bounds()
            out[f"{label}_bounds"] = [b.x(), b.y(), b.width(), b.height()]
            layer.remove()
        a, b = renders["snapshot"], renders["mask"]
        out["db_snapshot_vs_mask"] = psnr_rgb(a, b)
        out["db_off_canvas_part"] = psnr_rgb(a[:, :40], b[:, :40])  # x -40..0
        return out

    def content_watch() -> Dict[str, Any]:
        """The poll that notices paint on the previewed picture (krita/content_watch.py) on a
        painter's 2400x1800 canvas: idle polls see no change, cost a thumbnail digest (ms) and
        never read pixels at full size (Node/Document pixel reads counted); a 10 px dab on the
        layer, and on the visible image, is noticed at the next poll (a 128 px thumbnail
        missed it: Krita samples thumbnails)."""
        import statistics

        import krita as kmod
        from style_transfer.krita.content_watch import ContentWatch, ThumbnailDigests

        w, h = 2400, 1800
        doc, src = photo_doc(k, w, h, f"{images}/golden_gate.jpg", "content-watch")
        doc.waitForDone()
        reads: List[str] = []
        saved = {}
        for cls in (kmod.Node, kmod.Document):
            for name in ("pixelData", "projectionPixelData"):
                if name in cls.__dict__:
                    # the descriptor itself, put back as it was: a method taken with getattr
                    # and set back broke the subclasses' calls (CloneLayer.pixelData)
                    saved[(cls, name)] = cls.__dict__[name]
                    orig = getattr(cls, name)

                    def counted(self: Any, *a: Any, _o: Any = orig, _n: str = name) -> Any:
                        reads.append(f"{_n}{a}")
                        return _o(self, *a)

                    setattr(cls, name, counted)
        out: Dict[str, Any] = {}
        try:
            probe = doc.pixelData(0, 0, 1, 1)  # the counter itself works
            out["counter_works"] = len(reads) == 1 and len(bytes(probe)) == 4
            reads.clear()
            for label, node in (("layer", src), ("visible", None)):
                watch = ContentWatch()
                first = watch.changed(doc, node)
                ms, changes, digests = [], 0, watch.digests
                for _ in range(20):
                    changes += watch.changed(doc, node)
                    ms.append(watch.last_ms)
                digests = watch.digests - digests
                dab = np.full((10, 10, 4), 255, np.uint8)
                paint(src, dab, 1200 + (40 if node is None else 0), 900)
                doc.refreshProjection()
                doc.waitForDone()
                out[label] = {"first_poll_changed": first, "idle_changes": changes,
                              "idle_digests": digests,
                              "idle_ms_median": round(statistics.median(ms), 3),
                              "idle_ms_max": round(max(ms), 3),
                              "dab_noticed": watch.changed(doc, node),
                              "dab_poll_ms": round(watch.last_ms, 2),
                              "after_dab_changed": watch.changed(doc, node)}
            # the map poll beside it (a strength-map layer): the same cached-thumbnail rule
            from style_transfer.krita import map_layers

            fade = doc.createNode("fade", "paintlayer")
            doc.rootNode().addChildNode(fade, src)
            paint(fade, np.full((h, w, 4), 128, np.uint8), 0, 0)
            fade.setVisible(False)
            doc.refreshProjection()
            doc.waitForDone()
            settings = base.replace(strength_map=map_layers.ref_from_node(fade))
            thumbs = ThumbnailDigests()  # the watcher's, kept between its polls
            first_sigs = map_layers.signatures(doc, settings, thumbs)
            ms = []
            for _ in range(20):
                t = time.perf_counter()
                same = map_layers.signatures(doc, settings, thumbs) == first_sigs
                ms.append((time.perf_counter() - t) * 1000)
            paint(fade, np.full((10, 10, 4), 255, np.uint8), 700, 500)
            doc.waitForDone()
            out["maps"] = {"idle_same": same, "idle_ms_median": round(statistics.median(ms), 3),
                           "idle_ms_max": round(max(ms), 3),
                           "dab_noticed": map_layers.signatures(doc, settings, thumbs)
                           != first_sigs}
            out["pixel_reads_by_polls"] = list(reads)
        finally:
            for (cls, name), orig in saved.items():
                setattr(cls, name, orig)
        return out

    case("rgba8", rgba8)
    case("selection", selection)
    case("depth16", depth16)
    case("float32", float32)
    case("group", group)
    case("cmyk", cmyk)
    case("default_profiles", default_profiles)
    case("cancel", cancel)
    case("preview_truth", preview_truth)
    case("close_during_apply", close_during_apply)
    case("layer_deleted", layer_deleted_during_apply)
    case("layer_moved", layer_moved_during_apply)
    case("style_from_layer", style_from_layer)
    case("settings", settings_roundtrip)
    case("docker_widget", docker_widget)
    case("file_layer", file_layer)
    case("whole_image", whole_image)
    case("runtimes", runtimes)
    case("regions", regions)
    case("strength_map", strength_map)
    case("map_gone", map_gone)
    case("snapshot_place", snapshot_place)
    case("content_watch", content_watch)
    case("animation", animation)
    # last: documents holding clone layers crash Krita when closed (at exit too)
    case("documents", documents)
    case("clone", lambda: clone_case(False))
    case("clone_moved", lambda: clone_case(True))
    RESULTS["done"] = True
    dump()
