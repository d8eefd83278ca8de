"""Krita layers <-> RGBA numpy arrays: layer bounds, selection masks and the result layer.

Reads a node's projection (so group, vector, file and clone layers work too) and the selection,
and adds the one result layer. Raw bytes are converted by pixels.py, colours by color.py. Only
the main thread may call the Krita functions here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterator, List, Optional

import numpy as np

from . import color
from .pixels import (  # noqa: F401 - re-exported: the adapter's callers use layers.*
    DEPTHS,
    ColorSpaceError,
    array_dtype,
    bytes_to_rgba,
    convert_dtype,
    rgba_to_bytes,
    selection_mask,
)


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    @property
    def empty(self) -> bool:
        return self.w <= 0 or self.h <= 0

    def intersect(self, other: Rect) -> Rect:
        x0, y0 = max(self.x, other.x), max(self.y, other.y)
        x1 = min(self.x + self.w, other.x + other.w)
        y1 = min(self.y + self.h, other.y + other.h)
        return Rect(x0, y0, max(0, x1 - x0), max(0, y1 - y0))

    @classmethod
    def of(cls, qrect: Any) -> Rect:
        """From a QRect (Node.bounds(), Selection geometry)."""
        return cls(int(qrect.x()), int(qrect.y()), int(qrect.width()), int(qrect.height()))


def content_rect(node_bounds: Rect, selection: Optional[Rect]) -> Rect:
    """Area to stylize: the layer's own bounds (which may lie outside the canvas; they are kept so
    the result lands exactly over the source), cut down to the selection if there is one."""
    return node_bounds if selection is None else node_bounds.intersect(selection)


# -- Krita side (main thread only) -------------------------------------------------------------


@dataclass
class Content:
    """Pixels read from Krita plus what is needed to write the result back in the same place."""

    rgba: np.ndarray  # HxWx4 straight RGBA, sRGB-encoded, uint8/uint16/float32
    rect: Rect
    space: color.Space  # the colour space of what was read; the result is written back in it
    mask: Optional[np.ndarray]  # HxW float32 selection values, None = no selection

    @property
    def depth(self) -> str:
        return self.space.depth

    @property
    def converted(self) -> bool:
        """True if the pixels went through a colour conversion (not used as they were)."""
        return self.space.route != "srgb"


def union(a: Rect, b: Rect) -> Rect:
    if a.empty:
        return b
    if b.empty:
        return a
    x0, y0 = min(a.x, b.x), min(a.y, b.y)
    return Rect(x0, y0, max(a.x + a.w, b.x + b.w) - x0, max(a.y + a.h, b.y + b.h) - y0)


def crop_transparent(rgba: np.ndarray, rect: Rect) -> tuple:
    """Cut fully transparent rows/columns off the edges: (rgba, rect) of what is left."""
    alpha = rgba[..., 3] > 0
    rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    if len(rows) == 0:
        return rgba[:0, :0], Rect(rect.x, rect.y, 0, 0)
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return (np.ascontiguousarray(rgba[y0:y1, x0:x1]),
            Rect(rect.x + x0, rect.y + y0, x1 - x0, y1 - y0))


def node_bounds(node: Any, canvas: Optional[Rect] = None) -> Rect:
    """Where a node's projection has pixels.

    Clone layers moved away from their source (Node.position() != 0; Krita 5.1.5, checked):
    Node.bounds() lags behind (the source's bounds, or the union of old and new place), and
    Krita recomputes the clone's projection only inside the canvas; outside it the old,
    unshifted pixels stay. So a moved clone is read from the union of both guesses, clipped to
    the canvas (`canvas`), and read_content crops that to the pixels the clone really shows.
    An unmoved clone is read like any other layer, off-canvas parts included."""
    b = Rect.of(node.bounds())
    if node.type() == "clonelayer":
        pos = node.position()
        dx, dy = int(pos.x()), int(pos.y())
        if dx or dy:
            b = union(b, Rect(b.x + dx, b.y + dy, b.w, b.h))
            if canvas is not None:
                b = b.intersect(canvas)
    return b


def document_title(doc: Any) -> str:
    """What the user sees on the document's tab: the file name, else the document's name."""
    return os.path.basename(doc.fileName() or "") or doc.name() or "Untitled"


def is_open(doc: Any) -> bool:
    """True while Krita still has `doc` open. After close() the Python object lives on and
    answers "" for its colour space; writing to it then crashes Krita (HOST_NOTES)."""
    from krita import Krita

    return any(d == doc for d in Krita.instance().documents())


def doc_key(doc: Any) -> str:
    """A document's identity to keep instead of its Python wrapper: its root node's unique id.
    A Document wrapper still alive when kritarunner exits makes Krita crash in its exit
    handlers (exit 139, HOST_NOTES), so nothing the plugin keeps after a job may hold one."""
    return str(doc.rootNode().uniqueId().toString())


def doc_by_key(key: str) -> Optional[Any]:
    """The open document whose doc_key is `key`, or None once it was closed."""
    from krita import Krita

    return next((d for d in Krita.instance().documents() if doc_key(d) == key), None)


def walk(doc: Any) -> Iterator[Any]:
    """Every node of `doc`'s layer tree (groups, layers, masks), the root left out."""
    stack = list(doc.rootNode().childNodes())
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.childNodes())


def node_by_id(doc: Any, key: str) -> Optional[Any]:
    """The node of `doc` whose unique id reads `key` ("{uuid}"), wherever it is now."""
    return next((n for n in walk(doc) if n.uniqueId().toString() == key), None)


def live_node(doc: Any, node: Any) -> Optional[Any]:
    """The node with `node`'s unique id where it is NOW in `doc`'s layer tree (the user may have
    moved it into another group meanwhile), or None when it was deleted."""
    return node_by_id(doc, node.uniqueId().toString())


def all_names(doc: Any) -> List[str]:
    """The names of every layer in the document (result names must not repeat any)."""
    return [n.name() for n in walk(doc)]


def top_of_results(source: Any, prefix: str) -> Any:
    """The node a new result of `source` goes directly above: the highest of the earlier results
    (layers named `prefix`…) stacked directly above `source`, else `source` itself. So a repeat
    Apply is the top, visible one instead of disappearing under the first result."""
    parent = source.parentNode()
    if parent is None:
        return source
    siblings = parent.childNodes()  # bottom to top
    ids = [n.uniqueId() for n in siblings]
    i = ids.index(source.uniqueId())
    while i + 1 < len(siblings) and siblings[i + 1].name().startswith(prefix + " "):
        i += 1
    return siblings[i]


def target_problem(doc: Any, node: Optional[Any]) -> Optional[str]:
    """None if a result can still be written for `node` of `doc` (None = the whole image),
    else the one-line reason why nothing was added."""
    if not is_open(doc):
        return "The document was closed; nothing was added."
    if node is not None and live_node(doc, node) is None:
        return f"The layer '{node.name()}' was deleted meanwhile; nothing was added."
    return None


def check_color_space(doc: Any) -> None:
    model, depth = doc.colorModel(), doc.colorDepth()
    if depth not in DEPTHS:
        raise ColorSpaceError(
            f"This document is {model}/{depth}; style transfer supports 8/16-bit integer and "
            "16/32-bit float. Convert the image (Image › Convert Image Color Space) and try again."
        )


def read_content(doc: Any, node: Optional[Any], whole_image: bool) -> Content:
    """Read the content pixels (node projection or the visible image) and the selection, as
    sRGB-encoded RGBA whatever the document's colour model, depth and profile (color.py)."""
    check_color_space(doc)
    sel = doc.selection()
    sel_rect = Rect.of(sel) if sel is not None else None
    if sel_rect is not None and sel_rect.empty:
        sel_rect, sel = None, None
    whole = whole_image or node is None
    if whole:
        bounds = Rect(0, 0, doc.width(), doc.height())
    else:
        bounds = node_bounds(node, Rect(0, 0, doc.width(), doc.height()))
    rect = content_rect(bounds, sel_rect)
    if rect.empty:
        raise ColorSpaceError(
            "Nothing to stylize: the layer is empty or the selection does not touch it."
        )
    if whole:
        data = bytes(doc.pixelData(rect.x, rect.y, rect.w, rect.h))
    else:
        data = bytes(node.projectionPixelData(rect.x, rect.y, rect.w, rect.h))
    # a layer's projection is in the layer's colour space, the merged image in the document's
    space = color.Space.of(doc if whole else node)
    rgba = color.to_srgb(data, rect.w, rect.h, space)
    if not whole and node.type() == "clonelayer" and (node.position().x() or node.position().y()):
        # node_bounds() had to guess generously for a clone: keep only what it really shows
        rgba, rect = crop_transparent(rgba, rect)
        if rect.empty:
            raise ColorSpaceError("Nothing to stylize: the clone layer shows nothing here.")
    mask = None
    if sel is not None:
        mask = selection_mask(bytes(sel.pixelData(rect.x, rect.y, rect.w, rect.h)), rect.w, rect.h)
    return Content(rgba=rgba, rect=rect, space=space, mask=mask)


def add_result_layer(doc: Any, above: Optional[Any], rgba: np.ndarray, rect: Rect, name: str,
                     visible: bool = True) -> Any:
    """Create ONE paint layer holding the sRGB-encoded `rgba` at `rect`, converted to the
    document's own colour space and profile, directly above `above` (or on top).

    The pixels are written before the layer is inserted, so inserting it is the only change to the
    document and one undo step removes it; the source layer is never written."""
    data = color.from_srgb(rgba, color.Space.of(doc))  # a new layer has the document's space
    layer = doc.createNode(name, "paintlayer")
    layer.setPixelData(data, rect.x, rect.y, rect.w, rect.h)
    if not visible:
        layer.setVisible(False)
    parent = above.parentNode() if above is not None else doc.rootNode()
    if parent is None:
        parent = doc.rootNode()
    parent.addChildNode(layer, above)
    doc.refreshProjection()
    return layer


def node_thumbnail_rgba(node: Any, max_side: int = 1024) -> np.ndarray:
    """A node's projection as sRGB 8-bit RGBA (a style taken from a layer), through the same
    colour conversion as the content. Big layers are read at a stride: the style network sees
    256 px anyway."""
    b = node_bounds(node)
    if b.empty:
        raise ColorSpaceError(f"Layer '{node.name()}' is empty.")
    rgba = color.to_srgb(bytes(node.projectionPixelData(b.x, b.y, b.w, b.h)), b.w, b.h,
                         color.Space.of(node))
    step = max(1, max(b.w, b.h) // max_side)
    return convert_dtype(np.ascontiguousarray(rgba[::step, ::step]), np.dtype(np.uint8))


def qimage_to_rgba(img: Any) -> np.ndarray:
    from .qt import QImage

    img = img.convertToFormat(QImage.Format.Format_RGBA8888)
    w, h = img.width(), img.height()
    ptr = img.constBits()
    if hasattr(ptr, "setsize"):  # PyQt5 sip.voidptr needs a size before it can be read
        ptr.setsize(img.sizeInBytes() if hasattr(img, "sizeInBytes") else img.byteCount())
    arr = np.frombuffer(bytes(ptr), dtype=np.uint8).reshape(h, img.bytesPerLine())
    return arr[:, : w * 4].reshape(h, w, 4).copy()


def rgba_to_qimage(rgba: np.ndarray) -> Any:
    from .qt import QImage

    px = np.ascontiguousarray(convert_dtype(rgba, np.dtype(np.uint8)))
    h, w = px.shape[:2]
    return QImage(px.tobytes(), w, h, w * 4, QImage.Format.Format_RGBA8888).copy()

