"""The animation procedure, "plug-in-style-transfer-animation" (Filters > Animation > Style
Transfer…), registered by plugin.py next to the stills procedure.

Its arguments are the stills procedure's (args.py, so the dialog's pieces and GIMP's last
values work alike) plus "stability"; it returns the new image. Like plugin.py it imports only
gi, the standard library and stdlib-only modules at the top: the menu entry must appear even
when numpy or the engine are missing (the run then says how to fix it).

Scripting (PDB):
    proc = Gimp.get_pdb().lookup_procedure("plug-in-style-transfer-animation")
    config = proc.create_config()
    config.set_property("image", image)          # its layers are the frames, bottom first
    config.set_property("style-1", "/path/udnie.jpg")
    config.set_property("stability", 0.9)        # 0 = each frame alone
    result = proc.run(config)    # result.index(1): the new image, one layer per frame
"""

from __future__ import annotations

import os
from typing import Any, List

from gi.repository import Gimp, GObject

from ..common.messages import is_cancel
from ..common.texts import STABILITY_HELP, default_stability
from . import args
from .host import describe_failure, error_values, import_job, log, new_engine

PROCEDURE = "plug-in-style-transfer-animation"
_RW = GObject.ParamFlags.READWRITE


def create(plug_in: Gimp.PlugIn, name: str) -> Gimp.Procedure:
    procedure = Gimp.ImageProcedure.new(plug_in, name, Gimp.PDBProcType.PLUGIN, run, None)
    procedure.set_image_types("*")
    # The frames are the image's layers, whichever are selected (none, one or several).
    procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE
                                   | Gimp.ProcedureSensitivityMask.DRAWABLES
                                   | Gimp.ProcedureSensitivityMask.NO_DRAWABLES)
    # "_T": "_Spinning Globe..." already takes S in Filters > Animation (Alt+R, I, T opens it)
    procedure.set_menu_label("Style _Transfer...")
    procedure.add_menu_path("<Image>/Filters/Animation")
    procedure.set_documentation(
        "Paint every frame of an animation in the style of one or more images",
        "The image's layers are the frames, the bottom layer first (GIMP's animation "
        "convention: '(NNNms)' in a layer name is its delay, a '(combine)' frame is drawn "
        "over the frame before it, a '(replace)' frame stands alone; a layer group is one "
        "frame). A NEW image gets one stylized layer per frame, named like its source with "
        "its delay and '(replace)'; the source image is not changed. stability (0..1) keeps "
        "the strokes steady from frame to frame (0 = each frame alone). The other arguments "
        "are plug-in-style-transfer's. Returns the new image.",
        name)
    procedure.set_attribution("style-transfer contributors", "Apache-2.0", "2026")
    args.add_arguments(procedure)
    procedure.add_double_argument("stability", "Sta_bility", STABILITY_HELP, 0.0, 1.0,
                                  default_stability(), _RW)
    procedure.add_image_return_value("new-image", "New image",
                                     "The stylized animation, one layer per frame", True, _RW)
    return procedure


def run(procedure: Gimp.Procedure, run_mode: Gimp.RunMode, image: Gimp.Image,
        drawables: List[Gimp.Drawable], config: Gimp.ProcedureConfig,
        run_data: Any) -> Gimp.ValueArray:
    engine = None
    dialog = (run_mode == Gimp.RunMode.INTERACTIVE
              and os.environ.get("STYLE_TRANSFER_GIMP_NO_DIALOG") != "1")
    try:
        if run_mode == Gimp.RunMode.INTERACTIVE:
            args.remember_maps(config)  # as the stills procedure: GIMP cannot save channels
        import_job()  # numpy and the engine, or the line naming the fix
        from . import animation

        animation.plan(image)  # "not an animation" before the user sets up the dialog
        if dialog:
            from .animation_dialog import run_dialog

            engine = run_dialog(procedure, config, image)
            if engine is None:
                return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, None)
        new = run_clip(image, animation.settings_from_config(config), engine)
        if dialog:
            Gimp.Display.new(new)
            Gimp.displays_flush()
    except Exception as exc:  # any failure must become a procedure error, never SUCCESS
        if is_cancel(exc):
            return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, None)
        return error_values(procedure, describe_failure(exc))
    return Gimp.ValueArray.new_from_values([
        GObject.Value(Gimp.PDBStatusType, Gimp.PDBStatusType.SUCCESS),
        GObject.Value(Gimp.Image, new)])


def run_clip(image: Gimp.Image, settings: Any, engine: Any = None) -> Gimp.Image:
    """Check, paint every frame (GIMP's progress bar: "frame k/n", its Cancel kills the
    plug-in), then build the new image."""
    from . import animation

    args.check_settings(settings)
    clip = animation.plan(image)
    if engine is None:
        engine = new_engine(settings.model)
    else:
        engine.check_models(model=settings.model)
    n = len(clip.frames)
    log(f"animation: painting {n} frames, nothing created yet")
    shown = {"stage": ""}

    def progress(fraction: float, stage: str) -> None:
        if stage != shown["stage"]:
            shown["stage"] = stage
            Gimp.progress_set_text(f"Style transfer: {stage}")
        Gimp.progress_update(fraction)

    spool = animation.Spool()
    Gimp.progress_init("Style transfer")
    try:
        animation.render(engine, clip, settings, spool, progress)
        new = animation.build(clip, spool)
    finally:
        Gimp.progress_end()
        spool.close()
    log(f"animation: new image with {n} layers")
    return new
