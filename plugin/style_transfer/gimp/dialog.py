"""The interactive dialog: styles with their regions (style_rows.py, map_choice.py), render
options with the strength and strokes maps, a live preview (preview_pane.py) and Apply run from
the dialog itself.

OK keeps the dialog open until the new layer exists: the inputs are read, the render runs in a
worker thread (GTK stays live), and only then are the layer(s) added in one undo group. Cancel
returns to the dialog at once: the worker is told to stop and left to finish its model call in
the background (seconds on a big picture), its result dropped; the image is not touched. OK
pressed again meanwhile is not lost: it says it waits, then paints once that call ended (Cancel
takes it back); while OK paints, OK is greyed out, so a render never runs twice. Any
error is shown in the dialog, which stays open with the user's settings; the image is untouched
(job.py). OK is the default button, so Enter applies.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any, Dict, Iterator, List, Optional

import gi

gi.require_version("GimpUi", "3.0")
gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, Gimp, GimpUi, GLib, GObject, Gtk  # noqa: E402

from ..common.messages import is_cancel  # noqa: E402
from . import args, job  # noqa: E402
from .gtk_util import lay_out_columns  # noqa: E402
from .host import Engines, describe_failure, log  # noqa: E402
from .map_choice import MapChoice, connect_sync  # noqa: E402
from .preview_pane import PreviewPane  # noqa: E402
from .style_rows import StyleRows  # noqa: E402

HELP_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "help.txt")
HELP_RESPONSE = 77  # our own Help button (GIMP's would open its missing-manual box)
HELP_KEYS = ("F1", "KP_F1")  # GIMP binds these to its help system, i.e. the same missing box
SIZE_ARGS = ("scale-range-black", "scale-range-white")  # the strokes map's two sizes


class Dialog:
    def __init__(self, procedure: Gimp.Procedure, config: Gimp.ProcedureConfig,
                 image: Gimp.Image, drawables: List[Gimp.Drawable]) -> None:
        self.config = config
        self.image = image
        self.drawables = drawables
        self.engine = Engines()
        self._cancel: Any = None
        self._abandoned: Optional[threading.Thread] = None  # a cancelled OK render, finishing
        GimpUi.init("style-transfer")
        self.dialog = GimpUi.ProcedureDialog.new(procedure, config, "Style Transfer")
        self._replace_help_button()
        # Before GTK's key bindings: F1 anywhere in the dialog would reach GIMP's help system.
        self.dialog.connect("key-press-event", self._on_key)
        self.message = Gtk.Label()
        self.message.set_line_wrap(True)
        self.message.set_max_width_chars(60)
        self.message.set_selectable(True)
        self.styles = StyleRows(self.dialog, config, image, self.engine, self.show_message)
        for name in ("strength", "style-scale", *SIZE_ARGS):
            self.dialog.get_spin_scale(name, 1.0).set_digits(2)
        self.dialog.get_label("render-title", "Rendering", False, False)
        box = self.dialog.fill_box("render-box", ["strength", "style-scale",
                                                  "preserve-colors", "model", "runtime"])
        self.strength_map = MapChoice(
            config, image, "strength-map", "None (Strength everywhere)",
            "A channel or layer mask: white = Strength, black = the picture's own style")
        box.pack_start(self._labelled("Stren_gth map:", self.strength_map.combo), False,
                       False, 0)
        box.reorder_child(box.get_children()[-1], 1)  # right below Strength
        # the stroke-size map, as Krita's Maps section: a map, then the sizes at its black and
        # white (the two spins, which mean something only with a map: greyed out without one)
        self.scale_map = MapChoice(
            config, image, "scale-map", "None (Style scale everywhere)",
            "A channel or layer mask: the stroke size goes from the size at black to the size "
            "at white (white paint = big strokes with the defaults)")
        box.pack_start(self._labelled("Stro_kes map:", self.scale_map.combo), False, False, 0)
        box.reorder_child(box.get_children()[-1], 3)  # below Style scale
        sizes = Gtk.Box(spacing=6, homogeneous=True)  # side by side: the dialog must fit 768 px
        for name in SIZE_ARGS:
            sizes.pack_start(self.dialog.get_spin_scale(name, 1.0), True, True, 0)
        box.pack_start(sizes, False, False, 0)
        box.reorder_child(sizes, 4)
        self._choices = [*self.styles.regions, self.strength_map, self.scale_map]
        connect_sync(config, self._choices)
        config.connect(f"notify::{args.MAPS_AUX}", self._sizes_follow_map)
        self._sizes_follow_map()
        # Channels added in GIMP while the dialog is open: list them when the user comes back.
        self.dialog.connect("focus-in-event", self._refresh_maps)
        render = self.dialog.fill_frame("render-frame", "render-title", False, "render-box")
        self.layers = job.layers_of(drawables)
        self.target = self._preview_target(0)
        self.preview = PreviewPane(
            self.target.content if self.target else None,
            self.target.coverage if self.target else None, engine=self.engine,
            settings=lambda: args.settings_from_config(config), problem=self._problem,
            masks=self._preview_masks)
        self._add_layer_choice()
        lay_out_columns(self.dialog, [self.styles.widget, render, self.message],
                        self.preview.widget)
        self.dialog.connect("response", self._on_response)
        config.connect("notify", self._changed)
        self.dialog.set_default_response(Gtk.ResponseType.OK)

    # -- pieces --
    def _problem(self, settings: Any) -> Optional[str]:
        try:
            args.check_settings(settings)
        except args.PlugInError as exc:
            return str(exc)
        return None

    @staticmethod
    def _labelled(text: str, widget: Gtk.Widget) -> Gtk.Box:
        row = Gtk.Box(spacing=6)
        label = Gtk.Label.new_with_mnemonic(text)
        label.set_mnemonic_widget(widget)
        row.pack_start(label, False, False, 0)
        row.pack_start(widget, True, True, 0)
        return row

    def _preview_target(self, index: int) -> Optional[job.Target]:
        """The pixels and coverage of the index-th selected layer, read when it is chosen."""
        try:
            return job.read(self.image, self.layers[index:index + 1])[0]
        except Exception as exc:  # OK reports it again, with the dialog open
            self.show_message(describe_failure(exc))
            return None

    def _layer_caption(self, index: int) -> str:
        return (f"Preview of “{self.layers[index].get_name()}” ({index + 1} of "
                f"{len(self.layers)} selected layers)")

    def _add_layer_choice(self) -> None:
        """Several layers selected: which one the preview paints (OK paints them all)."""
        if len(self.layers) < 2:
            return
        combo = Gtk.ComboBoxText()
        for index in range(len(self.layers)):
            combo.append(str(index), self._layer_caption(index))
        combo.set_active(0)
        combo.set_tooltip_text("OK paints every selected layer; the preview shows one")
        combo.connect("changed", self._layer_chosen)
        self.preview.header(self._labelled("Layer previewe_d:", combo))
        self.preview.caption = self._layer_caption(0)

    def _layer_chosen(self, combo: Gtk.ComboBoxText) -> None:
        index = combo.get_active()
        self.target = self._preview_target(index)
        self.preview.set_source(self.target.content if self.target else None,
                                self.target.coverage if self.target else None,
                                self._layer_caption(index))
        log(f"preview shows layer {index + 1} of {len(self.layers)}: "
            f"{self.layers[index].get_name()!r}")

    def _sizes_follow_map(self, *_args: Any) -> None:
        """With a strokes map the two sizes paint and Style scale does not (the map replaces
        it, as in Krita and the CLI); without one, the other way round."""
        mapped = args.chosen_maps(self.config).get("scale-map") is not None
        for name in SIZE_ARGS:
            self.dialog.get_widget(name, GObject.TYPE_NONE).set_sensitive(mapped)
        self.dialog.get_widget("style-scale", GObject.TYPE_NONE).set_sensitive(not mapped)

    def _refresh_maps(self, *_args: Any) -> bool:
        for choice in self._choices:
            choice.refresh()
        return False

    def _preview_masks(self, settings: Any) -> Dict[Any, Any]:
        """The regions / maps of these settings over the preview's content (GTK thread: they
        are read from GIMP, live, so a channel chosen a moment ago counts)."""
        t = self.target
        if t is None or not settings.uses_maps:
            return {}
        h, w = t.content.shape[:2]
        return job.read_maps(self.image, settings, t.x, t.y, w, h)

    def _replace_help_button(self) -> None:
        gimp_help = self.dialog.get_widget_for_response(Gtk.ResponseType.HELP)
        if gimp_help is not None:
            gimp_help.hide()
            gimp_help.set_no_show_all(True)
        self.dialog.add_button("_Help", HELP_RESPONSE)

    def show_message(self, text: str) -> None:
        self.message.set_markup(f"<b>{GLib.markup_escape_text(text)}</b>" if text else "")

    def _changed(self, *_args: Any) -> None:
        self.show_message("")
        self.preview.schedule()

    def _on_key(self, _widget: Any, event: Any) -> bool:
        if Gdk.keyval_name(event.keyval) in HELP_KEYS:
            self._help()
            return True  # handled: GIMP's help system never sees it
        return False

    def _help(self) -> None:
        log("help requested: showing help.txt")
        show_help(self.dialog)
        self._focus_ok()  # back from Help, Enter applies again

    def _on_response(self, _dialog: Any, response: int) -> None:
        if response == HELP_RESPONSE:
            self.dialog.stop_emission_by_name("response")
            self._help()
        elif self._cancel is not None and response != Gtk.ResponseType.OK:
            self._cancel.cancel()  # Cancel / Escape / close while Apply renders

    def _focus_ok(self) -> None:
        ok = self.dialog.get_widget_for_response(Gtk.ResponseType.OK)
        if ok is not None:
            ok.grab_default()
            ok.grab_focus()  # Enter = OK, never the Style 1 chooser

    # -- running --
    def run(self) -> bool:
        self.dialog.show_all()
        self._focus_ok()
        self.preview.schedule()
        try:
            while self.dialog.run():
                self.preview.stop()
                self.preview.label.set_text("Preview paused while OK paints.")
                if self.apply():
                    return True
                self.preview.schedule()
                self._focus_ok()  # after an error or a Cancel, Enter is OK again
            return False
        finally:
            self.preview.stop()
            self.dialog.destroy()

    def apply(self) -> bool:
        """Render in a worker, then add the layer(s). False (dialog stays open) on error."""
        settings = args.settings_from_config(self.config)
        try:
            args.check_settings(settings)
            with self._busy() as cancel:
                self._wait_for_abandoned(cancel)
                eng = self.engine(settings.model)
                targets = job.read(self.image, self.drawables, settings)
                log(f"painting {len(targets)} layer(s), nothing added yet")
                results = self._render(eng, targets, settings, cancel)
        except Exception as exc:  # shown in the dialog, which stays open
            if is_cancel(exc):
                log("cancelled while painting: the image is unchanged")
                self.show_message("Cancelled: the image is unchanged.")
            else:
                self.show_message(describe_failure(exc))
            return False
        layers = job.commit(self.image, targets, results, settings)
        log("added " + ", ".join(repr(layer.get_name()) for layer in layers))
        return True

    @contextlib.contextmanager
    def _busy(self) -> Iterator[Any]:
        """From OK until the layers exist or the user cancels: OK greyed out (a second OK
        cannot start a second render, so never two layers), the settings locked, and every
        other response (Cancel, Escape, closing the window) sets the CancelToken yielded."""
        from ..engine import CancelToken

        cancel = self._cancel = CancelToken()
        self.dialog.set_response_sensitive(Gtk.ResponseType.OK, False)
        self.dialog.get_content_area().set_sensitive(False)
        try:
            yield cancel
        finally:
            self._cancel = None
            self.dialog.get_content_area().set_sensitive(True)
            self.dialog.set_response_sensitive(Gtk.ResponseType.OK, True)

    def _wait_for_abandoned(self, cancel: Any) -> None:
        """OK while a cancelled render is still in its last model call: this OK counts (it
        paints once that call ended: two renders at once would share the engine and halve the
        CPU each), and Cancel meanwhile takes it back, like a Cancel during the render."""
        from ..engine import Cancelled

        thread = self._abandoned
        if thread is not None and thread.is_alive():
            log("OK while the cancelled render is still finishing: painting once it stopped")
            self.show_message("Waiting for the cancelled render to stop…")
            while thread.is_alive() and not cancel.cancelled:
                Gtk.main_iteration_do(False) or thread.join(0.05)
            if cancel.cancelled:
                log("cancelled while waiting for the cancelled render: nothing painted")
                raise Cancelled()
        self._abandoned = None

    def _render(self, eng: Any, targets: list, settings: Any, cancel: Any) -> list:
        from ..engine import Cancelled

        state: Dict[str, Any] = {"fraction": 0.0}

        def work() -> None:
            try:
                state["results"] = job.render(
                    eng, targets, settings,
                    lambda f, _s: state.__setitem__("fraction", f), cancel)
            except BaseException as exc:  # re-raised on the GTK thread
                state["error"] = exc
            GLib.idle_add(lambda: False)  # wake the loop below

        Gimp.progress_init("Style transfer")
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        try:
            while thread.is_alive() and not cancel.cancelled:
                Gtk.main_iteration_do(False) or thread.join(0.05)
                Gimp.progress_update(state["fraction"])
                self.show_message(f"Painting… {round(100 * state['fraction'])} %")
            if cancel.cancelled:  # do not wait for the model call under way
                log("cancel: not waiting for the model call under way (its result is dropped)")
                self._abandoned = thread if thread.is_alive() else None
                raise Cancelled()
        finally:
            Gimp.progress_end()
        if "error" in state:
            raise state["error"]
        self.show_message("")
        return state["results"]


def unwrap(text: str) -> str:
    """help.txt is wrapped for reading as a file; the help view wraps to its own width, so
    join continuation lines (not blank lines, list items, or lines after a CAPS heading)."""
    out: List[str] = []
    for line in text.splitlines():
        prev = out[-1] if out else ""
        joins = (line.strip() and prev.strip() and not line.startswith("- ")
                 and not prev.isupper())
        if joins:
            out[-1] = prev.rstrip() + " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def show_help(parent: Gtk.Window) -> None:
    """The help text (help.txt, the README's GIMP section) in a window of its own."""
    try:
        with open(HELP_FILE, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        text = f"The help file is missing ({exc}). See README.md, section GIMP."
    text = unwrap(text)
    window = Gtk.Dialog(title="Style Transfer Help", transient_for=parent, modal=True)
    window.add_button("_Close", Gtk.ResponseType.CLOSE)
    view = Gtk.TextView(editable=False, wrap_mode=Gtk.WrapMode.WORD, left_margin=12,
                        right_margin=12, top_margin=12, bottom_margin=12)
    view.get_buffer().set_text(text)
    scroll = Gtk.ScrolledWindow()
    scroll.set_size_request(620, 480)
    scroll.add(view)
    window.get_content_area().pack_start(scroll, True, True, 0)
    window.show_all()
    window.run()
    window.destroy()


def run_dialog(procedure: Gimp.Procedure, config: Gimp.ProcedureConfig, image: Gimp.Image,
               drawables: List[Gimp.Drawable]) -> bool:
    """True once the new layer(s) exist; False when the user cancelled (image untouched)."""
    return Dialog(procedure, config, image, drawables).run()
