"""A Krita animated paint layer <-> frames: which keyframes a job stylizes, reading each key's
pixels, and the ONE new animated layer holding the results. Main thread only.

What Krita's scripting API allows (checked in real Krita 5.1.5, kritarunner and the GUI):
- `Node.pixelDataAtTime(x, y, w, h, t)` answers only AT a keyframe; a held frame reads empty,
  so a job works on the keys and their times (holds stay holds);
- no call creates a keyframe or writes pixels at a time. `Node.duplicate()` keeps the keys, and
  `setPixelData` after `Document.setCurrentTime(t)` writes the key at t — also while the copy is
  not in the layer stack yet. So the result is the source's duplicate, written key by key while
  detached (the user sees nothing half-made; Cancel just drops it) and inserted at the end: the
  insertion is the one undo step, as for stills;
- reading the layer itself, never the projection, keeps onion skins out of the input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional

import numpy as np

from . import color
from .layers import Rect, check_color_space
from .pixels import ColorSpaceError, selection_mask

#: JobSettings.frames: the active layer's current frame (a still), every keyframe of the
#: animation, or the keys that show inside the playback range
FRAMES = ("current", "keys", "range")


@dataclass
class Clip:
    """The keys a job stylizes and where their pixels are."""

    node: Any
    times: List[int]  # the keys to stylize, ascending
    others: List[int]  # the layer's other keys (outside the playback range): left empty
    rect: Rect  # the canvas: where every frame is read and written
    space: color.Space  # the layer's colour space
    mask: Optional[np.ndarray]  # the selection (HxW 0..1), the same for every frame
    restore_time: int  # the document's current time before the job


def key_times(doc: Any, node: Any, start: int, end: int) -> List[int]:
    return [t for t in range(start, end + 1) if node.hasKeyframeAtTime(t)]


def plan(doc: Any, node: Any, frames: str) -> Clip:
    """The clip of `node` for the Frames choice "keys" or "range", or a ColorSpaceError whose
    message says in one line why it cannot be stylized as an animation."""
    check_color_space(doc)
    name = node.name()
    if node.type() != "paintlayer":
        raise ColorSpaceError(
            f"'{name}' is a {node.type()}: animations are stylized from an animated paint "
            "layer. Select one, or choose Frames › Current frame.")
    if not node.animated():
        raise ColorSpaceError(
            f"The layer '{name}' is not animated: choose Frames › Current frame to stylize it "
            "as a still, or add keyframes to it on the Timeline.")
    first, last = doc.fullClipRangeStartTime(), doc.fullClipRangeEndTime()
    every = key_times(doc, node, first, last)
    times = every
    if frames == "range":
        lo, hi = doc.playBackStartTime(), doc.playBackEndTime()
        # the key that shows at the start of the range is held into it: it belongs too
        before = [t for t in key_times(doc, node, min(first, lo), lo) if t <= lo]
        times = sorted(set(before[-1:] + [t for t in times if lo <= t <= hi]))
    if not times:
        where = "in the playback range" if frames == "range" else "on the timeline"
        raise ColorSpaceError(f"The layer '{name}' has no keyframe {where}: nothing to stylize.")
    rect = Rect(0, 0, doc.width(), doc.height())
    sel = doc.selection()
    mask = None
    if sel is not None and sel.width() > 0 and sel.height() > 0:
        mask = selection_mask(bytes(sel.pixelData(rect.x, rect.y, rect.w, rect.h)),
                              rect.w, rect.h)
    others = [t for t in every if t not in times]
    return Clip(node, times, others, rect, color.Space.of(node), mask, doc.currentTime())


def read_key(clip: Clip, t: int) -> np.ndarray:
    """The key at time t as sRGB-encoded straight RGBA (the stills' conversion, color.py)."""
    r = clip.rect
    data = bytes(clip.node.pixelDataAtTime(r.x, r.y, r.w, r.h, t))
    if len(data) == 0:
        raise ColorSpaceError(f"The keyframe at frame {t} of '{clip.node.name()}' is gone.")
    return color.to_srgb(data, r.w, r.h, clip.space)


class ResultLayer:
    """The result: a detached duplicate of the source (same keys, same holds) whose keys are
    overwritten as frames come in; insert() puts it above the source in one undo step."""

    def __init__(self, doc: Any, clip: Clip, name: str) -> None:
        self.doc = doc
        self.clip = clip
        self.layer = clip.node.duplicate()
        self.layer.setName(name)
        self.written: List[int] = []

    def write(self, t: int, rgba: np.ndarray) -> None:
        """Replace the key at time t with `rgba` (sRGB-encoded, the clip's rectangle)."""
        r = self.clip.rect
        b = self._at(t)
        if not b.empty and b.intersect(r) != b:  # paint of the key outside the canvas: clear it
            self._clear(b)
        self.layer.setPixelData(color.from_srgb(rgba, self.clip.space), r.x, r.y, r.w, r.h)
        self.written.append(t)

    def clear_others(self) -> None:
        """The copied keys the job did not stylize (outside the playback range) show nothing:
        the result holds only what was stylized, at the source's times."""
        for t in self.clip.others:
            b = self._at(t)
            if not b.empty:
                self._clear(b)

    def _at(self, t: int) -> Rect:
        """Make t the current time (setPixelData writes the key shown then); the key's bounds."""
        self.doc.setCurrentTime(t)
        self.doc.waitForDone()
        return Rect.of(self.layer.bounds())

    def _clear(self, b: Rect) -> None:
        self.layer.setPixelData(bytes(b.w * b.h * _pixel_size(self.clip.space)),
                                b.x, b.y, b.w, b.h)

    def insert(self, above: Any) -> Any:
        self.clear_others()
        parent = above.parentNode() or self.doc.rootNode()
        parent.addChildNode(self.layer, above)
        self.restore_time()
        self.doc.refreshProjection()
        return self.layer

    def restore_time(self) -> None:
        self.doc.setCurrentTime(self.clip.restore_time)


def _pixel_size(space: color.Space) -> int:
    channels = {"GRAYA": 2, "CMYKA": 5}.get(space.model, 4)
    return channels * {"U8": 1, "U16": 2, "F16": 2, "F32": 4}.get(space.depth, 1)
