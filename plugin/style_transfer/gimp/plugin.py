"""The GIMP 3 plug-in: one ImageProcedure, "plug-in-style-transfer", under Filters > Artistic.

GIMP starts the plug-in process twice: once to query the procedures it registers (no run), and
once per call. Registration must therefore work even when numpy, LiteRT or the models are
missing, or the menu entry silently disappears and the user never sees why. So this module
imports only gi and the standard library at the top; the engine, numpy and pixels.py are
imported inside the run, where a failure becomes a GIMP error message naming the fix.

Scripting (PDB), e.g. from python-fu-eval:
    proc = Gimp.get_pdb().lookup_procedure("plug-in-style-transfer")
    config = proc.create_config()
    config.set_property("image", image)
    config.set_core_object_array("drawables", [layer])
    config.set_property("style-1", Gio.File.new_for_path("/path/udnie.jpg"))
    result = proc.run(config)   # result.index(0) is the Gimp.PDBStatusType
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any, Callable

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, GLib, GObject  # noqa: E402

PROCEDURE = "plug-in-style-transfer"
STYLE_SLOTS = 3  # style image + weight pairs in the dialog and the PDB signature

# Mirrors style_transfer.engine.models.MODEL_CHOICES (a unit test keeps them in step). Not
# imported from there because registration must not need the engine's dependencies.
MODELS: tuple[tuple[str, str, str], ...] = (
    ("int8", "Fast (int8)", "Dynamic-range int8 transformer: fast, close to float16"),
    ("f16", "Quality (float16)", "Float16 transformer, closest to the original network"),
    ("int8-fixed", "Fastest (full int8)",
     "Full-integer transformer: about 20 % faster, colours less exact"),
)
DEFAULT_MODEL = "int8"

INSTALL_HINT = (
    "Fix: run `python3 installer.py --gimp` again (from the style-transfer source folder); it "
    "installs the dependencies GIMP's Python needs next to the plug-in."
)

_RW = GObject.ParamFlags.READWRITE
# Each dialog label needs its own mnemonic, none of them taken by the dialog's buttons (Help,
# Reset, Cancel, OK, Load/Save Settings): GIMP warns about missing or duplicate ones.
_WEIGHT_LABELS = ("_Weight 1", "W_eight 2", "We_ight 3")


class PlugInError(Exception):
    """A failure whose message is meant for the user as it is."""


def _error(procedure: Gimp.Procedure, message: str,
           status: Gimp.PDBStatusType = Gimp.PDBStatusType.EXECUTION_ERROR) -> Gimp.ValueArray:
    # GIMP shows this message in an error dialog for interactive runs and hands it to scripts
    # (pdb.get_last_error()); a plain return without it would look like an unexplained failure.
    return procedure.new_return_values(status, GLib.Error.new_literal(
        Gimp.PlugIn.error_quark(), message, 0))


def _log(message: str) -> None:
    # stderr reaches the terminal GIMP was started from (and the CI log in batch mode).
    print(f"style-transfer: {message}", file=sys.stderr, flush=True)


class Params:
    """The procedure's arguments, read once from the config."""

    def __init__(self, config: Gimp.ProcedureConfig) -> None:
        self.styles: list[str] = []
        self.weights: list[float] = []
        for i in range(1, STYLE_SLOTS + 1):
            gfile = config.get_property(f"style-{i}")
            weight = float(config.get_property(f"weight-{i}"))
            if gfile is None or weight <= 0.0:
                continue
            path = gfile.get_path()
            if not path:
                raise PlugInError(f"Style {i} is not a local file ({gfile.get_uri()}).")
            self.styles.append(path)
            self.weights.append(weight)
        self.strength = float(config.get_property("strength"))
        scale = float(config.get_property("style-scale"))
        self.scale: float | None = scale if scale > 0.0 else None  # 0 = let the engine decide
        self.preserve_colors = bool(config.get_property("preserve-colors"))
        self.model = str(config.get_property("model"))

    def validate(self) -> None:
        if not self.styles:
            raise PlugInError(
                "Choose at least one style image (Style 1) with a weight above 0.")
        for path in self.styles:
            if not os.path.isfile(path):
                raise PlugInError(f"Style image not found: {path}")


def _import_engine() -> tuple[Any, Any]:
    """(engine module, pixels module), or PlugInError naming the fix."""
    try:
        from style_transfer import engine
        from style_transfer.engine import runtime

        from . import pixels
    except ImportError as exc:
        raise PlugInError(
            f"Style transfer cannot start: a dependency is missing ({exc}).\n{INSTALL_HINT}"
        ) from exc
    try:
        # The TFLite runtime is imported lazily by the engine; ask now, before the image is
        # touched, so a missing runtime leaves no empty undo step behind.
        runtime.interpreter_class()
    except engine.DependencyError as exc:
        raise PlugInError(f"{exc}\n{INSTALL_HINT}") from exc
    return engine, pixels


def _show_dialog(procedure: Gimp.Procedure, config: Gimp.ProcedureConfig) -> bool:
    # GimpUi pulls in GTK; only interactive runs need it (batch mode has no display).
    gi.require_version("GimpUi", "3.0")
    from gi.repository import GimpUi

    GimpUi.init("style-transfer")
    dialog = GimpUi.ProcedureDialog.new(procedure, config, "Style Transfer")
    # Sliders (GIMP's usual filter widget, label inside) rather than bare spin buttons.
    for name in [f"weight-{i}" for i in range(1, STYLE_SLOTS + 1)] + ["strength",
                                                                        "style-scale"]:
        dialog.get_spin_scale(name, 1.0).set_digits(2)
    # The style images and their weights go together in one frame, above the render options.
    slots = []
    for i in range(1, STYLE_SLOTS + 1):
        slots += [f"style-{i}", f"weight-{i}"]
    dialog.fill_box("styles-box", slots)
    dialog.get_label("styles-title", "Style images, mixed by weight", False, False)
    dialog.fill_frame("styles-frame", "styles-title", False, "styles-box")
    # ... and how to render them in a second one below.
    dialog.fill_box("render-box", ["strength", "style-scale", "preserve-colors", "model"])
    dialog.get_label("render-title", "Rendering", False, False)
    dialog.fill_frame("render-frame", "render-title", False, "render-box")
    dialog.fill(["styles-frame", "render-frame"])
    try:
        return bool(dialog.run())
    finally:
        dialog.destroy()


class StyleTransfer(Gimp.PlugIn):
    """Registers the procedure; the work happens in run()."""

    def do_set_i18n(self, name: str) -> bool:
        return False  # no translations shipped

    def do_query_procedures(self) -> list[str]:
        return [PROCEDURE]

    def do_create_procedure(self, name: str) -> Gimp.Procedure:
        procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, run, None)
        # "*" rather than "RGB*, GRAY*": an indexed image then gets our message saying how to
        # convert it, instead of a greyed-out menu entry with no explanation.
        procedure.set_image_types("*")
        procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE
                                       | Gimp.ProcedureSensitivityMask.DRAWABLES)
        procedure.set_menu_label("_Style Transfer...")
        procedure.add_menu_path("<Image>/Filters/Artistic")
        procedure.set_documentation(
            "Paint the selected layers in the style of one or more images",
            "Neural style transfer (Magenta arbitrary style, TFLite) run locally. Each selected "
            "layer gets a new layer above it holding the stylized pixels; the source layer is "
            "not changed. A selection limits the effect, and feathered edges blend it. Up to "
            f"{STYLE_SLOTS} style images are mixed by their weights.",
            name)
        procedure.set_attribution("style-transfer contributors", "Apache-2.0", "2026")

        for i in range(1, STYLE_SLOTS + 1):
            procedure.add_file_argument(
                f"style-{i}", f"Style _{i}",
                "Style image (or a style preset .json)" + ("" if i == 1 else ", optional"),
                Gimp.FileChooserAction.OPEN, True, None, _RW)
            procedure.add_double_argument(
                f"weight-{i}", _WEIGHT_LABELS[i - 1],
                f"How much of style {i} goes into the mix (0 = leave it out)",
                0.0, 10.0, 1.0, _RW)
        procedure.add_double_argument(
            "strength", "S_trength", "0 = original picture, 1 = fully stylized",
            0.0, 1.0, 1.0, _RW)
        procedure.add_double_argument(
            "style-scale", "Style sc_ale (0 = auto)",
            "Size of the brush strokes: 0 = automatic, 1 = paint at full resolution, smaller "
            "= bigger strokes", 0.0, 4.0, 0.0, _RW)
        procedure.add_boolean_argument(
            "preserve-colors", "_Preserve colours",
            "Keep the colours of the layer; take only texture from the style", False, _RW)
        choice = Gimp.Choice.new()
        for index, (nick, label, help_text) in enumerate(MODELS):
            choice.add(nick, index, label, help_text)
        procedure.add_choice_argument(
            "model", "_Model", "Which transformer network renders", choice, DEFAULT_MODEL, _RW)
        return procedure


def run(procedure: Gimp.Procedure, run_mode: Gimp.RunMode, image: Gimp.Image,
        drawables: list[Gimp.Drawable], config: Gimp.ProcedureConfig,
        run_data: Any) -> Gimp.ValueArray:
    try:
        # STYLE_TRANSFER_GIMP_NO_DIALOG=1 (automation/tests only): an interactive run takes the
        # arguments as given, so GIMP's "last values" (saved only after interactive runs) can be
        # exercised headless.
        if (run_mode == Gimp.RunMode.INTERACTIVE
                and os.environ.get("STYLE_TRANSFER_GIMP_NO_DIALOG") != "1"
                and not _show_dialog(procedure, config)):
            return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, None)
        params = Params(config)
        params.validate()
        _stylize_all(image, list(drawables), params)
    except PlugInError as exc:
        _log(str(exc))
        return _error(procedure, str(exc))
    except Exception as exc:  # any failure must become a procedure error, never SUCCESS
        engine_error = _engine_error_type()
        if engine_error is not None and isinstance(exc, engine_error):
            _log(str(exc))
            return _error(procedure, str(exc))
        _log(traceback.format_exc())
        return _error(procedure, f"Style transfer failed: {type(exc).__name__}: {exc}")
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, None)


def _engine_error_type() -> type | None:
    try:
        from style_transfer.engine import EngineError
    except ImportError:
        return None
    return EngineError


def _check_targets(image: Gimp.Image, drawables: list[Gimp.Drawable]) -> None:
    if image.get_base_type() == Gimp.ImageBaseType.INDEXED:
        raise PlugInError(
            "Style transfer needs an RGB or grayscale image; this one is indexed. "
            "Convert it with Image > Mode > RGB, then run the filter again.")
    if not drawables:
        raise PlugInError("Select the layer to stylize in the Layers dialog.")
    for drawable in drawables:
        # The result goes in a new layer above the source, which only a layer can have.
        if isinstance(drawable, Gimp.LayerMask) or not isinstance(drawable, Gimp.Layer):
            raise PlugInError(
                f"'{drawable.get_name()}' is a mask or channel; select a layer instead.")
        if drawable.is_floating_sel():
            raise PlugInError("Anchor or convert the floating selection to a layer first.")


def _stylize_all(image: Gimp.Image, drawables: list[Gimp.Drawable], params: Params) -> None:
    _check_targets(image, drawables)
    engine, pixels = _import_engine()
    Gegl.init(None)

    eng = engine.Engine()
    # Before touching the image: a missing model must not leave an empty undo step behind.
    eng.check_models(model=params.model)

    fmt = pixels.format_for_precision(image.get_precision().value_nick)
    has_selection = not Gimp.Selection.is_empty(image)
    style_names = [os.path.splitext(os.path.basename(p))[0] for p in params.styles]
    total = len(drawables)

    Gimp.progress_init("Style transfer")
    created: list[Gimp.Layer] = []
    # One undo group for all new layers: a single Edit > Undo takes the whole run back.
    image.undo_group_start()
    try:
        for index, drawable in enumerate(drawables):
            def progress(fraction: float, stage: str, _i: int = index) -> None:
                Gimp.progress_update(min(1.0, (_i + max(0.0, min(1.0, fraction))) / total))

            layer = _stylize_one(image, drawable, params, eng, engine, pixels, fmt,
                                 has_selection, style_names, progress)
            if layer is not None:
                created.append(layer)
        if not created:
            raise PlugInError("The selection does not overlap the selected layer(s).")
    except BaseException:
        # Never leave half a result: drop the layers made so far, inside the same group.
        for layer in created:
            image.remove_layer(layer)
        raise
    finally:
        image.undo_group_end()
        Gimp.progress_end()
    Gimp.displays_flush()


def _stylize_one(image: Gimp.Image, drawable: Gimp.Layer, params: Params, eng: Any,
                 engine: Any, pixels: Any, fmt: Any, has_selection: bool,
                 style_names: list[str], progress: Callable[[float, str], None],
                 ) -> Gimp.Layer | None:
    width, height = drawable.get_width(), drawable.get_height()
    region = pixels.work_region((width, height), drawable.mask_intersect(), has_selection)
    if region is None:
        return None
    _, off_x, off_y = drawable.get_offsets()

    rect = Gegl.Rectangle.new(region.x, region.y, region.width, region.height)
    # The drawable's own buffer is in its own coordinates, so offsets don't matter here;
    # babl converts gray / no-alpha / linear storage to the sRGB RGBA format we ask for.
    data = drawable.get_buffer().get(rect, 1.0, fmt.babl, Gegl.AbyssPolicy.NONE)
    content = pixels.bytes_to_rgba(data, region.width, region.height, fmt)

    mask = None
    if has_selection:
        # The selection channel covers the canvas: shift the region by the layer's offsets.
        sel_rect = Gegl.Rectangle.new(off_x + region.x, off_y + region.y,
                                      region.width, region.height)
        sel_data = image.get_selection().get_buffer().get(
            sel_rect, 1.0, pixels.MASK_FORMAT, Gegl.AbyssPolicy.NONE)
        mask = pixels.effective_mask(
            pixels.mask_from_bytes(sel_data, region.width, region.height))

    options = engine.RenderOptions(strength=params.strength, scale=params.scale,
                                   preserve_colors=params.preserve_colors, mask=mask,
                                   model=params.model)
    result = eng.stylize(content, params.styles, weights=params.weights, options=options,
                         progress=progress)

    layer_type = (Gimp.ImageType.GRAYA_IMAGE if image.get_base_type() == Gimp.ImageBaseType.GRAY
                  else Gimp.ImageType.RGBA_IMAGE)
    layer = Gimp.Layer.new(image, pixels.result_layer_name(drawable.get_name(), style_names),
                           region.width, region.height, layer_type, 100.0,
                           Gimp.LayerMode.NORMAL)
    # Same parent and position as the source puts the new layer directly above it.
    image.insert_layer(layer, drawable.get_parent(), image.get_item_position(drawable))
    layer.set_offsets(off_x + region.x, off_y + region.y)
    # A brand-new layer: writing its buffer directly is fine, undoing the insert removes it.
    buffer = layer.get_buffer()
    buffer.set(Gegl.Rectangle.new(0, 0, region.width, region.height), fmt.babl,
               pixels.rgba_to_bytes(result, fmt))
    buffer.flush()
    layer.update(0, 0, region.width, region.height)
    return layer


def main() -> None:
    Gimp.main(StyleTransfer.__gtype__, sys.argv)
