"""Krita pixels <-> RGBA numpy arrays, layer bounds, selection masks and the result layer.

The pure half (no Krita import; unit-tested off Krita) converts the bytes libkis hands out:
integer RGBA comes as B, G, R, A (U8, or little-endian U16), float RGBA as R, G, B, A (F16 or F32).
The Krita half reads a node's projection (so group, vector, file and clone layers work too), reads
the selection, and adds the one result layer. Only the main thread may call the Krita half.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterable, List, Optional, Sequence

import numpy as np

#: bytes per channel and numpy dtype of the raw buffer per Krita colour depth
_DEPTHS = {
    "U8": np.dtype("u1"),
    "U16": np.dtype("<u2"),
    "F16": np.dtype("<f2"),
    "F32": np.dtype("<f4"),
}
#: colour models whose pixels this module converts itself; the others go through a converted copy
NATIVE_MODELS = ("RGBA",)


class ColorSpaceError(Exception):
    """A document colour space the adapter cannot read or write; the message is for the user."""


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


# -- pure conversions -------------------------------------------------------------------------


def array_dtype(depth: str) -> np.dtype:
    """The dtype the engine gets for a Krita depth: half floats are widened to float32."""
    if depth not in _DEPTHS:
        raise ColorSpaceError(f"Colour depth {depth!r} is not supported (use 8/16-bit or float).")
    return np.dtype(np.float32) if depth in ("F16", "F32") else _DEPTHS[depth].newbyteorder("=")


def bytes_to_rgba(data: bytes, w: int, h: int, depth: str) -> np.ndarray:
    """Raw RGBA pixelData of a w x h area -> HxWx4 straight-alpha RGBA array.

    U8 -> uint8, U16 -> uint16, F16/F32 -> float32. The result owns its memory (writable)."""
    raw = _DEPTHS.get(depth)
    if raw is None:
        raise ColorSpaceError(f"Colour depth {depth!r} is not supported (use 8/16-bit or float).")
    expected = w * h * 4 * raw.itemsize
    if len(data) != expected:
        raise ValueError(f"got {len(data)} bytes for {w}x{h} {depth} RGBA, expected {expected}")
    px = np.frombuffer(data, dtype=raw).reshape(h, w, 4)
    if depth in ("U8", "U16"):
        # integer RGBA in Krita is stored B, G, R, A; swap to R, G, B, A
        return np.ascontiguousarray(px[..., [2, 1, 0, 3]]).astype(array_dtype(depth), copy=False)
    return px.astype(np.float32)  # float RGBA is already R, G, B, A


def rgba_to_bytes(rgba: np.ndarray, depth: str) -> bytes:
    """HxWx4 RGBA array (any of uint8/uint16/float) -> raw pixelData bytes for `depth`."""
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"expected HxWx4 RGBA, got shape {rgba.shape}")
    raw = _DEPTHS.get(depth)
    if raw is None:
        raise ColorSpaceError(f"Colour depth {depth!r} is not supported (use 8/16-bit or float).")
    px = convert_dtype(rgba, array_dtype(depth))
    if depth in ("U8", "U16"):
        px = px[..., [2, 1, 0, 3]]
    return np.ascontiguousarray(px, dtype=raw).tobytes()


def convert_dtype(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Scale between uint8 / uint16 / float (0..1) with rounding; same dtype = unchanged."""
    dtype = np.dtype(dtype)
    if a.dtype == dtype:
        return a
    if a.dtype.kind == "f":
        f = a.astype(np.float32)
    else:
        f = a.astype(np.float32) / float(np.iinfo(a.dtype).max)
    if dtype.kind == "f":
        return f.astype(dtype)
    top = np.iinfo(dtype).max
    return np.rint(np.clip(f, 0.0, 1.0) * top).astype(dtype)


def selection_mask(data: bytes, w: int, h: int) -> np.ndarray:
    """Selection.pixelData (1 byte per pixel, 255 = selected) -> HxW float32 in 0..1."""
    if len(data) != w * h:
        raise ValueError(f"got {len(data)} selection bytes for {w}x{h}")
    return np.frombuffer(data, dtype=np.uint8).reshape(h, w).astype(np.float32) / 255.0


def apply_mask_to_alpha(rgba: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Multiply alpha by a 0..1 mask: outside the selection the result layer is transparent and a
    feathered edge fades the stylized pixels into the untouched layer below."""
    out = rgba.copy()
    alpha = out[..., 3].astype(np.float32) * mask
    if out.dtype.kind == "f":
        out[..., 3] = alpha
    else:
        out[..., 3] = np.rint(alpha).astype(out.dtype)
    # fully transparent pixels carry no colour: keeps the layer clean and its bounds tight
    out[mask <= 0.0] = 0
    return out


def result_layer_name(style_names: Sequence[str], strength: float) -> str:
    names = [n for n in style_names if n] or ["style"]
    shown = " + ".join(names[:3]) + (" + …" if len(names) > 3 else "")
    return f"Stylized · {shown} {round(strength * 100)}%"


def content_rect(node_bounds: Rect, selection: Optional[Rect]) -> Rect:
    """Area to stylize: the layer's own bounds (which may lie outside the canvas; they are kept so
    the result lands exactly over the source), cut down to the selection if there is one."""
    return node_bounds if selection is None else node_bounds.intersect(selection)


# -- Krita side (main thread only) -------------------------------------------------------------


@dataclass
class Content:
    """Pixels read from Krita plus what is needed to write the result back in the same place."""

    rgba: np.ndarray  # HxWx4 straight RGBA, uint8/uint16/float32
    rect: Rect
    depth: str  # depth of the document the result goes into
    mask: Optional[np.ndarray]  # HxW float32 selection values, None = no selection
    converted: bool  # True if read through an RGBA copy of a non-RGBA document


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


def _node_path(node: Any) -> List[int]:
    """Child indices from the root down to `node`, to find the same node in a cloned document."""
    path: List[int] = []
    while node.parentNode() is not None:
        parent = node.parentNode()
        siblings = parent.childNodes()
        path.append(next(i for i, c in enumerate(siblings) if c.uniqueId() == node.uniqueId()))
        node = parent
    return path[::-1]


def _node_at(root: Any, path: Iterable[int]) -> Any:
    node = root
    for i in path:
        node = node.childNodes()[i]
    return node


def document_title(doc: Any) -> str:
    """What the user sees on the document's tab: the file name, else the document's name."""
    return os.path.basename(doc.fileName() or "") or doc.name() or "Untitled"


def is_open(doc: Any) -> bool:
    """True while Krita still has `doc` open. After close() the Python object lives on and
    answers "" for its colour space; writing to it then crashes Krita (HOST_NOTES)."""
    from krita import Krita

    return any(d == doc for d in Krita.instance().documents())


def live_node(doc: Any, node: Any) -> Optional[Any]:
    """The node with `node`'s unique id where it is NOW in `doc`'s layer tree (the user may have
    moved it into another group meanwhile), or None when it was deleted."""
    uid = node.uniqueId()
    stack = list(doc.rootNode().childNodes())
    while stack:
        n = stack.pop()
        if n.uniqueId() == uid:
            return n
        stack.extend(n.childNodes())
    return None


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
    if depth not in _DEPTHS:
        raise ColorSpaceError(
            f"This document is {model}/{depth}; style transfer supports 8/16-bit integer and "
            "16/32-bit float. Convert the image (Image › Convert Image Color Space) and try again."
        )


def read_content(doc: Any, node: Optional[Any], whole_image: bool) -> Content:
    """Read the content pixels (node projection or the visible image) and the selection.

    Non-RGBA documents (CMYK, Gray, Lab, XYZ) are read from a clone converted to RGBA by Krita's
    colour management, so the user's document is never touched."""
    check_color_space(doc)
    depth = doc.colorDepth()
    sel = doc.selection()
    sel_rect = Rect.of(sel) if sel is not None else None
    if sel_rect is not None and sel_rect.empty:
        sel_rect, sel = None, None
    if whole_image or node is None:
        bounds = Rect(0, 0, doc.width(), doc.height())
    else:
        bounds = node_bounds(node, Rect(0, 0, doc.width(), doc.height()))
    rect = content_rect(bounds, sel_rect)
    if rect.empty:
        raise ColorSpaceError(
            "Nothing to stylize: the layer is empty or the selection does not touch it."
        )
    converted = doc.colorModel() not in NATIVE_MODELS
    source_doc = doc
    if converted:
        source_doc = doc.clone()
        if not source_doc.setColorSpace("RGBA", depth, ""):
            raise ColorSpaceError(
                f"Could not convert a copy of this {doc.colorModel()} document to RGBA; convert "
                "the image to RGB (Image › Convert Image Color Space) and try again."
            )
        source_doc.waitForDone()
    try:
        if whole_image or node is None:
            data = bytes(source_doc.pixelData(rect.x, rect.y, rect.w, rect.h))
        else:
            src = _node_at(source_doc.rootNode(), _node_path(node)) if converted else node
            data = bytes(src.projectionPixelData(rect.x, rect.y, rect.w, rect.h))
        rgba = bytes_to_rgba(data, rect.w, rect.h, depth)
    finally:
        if converted:
            source_doc.close()
    if not (whole_image or node is None) and node.type() == "clonelayer" and (
            node.position().x() or node.position().y()):
        # node_bounds() had to guess generously for a clone: keep only what it really shows
        rgba, rect = crop_transparent(rgba, rect)
        if rect.empty:
            raise ColorSpaceError("Nothing to stylize: the clone layer shows nothing here.")
    mask = None
    if sel is not None:
        mask = selection_mask(bytes(sel.pixelData(rect.x, rect.y, rect.w, rect.h)), rect.w, rect.h)
    return Content(rgba=rgba, rect=rect, depth=depth, mask=mask, converted=converted)


def _to_document_bytes(doc: Any, rgba: np.ndarray, rect: Rect) -> bytes:
    """Result RGBA -> bytes in the document's own colour space. Non-RGBA documents get their bytes
    from a scratch RGBA document converted by Krita to the document's space and profile."""
    depth = doc.colorDepth()
    if doc.colorModel() in NATIVE_MODELS:
        return rgba_to_bytes(rgba, depth)
    from krita import Krita  # only importable inside Krita

    scratch = Krita.instance().createDocument(
        rect.w, rect.h, "style-transfer-scratch", "RGBA", depth, "", doc.resolution()
    )
    try:
        layer = scratch.createNode("result", "paintlayer")
        scratch.rootNode().addChildNode(layer, None)
        layer.setPixelData(rgba_to_bytes(rgba, depth), 0, 0, rect.w, rect.h)
        scratch.waitForDone()
        if not scratch.setColorSpace(doc.colorModel(), depth, doc.colorProfile()):
            raise ColorSpaceError(
                f"Could not convert the result to this {doc.colorModel()} document's colour space."
            )
        scratch.waitForDone()
        layer = scratch.rootNode().childNodes()[-1]
        return bytes(layer.pixelData(0, 0, rect.w, rect.h))
    finally:
        scratch.close()


def add_result_layer(
    doc: Any, above: Optional[Any], rgba: np.ndarray, rect: Rect, name: str
) -> Any:
    """Create ONE paint layer holding `rgba` at `rect`, directly above `above` (or on top).

    The pixels are written before the layer is inserted, so inserting it is the only change to the
    document and one undo step removes it; the source layer is never written."""
    data = _to_document_bytes(doc, rgba, rect)
    layer = doc.createNode(name, "paintlayer")
    layer.setPixelData(data, rect.x, rect.y, rect.w, rect.h)
    parent = above.parentNode() if above is not None else doc.rootNode()
    if parent is None:
        parent = doc.rootNode()
    parent.addChildNode(layer, above)
    doc.refreshProjection()
    return layer


def node_thumbnail_rgba(node: Any, size: int = 256) -> np.ndarray:
    """A node's projection as 8-bit RGBA (for a style taken from a layer). Non-RGBA layers go
    through QImage (node.thumbnail uses Krita's colour management)."""
    b = node_bounds(node)
    if b.empty:
        raise ColorSpaceError(f"Layer '{node.name()}' is empty.")
    if node.colorModel() in NATIVE_MODELS and node.colorDepth() in _DEPTHS:
        rgba = bytes_to_rgba(bytes(node.projectionPixelData(b.x, b.y, b.w, b.h)), b.w, b.h,
                             node.colorDepth())
        return convert_dtype(rgba, np.dtype(np.uint8))
    img = node.thumbnail(min(b.w, 1024), min(b.h, 1024))
    return qimage_to_rgba(img)


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

