"""Runs INSIDE the GIMP 3 GUI (python-fu-eval batch command given at startup), not under pytest.

The harness prepends `CONFIG = {...}`. GIMP opened the image named on its command line in an
image window before running this; here the plug-in runs on that image through the PDB:
- CONFIG["interactive"] false: NONINTERACTIVE with a style, exactly as a script would; the test
  then undoes it with a real Ctrl+Z keystroke in the image window;
- CONFIG["interactive"] true: INTERACTIVE, as Filters > Artistic > Style Transfer... does, so the
  plug-in shows its real GimpUi.ProcedureDialog; proc.run() returns once the dialog is closed
  (the test presses Escape in it).
The outcome goes to a JSON file the test polls for.
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
    for n in range(2, CONFIG.get("layers", 1) + 1):  # copies above, named "copy 2", ...
        copy = image.get_layers()[0].copy()
        image.insert_layer(copy, None, 0)
        copy.set_name(f"copy {n}")
        if CONFIG.get("flip_copies"):  # so a result can tell which layer it was painted from
            copy.transform_flip_simple(Gimp.OrientationType.HORIZONTAL, True, 0.0)
        image.clean_all()  # an untouched image for the test's title checks
    if CONFIG.get("ramp"):  # a hidden channel, black on the left to white on the right,
        # left for the test to pick in the dialog; its pixels saved for the CLI
        gi.require_version("Gegl", "0.4")
        import numpy as np
        from gi.repository import Gegl

        w, h = image.get_width(), image.get_height()
        ramp = Gimp.Channel.new(image, CONFIG["ramp"], w, h, 50.0, Gegl.Color.new("red"))
        image.insert_channel(ramp, None, 0)
        ramp.set_visible(False)
        values = np.tile(np.linspace(0, 255, w).round().astype(np.uint8), (h, 1))
        buffer = ramp.get_buffer()
        buffer.set(Gegl.Rectangle.new(0, 0, w, h), "Y u8", values.tobytes())
        buffer.flush()
        ramp.update(0, 0, w, h)
        data = buffer.get(Gegl.Rectangle.new(0, 0, w, h), 1.0, "Y u8", Gegl.AbyssPolicy.NONE)
        np.save(f"{CONFIG['out_dir']}/map.npy", np.frombuffer(bytes(data), np.uint8).reshape(h, w))
        result["map"] = "map.npy"
        image.clean_all()
    layers = image.get_layers()
    result["layers_before"] = len(layers)
    proc = Gimp.get_pdb().lookup_procedure("plug-in-style-transfer")
    if proc is None:
        raise RuntimeError("plug-in-style-transfer is not registered: the plug-in did not load")
    config = proc.create_config()
    interactive = bool(CONFIG.get("interactive"))
    config.set_property(
        "run-mode", Gimp.RunMode.INTERACTIVE if interactive else Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)
    config.set_core_object_array("drawables", layers)
    # A path string; an interactive run may replace it with GIMP's last used values.
    config.set_property("style-1", CONFIG["style"])
    for name, value in CONFIG.get("props", {}).items():
        config.set_property(name, value)
    if CONFIG.get("region"):  # a channel "Sky", white on the left half, as region-1
        gi.require_version("Gegl", "0.4")
        from gi.repository import Gegl

        w, h = image.get_width(), image.get_height()
        sky = Gimp.Channel.new(image, "Sky", w, h, 50.0, Gegl.Color.new("red"))
        image.insert_channel(sky, None, 0)
        sky.set_visible(False)  # the screenshots show the result, not the channel's tint
        image.clean_all()  # clean again: one Ctrl+Z after the run must come back to clean
        values = bytearray(w * h)
        for row in range(h):
            values[row * w: row * w + w // 2] = b"\xff" * (w // 2)
        buffer = sky.get_buffer()
        buffer.set(Gegl.Rectangle.new(0, 0, w, h), "Y u8", bytes(values))
        buffer.flush()  # else GIMP may not have the pixels yet when the plug-in reads them
        sky.update(0, 0, w, h)
        config.set_property(CONFIG["region"], sky)
    values = proc.run(config)
    result["status"] = values.index(0).value_nick
    result["layers_after"] = [layer.get_name() for layer in image.get_layers()]
    if (interactive or CONFIG.get("region")) and len(image.get_layers()) > len(layers):
        import numpy as np  # the new layer's pixels (and the source's), for the test

        gi.require_version("Gegl", "0.4")
        from gi.repository import Gegl

        for key, layer in (("apply", image.get_layers()[0]), ("source", image.get_layers()[-1])):
            w, h = layer.get_width(), layer.get_height()
            data = layer.get_buffer().get(Gegl.Rectangle.new(0, 0, w, h), 1.0, "R'G'B'A u8",
                                          Gegl.AbyssPolicy.NONE)
            np.save(f"{CONFIG['out_dir']}/{key}.npy",
                    np.frombuffer(bytes(data), dtype=np.uint8).reshape(h, w, 4))
            result[key] = f"{key}.npy"
    if CONFIG.get("save_stack"):  # every layer after the run, top to bottom
        import numpy as np

        gi.require_version("Gegl", "0.4")
        from gi.repository import Gegl

        result["stack"] = []
        for index, layer in enumerate(image.get_layers()):
            w, h = layer.get_width(), layer.get_height()
            data = layer.get_buffer().get(Gegl.Rectangle.new(0, 0, w, h), 1.0, "R'G'B'A u8",
                                          Gegl.AbyssPolicy.NONE)
            np.save(f"{CONFIG['out_dir']}/layer-{index}.npy",
                    np.frombuffer(bytes(data), dtype=np.uint8).reshape(h, w, 4))
            result["stack"].append([layer.get_name(), f"layer-{index}.npy"])
    Gimp.displays_flush()
except Exception:
    result["exception"] = traceback.format_exc()
with open(CONFIG["result_file"], "w", encoding="utf-8") as f:
    json.dump(result, f)
