"""What Krita does not signal to a docker, noticed by a poll: another document became active
(a docker hears of canvas changes only, and not always), another layer was selected, or someone
painted on one of the job's map layers (a thumbnail digest, map_layers.signatures, per
poll — never a full-size read) or on the picture the preview shows (content_watch.py).
"""

from __future__ import annotations

from typing import Any, Optional

from krita import Krita

from . import map_layers
from .content_watch import ContentWatch, ThumbnailDigests
from .qt import QObject, QTimer

POLL_MS = 700


class Watcher(QObject):
    """Polls for `docker` (StyleTransferDocker): calls its `sync_document()`, its
    `active_layer_changed(doc, node)`
    when the layer the preview shows changed, and `schedule_preview()` when paint on a map
    layer changed the maps."""

    def __init__(self, docker: Any) -> None:
        super().__init__(docker)
        self.docker = docker
        self.active_key: Optional[str] = None
        self.map_sigs: dict = {}
        self.content = ContentWatch()
        self.map_thumbs = ThumbnailDigests()
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.timer.start()

    def poll(self) -> None:
        self.docker.sync_document()
        self._active_layer()
        self._maps()
        self._content()

    def _content(self) -> None:
        """Paint on the layer the preview shows (or on the visible image): a new preview."""
        d = self.docker
        if not d.previews.live() or d.ctl.busy:
            return  # during Apply its own new layer would count as paint on the visible image
        doc = Krita.instance().activeDocument()
        if doc is None:
            self.content.forget()
            return
        node = None if d.settings.whole_image else d.previews.target(doc)
        if self.content.changed(doc, node):
            d.schedule_preview()

    def _maps(self) -> None:
        """Krita sends no signal when someone paints on a layer: while the live preview shows,
        compare a thumbnail digest of the job's map layers with the last one and paint a new
        preview when one changed."""
        d = self.docker
        if not d.previews.live() or d.ctl.busy:
            return
        doc = Krita.instance().activeDocument()
        if doc is None or not any(r.kind == "node" for r in d.settings.map_refs()):
            self.map_sigs = {}
            return
        sigs = map_layers.signatures(doc, d.settings, self.map_thumbs)
        changed = [k for k, v in sigs.items() if self.map_sigs.get(k, v) != v]
        self.map_sigs = sigs
        if changed:
            d.schedule_preview()

    def _active_layer(self) -> None:
        """A new preview when the user selected another layer (e.g. the photo again after
        setting a map layer as a region)."""
        d = self.docker
        if not d.isVisible() or d.settings.whole_image:
            return
        doc = Krita.instance().activeDocument()
        # the layer the preview would show: selecting a map layer to paint on it changes none
        node = d.previews.target(doc) if doc is not None else None
        key = node.uniqueId().toString() if node is not None else None
        if key != self.active_key:
            d.active_layer_changed(doc, node)
            first = self.active_key is None
            self.active_key = key
            if not first:
                d.schedule_preview()

