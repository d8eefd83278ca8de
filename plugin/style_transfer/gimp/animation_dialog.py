"""The animation procedure's dialog, made of the stills dialog's pieces: the style rows with
their regions (style_rows.py), the rendering options with Stability and the strength map
(map_choice.py), and the preview (preview_pane.py) of the first frame.

OK checks the settings with the dialog still open (a problem is shown there, one line); then
the dialog closes and the clip is painted with GIMP's progress bar in the image window, whose
Cancel stops it with nothing created (animation.py).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import gi

gi.require_version("GimpUi", "3.0")
gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, Gimp, GimpUi, GLib, Gtk  # noqa: E402

from . import animation, args, job  # noqa: E402
from .dialog import HELP_KEYS, HELP_RESPONSE, show_help  # noqa: E402
from .gtk_util import lay_out_columns  # noqa: E402
from .host import Engines, describe_failure, log  # noqa: E402
from .map_choice import MapChoice, connect_sync  # noqa: E402
from .preview_pane import PreviewPane  # noqa: E402
from .style_rows import StyleRows  # noqa: E402

TITLE = "Style Transfer (Animation)"


class AnimationDialog:
    def __init__(self, procedure: Gimp.Procedure, config: Gimp.ProcedureConfig,
                 image: Gimp.Image) -> None:
        self.config = config
        self.image = image
        self.clip = animation.plan(image)
        self.engine = Engines()
        GimpUi.init("style-transfer")
        self.dialog = GimpUi.ProcedureDialog.new(procedure, config, TITLE)
        gimp_help = self.dialog.get_widget_for_response(Gtk.ResponseType.HELP)
        if gimp_help is not None:  # GIMP's would open its missing-manual box
            gimp_help.hide()
            gimp_help.set_no_show_all(True)
        self.dialog.add_button("_Help", HELP_RESPONSE)
        self.dialog.connect("key-press-event", self._on_key)
        self.message = Gtk.Label()
        self.message.set_line_wrap(True)
        self.message.set_max_width_chars(60)
        self.message.set_selectable(True)
        self.styles = StyleRows(self.dialog, config, image, self.engine, self.show_message)
        for name in ("strength", "style-scale", "stability"):
            self.dialog.get_spin_scale(name, 1.0).set_digits(2)
        self.dialog.get_label("render-title", "Rendering", False, False)
        box = self.dialog.fill_box("render-box", ["strength", "stability", "style-scale",
                                                  "preserve-colors", "model", "runtime"])
        self.strength_map = MapChoice(
            config, image, "strength-map", "None (Strength everywhere)",
            "A channel or layer mask: white = Strength, black = the picture's own style")
        row = Gtk.Box(spacing=6)
        label = Gtk.Label.new_with_mnemonic("Stren_gth map:")
        label.set_mnemonic_widget(self.strength_map.combo)
        row.pack_start(label, False, False, 0)
        row.pack_start(self.strength_map.combo, True, True, 0)
        box.pack_start(row, False, False, 0)
        box.reorder_child(row, 1)  # right below Strength
        self._choices: List[MapChoice] = [*self.styles.regions, self.strength_map]
        connect_sync(config, self._choices)
        self.dialog.connect("focus-in-event", self._refresh_maps)
        render = self.dialog.fill_frame("render-frame", "render-title", False, "render-box")
        clip = self.clip
        first = clip.frames[0]
        summary = Gtk.Label(xalign=0.0)
        summary.set_line_wrap(True)
        summary.set_max_width_chars(60)
        summary.set_text(
            f"{len(clip.frames)} frames ({clip.width}×{clip.height}), the bottom layer first. "
            "OK makes a new image with one stylized layer per frame; this image stays as "
            "it is.")
        self.preview = PreviewPane(
            self._first_frame(), None, engine=self.engine,
            settings=lambda: animation.settings_from_config(config), problem=self._problem,
            masks=self._masks)
        self.preview.widget.set_label(f"Preview: frame 1, “{first.name.name}”")
        lay_out_columns(self.dialog, [summary, self.styles.widget, render, self.message],
                        self.preview.widget)
        self.dialog.connect("response", self._on_response)
        config.connect("notify", self._changed)
        self.dialog.set_default_response(Gtk.ResponseType.OK)

    # -- pieces --
    def _first_frame(self) -> Any:
        try:
            return next(animation.frames(self.clip))
        except Exception as exc:  # OK reports it again
            self.show_message(describe_failure(exc))
            return None

    def _problem(self, settings: Any) -> Optional[str]:
        try:
            args.check_settings(settings)
        except args.PlugInError as exc:
            return str(exc)
        return None

    def _masks(self, settings: Any) -> Dict[Any, Any]:
        if not settings.uses_maps:
            return {}
        return job.read_maps(self.image, settings, 0, 0, self.clip.width, self.clip.height)

    def _refresh_maps(self, *_args: Any) -> bool:
        for choice in self._choices:
            choice.refresh()
        return False

    def show_message(self, text: str) -> None:
        self.message.set_markup(f"<b>{GLib.markup_escape_text(text)}</b>" if text else "")

    def _changed(self, *_args: Any) -> None:
        self.show_message("")
        self.preview.schedule()

    def _on_key(self, _widget: Any, event: Any) -> bool:
        if Gdk.keyval_name(event.keyval) in HELP_KEYS:
            show_help(self.dialog)
            return True
        return False

    def _on_response(self, _dialog: Any, response: int) -> None:
        if response == HELP_RESPONSE:
            self.dialog.stop_emission_by_name("response")
            show_help(self.dialog)

    # -- running --
    def run(self) -> Optional[Any]:
        """The engine to paint with once OK was pressed and the settings are fine; None on
        Cancel."""
        self.dialog.show_all()
        ok = self.dialog.get_widget_for_response(Gtk.ResponseType.OK)
        if ok is not None:
            ok.grab_default()
            ok.grab_focus()
        self.preview.schedule()
        try:
            while self.dialog.run():
                settings = animation.settings_from_config(self.config)
                try:
                    args.check_settings(settings)
                    animation.plan(self.image)  # layers removed while the dialog was open
                    if settings.uses_maps:
                        self._masks(settings)  # a region deleted meanwhile: say so here
                    return self.engine(settings.model)
                except Exception as exc:  # shown in the dialog, which stays open
                    self.show_message(describe_failure(exc))
            return None
        finally:
            self.preview.stop()
            self.dialog.destroy()
            log("animation dialog closed")


def run_dialog(procedure: Gimp.Procedure, config: Gimp.ProcedureConfig,
               image: Gimp.Image) -> Optional[Any]:
    return AnimationDialog(procedure, config, image).run()
