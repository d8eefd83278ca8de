"""The docker's style list: add styles (image files, dropped files, a layer of any open document,
a preset), remove one, the selected style's weight, and saving the list as a preset. A mixin of
StyleTransferDocker, which owns the widgets and the settings.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, List

import numpy as np
from krita import Krita

from ..common import job_record
from ..common.settings import JobSettings, StyleRef
from . import controller as ctl
from . import layers
from .maps_ui import style_text
from .qt import QIcon, QImage, QPixmap, Qt, QtWidgets
from .widgets import THUMB

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff);;Presets (*.json)"


def thumbnail(entry: StyleRef) -> QIcon:
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
    else:  # a style restored from a document: its picture was saved beside its vector
        path = job_record.thumbnail_of(entry.path) if entry.kind == "vector" else entry.path
        pix = QPixmap.fromImage(QImage(path))
    if pix.isNull():
        return QIcon()
    return QIcon(pix.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                            Qt.TransformationMode.SmoothTransformation))


class StylesMixin:
    """The style list's actions, for StyleTransferDocker."""

    settings: JobSettings
    ctl: ctl.Controller
    styles: Any
    weight: Any
    layer_menu: Any
    preset_menu: Any
    show_message: Any
    settings_changed: Any

    def _refresh_list(self) -> None:
        row = self.styles.currentRow()
        self.styles.clear()
        for e in self.settings.styles:
            item = QtWidgets.QListWidgetItem(thumbnail(e), style_text(e))
            item.setToolTip(f"{e.kind}: {e.path}")
            self.styles.addItem(item)
        if self.settings.styles:
            self.styles.setCurrentRow(min(max(row, 0), len(self.settings.styles) - 1))

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
            self.settings_changed()

    def add_entry(self, entry: StyleRef) -> None:
        self.settings = self.settings.replace(styles=[*self.settings.styles, entry])
        self._refresh_list()
        self.styles.setCurrentRow(len(self.settings.styles) - 1)
        self.settings_changed()

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
            self.settings_changed()

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
        if first.kind not in ("preset", "vector"):
            thumb = layers.qimage_to_rgba(QImage(first.path))[..., :3]
        path = os.path.join(ctl.data_dir("presets"), ctl.safe_name(name) + ".json")
        save_preset(path, name, vector, thumb)
        self.show_message(f"Saved preset '{name}'.")
        return path
