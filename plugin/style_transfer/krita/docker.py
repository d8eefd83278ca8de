"""The "Style Transfer" docker: content, styles (file / drag & drop / layer / preset, thumbnail and
weight each), strength, scale, colours, model, a live low-resolution preview, Apply / Cancel.

All widgets live on the main thread; renders (preview and apply) run on worker threads through
controller.Job, and every setting change is saved to Krita's settings at once.
"""

from __future__ import annotations

import os
from typing import Any, List, Optional

import numpy as np
from krita import DockWidget, Krita

from . import controller as ctl
from . import layers
from .qt import QIcon, QImage, QPixmap, Qt, QtCore, QTimer, QtWidgets, pyqtSignal

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff);;Presets (*.json)"
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".json")
PREVIEW_SIZE = 256  # the preview renders at this size (longest side)
PREVIEW_HEIGHT = 128  # and is shown at most this tall, so the docker stays compact
THUMB = 48


def _thumbnail(entry: ctl.StyleEntry) -> QIcon:
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


class StyleList(QtWidgets.QListWidget):
    """The style list; accepts image and preset files dropped from a file manager."""

    files_dropped = pyqtSignal(list)

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)
        self.setDragDropMode(QtWidgets.QAbstractItemView.DragDropMode.DropOnly)
        self.setIconSize(QtCore.QSize(THUMB, THUMB))
        self.setMinimumHeight(THUMB * 2 + 8)

    def sizeHint(self) -> QtCore.QSize:
        # two rows by default (Qt's default asks for 192 px); the list scrolls beyond that
        return QtCore.QSize(super().sizeHint().width(), THUMB * 2 + 8)

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        if self.count() == 0:  # say what the empty box is for
            from .qt import QtGui

            p = QtGui.QPainter(self.viewport())
            p.setPen(self.palette().color(QtGui.QPalette.ColorRole.PlaceholderText))
            p.drawText(self.viewport().rect().adjusted(6, 0, -6, 0),
                       int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap),
                       "Drop style images or presets here, or use + Image…")
            p.end()

    def _paths(self, event: Any) -> List[str]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls()
                if u.isLocalFile() and u.toLocalFile().lower().endswith(IMAGE_EXT)]

    def dragEnterEvent(self, event: Any) -> None:
        if self._paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        if self._paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        paths = self._paths(event)
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths)


class StyleTransferDocker(DockWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Style Transfer")
        self.setObjectName("style_transfer_docker")
        self.settings = ctl.load_settings()
        self.ctl = ctl.controller()
        self._preview_job: Optional[ctl.Job] = None
        self._preview_again = False
        self._build()
        self._load_into_widgets()
        self.ctl.progressed.connect(self._on_progress)
        self.ctl.finished.connect(self._on_finished)
        self.ctl.busy_changed.connect(self._on_busy)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(400)  # debounce: one preview after the user pauses
        self._preview_timer.timeout.connect(self._run_preview)
        QTimer.singleShot(0, self._check_setup)

    # -- layout --
    def _build(self) -> None:
        # The docker shares Krita's right column with other dockers, often on a 768 px tall
        # laptop screen: the settings and preview scroll, while the message (errors and the fix
        # for them) stays on top and progress + Apply / Cancel stay at the bottom, always visible.
        root = QtWidgets.QWidget(self)
        outer = QtWidgets.QVBoxLayout(root)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(4)
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        outer.addWidget(self.message)

        body = QtWidgets.QWidget()
        v = QtWidgets.QVBoxLayout(body)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(3)
        form = QtWidgets.QFormLayout()
        form.setVerticalSpacing(3)
        self.content = QtWidgets.QComboBox()
        self.content.addItems(["Active layer", "Visible image"])
        form.addRow("Content", self.content)
        self.styles = StyleList()
        self.styles.setToolTip("Drop style images or presets (.json) here")
        self.styles.files_dropped.connect(self.add_files)
        form.addRow("Styles", self.styles)
        v.addLayout(form)
        row = QtWidgets.QHBoxLayout()
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
        for b in (self.add_file_btn, self.add_layer_btn, self.add_preset_btn, self.remove_btn):
            row.addWidget(b)
        row.addStretch(1)
        v.addLayout(row)

        form2 = QtWidgets.QFormLayout()
        form2.setVerticalSpacing(3)
        self.weight = QtWidgets.QDoubleSpinBox()
        self.weight.setRange(0.0, 10.0)
        self.weight.setSingleStep(0.1)
        self.weight.setToolTip("Weight of the selected style in the blend")
        self.save_preset_btn = QtWidgets.QPushButton("Save as preset…")
        self.save_preset_btn.setToolTip("Store the style (or blend of styles) for later use")
        self.save_preset_btn.clicked.connect(self._save_preset)
        wrow = QtWidgets.QHBoxLayout()  # one row: the weight belongs to the selected style
        wrow.addWidget(self.weight, 1)
        wrow.addWidget(self.save_preset_btn)
        form2.addRow("Weight", wrow)
        self.strength = QtWidgets.QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(0, 100)
        self.strength_label = QtWidgets.QLabel()
        self.strength_label.setMinimumWidth(self.strength_label.fontMetrics().horizontalAdvance(
            "100 %") + 4)  # the slider does not jump when the number gets a digit
        srow = QtWidgets.QHBoxLayout()
        srow.addWidget(self.strength)
        srow.addWidget(self.strength_label)
        form2.addRow("Strength", srow)
        self.scale = QtWidgets.QDoubleSpinBox()
        self.scale.setRange(0.0, 4.0)
        self.scale.setSingleStep(0.25)
        self.scale.setSpecialValueText("Auto")  # shown at 0: let the engine pick the scale
        self.scale.setSuffix("×")
        self.scale.setToolTip("Style scale: smaller = bigger brush strokes; Auto fits ~1024 px")
        self.model = QtWidgets.QComboBox()
        self.model.addItem("Fast (int8)", "int8")
        self.model.addItem("Quality (f16)", "f16")
        self.model.addItem("Fastest (full int8)", "int8-fixed")
        self.model.setToolTip("Fast (int8): close to f16. Quality (f16): the original network, "
                              "slower. Fastest: full-integer, colours less exact")
        mrow = QtWidgets.QHBoxLayout()  # scale and model share a row: the docker stays short
        mrow.addWidget(self.scale)
        mrow.addWidget(QtWidgets.QLabel("Model"))
        mrow.addWidget(self.model, 1)
        form2.addRow("Scale", mrow)
        v.addLayout(form2)

        crow = QtWidgets.QHBoxLayout()
        self.preserve = QtWidgets.QCheckBox("Preserve colours")
        self.live = QtWidgets.QCheckBox("Live preview")
        self.live.setChecked(True)
        crow.addWidget(self.preserve)
        crow.addWidget(self.live)
        crow.addStretch(1)
        v.addLayout(crow)
        self.preview = QtWidgets.QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(PREVIEW_HEIGHT // 2)
        self.preview.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                                   QtWidgets.QSizePolicy.Policy.Preferred)
        self._preview_pix = QPixmap()
        v.addWidget(self.preview)
        v.addStretch(1)

        self.scroll = QtWidgets.QScrollArea()
        self.scroll.setWidget(body)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        bar = self.scroll.style().pixelMetric(QtWidgets.QStyle.PixelMetric.PM_ScrollBarExtent)
        self.scroll.setMinimumWidth(body.minimumSizeHint().width() + bar + 2)
        outer.addWidget(self.scroll, 1)

        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.hide()
        outer.addWidget(self.progress)
        brow = QtWidgets.QHBoxLayout()
        self.apply_btn = QtWidgets.QPushButton("Apply")
        self.apply_btn.clicked.connect(self.apply)
        self.cancel_btn = QtWidgets.QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.ctl.cancel)
        brow.addWidget(self.apply_btn)
        brow.addWidget(self.cancel_btn)
        outer.addLayout(brow)
        self.setWidget(root)

        self.content.currentIndexChanged.connect(self._changed)
        self.strength.valueChanged.connect(self._changed)
        self.scale.valueChanged.connect(self._changed)
        self.preserve.toggled.connect(self._changed)
        self.model.currentIndexChanged.connect(self._changed)
        self.weight.valueChanged.connect(self._weight_changed)
        self.styles.currentRowChanged.connect(self._row_changed)
        self.live.toggled.connect(self._changed)

    # -- settings <-> widgets --
    def _load_into_widgets(self) -> None:
        s = self.settings
        self.content.setCurrentIndex(1 if s.whole_image else 0)
        self.strength.setValue(round(s.strength * 100))
        self.strength_label.setText(f"{round(s.strength * 100)} %")
        self.scale.setValue(s.scale or 0.0)
        self.preserve.setChecked(s.preserve_colors)
        self.model.setCurrentIndex(max(0, self.model.findData(s.model)))
        self._refresh_list()

    def _refresh_list(self) -> None:
        row = self.styles.currentRow()
        self.styles.clear()
        for e in self.settings.styles:
            item = QtWidgets.QListWidgetItem(_thumbnail(e), f"{e.name}  ×{e.weight:g}")
            item.setToolTip(f"{e.kind}: {e.path}")
            self.styles.addItem(item)
        if self.settings.styles:
            self.styles.setCurrentRow(min(max(row, 0), len(self.settings.styles) - 1))

    def _changed(self, *_: Any) -> None:
        s = self.settings
        s.whole_image = self.content.currentIndex() == 1
        s.strength = self.strength.value() / 100.0
        self.strength_label.setText(f"{self.strength.value()} %")
        s.scale = self.scale.value() or None
        s.preserve_colors = self.preserve.isChecked()
        s.model = self.model.currentData() or "int8"
        ctl.save_settings(s)
        self.schedule_preview()

    def _row_changed(self, row: int) -> None:
        if 0 <= row < len(self.settings.styles):
            self.weight.blockSignals(True)
            self.weight.setValue(self.settings.styles[row].weight)
            self.weight.blockSignals(False)

    def _weight_changed(self, value: float) -> None:
        row = self.styles.currentRow()
        if 0 <= row < len(self.settings.styles):
            self.settings.styles[row].weight = float(value)
            self.styles.item(row).setText(f"{self.settings.styles[row].name}  ×{value:g}")
            self._changed()

    # -- styles --
    def add_entry(self, entry: ctl.StyleEntry) -> None:
        self.settings.styles.append(entry)
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
            self.add_entry(ctl.StyleEntry(kind, p, name))

    def _pick_files(self) -> None:
        paths, _ = QtWidgets.QFileDialog.getOpenFileNames(self, "Style images", "", IMAGE_FILTER)
        if paths:
            self.add_files(paths)

    def add_layer_style(self, node: Any) -> ctl.StyleEntry:
        entry = ctl.style_from_layer(node)
        self.add_entry(entry)
        return entry

    def _fill_layer_menu(self) -> None:
        self.layer_menu.clear()
        for doc in Krita.instance().documents():
            title = os.path.basename(doc.fileName()) or doc.name() or "Untitled"
            sub = self.layer_menu.addMenu(title)
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
            del self.settings.styles[row]
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

        paths = [s.path for s in self.settings.styles]
        weights = [s.weight for s in self.settings.styles]
        vector = engine.style_mix(paths, weights)
        first = self.settings.styles[0]
        thumb = None
        if first.kind != "preset":
            thumb = layers.qimage_to_rgba(QImage(first.path))[..., :3]
        path = os.path.join(ctl.data_dir("presets"), ctl.safe_name(name) + ".json")
        save_preset(path, name, vector, thumb)
        self.show_message(f"Saved preset '{name}'.")
        return path

    # -- preview --
    def schedule_preview(self) -> None:
        if self.live.isChecked() and self.isVisible():
            self._preview_timer.start()

    def _run_preview(self) -> None:
        if self._preview_job is not None:  # newest settings win: cancel and go again after
            self._preview_again = True
            self._preview_job.cancel()
            return
        doc = Krita.instance().activeDocument()
        if doc is None or not self.settings.styles:
            self._preview_pix = QPixmap()
            self.preview.clear()
            self.preview.setMinimumHeight(PREVIEW_HEIGHT // 2)
            return
        try:
            engine = self.ctl.engine()
            if ctl.check_ready(engine, self.settings.model):
                return
            src = doc if self.settings.whole_image or doc.activeNode() is None else doc.activeNode()
            w, h = doc.width(), doc.height()
            f = PREVIEW_SIZE / max(w, h, 1)
            img = src.thumbnail(max(1, round(w * f)), max(1, round(h * f)))
            content = layers.qimage_to_rgba(img)
        except ctl.EngineSetupError as e:
            self.show_message(str(e))
            return
        from ..engine import RenderOptions

        s = self.settings
        styles, weights = [e.path for e in s.styles], [e.weight for e in s.styles]
        opts = RenderOptions(strength=s.strength, scale=1.0, preserve_colors=s.preserve_colors,
                             model=s.model)
        job = ctl.Job(lambda p, t: engine.stylize(content, styles, weights, opts, None, t))
        job.succeeded.connect(self._preview_done)
        job.failed.connect(lambda msg: self._preview_end())
        job.cancelled.connect(self._preview_end)
        self._preview_job = job
        job.start()

    def _preview_done(self, out: np.ndarray) -> None:
        self._preview_pix = QPixmap.fromImage(layers.rgba_to_qimage(out))
        self._show_preview()
        self._preview_end()

    def _show_preview(self) -> None:
        """The preview scaled to the docker's width (at most PREVIEW_HEIGHT tall)."""
        if self._preview_pix.isNull():
            self.preview.clear()
            self.preview.setMinimumHeight(PREVIEW_HEIGHT // 2)
            return
        w = max(64, self.preview.width() - 4)
        pix = self._preview_pix.scaled(w, PREVIEW_HEIGHT, Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
        # the scroll area squeezes its content down to the minimum heights before it scrolls:
        # without this the preview would be cut off instead of scrolled to
        self.preview.setMinimumHeight(max(PREVIEW_HEIGHT // 2, pix.height()))
        self.preview.setPixmap(pix)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self._fit_message)
        if not self._preview_pix.isNull():
            QTimer.singleShot(0, self._show_preview)  # after the layout gave the label its width

    def _preview_end(self) -> None:
        self._preview_job = None
        if self._preview_again:
            self._preview_again = False
            self._preview_timer.start()

    # -- apply --
    def apply(self) -> None:
        self.show_message("")
        error = self.ctl.apply(self.settings)
        if error:
            self.show_message(error)

    def _on_busy(self, busy: bool) -> None:
        self.apply_btn.setEnabled(not busy)
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
        self._fit_message()

    def _fit_message(self) -> None:
        """The message (often: what is missing and the command that fixes it) is never cut off:
        it claims its full word-wrapped height, and the settings below scroll instead."""
        if not self.message.text():
            self.message.setMinimumHeight(0)
            return
        width = self.message.width() if self.message.width() > 50 else self.width() - 8
        self.message.setMinimumHeight(self.message.heightForWidth(max(50, width)))

    def _check_setup(self) -> None:
        try:
            engine = self.ctl.engine()
        except ctl.EngineSetupError as e:
            self.show_message(str(e))
            return
        problem = ctl.check_ready(engine, self.settings.model)
        if problem:
            self.show_message(problem)

    def canvasChanged(self, canvas: Any) -> None:  # Krita API; canvas may be None
        self.schedule_preview()
