"""When the docker's live preview renders and what it shows: a quick draft (common/draft.py)
right after a change, the true preview once the changes pause (the controller runs both on its
preview worker; the newest request wins). The docker lays the widgets out (the "Live preview"
box, the caption, the picture label); this object schedules, picks the layer to show, and fills
the picture and its caption.
"""

from __future__ import annotations

import time
from typing import Any, Optional

import numpy as np
from krita import Krita

from . import controller as ctl
from . import layers, map_layers
from .qt import QObject, QPixmap, Qt, QTimer

PREVIEW_HEIGHT = 120  # the preview is shown at most this tall, so the docker stays compact
PREVIEW_TIP = ("The preview paints at Apply's working size: the whole picture, or a detail at "
               "100 % when that is large")
DRAFT_TIP = ("A quick draft of the whole picture while the preview renders: the colours, "
             "strength and regions are right, the strokes are coarser than Apply's")
DRAFT_DELAY_MS = 60  # the first draft of a slider move; then one per draft render (~0.1 s)
PREVIEW_DELAY_MS = 400  # the true preview once the user pauses


class PreviewPane(QObject):
    """The live preview of `docker` (StyleTransferDocker: its `settings`, `live`,
    `preview_section`, `preview`, `preview_caption` and `_setup_job`)."""

    def __init__(self, docker: Any) -> None:
        super().__init__(docker)
        self.docker = docker
        self.ctl: ctl.Controller = docker.ctl
        self.ctl.preview_ready.connect(self._preview_done)
        self.ctl.preview_failed.connect(self._preview_error)
        self.ctl.draft_ready.connect(self._draft_done)
        self.preview_timer = QTimer(self)
        self.preview_timer.setSingleShot(True)
        self.preview_timer.setInterval(PREVIEW_DELAY_MS)  # debounce: restarted by each change
        self.preview_timer.timeout.connect(self._run)
        self.draft_timer = QTimer(self)
        self.draft_timer.setSingleShot(True)
        self.draft_timer.setInterval(DRAFT_DELAY_MS)  # throttle: NOT restarted by a change
        self.draft_timer.timeout.connect(lambda: self._run(draft=True))
        # ms from a change to its first draft / true preview on screen (tests, the log)
        self.changed_at: Optional[float] = None
        self.times: dict = {}
        self.last_node: Any = None  # the layer the preview showed last (target)
        self.pix = QPixmap()

    def live(self) -> bool:
        d = self.docker
        return d.large.visible or (d.live.isChecked() and d.preview_section.expanded
                                   and d.isVisible())

    def schedule(self) -> None:
        """After a change: a draft soon (and one per draft render while changes keep coming),
        the true preview once they pause. The controller lets the newest request win."""
        if self.live():
            if self.changed_at is None:  # a new burst of changes
                self.changed_at = time.perf_counter()
                self.times = {}
            if not self.draft_timer.isActive():
                self.draft_timer.start()
            self.preview_timer.start()

    @property
    def settled(self) -> bool:
        """No change waits for its preview and none renders (tests)."""
        return (self.changed_at is None and self.ctl.preview_job is None
                and not self.preview_timer.isActive() and not self.draft_timer.isActive())

    def _run(self, draft: bool = False) -> None:
        d = self.docker
        if self.ctl.busy or d._setup_job is not None:
            self.changed_at = None
            return  # Apply (or an install) has the CPU; a preview follows the next change
        doc = Krita.instance().activeDocument()
        if doc is None or not d.settings.active_styles:
            self.set_preview(QPixmap(), "")
            return
        error = self.ctl.preview(d.settings, doc, self.target(doc), draft=draft)
        if draft:
            return  # its true preview follows and says what is wrong, if anything
        d.preview_caption.setToolTip(error or PREVIEW_TIP)
        if error:  # e.g. a map is gone: the start of the reason, the whole in the tooltip
            d.preview_caption.setText(error if len(error) < 48 else error[:46] + "…")

    def target(self, doc: Any) -> Any:
        """The layer the preview shows: the active one; while one of the job's map layers is
        active (the painter selected it to paint on it), the layer it showed before, so the
        preview follows the paint instead of saying the map is not the picture."""
        settings = self.docker.settings
        node = doc.activeNode()
        if node is None or settings.whole_image:
            return None
        if map_layers.source_problem(settings, doc, node) is None:
            self.last_node = node
            return node
        last = self.last_node
        last = layers.live_node(doc, last) if last is not None else None
        return last if last is not None else node  # none before: the preview says why not

    def _took(self, what: str) -> None:
        if self.changed_at is not None and what not in self.times:
            self.times[what] = round((time.perf_counter() - self.changed_at) * 1000)
            ctl.log.debug("preview: first %s %d ms after the change", what, self.times[what])

    def _draft_done(self, image: np.ndarray) -> None:
        if self.changed_at is not None:  # the true preview of this change is not shown yet
            self._took("draft")
            h, w = image.shape[:2]
            self.set_preview(QPixmap.fromImage(layers.rgba_to_qimage(_rgba(image))),
                             "Draft, coarser strokes…")
            self.docker.preview_caption.setToolTip(f"{DRAFT_TIP} ({w}×{h} px)")

    def _preview_done(self, image: np.ndarray, plan: Any) -> None:
        wh, ww = plan.working_hw
        # one short line: which part, and the size Apply paints at (the strokes' scale)
        caption = f"Detail at 100 % of {ww}×{wh}" if plan.detail else f"Whole, at {ww}×{wh} px"
        self.set_preview(QPixmap.fromImage(layers.rgba_to_qimage(_rgba(image))), caption)
        self.docker.preview_caption.setToolTip(PREVIEW_TIP)
        if not self.preview_timer.isActive():  # the newest settings' preview: the burst ends
            self._took("preview")
            self.changed_at = None

    def _preview_error(self, message: str) -> None:
        self.changed_at = None
        self.docker.preview_caption.setText("Preview failed (see Apply's message)")
        ctl.log.warning("preview failed: %s", message)

    def clear(self) -> None:
        """No picture (another document is shown: its preview follows)."""
        self.last_node = None
        self.set_preview(QPixmap(), "")

    def set_preview(self, pix: QPixmap, caption: str) -> None:
        self.pix = pix
        self.docker.preview_caption.setText(caption)
        self.docker.large.set_picture(pix, caption)  # the window over the canvas, if shown
        self.show()

    def show(self) -> None:
        """The preview scaled to the docker's width (at most PREVIEW_HEIGHT tall)."""
        label = self.docker.preview
        if self.pix.isNull():
            label.clear()
            label.setMinimumHeight(32)
            return
        w = max(64, label.width() - 4)
        pix = self.pix.scaled(w, PREVIEW_HEIGHT, Qt.AspectRatioMode.KeepAspectRatio,
                              Qt.TransformationMode.SmoothTransformation)
        # the scroll area squeezes its content down to the minimum heights before it scrolls:
        # without this the preview would be cut off instead of scrolled to
        label.setMinimumHeight(pix.height())
        label.setPixmap(pix)

    def resized(self) -> None:
        if not self.pix.isNull():
            QTimer.singleShot(0, self.show)  # after the layout gave the label its width


def _rgba(image: np.ndarray) -> np.ndarray:
    """A preview image (float, RGB or RGBA) as RGBA for QImage."""
    if image.ndim == 3 and image.shape[2] == 3:
        alpha = np.ones((*image.shape[:2], 1), image.dtype)
        if image.dtype.kind != "f":
            alpha = alpha * np.iinfo(image.dtype).max
        image = np.concatenate([image, alpha], axis=2)
    return image
