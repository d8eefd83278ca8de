"""Paint on the picture the preview shows, noticed without a signal: Krita tells a docker
nothing when someone paints on a layer, so the watcher (watch.py) polls a thumbnail of the
content — the active layer, or the root node for the whole visible image.

Measured in Krita 5.1.5 on a 2400x1800 canvas (tests/krita, case content_watch): Krita keeps
a node's thumbnail in a cache it rebuilds only after a change, and hands out the SAME image
(QImage.cacheKey) while nothing changed: an idle poll costs one cached thumbnail call (~0.01 ms)
and no digest, never a pixel read. Only a new cacheKey makes the digest (a few ms) decide
whether the pixels really changed. The thumbnail samples its pixels (a 10 px dab left a 128 px
thumbnail of 2400 px unchanged), so its side grows with the canvas: one sample per 8 px, 128 to
512 px. Document.thumbnail() would not do: it scales the whole image on every call (290 ms).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, Dict, Optional, Tuple

STEP = 8  # canvas px per thumbnail sample: a dab this wide always moves one
MIN_SIDE, MAX_SIDE = 128, 512


def thumbnail_side(doc: Any) -> int:
    return max(MIN_SIDE, min(MAX_SIDE, -(-max(doc.width(), doc.height()) // STEP)))


def digest(thumb: Any, bounds: tuple) -> str:
    """Digest of a thumbnail's pixels and the content's bounds (a move or a canvas resize
    changes those, not always the thumbnail)."""
    h = hashlib.blake2b(repr(bounds).encode(), digest_size=16)
    if thumb is not None and not thumb.isNull():
        ptr = thumb.constBits()
        if hasattr(ptr, "setsize"):  # PyQt5 sip.voidptr needs a size before it can be read
            ptr.setsize(thumb.sizeInBytes() if hasattr(thumb, "sizeInBytes")
                        else thumb.byteCount())
        h.update(bytes(ptr))
    return h.hexdigest()


class ThumbnailDigests:
    """The digest of a node's thumbnail (and bounds), remembered per node key with the
    thumbnail's cacheKey: a thumbnail Krita handed out last time keeps its digest, so nothing
    is hashed while nobody paints. `hashed` counts the digests really computed (tests)."""

    def __init__(self) -> None:
        self._last: Dict[str, Tuple[int, tuple, str]] = {}
        self.hashed = 0

    def __call__(self, key: str, thumb: Any, bounds: tuple) -> str:
        last = self._last.get(key)
        if last is not None and last[:2] == (thumb.cacheKey(), bounds):
            return last[2]
        sig = digest(thumb, bounds)
        self.hashed += 1
        self._last[key] = (thumb.cacheKey(), bounds, sig)
        return sig


class ContentWatch:
    """What the preview's content looked like at the previous poll; `changed` says whether it
    moved since then for the SAME content (another layer or document is the active-layer
    watch's business, not paint)."""

    def __init__(self) -> None:
        self.key: Optional[Tuple[str, Optional[str]]] = None
        self.sig: Optional[str] = None
        self.thumbs = ThumbnailDigests()
        self.last_ms = 0.0  # what the last poll cost (tests, the log)

    @property
    def digests(self) -> int:
        """How many polls had to hash pixels (tests)."""
        return self.thumbs.hashed

    def changed(self, doc: Any, node: Optional[Any]) -> bool:
        t = time.perf_counter()
        root = doc.rootNode()
        key = (str(root.uniqueId().toString()),
               node.uniqueId().toString() if node is not None else None)
        side = thumbnail_side(doc)
        if node is None:
            thumb, bounds = root.thumbnail(side, side), (doc.width(), doc.height())
        else:
            b = node.bounds()
            thumb, bounds = node.thumbnail(side, side), (b.x(), b.y(), b.width(), b.height())
        if key != self.key:
            self.thumbs = ThumbnailDigests()  # only the content now shown is remembered
        sig = self.thumbs(repr(key), thumb, bounds)
        moved = key == self.key and sig != self.sig
        self.key, self.sig = key, sig
        self.last_ms = (time.perf_counter() - t) * 1000
        return moved

    def forget(self) -> None:
        """Nothing previewed (no document): the next poll starts afresh."""
        self.key = self.sig = None
