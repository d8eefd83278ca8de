"""The dialog's style section: per slot a thumbnail, a file chooser (image filter + preview), the
weight slider and the region the style paints (map_choice.py); below, a layer of any open image
as a style, and Save as preset.

The procedure's style arguments are path strings (args.py); the choosers write those strings
into the config, so GIMP's Reset / last values / Load Settings keep working.
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable, List

import gi

gi.require_version("GimpUi", "3.0")
import numpy as np  # noqa: E402
from gi.repository import Gegl, Gimp, GimpUi, Gtk  # noqa: E402

from ..engine.folders import layer_styles_dir  # noqa: E402
from .args import STYLE_SLOTS, settings_from_config  # noqa: E402
from .gtk_util import style_filters, style_thumbnail  # noqa: E402
from .map_choice import MapChoice  # noqa: E402

THUMB = 48


def layer_style_folder() -> str:
    """Where a layer used as a style is saved as PNG, so the style outlives its document (and
    works in GIMP's last values / Filters > Repeat): folders.layer_styles_dir."""
    return str(layer_styles_dir())


def save_layer_as_style(layer: Gimp.Layer) -> str:
    w, h = layer.get_width(), layer.get_height()
    data = layer.get_buffer().get(Gegl.Rectangle.new(0, 0, w, h), 1.0, "R'G'B'A u8",
                                  Gegl.AbyssPolicy.NONE)
    rgba = np.frombuffer(bytes(data), dtype=np.uint8).reshape(h, w, 4)
    image = layer.get_image()
    stem = f"{image.get_name() if image else 'image'}-{layer.get_name()}-{layer.get_id()}"
    stem = re.sub(r"[^\w.-]+", "_", stem)[:80]
    path = os.path.join(layer_style_folder(), stem + ".png")
    from ..engine.images import save_image

    save_image(path, rgba)
    return path


class StyleRows:
    def __init__(self, dialog: GimpUi.ProcedureDialog, config: Gimp.ProcedureConfig,
                 image: Gimp.Image, engine: Callable[[str], Any],
                 show_message: Callable[[str], None]) -> None:
        self.dialog = dialog
        self.config = config
        self.image = image
        self.regions: List[MapChoice] = []
        self._engine = engine
        self._message = show_message
        self.choosers: List[Gtk.FileChooserButton] = []
        self.thumbs: List[Gtk.Image] = []
        grid = Gtk.Grid(row_spacing=4, column_spacing=8)
        for i in range(1, STYLE_SLOTS + 1):
            self._add_row(grid, i)
        grid.attach(self._layer_row(), 0, 2 * STYLE_SLOTS, 4, 1)
        self.widget = Gtk.Frame(label="Style images, mixed by weight")
        grid.set_border_width(6)
        self.widget.add(grid)

    def _add_row(self, grid: Gtk.Grid, i: int) -> None:
        thumb = Gtk.Image()
        thumb.set_size_request(THUMB, THUMB)
        chooser = Gtk.FileChooserButton(title=f"Style {i}", action=Gtk.FileChooserAction.OPEN)
        for f in style_filters():
            chooser.add_filter(f)
        chooser.set_hexpand(True)
        preview = Gtk.Image()
        chooser.set_preview_widget(preview)
        chooser.connect("update-preview", self._update_chooser_preview, preview)
        path = str(self.config.get_property(f"style-{i}") or "")
        if path and os.path.isfile(path):
            chooser.set_filename(path)
        chooser.connect("file-set", self._chosen, i)
        # Reset and Load Saved Settings change the config behind the chooser's back.
        self.config.connect(f"notify::style-{i}", lambda *_a, n=i: self._follow(n))
        label = Gtk.Label.new_with_mnemonic(f"Style _{i}")
        label.set_mnemonic_widget(chooser)
        clear = Gtk.Button.new_from_icon_name("edit-clear", Gtk.IconSize.BUTTON)
        clear.set_tooltip_text(f"Leave style {i} out")
        clear.connect("clicked", lambda _b, n=i: self.set_path(n, ""))
        row = 2 * (i - 1)
        grid.attach(thumb, 0, row, 1, 2)
        grid.attach(label, 1, row, 1, 1)
        grid.attach(chooser, 2, row, 1, 1)
        grid.attach(clear, 3, row, 1, 1)
        weight = self.dialog.get_spin_scale(f"weight-{i}", 1.0)
        weight.set_digits(2)
        region = MapChoice(self.config, self.image, f"region-{i}", "Whole picture",
                           f"Where style {i} paints: a channel or layer mask of this image "
                           "(white = here). Styles without a region paint the rest; with "
                           "none, the rest keeps the original.")
        self.regions.append(region)
        below = Gtk.Box(spacing=6)
        below.pack_start(weight, True, True, 0)
        below.pack_start(Gtk.Label(label="in"), False, False, 0)
        below.pack_start(region.combo, False, False, 0)
        grid.attach(below, 1, row + 1, 3, 1)
        self.choosers.append(chooser)
        self.thumbs.append(thumb)
        self._refresh_thumb(i)

    def _layer_row(self) -> Gtk.Box:
        box = Gtk.Box(spacing=6)
        label = Gtk.Label.new_with_mnemonic("Layer as st_yle:")
        self.layers = GimpUi.LayerComboBox.new(None)
        label.set_mnemonic_widget(self.layers)
        use = Gtk.Button.new_with_mnemonic("_Use")
        use.set_tooltip_text("Put the chosen layer (of any open image) into the first free "
                             "style slot")
        use.connect("clicked", self._use_layer)
        save = Gtk.Button.new_with_mnemonic("Sa_ve as preset…")
        save.set_tooltip_text("Save the current mix of styles as one preset (.json) you can "
                              "choose as a style later, in GIMP, Krita or the command line")
        save.connect("clicked", self._save_preset)
        box.pack_start(label, False, False, 0)
        box.pack_start(self.layers, True, True, 0)
        box.pack_start(use, False, False, 0)
        box.pack_start(save, False, False, 0)
        return box

    # -- handlers --
    def _update_chooser_preview(self, chooser: Gtk.FileChooser, image: Gtk.Image) -> None:
        pix = style_thumbnail(chooser.get_preview_filename() or "", 160)
        image.set_from_pixbuf(pix) if pix else image.clear()
        chooser.set_preview_widget_active(pix is not None)

    def _chosen(self, chooser: Gtk.FileChooserButton, i: int) -> None:
        self.set_path(i, chooser.get_filename() or "")

    def set_path(self, i: int, path: str) -> None:
        self.config.set_property(f"style-{i}", path)
        if path:
            self.choosers[i - 1].set_filename(path)
            if float(self.config.get_property(f"weight-{i}")) <= 0.0:
                self.config.set_property(f"weight-{i}", 1.0)
        else:
            self.choosers[i - 1].unselect_all()
        self._refresh_thumb(i)

    def _follow(self, i: int) -> None:
        """Show the config's style-i in its chooser and thumbnail (never writes the config)."""
        path = str(self.config.get_property(f"style-{i}") or "")
        chooser = self.choosers[i - 1] if i <= len(self.choosers) else None
        if chooser is None:
            return
        if not os.path.isfile(path):  # none, or gone: the preview and OK say which
            chooser.unselect_all()
        elif chooser.get_filename() != path:
            chooser.set_filename(path)
        self._refresh_thumb(i)

    def _refresh_thumb(self, i: int) -> None:
        pix = style_thumbnail(str(self.config.get_property(f"style-{i}") or ""), THUMB)
        image = self.thumbs[i - 1]
        image.set_from_pixbuf(pix) if pix else image.clear()

    def _use_layer(self, _button: Gtk.Button) -> None:
        ok, layer_id = self.layers.get_active()
        layer = Gimp.Layer.get_by_id(layer_id) if ok else None
        if layer is None:
            self._message("Choose a layer in the list first.")
            return
        free = [i for i in range(1, STYLE_SLOTS + 1)
                if not self.config.get_property(f"style-{i}")]
        slot = free[0] if free else STYLE_SLOTS
        try:
            self.set_path(slot, save_layer_as_style(layer))
        except Exception as exc:  # a full disk etc.: say it, keep the dialog
            self._message(f"Could not use the layer as a style: {exc}")

    def _save_preset(self, _button: Gtk.Button) -> None:
        settings = settings_from_config(self.config)
        if not settings.active_styles:
            self._message("Choose at least one style to save as a preset.")
            return
        chooser = Gtk.FileChooserDialog(title="Save style preset", transient_for=self.dialog,
                                        action=Gtk.FileChooserAction.SAVE)
        chooser.add_buttons("_Cancel", Gtk.ResponseType.CANCEL, "_Save", Gtk.ResponseType.OK)
        chooser.set_do_overwrite_confirmation(True)
        chooser.set_current_name(" + ".join(s.name for s in settings.active_styles) + ".json")
        try:
            if chooser.run() != Gtk.ResponseType.OK:
                return
            path = chooser.get_filename()
        finally:
            chooser.destroy()
        if not path.lower().endswith(".json"):
            path += ".json"
        try:
            save_preset(self._engine(settings.model), settings, path)
            self._message(f"Saved the preset {path}")
        except Exception as exc:
            self._message(f"Could not save the preset: {exc}")


def save_preset(eng: Any, settings: Any, path: str) -> None:
    """The weighted mix as one vector, with the first style image as its thumbnail."""
    from ..engine.images import load_image
    from ..engine.style import load_preset
    from ..engine.style import save_preset as write

    vector = eng.style_mix(settings.style_paths(), settings.weights(), settings.style_mode)
    first = settings.active_styles[0]
    try:
        thumb = (load_preset(first.path).thumbnail if first.kind == "preset"
                 else load_image(first.path))
    except Exception:  # a preset without a thumbnail is still a preset
        thumb = None
    name = " + ".join(s.name for s in settings.active_styles)
    write(path, name, vector, thumb)

