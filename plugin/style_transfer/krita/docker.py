"""The "Style Transfer" docker: styles (file / drag & drop / layer / preset, thumbnail and weight
each), strength, scale, then folding sections for the other options, the regions and maps
(maps_ui.py) and the preview, Apply / Cancel, and — after a zip-only install — what is missing
with the button that fetches it.

Widgets only: the settings are a frozen JobSettings replaced on every change (and saved to
Krita's settings at once); renders, previews and installs run through the controller's workers.
The live preview shows a quick draft (common/draft.py) right after a change and the true
preview once the changes pause; a poll notices paint on the map layers, which Krita does not
signal.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any, List, Optional

import numpy as np
from krita import DockWidget, Krita

from ..common import texts
from ..common.settings import JobSettings, StyleRef
from . import animation, layers, map_layers
from . import controller as ctl
from .maps_ui import MapsMixin, style_text
from .qt import QIcon, QImage, QPixmap, Qt, QTimer, QtWidgets
from .setup_ui import SetupMixin
from .widgets import THUMB, Section, StyleList

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff);;Presets (*.json)"
PREVIEW_HEIGHT = 120  # the preview is shown at most this tall, so the docker stays compact
PREVIEW_TIP = ("The preview paints at Apply's working size: the whole picture, or a detail at "
               "100 % when that is large")
DRAFT_TIP = ("A quick draft of the whole picture while the preview renders: the colours, "
             "strength and regions are right, the strokes are coarser than Apply's")
DRAFT_DELAY_MS = 60  # the first draft of a slider move; then one per draft render (~0.1 s)
PREVIEW_DELAY_MS = 400  # the true preview once the user pauses


def _thumbnail(entry: StyleRef) -> QIcon:
    pix = QPixmap()
    if entry.kind == "preset":
        try:
            from ..engine.style import load_preset

            thumb = load_preset(entry.path).thumbnail
            if thumb is not None:
                rgb = np.asarray(thumb)[..., :3]
                rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]).astype(np.uint8)
                pix = QPixmap.fromImage(layers.rgba_to_qimage(rgba))
        except Exception:  # a preset without a usable thumbnail still works as a style
            pass
    else:
        pix = QPixmap.fromImage(QImage(entry.path))
    if pix.isNull():
        return QIcon()
    return QIcon(pix.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                            Qt.TransformationMode.SmoothTransformation))


def _row(*widgets: Any, stretch: int = -1) -> QtWidgets.QHBoxLayout:
    row = QtWidgets.QHBoxLayout()
    row.setSpacing(3)
    for i, w in enumerate(widgets):
        if isinstance(w, QtWidgets.QLayout):
            row.addLayout(w)
        else:
            row.addWidget(w, 1 if i == stretch else 0)
    return row


class StyleTransferDocker(MapsMixin, SetupMixin, DockWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Style Transfer")
        self.setObjectName("style_transfer_docker")
        self.settings: JobSettings = ctl.load_settings()
        self.ctl = ctl.controller()
        self._setup_job: Optional[ctl.Job] = None
        self._build()
        self._load_into_widgets()
        self.ctl.progressed.connect(self._on_progress)
        self.ctl.finished.connect(self._on_finished)
        self.ctl.busy_changed.connect(self._on_busy)
        self.ctl.preview_ready.connect(self._preview_done)
        self.ctl.preview_failed.connect(self._preview_error)
        self.ctl.draft_ready.connect(self._draft_done)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)  # debounce: restarted by each change
        self._preview_timer.timeout.connect(self._run_preview)
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)  # throttle: NOT restarted by a change
        self._draft_timer.timeout.connect(lambda: self._run_preview(draft=True))
        # ms from a change to its first draft / true preview on screen (tests, the log)
        self._changed_at: Optional[float] = None
        self.preview_times: dict = {}
        # Krita tells a docker when the canvas changes, not when another layer is selected; the
        # preview shows the active layer (and says so when that is one of the maps), so look
        self._active_key: Optional[str] = None
        self._active_timer = QTimer(self)
        self._active_timer.setInterval(700)
        self._active_timer.timeout.connect(self._watch)
        self._map_sigs: dict = {}
        self._preview_node: Any = None  # the layer the preview showed last (_preview_target)
        self._active_timer.start()
        QTimer.singleShot(0, self._check_setup)

    # -- layout --
    def _build(self) -> None:
        # The docker shares Krita's right column with other dockers, often on a 768 px tall
        # laptop screen. What every Apply needs (styles, strength, scale) is on top of the
        # scrolling part, whose minimum height is set so that it shows whole; Apply / Cancel stay
        # below it. Options and preview fold away. A message (errors and their fix) is never
        # cut off: it takes its room from the scrolling part, so the docker's minimum height
        # (and Krita's window) does not grow past a laptop screen (_fit_message).
        root = QtWidgets.QWidget(self)
        outer = QtWidgets.QVBoxLayout(root)
        outer.setContentsMargins(4, 2, 4, 4)
        outer.setSpacing(3)
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        outer.addWidget(self.message)

        self.essentials = QtWidgets.QWidget()
        ev = QtWidgets.QVBoxLayout(self.essentials)
        ev.setContentsMargins(0, 0, 0, 0)
        ev.setSpacing(3)
        self.styles = StyleList()
        self.styles.setToolTip("Drop style images or presets (.json) here")
        self.styles.files_dropped.connect(self.add_files)
        ev.addWidget(self.styles, 1)
        self.add_file_btn = QtWidgets.QToolButton(text="+ Image…")
        self.add_file_btn.clicked.connect(self._pick_files)
        self.add_layer_btn = QtWidgets.QToolButton(text="+ Layer")
        self.add_layer_btn.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.layer_menu = QtWidgets.QMenu(self.add_layer_btn)
        self.layer_menu.aboutToShow.connect(self._fill_layer_menu)
        self.add_layer_btn.setMenu(self.layer_menu)
        self.add_preset_btn = QtWidgets.QToolButton(text="+ Preset")
        self.add_preset_btn.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.preset_menu = QtWidgets.QMenu(self.add_preset_btn)
        self.preset_menu.aboutToShow.connect(self._fill_preset_menu)
        self.add_preset_btn.setMenu(self.preset_menu)
        self.remove_btn = QtWidgets.QToolButton(text="Remove")
        self.remove_btn.clicked.connect(self._remove_selected)
        buttons = _row(self.add_file_btn, self.add_layer_btn, self.add_preset_btn,
                       self.remove_btn)
        buttons.addStretch(1)
        ev.addLayout(buttons)

        form = QtWidgets.QFormLayout()
        form.setVerticalSpacing(3)
        form.setContentsMargins(0, 0, 0, 0)
        self.strength = QtWidgets.QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(0, 100)
        self.strength.setToolTip(texts.STRENGTH_HELP)
        self.strength_label = QtWidgets.QLabel()
        self.strength_label.setMinimumWidth(self.strength_label.fontMetrics().horizontalAdvance(
            "100 %") + 4)  # the slider does not jump when the number gets a digit
        form.addRow(texts.STRENGTH_LABEL, _row(self.strength, self.strength_label, stretch=0))
        self.scale = QtWidgets.QDoubleSpinBox()
        self.scale.setRange(0.0, 4.0)
        self.scale.setSingleStep(0.25)
        self.scale.setSpecialValueText("Auto")  # shown at 0: let the engine pick the scale
        self.scale.setSuffix("×")
        self.scale.setToolTip(texts.SCALE_HELP)
        self.content = QtWidgets.QComboBox()
        self.content.addItems(["Active layer", "Visible image"])
        self.content.setToolTip("What to stylize: the active layer, or everything visible")
        form.addRow("Scale", _row(self.scale, self.content, stretch=1))
        ev.addLayout(form)

        self.options = Section("Options")
        of = QtWidgets.QFormLayout(self.options.body)
        of.setContentsMargins(8, 0, 0, 0)
        of.setVerticalSpacing(3)
        self.weight = QtWidgets.QDoubleSpinBox()
        self.weight.setRange(0.0, 10.0)
        self.weight.setSingleStep(0.1)
        self.weight.setToolTip("Weight of the selected style in the blend")
        self.save_preset_btn = QtWidgets.QPushButton("Save as preset…")
        self.save_preset_btn.setToolTip("Store the style (or blend of styles) for later use")
        self.save_preset_btn.clicked.connect(self._save_preset)
        of.addRow("Weight", _row(self.weight, self.save_preset_btn, stretch=0))
        self.model = QtWidgets.QComboBox()
        for name, label, help_text in texts.model_choices():
            self.model.addItem(label, name)
            self.model.setItemData(self.model.count() - 1, help_text,
                                   Qt.ItemDataRole.ToolTipRole)
        of.addRow("Model", self.model)
        self.runtime = QtWidgets.QComboBox()
        for name, label in texts.RUNTIME_CHOICES:
            self.runtime.addItem(label, name)
        of.addRow("Engine", self.runtime)
        self.preserve = QtWidgets.QCheckBox("Keep the picture's colours")
        self.preserve.setToolTip(texts.KEEP_COLORS_HELP)
        of.addRow("", self.preserve)

        self.anim_section = Section("Animation")
        af = QtWidgets.QFormLayout(self.anim_section.body)
        af.setContentsMargins(8, 0, 0, 0)
        af.setVerticalSpacing(3)
        self.frames = QtWidgets.QComboBox()
        for name, label in texts.FRAMES_CHOICES:
            self.frames.addItem(label, name)
        self.frames.setToolTip(texts.FRAMES_HELP)
        af.addRow("Frames", self.frames)
        self.stability = QtWidgets.QSlider(Qt.Orientation.Horizontal)
        self.stability.setRange(0, 100)
        self.stability.setToolTip(texts.STABILITY_HELP)
        self.stability_label = QtWidgets.QLabel()
        self.stability_label.setMinimumWidth(self.strength_label.minimumWidth())
        af.addRow("Stability", _row(self.stability, self.stability_label, stretch=0))
        self.anim_info = QtWidgets.QLabel()
        self.anim_info.setEnabled(False)  # information, not a control
        self.anim_info.setWordWrap(True)
        af.addRow(self.anim_info)

        self.preview_section = Section("Preview", expanded=True)
        pv = QtWidgets.QVBoxLayout(self.preview_section.body)
        pv.setContentsMargins(8, 0, 0, 0)
        pv.setSpacing(2)
        self.live = QtWidgets.QCheckBox("Live preview")
        self.live.setChecked(True)
        self.preview_caption = QtWidgets.QLabel()
        self.preview_caption.setToolTip(PREVIEW_TIP)
        pv.addLayout(_row(self.live, self.preview_caption, stretch=1))
        self.preview = QtWidgets.QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(32)
        self.preview.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                                   QtWidgets.QSizePolicy.Policy.Preferred)
        self._preview_pix = QPixmap()
        pv.addWidget(self.preview)

        body = QtWidgets.QWidget()
        bv = QtWidgets.QVBoxLayout(body)
        bv.setContentsMargins(0, 0, 0, 0)
        bv.setSpacing(2)
        bv.addWidget(self.essentials, 1)
        bv.addWidget(self.options)
        bv.addWidget(self.anim_section)
        bv.addWidget(self._build_maps())
        bv.addWidget(self.preview_section)
        bv.addStretch(1)
        self.scroll = QtWidgets.QScrollArea()
        self.scroll.setWidget(body)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        bar = self.scroll.style().pixelMetric(QtWidgets.QStyle.PixelMetric.PM_ScrollBarExtent)
        self.scroll.setMinimumWidth(body.minimumSizeHint().width() + bar + 2)
        outer.addWidget(self.scroll, 1)
        self.install_btn = QtWidgets.QPushButton("Install dependencies")
        self.install_btn.setToolTip("Download the packages Style Transfer needs for Krita's own "
                                    "Python into the plugin's folder")
        self.install_btn.clicked.connect(self.install_dependencies)
        self.download_btn = QtWidgets.QPushButton("Download models")
        self.download_btn.setToolTip("Download the model files (about 3 MB, hash-checked)")
        self.download_btn.clicked.connect(self.download_models)
        outer.addLayout(_row(self.install_btn, self.download_btn))
        self.install_btn.hide()
        self.download_btn.hide()
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.hide()
        outer.addWidget(self.progress)
        self.apply_btn = QtWidgets.QPushButton("Apply")
        self.apply_btn.setDefault(True)
        self.apply_btn.clicked.connect(self.apply)
        self.cancel_btn = QtWidgets.QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel)
        outer.addLayout(_row(self.apply_btn, self.cancel_btn, stretch=0))
        self.status = QtWidgets.QLabel()
        self.status.setEnabled(False)  # drawn greyed out: information, not a control
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        self.setWidget(root)
        self._fit_message()

        self.content.currentIndexChanged.connect(self._changed)
        self.strength.valueChanged.connect(self._changed)
        self.scale.valueChanged.connect(self._changed)
        self.preserve.toggled.connect(self._changed)
        self.model.currentIndexChanged.connect(self._changed)
        self.frames.currentIndexChanged.connect(self._changed)
        self.stability.valueChanged.connect(self._changed)
        self.runtime.currentIndexChanged.connect(self._runtime_changed)
        self.weight.valueChanged.connect(self._weight_changed)
        self.styles.currentRowChanged.connect(self._row_changed)
        self.live.toggled.connect(self._changed)
        self.preview_section.toggled.connect(lambda _: self.schedule_preview())

    # -- settings <-> widgets --
    def _load_into_widgets(self) -> None:
        s = self.settings
        for w in (self.content, self.strength, self.scale, self.preserve, self.model,
                  self.runtime, self.frames, self.stability):
            w.blockSignals(True)
        self.content.setCurrentIndex(1 if s.whole_image else 0)
        self.frames.setCurrentIndex(max(0, self.frames.findData(s.frames)))
        stability = texts.default_stability() if s.stability is None else s.stability
        self.stability.setValue(round(stability * 100))
        self.stability_label.setText(f"{self.stability.value()} %")
        self.strength.setValue(round(s.strength * 100))
        self.strength_label.setText(f"{round(s.strength * 100)} %")
        self.scale.setValue(s.scale or 0.0)
        self.preserve.setChecked(s.preserve_colors)
        self.model.setCurrentIndex(max(0, self.model.findData(s.model)))
        self.runtime.setCurrentIndex(max(0, self.runtime.findData(s.runtime)))
        for w in (self.content, self.strength, self.scale, self.preserve, self.model,
                  self.runtime, self.frames, self.stability):
            w.blockSignals(False)
        self._load_maps_into_widgets()
        self._refresh_list()

    def set_settings(self, settings: JobSettings) -> None:
        """Replace the whole settings (tests, presets): widgets follow, saved, preview."""
        self.settings = settings.replace(styles=settings.styles)
        self._load_into_widgets()
        ctl.save_settings(self.settings)
        self.schedule_preview()

    def _refresh_list(self) -> None:
        row = self.styles.currentRow()
        self.styles.clear()
        for e in self.settings.styles:
            item = QtWidgets.QListWidgetItem(_thumbnail(e), style_text(e))
            item.setToolTip(f"{e.kind}: {e.path}")
            self.styles.addItem(item)
        if self.settings.styles:
            self.styles.setCurrentRow(min(max(row, 0), len(self.settings.styles) - 1))

    def _changed(self, *_: Any) -> None:
        self.strength_label.setText(f"{self.strength.value()} %")
        self.stability_label.setText(f"{self.stability.value()} %")
        stability = self.stability.value() / 100.0
        self.settings = self.settings.replace(
            whole_image=self.content.currentIndex() == 1,
            frames=self.frames.currentData() or "current",
            # the engine's default stays "default" (None) until the slider is moved off it
            stability=None if round(stability * 100) == round(texts.default_stability() * 100)
            else stability,
            strength=self.strength.value() / 100.0,
            scale=self.scale.value() or None,
            preserve_colors=self.preserve.isChecked(),
            model=self.model.currentData() or self.settings.model,
            runtime=self.runtime.currentData() or self.settings.runtime,
        )
        ctl.save_settings(self.settings)
        self.schedule_preview()

    def _runtime_changed(self, *_: Any) -> None:
        self._changed()
        self._show_runtime_status()

    def _row_changed(self, row: int) -> None:
        if 0 <= row < len(self.settings.styles):
            self.weight.blockSignals(True)
            self.weight.setValue(self.settings.styles[row].weight)
            self.weight.blockSignals(False)

    def _weight_changed(self, value: float) -> None:
        row = self.styles.currentRow()
        if 0 <= row < len(self.settings.styles):
            styles = list(self.settings.styles)
            styles[row] = dataclasses.replace(styles[row], weight=float(value))
            self.settings = self.settings.replace(styles=styles)
            self.styles.item(row).setText(style_text(styles[row]))
            self._changed()

    # -- styles --
    def add_entry(self, entry: StyleRef) -> None:
        self.settings = self.settings.replace(styles=[*self.settings.styles, entry])
        self._refresh_list()
        self.styles.setCurrentRow(len(self.settings.styles) - 1)
        self._changed()

    def add_files(self, paths: List[str]) -> None:
        for p in paths:
            kind = "preset" if p.lower().endswith(".json") else "file"
            name = os.path.splitext(os.path.basename(p))[0]
            if kind == "preset":
                try:
                    from ..engine.style import load_preset

                    name = load_preset(p).name
                except Exception as e:
                    self.show_message(str(e))
                    continue
            self.add_entry(StyleRef(kind, p, name))

    def _pick_files(self) -> None:
        paths, _ = QtWidgets.QFileDialog.getOpenFileNames(self, "Style images", "", IMAGE_FILTER)
        if paths:
            self.add_files(paths)

    def add_layer_style(self, node: Any) -> StyleRef:
        entry = ctl.style_from_layer(node)
        self.add_entry(entry)
        return entry

    def _fill_layer_menu(self) -> None:
        self.layer_menu.clear()
        for doc in Krita.instance().documents():
            sub = self.layer_menu.addMenu(layers.document_title(doc))
            stack = [(n, 0) for n in reversed(doc.topLevelNodes())]  # top of the stack first
            while stack:
                node, depth = stack.pop(0)
                act = sub.addAction("    " * depth + node.name())
                act.triggered.connect(lambda _=False, n=node: self._add_layer_safely(n))
                stack[0:0] = [(c, depth + 1) for c in reversed(node.childNodes())]

    def _add_layer_safely(self, node: Any) -> None:
        try:
            self.add_layer_style(node)
        except layers.ColorSpaceError as e:
            self.show_message(str(e))

    def _fill_preset_menu(self) -> None:
        self.preset_menu.clear()
        folder = ctl.data_dir("presets")
        names = sorted(f for f in os.listdir(folder) if f.endswith(".json"))
        for f in names:
            act = self.preset_menu.addAction(os.path.splitext(f)[0])
            path = os.path.join(folder, f)
            act.triggered.connect(lambda _=False, p=path: self.add_files([p]))
        if not names:
            self.preset_menu.addAction("(no presets yet)").setEnabled(False)
        self.preset_menu.addSeparator()
        self.preset_menu.addAction("From file…").triggered.connect(self._pick_files)

    def _remove_selected(self) -> None:
        row = self.styles.currentRow()
        if 0 <= row < len(self.settings.styles):
            styles = list(self.settings.styles)
            del styles[row]
            self.settings = self.settings.replace(styles=styles)
            self._refresh_list()
            self._changed()

    def _save_preset(self) -> None:
        if not self.settings.styles:
            self.show_message("Add a style first.")
            return
        default = " + ".join(s.name for s in self.settings.styles)
        name, ok = QtWidgets.QInputDialog.getText(self, "Save style preset", "Name:", text=default)
        if ok and name.strip():
            self.save_preset(name.strip())

    def save_preset(self, name: str) -> str:
        """Store the current style (or blend of styles, by weight) as a reusable preset."""
        engine = self.ctl.engine()
        from ..engine.style import save_preset

        s = self.settings
        vector = engine.style_mix(s.style_paths(), s.weights(), s.style_mode)
        first = s.active_styles[0]
        thumb = None
        if first.kind != "preset":
            thumb = layers.qimage_to_rgba(QImage(first.path))[..., :3]
        path = os.path.join(ctl.data_dir("presets"), ctl.safe_name(name) + ".json")
        save_preset(path, name, vector, thumb)
        self.show_message(f"Saved preset '{name}'.")
        return path

    # -- preview --
    def _live(self) -> bool:
        return self.live.isChecked() and self.preview_section.expanded and self.isVisible()

    def schedule_preview(self) -> None:
        """After a change: a draft soon (and one per draft render while changes keep coming),
        the true preview once they pause. The controller lets the newest request win."""
        if self._live():
            if self._changed_at is None:  # a new burst of changes
                self._changed_at = time.perf_counter()
                self.preview_times = {}
            if not self._draft_timer.isActive():
                self._draft_timer.start()
            self._preview_timer.start()

    def _run_preview(self, draft: bool = False) -> None:
        if self.ctl.busy or self._setup_job is not None:
            self._changed_at = None
            return  # Apply (or an install) has the CPU; a preview follows the next change
        doc = Krita.instance().activeDocument()
        if doc is None or not self.settings.active_styles:
            self._set_preview(QPixmap(), "")
            return
        error = self.ctl.preview(self.settings, doc, self._preview_target(doc), draft=draft)
        if draft:
            return  # its true preview follows and says what is wrong, if anything
        self.preview_caption.setToolTip(error or PREVIEW_TIP)
        if error:  # e.g. a map is gone: the start of the reason, the whole in the tooltip
            self.preview_caption.setText(error if len(error) < 48 else error[:46] + "…")

    def _preview_target(self, doc: Any) -> Any:
        """The layer the preview shows: the active one; while one of the job's map layers is
        active (the painter selected it to paint on it), the layer it showed before, so the
        preview follows the paint instead of saying the map is not the picture."""
        node = doc.activeNode()
        if node is None or self.settings.whole_image:
            return None
        if map_layers.source_problem(self.settings, doc, node) is None:
            self._preview_node = node
            return node
        last = self._preview_node
        last = layers.live_node(doc, last) if last is not None else None
        return last if last is not None else node  # none before: the preview says why not

    def _took(self, what: str) -> None:
        if self._changed_at is not None and what not in self.preview_times:
            self.preview_times[what] = round((time.perf_counter() - self._changed_at) * 1000)
            ctl.log.debug("preview: first %s %d ms after the change", what,
                          self.preview_times[what])

    def _draft_done(self, image: np.ndarray) -> None:
        if self._changed_at is not None:  # the true preview of this change is not shown yet
            self._took("draft")
            h, w = image.shape[:2]
            self._set_preview(QPixmap.fromImage(layers.rgba_to_qimage(_rgba(image))),
                              "Draft, coarser strokes…")
            self.preview_caption.setToolTip(f"{DRAFT_TIP} ({w}×{h} px)")

    def _preview_done(self, image: np.ndarray, plan: Any) -> None:
        wh, ww = plan.working_hw
        # one short line: which part, and the size Apply paints at (the strokes' scale)
        caption = f"Detail at 100 % of {ww}×{wh}" if plan.detail else f"Whole, at {ww}×{wh} px"
        self._set_preview(QPixmap.fromImage(layers.rgba_to_qimage(_rgba(image))), caption)
        self.preview_caption.setToolTip(PREVIEW_TIP)
        if not self._preview_timer.isActive():  # the newest settings' preview: the burst ends
            self._took("preview")
            self._changed_at = None

    def _preview_error(self, message: str) -> None:
        self._changed_at = None
        self.preview_caption.setText("Preview failed (see Apply's message)")
        ctl.log.warning("preview failed: %s", message)

    def _set_preview(self, pix: QPixmap, caption: str) -> None:
        self._preview_pix = pix
        self.preview_caption.setText(caption)
        self._show_preview()

    def _show_preview(self) -> None:
        """The preview scaled to the docker's width (at most PREVIEW_HEIGHT tall)."""
        if self._preview_pix.isNull():
            self.preview.clear()
            self.preview.setMinimumHeight(32)
            return
        w = max(64, self.preview.width() - 4)
        pix = self._preview_pix.scaled(w, PREVIEW_HEIGHT, Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
        # the scroll area squeezes its content down to the minimum heights before it scrolls:
        # without this the preview would be cut off instead of scrolled to
        self.preview.setMinimumHeight(pix.height())
        self.preview.setPixmap(pix)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self._fit_message)
        if not self._preview_pix.isNull():
            QTimer.singleShot(0, self._show_preview)  # after the layout gave the label its width

    # -- apply --
    def apply(self) -> None:
        self.show_message("")
        if self.ctl.preview_job is not None:
            self.ctl.preview_job.cancel()  # Apply gets the CPU
        error = self.ctl.apply(self.settings)
        if error:
            self.show_message(error)

    def cancel(self) -> None:
        if self._setup_job is not None:
            self._setup_job.cancel()
        self.ctl.cancel()

    def focus(self) -> None:
        """Filter › Style Transfer…: bring the docker into view and put the focus on Apply.
        A closed docker comes back floating, so it shows whatever the window's layout."""
        if not self.isVisible():
            self.setFloating(True)
            self.show()
        self.raise_()
        self.activateWindow()
        self.apply_btn.setFocus(Qt.FocusReason.OtherFocusReason)
        self.schedule_preview()

    def _on_busy(self, busy: bool) -> None:
        self.apply_btn.setEnabled(not busy and self._setup_job is None)
        self.cancel_btn.setEnabled(busy)
        self.progress.setVisible(busy)
        self.progress.setValue(0)

    def _on_progress(self, fraction: float, stage: str) -> None:
        self.progress.setValue(round(fraction * 100))
        self.progress.setFormat(f"{stage} %p%")

    def _on_finished(self, layer: Any, message: str) -> None:
        self.show_message(message)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.status.setVisible(not text)  # the status line gives its room to the message
        self._fit_message()

    def _fit_message(self) -> None:
        """The message (often: what is missing and how to fix it) is never cut off: it claims
        its full word-wrapped height, and the sections above scroll instead."""
        used = 0
        if self.message.text():
            width = self.message.width() if self.message.width() > 50 else self.width() - 8
            used = self.message.heightForWidth(max(50, width))
        self.message.setMinimumHeight(used)
        if self.install_btn.isVisible() or self.download_btn.isVisible():
            used += self.install_btn.sizeHint().height()
        whole = (self.essentials.minimumSizeHint().height()
                 + self.options.button.sizeHint().height() + 6)  # + the Options toggle
        self.scroll.setMinimumHeight(max(3 * THUMB // 2, whole - used))

    def canvasChanged(self, canvas: Any) -> None:  # Krita API; canvas may be None
        self.schedule_preview()

    def _watch(self) -> None:
        self._watch_active_layer()
        self._watch_maps()

    def _watch_maps(self) -> None:
        """Krita sends no signal when someone paints on a layer: while the live preview shows,
        compare a thumbnail digest of the job's map layers (map_layers.signatures) with the
        last one and paint a new preview when one changed."""
        if not self._live() or self.ctl.busy:
            return
        doc = Krita.instance().activeDocument()
        if doc is None or not any(r.kind == "node" for r in self.settings.map_refs()):
            self._map_sigs = {}
            return
        sigs = map_layers.signatures(doc, self.settings)
        changed = [k for k, v in sigs.items() if self._map_sigs.get(k, v) != v]
        self._map_sigs = sigs
        if changed:
            self.schedule_preview()

    def _watch_active_layer(self) -> None:
        """A new preview when the user selected another layer (e.g. the photo again after
        setting a map layer as a region)."""
        if not self.isVisible() or self.settings.whole_image:
            return
        doc = Krita.instance().activeDocument()
        # the layer the preview would show: selecting a map layer to paint on it changes none
        node = self._preview_target(doc) if doc is not None else None
        key = node.uniqueId().toString() if node is not None else None
        if key != self._active_key:
            self._show_animation(doc, node)
            first = self._active_key is None
            self._active_key = key
            if not first:
                self.schedule_preview()


    def _show_animation(self, doc: Any, node: Any) -> None:
        """Say what an animation Apply would paint; unfold the part for an animated layer."""
        if doc is None or node is None or not node.animated():
            self.anim_info.setText("The active layer is not animated: Apply paints a still.")
            return
        keys = animation.key_times(doc, node, doc.fullClipRangeStartTime(),
                                   doc.fullClipRangeEndTime())
        self.anim_info.setText(f"'{node.name()}' has {len(keys)} keyframe"
                               f"{'s' if len(keys) != 1 else ''}.")
        self.anim_section.set_expanded(True)


def _rgba(image: np.ndarray) -> np.ndarray:
    """A preview image (float, RGB or RGBA) as RGBA for QImage."""
    if image.ndim == 3 and image.shape[2] == 3:
        alpha = np.ones((*image.shape[:2], 1), image.dtype)
        if image.dtype.kind != "f":
            alpha = alpha * np.iinfo(image.dtype).max
        image = np.concatenate([image, alpha], axis=2)
    return image
