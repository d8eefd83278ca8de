"""Regions, strength and stroke-size maps from Krita: what the user points at, and its pixels.

A map is a MapRef in the settings (common/settings.py); common/maps.py decides what its pixels
mean. Here, on the main thread:
- "Use as region" / "Set map" turn the active selection into a grayscale PNG of its bounds (its
  place in the PNG's offset) in the plugin's data folder (MapRef "file": a selection changes
  with every click, so it is snapshotted), or the active paint layer / selection mask into
  MapRef "node" (its unique id): that one is read LIVE when a job starts, so painting on it
  counts;
- read() gives every map of a job for exactly the rectangle the content was read from.
A map that cannot be read (layer deleted, in another document, PNG gone) is left out of the
result: common/maps.missing() then names it in one line.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from typing import Any, Dict, Iterable, Optional

import numpy as np

from ..common.settings import JobSettings, MapRef
from . import color, layers
from .content_watch import ThumbnailDigests, thumbnail_side
from .pixels import DEPTHS, ColorSpaceError

#: node types whose pixels can be a map: paint on a paint layer, or a mask's selection
PAINT_TYPES = ("paintlayer",)
MASK_TYPES = ("selectionmask", "transparencymask")


class MapError(ColorSpaceError):
    """A map that cannot be taken from what is active; the message is for the user."""


# -- what the user points at -------------------------------------------------------------------


def ref_from_node(node: Any) -> MapRef:
    """The active layer as a map, read live at Apply: a paint layer (white = full) or a
    selection / transparency mask."""
    if node is None:
        raise MapError("Select the paint layer or selection mask to use first.")
    kind = node.type()
    if kind not in PAINT_TYPES + MASK_TYPES:
        raise MapError(f"'{node.name()}' is a {kind.replace('layer', ' layer')}: use a paint "
                       "layer (paint white where it applies) or a selection mask.")
    return MapRef("node", node.uniqueId().toString(), node.name())


def ref_from_selection(doc: Any, folder: str) -> MapRef:
    """The document's active selection, snapshotted to a grayscale PNG of the selection's own
    bounds. Where it lies goes into the PNG as its offset (the PNG oFFs chunk, QImage.offset),
    so file_pixels places it where the selection was: a selection may reach outside the canvas,
    as a layer may, and a document-sized snapshot at 0,0 lost that part."""
    from .qt import QImage, QtCore

    sel = doc.selection() if doc is not None else None
    box = layers.Rect.of(sel) if sel is not None else None
    if box is None or box.empty:
        raise MapError("There is no active selection: select an area first (or use a layer).")
    gray = np.frombuffer(bytes(sel.pixelData(box.x, box.y, box.w, box.h)), np.uint8)
    path = os.path.join(folder, f"selection-{uuid.uuid4().hex[:12]}.png")
    img = QImage(np.ascontiguousarray(gray.reshape(box.h, box.w)).tobytes(), box.w, box.h,
                 box.w, QImage.Format.Format_Grayscale8).copy()
    img.setOffset(QtCore.QPoint(box.x, box.y))
    if not img.save(path, "PNG"):
        raise MapError(f"Could not save the selection to {path}.")
    return MapRef("file", path, f"selection {time.strftime('%H:%M:%S')}")


def prune(folder: str, keep: Iterable[JobSettings]) -> int:
    """Delete the selection snapshots in `folder` that none of `keep` (the docker's settings,
    the last applied ones) refers to: every "Use as region" of a selection writes a new one.
    Returns how many went."""
    used = set()
    for s in keep:
        refs = [st.region for st in s.styles] + [s.strength_map, s.scale_map]
        used |= {os.path.abspath(r.key) for r in refs if r is not None and r.kind == "file"}
    gone = 0
    for name in os.listdir(folder):
        path = os.path.abspath(os.path.join(folder, name))
        if name.startswith("selection-") and name.endswith(".png") and path not in used:
            try:
                os.remove(path)
                gone += 1
            except OSError:  # in use elsewhere or read-only: it stays, nothing breaks
                pass
    return gone


def source_problem(settings: JobSettings, doc: Any, node: Any) -> Optional[str]:
    """Why the job cannot stylize `node` (None = the visible image) with these settings: it is
    one of the job's maps (the user selected it to set it, then pressed Apply), or a mask; or,
    for the visible image, a map layer is visible, so its paint would be stylized too."""
    if settings.whole_image or node is None:
        for ref in settings.map_refs():
            layer = layers.node_by_id(doc, ref.key) if ref.kind == "node" else None
            if layer is not None and layer.type() in PAINT_TYPES and _shown(layer):
                return (f"The map layer '{layer.name()}' is visible, so its paint would be "
                        "stylized with the visible image: hide it (it still works as a map) "
                        "and press Apply again.")
        return None
    key = node.uniqueId().toString()
    for ref in settings.map_refs():
        if ref.kind == "node" and ref.key == key:
            return (f"The active layer '{node.name()}' is {_role(settings, ref)}: select the "
                    "layer to stylize (e.g. the photo) and press Apply again.")
    if node.type() in MASK_TYPES:
        return (f"The active layer '{node.name()}' is a mask: select the layer to stylize "
                "and press Apply again.")
    return None


def _shown(node: Any) -> bool:
    """True when the node and every group above it are visible (it is in the image)."""
    while node is not None and node.parentNode() is not None:  # the root answers no parent
        if not node.visible():
            return False
        node = node.parentNode()
    return True


def _role(settings: JobSettings, ref: MapRef) -> str:
    roles = [f"the region of {s.name}" for s in settings.active_styles if s.region == ref]
    if settings.strength_map == ref:
        roles.append("the strength map")
    if settings.scale_map == ref:
        roles.append("the stroke-size map")
    return ", ".join(roles)


# -- pixels ------------------------------------------------------------------------------------


def read(doc: Any, refs: Iterable[MapRef], rect: layers.Rect) -> Dict[MapRef, np.ndarray]:
    """Every map of `refs` that can be read, as an HxW (gray) or HxWx4 (sRGB RGBA) array of
    `rect` (the content's rectangle); maps that are gone are left out."""
    out: Dict[MapRef, np.ndarray] = {}
    for ref in refs:
        if ref.kind == "node":
            node = layers.node_by_id(doc, ref.key)
            if node is not None and node.type() in PAINT_TYPES + MASK_TYPES:
                out[ref] = node_pixels(node, rect)
        elif ref.kind == "file":
            pixels = file_pixels(ref.key, rect)
            if pixels is not None:
                out[ref] = pixels
    return out


def check_sources(settings: JobSettings, doc: Any, node: Any) -> None:
    """MapError when the job cannot use its maps with this content (source_problem)."""
    problem = source_problem(settings, doc, node)
    if problem:
        raise MapError(problem)


def read_all(doc: Any, settings: JobSettings, rect: layers.Rect) -> Dict[MapRef, np.ndarray]:
    """Every map of the job for `rect`, or MapError naming the first one that is gone."""
    from ..common.maps import missing

    masks = read(doc, settings.map_refs(), rect)
    problem = missing(settings, masks)
    if problem:
        raise MapError(problem)
    return masks


def node_pixels(node: Any, rect: layers.Rect) -> np.ndarray:
    """A node's own pixels at `rect`: a mask's selection (1 channel, any depth), or a paint
    layer's RGBA converted to sRGB like the content (color.py), in whatever depth it has."""
    data = bytes(node.pixelData(rect.x, rect.y, rect.w, rect.h))
    model, depth = node.colorModel(), node.colorDepth()
    if model == "A" or node.type() in MASK_TYPES:
        dtype = DEPTHS.get(depth, np.dtype(np.uint8))
        if len(data) != rect.w * rect.h * dtype.itemsize:  # an empty mask answers b""
            return np.zeros((rect.h, rect.w), np.float32)
        return np.frombuffer(data, dtype).reshape(rect.h, rect.w).astype(dtype.newbyteorder("="))
    return color.to_srgb(data, rect.w, rect.h, color.Space.of(node))


def file_pixels(path: str, rect: layers.Rect) -> Optional[np.ndarray]:
    """A grayscale PNG snapshot cut to `rect` (where it has no pixels = 0), None if gone. The
    PNG lies at its offset (ref_from_selection); older snapshots have none: document-sized,
    at 0,0."""
    from .qt import QImage

    if not os.path.isfile(path):
        return None
    img = QImage(path)
    if img.isNull():
        return None
    at = img.offset()  # read before converting: the offset is the snapshot's place
    img = img.convertToFormat(QImage.Format.Format_Grayscale8)
    w, h = img.width(), img.height()
    ptr = img.constBits()
    if hasattr(ptr, "setsize"):  # PyQt5 sip.voidptr needs a size before it can be read
        ptr.setsize(img.bytesPerLine() * h)
    gray = np.frombuffer(bytes(ptr), np.uint8).reshape(h, img.bytesPerLine())[:, :w]
    out = np.zeros((rect.h, rect.w), np.uint8)
    box = layers.Rect(int(at.x()), int(at.y()), w, h).intersect(rect)
    if not box.empty:
        out[box.y - rect.y:box.y - rect.y + box.h, box.x - rect.x:box.x - rect.x + box.w] = \
            gray[box.y - at.y():box.y - at.y() + box.h, box.x - at.x():box.x - at.x() + box.w]
    return out


# -- noticing paint --------------------------------------------------------------------------



def signatures(doc: Any, settings: JobSettings,
               thumbs: Optional[ThumbnailDigests] = None) -> Dict[str, str]:
    """{node map's id: digest of its pixels} for the job's live maps (paint layers, masks).
    Krita sends a docker no signal when someone paints on a layer, so the docker polls this: a
    thumbnail (Krita keeps it cached; its side grows with the canvas, as Krita samples it) plus
    the bounds. Given the poller's `thumbs`, a thumbnail Krita handed out last time keeps its
    digest: nothing is hashed while nobody paints."""
    thumbs = thumbs if thumbs is not None else ThumbnailDigests()
    out: Dict[str, str] = {}
    side = thumbnail_side(doc)
    for ref in settings.map_refs():
        node = layers.node_by_id(doc, ref.key) if ref.kind == "node" else None
        if node is None:
            continue
        b = node.bounds()
        bounds = (b.x(), b.y(), b.width(), b.height())
        thumb = node.thumbnail(side, side) if hasattr(node, "thumbnail") else None
        if thumb is not None and not thumb.isNull():
            out[ref.key] = thumbs(ref.key, thumb, bounds)
        else:  # no thumbnail to go by: the pixels themselves
            h = hashlib.blake2b(repr(bounds).encode(), digest_size=16)
            if b.width() > 0 and b.height() > 0:
                h.update(bytes(node.pixelData(b.x(), b.y(), b.width(), b.height())))
            out[ref.key] = h.hexdigest()
    return out
