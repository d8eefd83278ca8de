"""The dialog's preview: painted the way Apply paints (common/preview.py: the whole picture at
Apply's working size, or a detail at 100 % of it above 1024 px), with the same model, colours
and strength mix.

It never freezes the dialog: a GLib timeout (re)starts it a moment after the settings stop
changing, a worker thread paints, GLib.idle_add shows the picture on the GTK thread. A newer
request cancels the older render (the engine's CancelToken) and stale results are dropped.

STYLE_TRANSFER_GIMP_PREVIEW_DUMP=folder (tests only): every shown preview is also saved there as
preview.npy (the painted float image) + preview.json (its plan), so a test can compare it with
what Apply paints.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any, Callable, Dict, Optional

import numpy as np
from gi.repository import GLib, Gtk

from ..common import preview
from ..common.settings import JobSettings
from .gtk_util import pixbuf_from_array

DELAY_MS = 400  # settle time after the last change before a new preview starts
SIDE = 360  # px of the preview picture in the dialog
DUMP_ENV = "STYLE_TRANSFER_GIMP_PREVIEW_DUMP"


class PreviewPane:
    def __init__(self, content: Optional[np.ndarray], cover: Optional[np.ndarray],
                 engine: Callable[[str], Any], settings: Callable[[], JobSettings],
                 problem: Callable[[JobSettings], Optional[str]],
                 masks: Callable[[JobSettings], Dict[Any, np.ndarray]]) -> None:
        self.content = content  # the chosen target's pixels, as Apply reads them
        self.cover = cover
        self.caption = ""  # which layer, when several are selected ("" = the only one)
        self._engine = engine
        self._settings = settings
        self._problem = problem
        self._masks = masks  # the job's regions / maps over `content`, read on the GTK thread
        self._timer = 0
        self._generation = 0
        self._cancel: Any = None
        self.image = Gtk.Image()
        self.image.set_size_request(SIDE, SIDE)
        self.label = Gtk.Label(label="Preview")
        self.label.set_line_wrap(True)
        self.label.set_max_width_chars(40)
        box = self._box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=6)
        box.pack_start(self.image, True, True, 0)
        box.pack_start(self.label, False, False, 0)
        self.widget = Gtk.Frame(label="Preview")
        box.set_border_width(6)
        self.widget.add(box)

    def header(self, widget: Gtk.Widget) -> None:
        """A widget above the picture (the dialog's layer choice)."""
        self._box.pack_start(widget, False, False, 0)
        self._box.reorder_child(widget, 0)

    def set_source(self, content: Optional[np.ndarray], cover: Optional[np.ndarray],
                   caption: str) -> None:
        """Preview another layer from now on."""
        self.stop()
        self.content, self.cover, self.caption = content, cover, caption
        self.schedule()

    # -- scheduling (GTK thread) --
    def schedule(self, *_args: Any) -> None:
        if self._timer:
            GLib.source_remove(self._timer)
        self._timer = GLib.timeout_add(DELAY_MS, self._start)

    def stop(self) -> None:
        if self._timer:
            GLib.source_remove(self._timer)
            self._timer = 0
        self._generation += 1
        if self._cancel is not None:
            self._cancel.cancel()

    def _start(self) -> bool:
        self._timer = 0
        self.stop()
        if self.content is None:
            self.image.clear()  # an old picture would look like this layer's
            self.label.set_text("Nothing to preview: the selection does not touch the layer.")
            return False
        settings = self._settings()
        problem = self._problem(settings)
        if problem:
            self.image.clear()  # an old picture would look like these settings' (e.g. after Reset)
            self.label.set_text(problem)
            return False
        h, w = self.content.shape[:2]
        try:
            eng = self._engine(settings.model)
            masks = self._masks(settings)  # a gone channel: its one line, here
            plan = preview.plan_for(settings, h, w)
        except Exception as exc:  # shown in the pane, Apply reports it too
            self.label.set_text(str(exc))
            return False
        from ..engine import CancelToken

        self._cancel = CancelToken()
        generation = self._generation
        what = ("a detail at 100 %" if plan.detail else "the whole picture") + (
            f", painted at {plan.working_hw[1]}×{plan.working_hw[0]} like Apply")
        self.label.set_text(f"Painting {what}…")
        threading.Thread(target=self._work, daemon=True,
                         args=(generation, eng, plan, settings, masks, self._cancel,
                               what)).start()
        return False

    # -- worker thread: engine only, no GIMP or GTK calls --
    def _work(self, generation: int, eng: Any, plan: preview.PreviewPlan,
              settings: JobSettings, masks: Dict[Any, np.ndarray], cancel: Any,
              what: str) -> None:
        start = time.monotonic()
        try:
            x, y, w, h = plan.region
            area = self.content[y:y + h, x:x + w]
            painted = preview.render(eng, area, plan, settings,
                                     whole=self.content if plan.detail else None, cancel=cancel,
                                     masks=masks)
            shown = self._composite(area, painted, plan)
            text = f"Preview of {what} ({time.monotonic() - start:.1f} s)."
            status = getattr(eng, "runtime_status", None)  # what the render ran on, and why
            if status is not None:
                text += f"\nEngine: {status(settings.runtime)}"
            GLib.idle_add(self._show, generation, shown, text, painted, plan, settings)
        except Exception as exc:  # Cancelled included: a newer one runs
            from ..engine import Cancelled

            if not isinstance(exc, Cancelled):
                GLib.idle_add(self._show, generation, None, f"Preview failed: {exc}", None, plan,
                              settings)

    def _composite(self, area: np.ndarray, painted: np.ndarray,
                   plan: preview.PreviewPlan) -> np.ndarray:
        """What the canvas will show: the new layer (alpha x selection x mask) over the source,
        both over white where they are transparent."""
        src = preview.to_size(area, plan.paint_hw)
        a = painted[:, :, 3:4] if painted.shape[2] == 4 else np.ones_like(painted[:, :, :1])
        if self.cover is not None:
            x, y, w, h = plan.region
            cov = preview.to_size(self.cover[y:y + h, x:x + w, None], plan.paint_hw)
            a = a * np.clip(cov[:, :, :1], 0.0, 1.0)
        src_a = src[:, :, 3:4] if src.shape[2] == 4 else np.ones_like(a)
        below = src[:, :, :3] * src_a + (1.0 - src_a)
        out = painted[:, :, :3] * a + below * (1.0 - a)
        return np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)

    # -- GTK thread --
    def _show(self, generation: int, shown: Optional[np.ndarray], text: str,
              painted: Optional[np.ndarray], plan: preview.PreviewPlan,
              settings: JobSettings) -> bool:
        if generation != self._generation:
            return False  # settings changed meanwhile: a newer preview is on its way
        if shown is not None:
            self.image.set_from_pixbuf(pixbuf_from_array(shown, SIDE))
        self.label.set_text(text)
        folder = os.environ.get(DUMP_ENV)
        if folder and painted is not None:
            np.save(os.path.join(folder, "preview.npy"), painted)
            with open(os.path.join(folder, "preview.json"), "w", encoding="utf-8") as f:
                json.dump({"region": plan.region, "paint_hw": plan.paint_hw,
                           "image_hw": plan.image_hw, "working_hw": plan.working_hw,
                           "label": text, "layer": self.caption,
                           "settings": json.loads(settings.to_json())}, f)  # this render's
        return False
