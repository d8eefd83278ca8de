"""Animated documents for the Krita tests, made without Krita's GUI.

Krita's scripting API has no call that creates a keyframe (the GUI's actions need a canvas, and
Document.importAnimation crashes without one), so: save a plain document with one paint layer
per key, then rewrite the .kra (a zip) so the first layer holds the others' pixel files as its
keyframes — the same files and keyframes XML that Krita 5.1.5 itself writes for an animated
layer (checked against a .kra saved from the GUI). Runs inside Krita (kritarunner)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any, Dict

KEYFRAMES_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE keyframes PUBLIC '-//KDE//DTD krita-keyframes 1.0//EN' \
'http://www.calligra.org/DTD/krita-keyframes-1.0.dtd'>
<keyframes xmlns="http://www.calligra.org/DTD/krita-keyframes">
 <channel name="content">
{keys} </channel>
</keyframes>
"""
KEY = """  <keyframe time="{time}" frame="{frame}" color-label="0">
   <offset y="0" type="point" x="0"/>
  </keyframe>
"""


def animated_kra(path: Path, keys: Dict[int, bytes], w: int, h: int, end: int,
                 depth: str = "U8", name: str = "anim", fps: int = 24) -> None:
    """Write `path`: a w x h RGBA document whose paint layer "anim" has a keyframe at each
    time of `keys` (time -> pixelData bytes in the document's depth), frames 0..end."""
    from krita import Krita

    k = Krita.instance()
    doc = k.createDocument(w, h, name, "RGBA", depth, "", 72.0)
    root = doc.rootNode()
    for child in root.childNodes():  # the white background would hide nothing but confuse
        child.remove()
    for t in sorted(keys):
        layer = doc.createNode(f"key{t}", "paintlayer")
        root.addChildNode(layer, None)
        layer.setPixelData(keys[t], 0, 0, w, h)
    doc.setFullClipRangeStartTime(0)
    doc.setFullClipRangeEndTime(end)
    doc.setFramesPerSecond(fps)
    doc.waitForDone()
    plain = path.with_suffix(".plain.kra")
    doc.saveAs(str(plain))
    doc.close()
    _merge_layers_into_keys(plain, path, sorted(keys))
    plain.unlink()


def _merge_layers_into_keys(src: Path, dst: Path, times: list) -> None:
    with zipfile.ZipFile(src) as z:
        files = {i.filename: z.read(i.filename) for i in z.infolist()}
    main = files["maindoc.xml"].decode("utf-8")
    layers = re.findall(r"<layer [^>]*/>", main)
    by_name = {re.search(r' name="([^"]*)"', x).group(1): x for x in layers}  # type: ignore
    first = by_name[f"key{times[0]}"]
    file_of = {t: re.search(r' filename="([^"]*)"', by_name[f"key{t}"]).group(1)  # type: ignore
               for t in times}
    anim = first.replace(f'name="key{times[0]}"', 'name="anim"').replace(
        "/>", f' keyframes="{file_of[times[0]]}.keyframes.xml"/>')
    for x in layers:
        main = main.replace(x, anim if x == first else "")
    files["maindoc.xml"] = main.encode("utf-8")
    prefix = next(n for n in files if n.endswith(f"/layers/{file_of[times[0]]}"))[:-len(
        file_of[times[0]])]
    files[f"{prefix}{file_of[times[0]]}.keyframes.xml"] = KEYFRAMES_XML.format(
        keys="".join(KEY.format(time=t, frame=file_of[t]) for t in times)).encode("utf-8")
    with zipfile.ZipFile(dst, "w") as z:
        # the mimetype entry first and stored, as in every .kra
        z.writestr(zipfile.ZipInfo("mimetype"), files.pop("mimetype"))
        for name, data in files.items():
            z.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)


def keys_of(node: Any, doc: Any) -> list:
    return [t for t in range(doc.fullClipRangeStartTime(), doc.fullClipRangeEndTime() + 1)
            if node.hasKeyframeAtTime(t)]
