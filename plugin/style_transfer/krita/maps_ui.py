"""The docker's "Regions and maps" part: limit the selected style to a region, a strength map and
a stroke-size map (common/maps.py says what they mean, map_layers.py reads them).

A region or map comes from the active selection (snapshotted to a PNG: a selection changes with
every click) or from the active paint layer / selection mask (read live at Apply and preview,
so painting on it counts). A mixin of StyleTransferDocker, which owns the style list and the
settings; the part folds away (Section), so the docker still fits a 768 px screen.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

from ..common.settings import JobSettings, MapRef
from . import controller as ctl
from . import map_layers
from .qt import QAction, QtWidgets
from .widgets import Section

SOURCES = (("selection", "From the selection"), ("layer", "From the active layer"))
MAPS = {"strength": "strength_map", "scale": "scale_map"}


def _box(*widgets: Any, stretch: Any = QtWidgets.QLabel) -> QtWidgets.QHBoxLayout:
    """A row of widgets; those of type `stretch` take the spare width."""
    row = QtWidgets.QHBoxLayout()
    row.setSpacing(3)
    for w in widgets:
        row.addWidget(w, 1 if isinstance(w, stretch) else 0)
    return row


def style_text(entry: Any) -> str:
    """A row of the style list: name, weight and where it paints."""
    text = f"{entry.name}  ×{entry.weight:g}"
    return text + (f" — region: {entry.region.name}" if entry.region is not None else "")


class MapsMixin:
    """"Use as region" / "Whole picture", strength and stroke-size maps, for the docker."""

    settings: JobSettings
    styles: Any
    show_message: Any
    settings_changed: Any
    settings_in_use: Any
    document: Any

    def _build_maps(self) -> Section:
        self.maps_section = Section("Regions and maps")
        form = QtWidgets.QFormLayout(self.maps_section.body)
        form.setContentsMargins(8, 0, 0, 0)
        form.setVerticalSpacing(3)
        self.region_actions = []
        for source, label in SOURCES:
            act = QAction(f"Use as region: {label.lower()}", self.styles)
            act.triggered.connect(lambda _=False, s=source: self.use_as_region(s))
            self.region_actions.append(act)
        whole = QAction("Whole picture (no region)", self.styles)
        whole.triggered.connect(lambda _=False: self.clear_region())
        self.region_actions.append(whole)
        # the same three on the style list's right-click menu
        self.styles.addActions(self.region_actions)
        self.styles.setContextMenuPolicy(self._actions_menu_policy())
        self.region_btn = self._menu_button("Use as region", self.region_actions[:2])
        self.region_btn.setToolTip("Limit the selected style to the active selection, or to the "
                                   "active paint layer / selection mask (white = this style). "
                                   "Styles without a region paint the rest.")
        self.whole_btn = QtWidgets.QToolButton(text="Whole picture")
        self.whole_btn.setToolTip("The selected style paints everywhere no region claims")
        self.whole_btn.clicked.connect(lambda: self.clear_region())
        form.addRow("Style", _box(self.region_btn, self.whole_btn, QtWidgets.QLabel()))
        self.map_labels = {}
        for which, title, help_text in (
                ("strength", "Strength", "Per-pixel strength: white = the Strength setting, "
                 "black or unpainted = none"),
                ("scale", "Strokes", "Per-pixel stroke size: the style scale goes from the one "
                 "set for black (or unpainted) to the one for white; it replaces Scale (0.5× "
                 "paints strokes twice as large as 1×)")):
            label = QtWidgets.QLabel("none")
            label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                                QtWidgets.QSizePolicy.Policy.Preferred)
            label.setToolTip(help_text)
            self.map_labels[which] = label
            acts = []
            for source, text in SOURCES:
                act = QAction(text, self.maps_section)
                act.triggered.connect(lambda _=False, w=which, s=source: self.set_map(w, s))
                acts.append(act)
            button = self._menu_button("Set", acts)
            button.setToolTip(help_text)
            clear = QtWidgets.QToolButton(text="Clear")
            clear.clicked.connect(lambda _=False, w=which: self.clear_map(w))
            setattr(self, f"{which}_map_btn", button)
            setattr(self, f"{which}_clear_btn", clear)
            form.addRow(title, _box(label, button, clear))
        self.scale_lo, self.scale_hi = (self._scale_spin(), self._scale_spin())
        # the two sizes mean something only with a stroke-size map: shown then only
        self.sizes = QtWidgets.QWidget()
        sizes = _box(QtWidgets.QLabel("black"), self.scale_lo, QtWidgets.QLabel("white"),
                     self.scale_hi, stretch=QtWidgets.QDoubleSpinBox)
        sizes.setContentsMargins(0, 0, 0, 0)
        self.sizes.setLayout(sizes)
        self.sizes_label = QtWidgets.QLabel("Scales")
        form.addRow(self.sizes_label, self.sizes)
        self._load_maps_into_widgets()
        return self.maps_section

    @staticmethod
    def _actions_menu_policy() -> Any:
        from .qt import Qt

        return Qt.ContextMenuPolicy.ActionsContextMenu

    def _menu_button(self, text: str, actions: list) -> Any:
        button = QtWidgets.QToolButton(text=text)
        button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QtWidgets.QMenu(button)
        menu.addActions(actions)
        button.setMenu(menu)
        return button

    @staticmethod
    def _scale_spin() -> Any:
        spin = QtWidgets.QDoubleSpinBox()
        spin.setRange(0.25, 4.0)
        spin.setSingleStep(0.25)
        spin.setSuffix("×")
        spin.setToolTip("The style scale where the stroke-size map is black / white (0.5× "
                        "paints strokes twice as large as 1×)")
        return spin

    def _load_maps_into_widgets(self) -> None:
        """The map names and whether the two stroke sizes show (their values: binding.py)."""
        s = self.settings
        for which, field in MAPS.items():
            ref = getattr(s, field)
            self.map_labels[which].setText(ref.name if ref else "none")
        self.sizes.setVisible(s.scale_map is not None)
        self.sizes_label.setVisible(s.scale_map is not None)

    # -- taking a map from Krita --
    def _map_from(self, source: str) -> Optional[MapRef]:
        """A MapRef from the active document's selection or active layer, or None after
        saying why not."""
        doc = self.document()
        if doc is None:
            self.show_message("Open a document first.")
            return None
        try:
            if source == "selection":
                return map_layers.ref_from_selection(doc, ctl.data_dir("maps"))
            return map_layers.ref_from_node(doc.activeNode())
        except map_layers.MapError as e:
            self.show_message(str(e))
            return None

    def _after(self, ref: MapRef, what: str) -> None:
        """Say what was set, and what the user does next (the normal flow)."""
        if ref.kind == "file":
            hint = ("Deselect before Apply (Select › Deselect): a selection also limits what "
                    "Apply paints.")
        else:
            hint = (f"Painting on '{ref.name}' counts (it is read at Apply). Select the layer "
                    "to stylize before Apply.")
        self.show_message(f"{what} {hint}")
        self.settings_changed()
        if ref.kind == "file":  # the snapshots nothing refers to any more go
            map_layers.prune(ctl.data_dir("maps"), self.settings_in_use())

    def use_as_region(self, source: str) -> Optional[MapRef]:
        """The selected style paints only where `source` ("selection" | "layer") is white."""
        row = self.styles.currentRow()
        if not 0 <= row < len(self.settings.styles):
            self.show_message("Select a style in the list first.")
            return None
        ref = self._map_from(source)
        if ref is None:
            return None
        self._set_region(row, ref)
        self._after(ref, f"{self.settings.styles[row].name} paints in '{ref.name}'; styles "
                         "without a region paint the rest.")
        return ref

    def clear_region(self) -> None:
        row = self.styles.currentRow()
        if 0 <= row < len(self.settings.styles):
            self._set_region(row, None)
            self.settings_changed()

    def _set_region(self, row: int, ref: Optional[MapRef]) -> None:
        styles = list(self.settings.styles)
        styles[row] = dataclasses.replace(styles[row], region=ref)
        self.settings = self.settings.replace(styles=styles)
        self.styles.item(row).setText(style_text(styles[row]))

    def set_map(self, which: str, source: str) -> Optional[MapRef]:
        """The strength ("strength") or stroke-size ("scale") map from `source`."""
        ref = self._map_from(source)
        if ref is None:
            return None
        self.settings = self.settings.replace(**{MAPS[which]: ref})
        self._load_maps_into_widgets()
        what = ("Strength follows '{}' (white = the Strength setting, black = none)."
                if which == "strength" else
                "Stroke size follows '{}' (black to white: the two Scales below).")
        self._after(ref, what.format(ref.name))
        return ref

    def clear_map(self, which: str) -> None:
        self.settings = self.settings.replace(**{MAPS[which]: None})
        self._load_maps_into_widgets()
        self.settings_changed()
