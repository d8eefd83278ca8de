"""The GIMP 3 plug-in: the ImageProcedure "plug-in-style-transfer", under Filters > Artistic, and
the animation one, "plug-in-style-transfer-animation" (animation_plugin.py).

GIMP starts the plug-in process twice: once to query the procedures it registers (no run), and
once per call. Registration must therefore work even when numpy, LiteRT or the models are
missing, or the menu entry silently disappears and the user never sees why. So this module
imports only gi, the standard library, args.py and host.py at the top; the engine, numpy and the
job are imported inside the run, where a failure becomes a GIMP error message naming the fix.

Scripting (PDB), e.g. from python-fu-eval:
    proc = Gimp.get_pdb().lookup_procedure("plug-in-style-transfer")
    config = proc.create_config()
    config.set_property("image", image)
    config.set_core_object_array("drawables", [layer])
    config.set_property("style-1", "/path/udnie.jpg")      # a path string (or a preset .json)
    result = proc.run(config)   # result.index(0): Gimp.PDBStatusType; on failure
                                # Gimp.get_pdb().get_last_error() says why, in one line
"""

from __future__ import annotations

import os
import sys
from typing import Any, List

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gimp  # noqa: E402

from ..common.messages import is_cancel  # noqa: E402
from . import animation_plugin, args  # noqa: E402
from .host import describe_failure, error_values, import_job, log, new_engine  # noqa: E402

PROCEDURE = "plug-in-style-transfer"


class StyleTransfer(Gimp.PlugIn):
    """Registers the procedure; the work happens in run()."""

    def do_set_i18n(self, name: str) -> bool:
        return False  # no translations shipped

    def do_query_procedures(self) -> List[str]:
        return [PROCEDURE, animation_plugin.PROCEDURE]

    def do_create_procedure(self, name: str) -> Gimp.Procedure:
        if name == animation_plugin.PROCEDURE:  # Filters > Animation > Style Transfer...
            return animation_plugin.create(self, name)
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
            "not changed. The new layer's alpha is the source's alpha x its layer mask x the "
            "selection, so the picture is unchanged outside the selection and where the mask "
            f"hides the layer. Up to {args.STYLE_SLOTS} style images or presets (.json) are "
            "mixed by their weights. region-1..3 limit a style to a channel or layer mask "
            "(white = there; styles without a region paint the rest, with none the original "
            "stays); strength-map: a channel, white = Strength, black = the picture's own "
            "style; scale-map: a channel, the style scale (stroke size) going from "
            "scale-range-black where it is black to scale-range-white where it is white. "
            "Style paths are strings; a bad one fails with a message that "
            "get_last_error() returns.",
            name)
        procedure.set_attribution("style-transfer contributors", "Apache-2.0", "2026")
        args.add_arguments(procedure)
        return procedure


def run(procedure: Gimp.Procedure, run_mode: Gimp.RunMode, image: Gimp.Image,
        drawables: List[Gimp.Drawable], config: Gimp.ProcedureConfig,
        run_data: Any) -> Gimp.ValueArray:
    try:
        # STYLE_TRANSFER_GIMP_NO_DIALOG=1 (automation/tests only): an interactive run takes the
        # arguments as given, so GIMP's "last values" (saved only after interactive runs) can be
        # exercised headless.
        if run_mode == Gimp.RunMode.INTERACTIVE:
            # channels given by a script move to the aux string GIMP can save (args.MAPS_AUX)
            args.remember_maps(config)
        if (run_mode == Gimp.RunMode.INTERACTIVE
                and os.environ.get("STYLE_TRANSFER_GIMP_NO_DIALOG") != "1"):
            # An indexed image or a channel: say so now, not after the user set up the dialog.
            job = import_job()
            job.check_targets(image, job.layers_of(list(drawables)))
            from .dialog import run_dialog

            done = run_dialog(procedure, config, image, list(drawables))
            status = Gimp.PDBStatusType.SUCCESS if done else Gimp.PDBStatusType.CANCEL
            return procedure.new_return_values(status, None)
        run_batch(image, list(drawables), args.settings_from_config(config))
    except Exception as exc:  # any failure must become a procedure error, never SUCCESS
        if is_cancel(exc):
            return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, None)
        return error_values(procedure, describe_failure(exc))
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, None)


def run_batch(image: Gimp.Image, drawables: List[Gimp.Drawable], settings: Any) -> None:
    """Scripts and Filters > Repeat: check, read, render in memory, then add the layer(s)."""
    args.check_settings(settings)
    job = import_job()
    eng = new_engine(settings.model)
    targets = job.read(image, drawables, settings)
    log(f"painting {len(targets)} layer(s), nothing added yet")
    Gimp.progress_init("Style transfer")
    try:
        results = job.render(eng, targets, settings,
                             lambda fraction, _stage: Gimp.progress_update(fraction))
    finally:
        Gimp.progress_end()
    layers = job.commit(image, targets, results, settings)
    log("added " + ", ".join(repr(layer.get_name()) for layer in layers))


def main() -> None:
    Gimp.main(StyleTransfer.__gtype__, sys.argv)
