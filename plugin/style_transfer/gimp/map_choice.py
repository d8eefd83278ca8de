"""The dialog's region and strength-map choosers: a list of this image's channels and layer
masks (plus "Whole picture" / "None") per map argument.

A choice goes into the config through args.set_map (the aux string GIMP can save, see
args.MAPS_AUX), so the preview, OK, Reset, Load/Save Settings and Filters > Repeat all see the
same thing. A remembered channel that is not in this image (deleted, or chosen in another
image) stays visible as "(gone)", so the dialog never pretends it is not there: the preview and
OK then say so in one line.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import Gimp, Gtk  # noqa: E402

from . import args  # noqa: E402
from .host import log  # noqa: E402


def map_items(image: Gimp.Image) -> List[Tuple[str, str, str]]:
    """(item id, item name, label) of every channel and layer mask of the image, channels
    first."""
    items = [(str(c.get_id()), c.get_name(), f"Channel “{c.get_name()}”")
             for c in image.get_channels()]

    def masks(layers: List[Any]) -> None:
        for layer in layers:
            mask = layer.get_mask()
            if mask is not None:
                items.append((str(mask.get_id()), mask.get_name(),
                              f"Mask of “{layer.get_name()}”"))
            if layer.is_group():
                masks(list(layer.get_children()))

    masks(list(image.get_layers()))
    return items


class MapChoice:
    """A combo box for one channel argument (args.MAP_ARGS)."""

    def __init__(self, config: Gimp.ProcedureConfig, image: Gimp.Image, name: str,
                 empty: str, tooltip: str) -> None:
        self.config = config
        self.image = image
        self.name = name
        self.empty = empty
        self._syncing = False
        self._items: List[Tuple[str, str, str]] = []  # what the list shows
        self.combo = Gtk.ComboBoxText()
        self.combo.set_tooltip_text(tooltip)
        self.combo.connect("changed", self._changed)
        self.sync()

    def sync(self) -> None:
        """Show what the config holds (after Reset or Load Settings too)."""
        ref = args.chosen_maps(self.config).get(self.name)
        self._syncing = True
        try:
            self.combo.remove_all()
            self.combo.append("", self.empty)
            known: Dict[str, str] = {}
            self._items = map_items(self.image)
            for key, name, label in self._items:
                self.combo.append(key, label)
                known[key] = name
            active = ref.key if ref is not None else ""
            if ref is not None and known.get(ref.key) != ref.name:  # as job.map_channel
                active = f"gone:{ref.key}"  # the bare id may be another channel's today
                self.combo.append(active, f"“{ref.name}” (gone)")
            self.combo.set_active_id(active)
        finally:
            self._syncing = False

    def refresh(self) -> None:
        """sync() when the image's channels / masks changed (added, renamed or deleted in GIMP
        while the dialog is open; the dialog calls this when it gets the focus back)."""
        if not self._syncing and map_items(self.image) != self._items:
            self.sync()
            log(f"{self.name}: the image's channels changed, the list now has "
                + ", ".join(label for _k, _n, label in self._items))

    def follow(self) -> None:
        """sync() when the config names another channel than the combo shows."""
        ref = args.chosen_maps(self.config).get(self.name)
        shown = (self.combo.get_active_id() or "").replace("gone:", "")
        if not self._syncing and shown != (ref.key if ref else ""):
            self.sync()

    def _changed(self, _combo: Gtk.ComboBoxText) -> None:
        if self._syncing:
            return
        key = self.combo.get_active_id() or ""
        if key.startswith("gone:"):
            return  # the "(gone)" entry: keep naming it, the preview and OK explain
        channel: Optional[Gimp.Channel] = None
        if key:
            item = Gimp.Item.get_by_id(int(key))
            channel = item if isinstance(item, Gimp.Channel) else None
            if channel is None:  # deleted while the dialog is open
                return
        args.set_map(self.config, self.name, channel)


def connect_sync(config: Gimp.ProcedureConfig, choices: List[MapChoice]) -> None:
    """Re-show every chooser when the remembered maps change (Reset, Load Settings)."""
    def on_notify(*_args: Any) -> None:
        for choice in choices:
            choice.follow()

    config.connect(f"notify::{args.MAPS_AUX}", on_notify)
