"""Runs INSIDE the GIMP 3 GUI (python-fu-eval batch command given at startup), not under pytest.

The harness prepends `CONFIG = {...}`. GIMP opened the image named on its command line; here the
plug-in is run on it INTERACTIVELY, as Filters > Artistic > Style Transfer... does, so the
plug-in shows its real GimpUi.ProcedureDialog. proc.run() returns only once the dialog is
closed (the test presses Escape in it); the outcome then goes to a JSON file the test polls for.
"""

# ruff: noqa: F821  (CONFIG is injected by the harness)
import json
import traceback

import gi

gi.require_version("Gimp", "3.0")
from gi.repository import Gimp  # noqa: E402

result = {}
try:
    images = Gimp.get_images()
    result["images"] = len(images)
    image = images[0]
    layers = image.get_layers()
    result["layers_before"] = len(layers)
    proc = Gimp.get_pdb().lookup_procedure("plug-in-style-transfer")
    if proc is None:
        raise RuntimeError("plug-in-style-transfer is not registered: the plug-in did not load")
    config = proc.create_config()
    config.set_property("run-mode", Gimp.RunMode.INTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", layers)
    values = proc.run(config)
    result["status"] = values.index(0).value_nick
    result["layers_after"] = [layer.get_name() for layer in image.get_layers()]
except Exception:
    result["exception"] = traceback.format_exc()
with open(CONFIG["result_file"], "w", encoding="utf-8") as f:
    json.dump(result, f)
