"""The "Style Transfer" docker: styles (file / drag & drop / layer / preset, thumbnail and weight
each), strength, scale, then folding sections for the other options, the regions and maps
(maps_ui.py) and the preview, Apply / Cancel, and — after a zip-only install — what is missing
with the button that fetches it.

This class lays the widgets out. What each control edits is declared in binding.py; the style
list's actions live in styles_ui.py, the regions and maps in maps_ui.py, the setup part in
setup_ui.py; preview_pane.py schedules and shows the live preview and watch.py notices what
Krita does not signal (another document or layer active, paint on a map layer). The settings
are a frozen JobSettings replaced on every change, kept per document (doc_jobs.py) and as the
last used ones; renders, previews and installs run through the controller's workers.
"""

from __future__ import annotations

from typing import Any, List, Optional

from krita import DockWidget, Krita

from ..common import texts
from ..common.settings import JobSettings
from . import animation, binding, doc_jobs, layers
from . import controller as ctl
from .maps_ui import MapsMixin
from .preview_pane import PREVIEW_TIP, PreviewPane
from .preview_window import LargePreview
from .qt import Qt, QTimer, QtWidgets
from .setup_ui import SetupMixin
from .styles_ui import StylesMixin
from .watch import Watcher
from .widgets import THUMB, Section, StyleList


def _row(*widgets: Any, stretch: int = -1) -> QtWidgets.QHBoxLayout:
    row = QtWidgets.QHBoxLayout()
    row.setSpacing(3)
    for i, w in enumerate(widgets):
        if isinstance(w, QtWidgets.QLayout):
            row.addLayout(w)
        else:
            row.addWidget(w, 1 if i == stretch else 0)
    return row


class StyleTransferDocker(StylesMixin, MapsMixin, SetupMixin, DockWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Style Transfer")
        self.setObjectName("style_transfer_docker")
        self.settings: JobSettings = ctl.load_settings()
        self.documents = doc_jobs.Documents()  # each document's settings, this session
        self._doc_key: Optional[str] = None  # whose settings the docker shows
        self.ctl = ctl.controller()
        self._setup_job: Optional[ctl.Job] = None
        self.previews = PreviewPane(self)
        self.large = LargePreview(self)  # the preview over the canvas (preview_window.py)
        self._build()
        self._load_into_widgets()
        self.ctl.progressed.connect(self._on_progress)
        self.ctl.finished.connect(self._on_finished)
        self.ctl.busy_changed.connect(self._on_busy)
        # Krita tells a docker when the canvas changes, not when another layer is selected
        # or painted on: the watcher looks
        self.watcher = Watcher(self)
        self.watcher.start()
        self.sync_document()
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
        self.large_btn = QtWidgets.QToolButton(text="Preview")
        self.large_btn.setCheckable(True)
        self.large_btn.setToolTip("Show the preview over the canvas, as large as the canvas "
                                  "(Ctrl+Alt+P; Esc hides it)")
        self.large_btn.clicked.connect(lambda _=False: self.large.toggle())
        outer.addLayout(_row(self.apply_btn, self.cancel_btn, self.large_btn, stretch=0))
        self.status = QtWidgets.QLabel()
        self.status.setEnabled(False)  # drawn greyed out: information, not a control
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        self.setWidget(root)
        self._fit_message()

        binding.connect(self, self._changed)
        self.runtime.currentIndexChanged.connect(self._show_runtime_status)
        self.weight.valueChanged.connect(self._weight_changed)
        self.styles.currentRowChanged.connect(self._row_changed)
        self.live.toggled.connect(self._changed)
        self.preview_section.toggled.connect(lambda _: self.schedule_preview())

    # -- settings --
    def _load_into_widgets(self) -> None:
        binding.load(self, self.settings)
        self._load_maps_into_widgets()
        self._refresh_list()

    def set_settings(self, settings: JobSettings) -> None:
        """Replace the whole settings (tests, presets): widgets follow, saved, preview."""
        self.settings = settings.replace(styles=settings.styles)
        self._load_into_widgets()
        self.settings_changed()

    def _changed(self, *_: Any) -> None:
        self.settings = binding.read(self, self.settings)
        self.settings_changed()

    def settings_changed(self) -> None:
        """self.settings was replaced: they are the shown document's now (and the last used
        ones); paint a new preview."""
        self.documents.keep(self._doc_key, self.settings)
        self.schedule_preview()

    def settings_in_use(self) -> List[JobSettings]:
        """Every settings whose selection snapshots must stay on disk (map_layers.prune)."""
        return [self.settings, ctl.load_settings("last_applied"), *self.documents.all()]

    def sync_document(self) -> None:
        """Follow the active document (Krita calls canvasChanged; the watcher's poll catches
        what that misses). With none open the last settings stay on show."""
        self.large.document_changed()  # the preview window shows one document's picture
        doc = Krita.instance().activeDocument()
        if doc is not None:
            self.show_document(doc)

    def show_document(self, doc: Any) -> None:
        """Show `doc`'s settings: as left this session, else the job recorded in it, else the
        last used ones without maps (doc_jobs.Documents)."""
        key = layers.doc_key(doc)
        if key == self._doc_key:
            return
        self.documents.forget_closed(layers.doc_key(d) for d in Krita.instance().documents())
        self._doc_key = key
        self.settings, problem = self.documents.settings_for(doc)
        self._load_into_widgets()
        self.show_message(problem or "")
        self.previews.clear()  # never another document's picture under this one's settings
        self.schedule_preview()

    def document(self) -> Optional[Any]:
        """The document whose settings the docker shows (the active one in the GUI)."""
        doc = None if self._doc_key is None else layers.doc_by_key(self._doc_key)
        return doc or Krita.instance().activeDocument()

    # -- preview --
    def schedule_preview(self) -> None:
        self.previews.schedule()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self._fit_message)
        self.previews.resized()

    # -- apply --
    def apply(self) -> None:
        self.show_message("")
        if self.ctl.preview_job is not None:
            self.ctl.preview_job.cancel()  # Apply gets the CPU
        error = self.ctl.apply(self.settings, self.document())
        if error:
            self.show_message(error)

    def cancel(self) -> None:
        self.large.hide()
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
        self.sync_document()
        self.schedule_preview()

    def active_layer_changed(self, doc: Any, node: Any) -> None:
        self._show_animation(doc, node)

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
