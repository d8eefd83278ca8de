"""Runs INSIDE GIMP 3 (python-fu-eval batch interpreter, GIMP's python3), not under pytest.

The harness prepends `CONFIG = {...}` (paths inside the chroot, which cases to run). Each case
builds an image, calls plug-in-style-transfer through the PDB like any script would, and records
what happened: metadata in a dict, pixels as .npy files. pytest does the judging on the host.

The result JSON is written LAST and only after every case ran: if GIMP or this script dies
halfway, the file is missing and the tests fail instead of passing on stale data. A case that
raises is recorded with its traceback, so one broken case does not hide the others.
"""

# ruff: noqa: F821  (CONFIG is injected by the harness)
import json
import os
import sys
import time
import traceback

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
import numpy as np  # noqa: E402
from gi.repository import Gegl, Gimp, Gio  # noqa: E402

PROC = "plug-in-style-transfer"
OUT = CONFIG["out_dir"]
IMAGES = CONFIG["images_dir"]
Gegl.init(None)


def save(case, key, array):
    path = os.path.join(OUT, f"{case}-{key}.npy")
    np.save(path, array)
    return os.path.basename(path)


def read(drawable, fmt="R'G'B'A u8", dtype=np.uint8, channels=4):
    w, h = drawable.get_width(), drawable.get_height()
    data = drawable.get_buffer().get(Gegl.Rectangle.new(0, 0, w, h), 1.0, fmt,
                                     Gegl.AbyssPolicy.NONE)
    return np.frombuffer(bytes(data), dtype=dtype).reshape(h, w, channels).copy()


def read_selection(image, x, y, w, h):
    data = image.get_selection().get_buffer().get(Gegl.Rectangle.new(x, y, w, h), 1.0,
                                                  "Y float", Gegl.AbyssPolicy.NONE)
    return np.frombuffer(bytes(data), dtype=np.float32).reshape(h, w).copy()


def load(name, width=256):
    image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE,
                           Gio.File.new_for_path(os.path.join(IMAGES, name)))
    height = round(image.get_height() * width / image.get_width())
    image.scale(width, height)
    return image


def describe(layer):
    _, x, y = layer.get_offsets()
    return {"name": layer.get_name(), "x": x, "y": y, "width": layer.get_width(),
            "height": layer.get_height(), "has_alpha": layer.has_alpha(),
            "is_gray": layer.is_gray(), "id": layer.get_id()}


def call(image, drawables, style=None, run_mode=Gimp.RunMode.NONINTERACTIVE, **props):
    proc = Gimp.get_pdb().lookup_procedure(PROC)
    if proc is None:
        raise RuntimeError(f"{PROC} is not registered: the plug-in did not load")
    config = proc.create_config()
    config.set_property("run-mode", run_mode)
    config.set_property("image", image)
    config.set_core_object_array("drawables", drawables)
    if style is not None:  # style paths are strings; a bare name is one of the test images
        config.set_property("style-1", style if os.path.isabs(style)
                            else os.path.join(IMAGES, style))
    for key, value in props.items():
        config.set_property(key.replace("_", "-"), value)
    start = time.time()
    result = proc.run(config)
    status = result.index(0)
    message = None
    if status != Gimp.PDBStatusType.SUCCESS:
        # On failure the second value is the error message GIMP shows to the user.
        message = result.index(1) if result.length() > 1 else None
        message = message if isinstance(message, str) else str(message)
    # What a script reads after a failed call, besides the returned values.
    last_error = Gimp.get_pdb().get_last_error()
    return {"status": status.value_nick, "message": message, "last_error": last_error,
            "seconds": round(time.time() - start, 2)}


def stack(image):
    return [describe(layer) for layer in image.get_layers()]


def run_on_first_layer(case, image, style="udnie.jpg", **props):
    """Call on the bottom layer and record before/after pixels of source and result."""
    source = image.get_layers()[0]
    before = read(source)
    rec = {"call": call(image, [source], style, **props)}
    rec["layers"] = stack(image)
    rec["source"] = describe(source)
    rec["source_before"] = save(case, "source-before", before)
    rec["source_after"] = save(case, "source-after", read(source))
    layers = image.get_layers()
    if len(layers) > 1:
        rec["result"] = save(case, "result", read(layers[0]))
    return rec, source


def case_basic(case):
    image = load("chicago.jpg")  # JPEG: RGB without alpha
    image.clean_all()  # so "dirty" afterwards means the run pushed an undo step
    rec, _ = run_on_first_layer(case, image)
    rec["dirty"] = image.is_dirty()
    return rec


def run_recording_mask(case, image):
    """Run on the first layer; also save the selection under the new layer, to compare with."""
    rec, _ = run_on_first_layer(case, image)
    layers = image.get_layers()
    if len(layers) > 1:
        new = describe(layers[0])
        rec["mask"] = save(case, "mask", read_selection(image, new["x"], new["y"], new["width"],
                                                        new["height"]))
    return rec


def case_selection(case):
    image = load("chicago.jpg")
    w, h = image.get_width(), image.get_height()
    image.select_ellipse(Gimp.ChannelOps.REPLACE, w * 0.25, h * 0.2, w * 0.5, h * 0.6)
    Gimp.Selection.feather(image, 24.0)
    rec = run_recording_mask(case, image)
    _, _non_empty, x1, y1, x2, y2 = Gimp.Selection.bounds(image)
    rec["selection_bounds"] = [x1, y1, x2, y2]
    return rec


def case_offset(case):
    image = load("chicago.jpg", width=200)
    # A bigger canvas moves the layer to (37, 23): its pixels and the selection then live in
    # different coordinate systems, which is what the plug-in must get right.
    image.resize(300, 220, 37, 23)
    image.select_ellipse(Gimp.ChannelOps.REPLACE, 60, 40, 150, 110)
    Gimp.Selection.feather(image, 10.0)
    rec = run_recording_mask(case, image)
    return rec


def case_grayscale(case):
    image = load("chicago.jpg")
    image.convert_grayscale()
    rec, _ = run_on_first_layer(case, image)
    rec["base_type"] = image.get_base_type().value_nick
    return rec


def case_high_bit_depth(case):
    image = load("chicago.jpg")
    image.convert_precision(Gimp.Precision.U16_NON_LINEAR)
    source = image.get_layers()[0]
    before = read(source, "R'G'B'A u16", np.uint16)
    rec = {"call": call(image, [source], "udnie.jpg")}
    rec["layers"] = stack(image)
    rec["precision"] = image.get_precision().value_nick
    rec["source_before"] = save(case, "source-before", before)
    rec["source_after"] = save(case, "source-after", read(source, "R'G'B'A u16", np.uint16))
    if len(image.get_layers()) > 1:
        rec["result"] = save(case, "result", read(image.get_layers()[0], "R'G'B'A u16",
                                                  np.uint16))
    return rec


def case_indexed(case):
    image = load("chicago.jpg", width=64)
    image.convert_indexed(Gimp.ConvertDitherType.NONE, Gimp.ConvertPaletteType.GENERATE, 32,
                          False, False, "")
    rec, _ = run_on_first_layer(case, image)
    return rec


def case_two_layers(case):
    image = load("chicago.jpg", width=160)
    bottom = image.get_layers()[0]
    top = Gimp.Layer.new_from_drawable(bottom, image)
    top.set_name("Copy")
    image.insert_layer(top, None, 0)
    top.set_offsets(20, 10)
    rec = {"call": call(image, [bottom, top], "stripes.jpg")}
    rec["layers"] = stack(image)
    return rec


def case_last_values(case):
    # GIMP saves the arguments of a successful INTERACTIVE run as the last-used values (that is
    # libgimp's rule); a later WITH_LAST_VALS call (Filters > Repeat) must reuse them and ignore
    # what its own config says. The harness sets STYLE_TRANSFER_GIMP_NO_DIALOG=1 so the
    # interactive run needs no display.
    image = load("chicago.jpg", width=128)
    source = image.get_layers()[0]
    first = call(image, [source], "udnie.jpg", run_mode=Gimp.RunMode.INTERACTIVE,
                 strength=0.35, preserve_colors=True, model="f16")
    first_id = image.get_layers()[0].get_id()
    again = call(image, [source], "stripes.jpg", run_mode=Gimp.RunMode.WITH_LAST_VALS,
                 strength=1.0, preserve_colors=False, model="int8")
    rec = {"first": first, "again": again, "layers": stack(image)}
    # The file GIMP saved them in, read now: later interactive runs (GUI tests) overwrite it.
    saved = last_values_file()
    if saved:
        rec["last_file"] = saved
    by_id = {layer.get_id(): layer for layer in image.get_layers()}
    new_ids = [i for i in by_id if i not in (first_id, source.get_id())]
    if first_id in by_id and len(new_ids) == 1:
        rec["first_result"] = save(case, "first", read(by_id[first_id]))
        rec["again_result"] = save(case, "again", read(by_id[new_ids[0]]))
    return rec


def last_values_file():
    """The text of the file GIMP keeps the plug-in's last used values in, or None."""
    import glob

    saved = glob.glob(os.path.expanduser(
        "~/.config/GIMP/3.0/plug-in-settings/*plug-in-style-transfer.last"))
    if not saved:
        return None
    with open(saved[0], encoding="utf-8") as f:
        return f.read()


def forget_last_values():
    import glob

    for path in glob.glob(os.path.expanduser(
            "~/.config/GIMP/3.0/plug-in-settings/*plug-in-style-transfer.last")):
        os.remove(path)


def case_no_style(case):
    image = load("chicago.jpg", width=64)
    rec, _ = run_on_first_layer(case, image, style=None)
    return rec


def case_error_run(case):
    """For the runs with a broken install: call once and record the outcome."""
    image = load("chicago.jpg", width=96)
    image.clean_all()  # still clean afterwards = the failed run left no undo step behind
    rec, _ = run_on_first_layer(case, image)
    rec["dirty"] = image.is_dirty()
    return rec


def composite(image):
    """The picture as GIMP shows it (all visible layers merged, RGBA), from a throw-away copy."""
    dup = image.duplicate()
    merged = dup.merge_visible_layers(Gimp.MergeType.CLIP_TO_IMAGE)
    px = read(merged)
    dup.delete()
    return px


def write(drawable, array, fmt="R'G'B'A u8"):
    h, w = array.shape[:2]
    buffer = drawable.get_buffer()
    buffer.set(Gegl.Rectangle.new(0, 0, w, h), fmt, np.ascontiguousarray(array).tobytes())
    buffer.flush()
    drawable.update(0, 0, w, h)


def run_recording_composite(case, image, source, style="udnie.jpg", **props):
    """Call on `source`; record the composite before/after and whether the image got dirty."""
    image.undo_enable()  # as in the GUI (file_load in batch mode leaves undo off)
    image.clean_all()
    before = composite(image)
    rec = {"call": call(image, [source], style, **props)}
    rec["layers"] = stack(image)
    rec["dirty"] = image.is_dirty()
    rec["before"] = save(case, "before", before)
    rec["after"] = save(case, "after", composite(image))
    return rec


def case_layer_mask(case, on_mask=False):
    # A photo with a layer mask (left third hidden, a ramp in the middle) over white paper.
    image = load("chicago.jpg")
    w, h = image.get_width(), image.get_height()
    source = image.get_layers()[0]
    paper = Gimp.Layer.new(image, "Paper", w, h, Gimp.ImageType.RGB_IMAGE, 100.0,
                           Gimp.LayerMode.NORMAL)
    image.insert_layer(paper, None, 1)
    paper.fill(Gimp.FillType.WHITE)
    mask = source.create_mask(Gimp.AddMaskType.WHITE)
    source.add_mask(mask)
    m = np.full((h, w), 255, np.uint8)
    m[:, : w // 3] = 0
    m[:, w // 3: 2 * w // 3] = np.linspace(0, 255, 2 * w // 3 - w // 3).astype(np.uint8)
    write(mask, m, "Y' u8")
    rec = run_recording_composite(case, image, mask if on_mask else source)
    rec["mask"] = save(case, "mask", read(mask, "Y' u8", np.uint8, 1)[..., 0])
    return rec


def case_mask_selected(case):
    # The same, but the MASK is the selected drawable (as after painting on it in GIMP).
    return case_layer_mask(case, on_mask=True)


def case_semi_transparent_selection(case):
    # A half-transparent photo alone on the canvas, a feathered ellipse selected.
    image = load("chicago.jpg")
    w, h = image.get_width(), image.get_height()
    source = image.get_layers()[0]
    source.add_alpha()
    px = read(source)
    px[..., 3] = 128
    write(source, px)
    image.select_ellipse(Gimp.ChannelOps.REPLACE, w * 0.25, h * 0.2, w * 0.5, h * 0.6)
    Gimp.Selection.feather(image, 16.0)
    rec = run_recording_composite(case, image, source)
    rec["selection"] = save(case, "selection", read_selection(image, 0, 0, w, h))
    return rec


def case_corrupt_style(case):
    broken = os.path.join(OUT, "broken-style.jpg")
    with open(broken, "wb") as f:
        f.write(b"this is not a JPEG " * 64)
    image = load("chicago.jpg", width=96)
    return run_recording_composite(case, image, image.get_layers()[0], broken)


def case_selection_off_layer(case):
    image = load("chicago.jpg", width=96)
    image.resize(300, 200, 150, 100)  # the layer now sits at (150, 100)
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 0, 0, 60, 40)
    return run_recording_composite(case, image, image.get_layers()[0])


def case_missing_style(case):
    image = load("chicago.jpg", width=64)
    return run_recording_composite(case, image, image.get_layers()[0],
                                   "/nowhere/missing-style.jpg")


def case_folder_style(case):
    image = load("chicago.jpg", width=64)
    return run_recording_composite(case, image, image.get_layers()[0], IMAGES)


def case_unused_slot(case):
    # Slot 2 names a file that does not exist, but with weight 0 it takes no part.
    image = load("chicago.jpg", width=64)
    return run_recording_composite(case, image, image.get_layers()[0], "udnie.jpg",
                                   style_2="/nowhere/unused.jpg", weight_2=0.0)


def new_channel(image, name, values):
    """A channel of the image's size holding `values` (HxW uint8, 255 = white)."""
    h, w = values.shape
    channel = Gimp.Channel.new(image, name, w, h, 50.0, Gegl.Color.new("red"))
    image.insert_channel(channel, None, 0)
    write(channel, values, "Y u8")
    return channel


def half(image, left=255, right=0):
    w, h = image.get_width(), image.get_height()
    values = np.full((h, w), right, np.uint8)
    values[:, : w // 2] = left
    return values


def run_map_case(case, image, source, style, **props):
    """The run with regions / maps: composite, layers, dirty (run_recording_composite), the
    source and every channel before and after, the new layer's pixels."""
    channels = [v for v in props.values() if isinstance(v, Gimp.Channel)]
    before = [read(c, "Y u8", np.uint8, 1)[..., 0] for c in channels]
    src_before = read(source)
    ids = {layer.get_id() for layer in image.get_layers()}
    rec = run_recording_composite(case, image, source, style, **props)
    rec["channels_unchanged"] = all(
        np.array_equal(b, read(c, "Y u8", np.uint8, 1)[..., 0]) for b, c in zip(before, channels))
    rec["source_unchanged"] = bool(np.array_equal(src_before, read(source)))
    added = [layer for layer in image.get_layers() if layer.get_id() not in ids]
    rec["added"] = [describe(layer) for layer in added]
    if len(added) == 1:
        rec["result"] = save(case, "result", read(added[0]))
    return rec


def single_render(case, key, image, source, style, **props):
    """A plain run (no maps) on the same source, for the test to compare with; its layer
    is read and removed again."""
    ids = {layer.get_id() for layer in image.get_layers()}
    rec = call(image, [source], style, **props)
    added = [layer for layer in image.get_layers() if layer.get_id() not in ids]
    if rec["status"] == "success" and len(added) == 1:
        rec["pixels"] = save(case, key, read(added[0]))
        rec["name"] = added[0].get_name()
        image.remove_layer(added[0])
    return rec


def case_runtimes(case):
    # Both runtimes inside GIMP: "openvino" fails with the install hint unless OpenVINO from
    # the plug-in's private wheels really imports and compiles in GIMP's Python.
    image = load("chicago.jpg")
    source = image.get_layers()[0]
    return {runtime: single_render(case, runtime, image, source, "udnie.jpg", runtime=runtime)
            for runtime in ("openvino", "litert")}


def case_regions(case):
    # Two styles: udnie limited to a channel (left half white), stripes everywhere else.
    image = load("chicago.jpg")
    source = image.get_layers()[0]
    sky = new_channel(image, "Sky", half(image))
    rec = run_map_case(case, image, source, "udnie.jpg", region_1=sky,
                       style_2=os.path.join(IMAGES, "stripes.jpg"), weight_2=1.0)
    # Filters > Repeat paints the same regions as the interactive run before it (GIMP cannot
    # keep a channel in its last values; the plug-in keeps it, see args.MAPS_AUX). GIMP fills
    # an interactive call's other arguments from its last values, if any.
    rec["interactive"] = single_render(case, "interactive", image, source, "udnie.jpg",
                                       run_mode=Gimp.RunMode.INTERACTIVE, region_1=sky,
                                       style_2=os.path.join(IMAGES, "stripes.jpg"))
    rec["repeat"] = single_render(case, "repeat", image, source, "stripes.jpg",
                                  run_mode=Gimp.RunMode.WITH_LAST_VALS)
    rec["udnie"] = single_render(case, "udnie", image, source, "udnie.jpg")
    rec["stripes"] = single_render(case, "stripes", image, source, "stripes.jpg")
    return rec


def case_strength_map(case):
    # One style, the strength map a LAYER MASK of a hidden helper layer that covers only the
    # RIGHT half of the canvas (offset w/2): the all-white mask there = Strength (1.0); the left
    # half lies outside the mask = black = the picture's own style (strength 0). So the mask
    # is read at its layer's offsets and 0 outside.
    image = load("chicago.jpg")
    source = image.get_layers()[0]
    w, h = image.get_width(), image.get_height()
    helper = Gimp.Layer.new(image, "Fade", w - w // 2, h, Gimp.ImageType.RGB_IMAGE, 100.0,
                            Gimp.LayerMode.NORMAL)
    image.insert_layer(helper, None, 1)
    helper.set_offsets(w // 2, 0)
    helper.set_visible(False)
    fade = helper.create_mask(Gimp.AddMaskType.WHITE)
    helper.add_mask(fade)
    rec = run_map_case(case, image, source, "udnie.jpg", strength_map=fade)
    rec["full"] = single_render(case, "full", image, source, "udnie.jpg", strength=1.0)
    rec["zero"] = single_render(case, "zero", image, source, "udnie.jpg", strength=0.0)
    return rec


def case_scale_map(case):
    # A stroke-size map from a channel: a left-to-right ramp (black = the size at black), with
    # a range that is not the default. The test runs the CLI's --scale-map on the same source
    # and map pixels (saved here) and compares.
    image = load("chicago.jpg", width=384)
    source = image.get_layers()[0]
    w, h = image.get_width(), image.get_height()
    ramp = np.tile(np.linspace(0, 255, w).round().astype(np.uint8), (h, 1))
    strokes = new_channel(image, "Strokes", ramp)
    rec = run_map_case(case, image, source, "udnie.jpg", scale_map=strokes,
                       scale_range_black=0.5, scale_range_white=1.0)
    rec["source_px"] = save(case, "source", read(source))
    rec["map_px"] = save(case, "map", read(strokes, "Y u8", np.uint8, 1)[..., 0])
    # Filters > Repeat after an interactive run repeats the map and its range (GIMP cannot keep
    # the channel in its last values: args.MAPS_AUX). The last values go first: an interactive
    # run takes the maps of the last one (the regions case's Sky) from that aux string, which a
    # script cannot pass.
    forget_last_values()
    rec["interactive"] = single_render(case, "interactive", image, source, "udnie.jpg",
                                       run_mode=Gimp.RunMode.INTERACTIVE, scale_map=strokes,
                                       scale_range_black=0.5, scale_range_white=1.0)
    rec["repeat"] = single_render(case, "repeat", image, source, "stripes.jpg",
                                  run_mode=Gimp.RunMode.WITH_LAST_VALS)
    # a channel of another image as the strokes map: one line, nothing added
    other = load("chicago.jpg", width=96)
    foreign = new_channel(other, "Elsewhere", half(other))
    rec["foreign"] = run_recording_composite(case, image, source, "udnie.jpg",
                                             scale_map=foreign)
    other.delete()
    # ... and the repeat once the strokes channel is deleted: one line, nothing added
    image.remove_channel(strokes)
    rec["gone"] = run_recording_composite(case, image, source, "udnie.jpg",
                                          run_mode=Gimp.RunMode.WITH_LAST_VALS)
    forget_last_values()  # the gone Strokes must not reach the next case's interactive run
    return rec


def case_region_offset(case):
    # The layer sits at (37, 23) on a bigger canvas; the channel covers the canvas, white left
    # of canvas x = 150. Only udnie, in that region: the rest keeps the original.
    image = load("chicago.jpg", width=200)
    image.resize(300, 220, 37, 23)
    source = image.get_layers()[0]
    values = np.zeros((220, 300), np.uint8)
    values[:, :150] = 255
    sky = new_channel(image, "Left", values)
    rec = run_map_case(case, image, source, "udnie.jpg", region_1=sky)
    rec["source_px"] = save(case, "source", read(source))
    return rec


def case_bad_map(case):
    # A region from ANOTHER image, then a region channel deleted after it was chosen.
    image = load("chicago.jpg", width=96)
    source = image.get_layers()[0]
    other = load("chicago.jpg", width=96)
    foreign = new_channel(other, "Elsewhere", half(other))
    rec = {"foreign": run_recording_composite(case, image, source, "udnie.jpg",
                                              region_1=foreign)}
    other.delete()
    # Filters > Repeat after the region's channel was deleted: the last values still name it.
    image = load("chicago.jpg", width=96)
    source = image.get_layers()[0]
    gone = new_channel(image, "Gone", half(image))
    rec["first"] = call(image, [source], "udnie.jpg", run_mode=Gimp.RunMode.INTERACTIVE,
                        region_1=gone, strength=0.9)
    rec["last_file"] = last_values_file()
    image.remove_layer(image.get_layers()[0])
    # Renamed: the id alone is not trusted (ids restart with each GIMP session).
    gone.set_name("Renamed")
    rec["renamed"] = call(image, [source], "udnie.jpg", run_mode=Gimp.RunMode.WITH_LAST_VALS)
    gone.set_name("Gone")
    image.remove_channel(gone)
    rec["repeat"] = run_recording_composite(case, image, source, "udnie.jpg",
                                            run_mode=Gimp.RunMode.WITH_LAST_VALS)
    # A script's own call is not shaped by the last run's regions.
    rec["plain"] = call(image, [source], "udnie.jpg")
    rec["plain_layers"] = stack(image)
    image.remove_layer(image.get_layers()[0])
    # A script passing the deleted channel itself: GIMP refuses it before the plug-in runs.
    rec["script"] = call(image, [source], "udnie.jpg", region_1=gone)
    rec["script_layers"] = stack(image)
    return rec


def _kill_plugin(state, gate):
    """What GIMP does when the user presses Cancel on the progress bar: kill the plug-in
    process. The plug-in is held at its gate stage (STYLE_TRANSFER_TEST_HOLD, set by conftest
    for this GIMP session) and killed there: mid-render however fast the CPU paints.

    The chroot shares the host's PIDs, so other test sessions' plug-ins (other checkouts) show
    in /proc too: only a process whose environment names THIS gate folder is ours. When none
    is found the gate is opened, so the held plug-in finishes instead of hanging the session."""
    import signal

    deadline = time.time() + 120
    while time.time() < deadline:
        if os.path.exists(os.path.join(gate, "reached")):
            for pid in os.listdir("/proc"):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        cmd = f.read()
                    with open(f"/proc/{pid}/environ", "rb") as f:
                        env = f.read()
                except OSError:
                    continue
                if (pid.isdigit() and b"style-transfer.py" in cmd
                        and f"@{gate}".encode() in env):
                    os.kill(int(pid), signal.SIGKILL)
                    state["killed_while_held"] = True
                    return
            state["plugin_not_found"] = True
            break
        time.sleep(0.02)
    else:
        state["never_reached"] = True
    with open(os.path.join(gate, "open"), "w") as f:  # let it finish: the test then fails
        f.write("open")


def case_killed_mid_render(case):
    import threading

    image = load("chicago.jpg", width=1200)
    state = {}
    gate = os.environ["STYLE_TRANSFER_TEST_HOLD"].split("@", 1)[1]
    killer = threading.Thread(target=_kill_plugin, args=(state, gate))
    killer.start()
    rec = run_recording_composite(case, image, image.get_layers()[0])
    killer.join()
    rec.update(state)
    return rec


# -- animation (plug-in-style-transfer-animation) -----------------------------------------------

ANIM_PROC = "plug-in-style-transfer-animation"


def call_animation(image, style="udnie.jpg", **props):
    """The animation procedure through the PDB; the record says what happened and how many
    images GIMP holds afterwards (a failed or killed run must leave none behind)."""
    proc = Gimp.get_pdb().lookup_procedure(ANIM_PROC)
    if proc is None:
        raise RuntimeError(f"{ANIM_PROC} is not registered")
    config = proc.create_config()
    config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
    config.set_property("image", image)  # the frames are its layers, whichever are selected
    config.set_property("style-1", os.path.join(IMAGES, style))
    for key, value in props.items():
        config.set_property(key.replace("_", "-"), value)
    before = len(Gimp.get_images())
    start = time.time()
    result = proc.run(config)
    rec = {"status": result.index(0).value_nick, "seconds": round(time.time() - start, 2)}
    if result.index(0) == Gimp.PDBStatusType.SUCCESS:
        rec["new_image"] = result.index(1)
    else:
        message = result.index(1) if result.length() > 1 else None
        rec["message"] = message if isinstance(message, str) else str(message)
    rec["images_added"] = len(Gimp.get_images()) - before
    return rec


def animation_image():
    """Five frames of 256 px chicago: names with delays; frame 3 a small semi-transparent
    "(combine)" layer at an offset; frame 4 a layer group; frame 5 a smaller layer partly off
    the canvas (transparent around it)."""
    image = load("chicago.jpg", width=256)
    w, h = image.get_width(), image.get_height()
    bottom = image.get_layers()[0]
    bottom.set_name("Frame 1 (100ms)")
    photo = read(bottom)

    def add(layer, parent=None, x=0, y=0, pixels=None):
        image.insert_layer(layer, parent, 0)
        layer.set_offsets(x, y)
        if pixels is not None:
            write(layer, pixels)
        return layer

    def rgba(name, lw, lh):
        return Gimp.Layer.new(image, name, lw, lh, Gimp.ImageType.RGBA_IMAGE, 100.0,
                              Gimp.LayerMode.NORMAL)

    add(rgba("Frame 2 (120ms) (replace)", w, h), pixels=np.roll(photo, 4, axis=1))
    spark = np.zeros((40, 60, 4), np.uint8)
    spark[..., 0] = np.linspace(80, 255, 60, dtype=np.uint8)[None, :]
    spark[..., 1] = 40
    spark[..., 2] = np.linspace(255, 60, 40, dtype=np.uint8)[:, None]
    spark[..., 3] = 170
    spark[10:30, 20:40, 3] = 0  # a hole: the frame before shows through
    add(rgba("Sparkle (80ms) (combine)", 60, 40), x=50, y=30, pixels=spark)
    group = Gimp.GroupLayer.new(image, "Group (100ms) (replace)")
    image.insert_layer(group, None, 0)
    add(rgba("shifted", w, h), group, pixels=np.roll(photo, 8, axis=1))
    square = np.zeros((30, 30, 4), np.uint8)
    square[..., 1], square[..., 3] = 220, 255
    add(rgba("square", 30, 30), group, x=100, y=20, pixels=square)
    add(rgba("Frame 5 (replace)", 120, 80), x=-20, y=30, pixels=photo[:80, 30:150])
    return image


def read_canvas(layer):
    """The layer over its image's canvas (transparent where it does not reach)."""
    image = layer.get_image()
    w, h = image.get_width(), image.get_height()
    _, x, y = layer.get_offsets()
    data = layer.get_buffer().get(Gegl.Rectangle.new(-x, -y, w, h), 1.0, "R'G'B'A u8",
                                  Gegl.AbyssPolicy.NONE)
    return np.frombuffer(bytes(data), dtype=np.uint8).reshape(h, w, 4).copy()


def shown_frames(image):
    """Each frame as GIMP itself composites it (the layer alone, or over the frame before for
    "(combine)"), from throw-away copies: the reference the plug-in's own reading must match."""
    out = []
    count = len(image.get_layers())
    for k in range(count):  # frame k+1 is layer count-1-k
        dup = image.duplicate()
        layers = dup.get_layers()
        show = {count - 1 - k}
        if "(combine)" in layers[count - 1 - k].get_name():
            show.add(count - k)
        for i, layer in enumerate(layers):
            layer.set_visible(i in show)
        out.append(read_canvas(dup.merge_visible_layers(Gimp.MergeType.CLIP_TO_IMAGE)))
        dup.delete()
    return out


def in_gimp_engine():
    """The engine the plug-in runs, imported into this script's Python (GIMP's), so the
    reference stylization runs on the same runtime and machine."""
    plugin = os.path.expanduser("~/.config/GIMP/3.0/plug-ins/style-transfer")
    if plugin not in sys.path:
        sys.path.insert(0, plugin)
        sys.path.append(os.path.join(plugin, "style_transfer", "_deps"))
    from style_transfer.gimp.host import new_engine

    return new_engine("int8")


def record_new_image(case, key, new):
    layers = new.get_layers()
    names = [layer.get_name() for layer in layers]
    files = [save(case, f"{key}-{i}", read(layer)) for i, layer in enumerate(reversed(layers))]
    size = [new.get_width(), new.get_height()]
    new.delete()
    return {"names": names, "frames": files, "size": size}


def case_animation(case):
    image = animation_image()
    image.undo_enable()  # as in the GUI (file_load in batch mode leaves undo off)
    image.clean_all()
    sources = [read(layer) for layer in image.get_layers()]
    rec = {"source_names": [layer.get_name() for layer in image.get_layers()],
           "size": [image.get_width(), image.get_height()]}
    for key, stability in (("still", 0.0), ("steady", 0.9)):
        call_rec = call_animation(image, stability=stability)
        new = call_rec.pop("new_image", None)
        rec[key] = call_rec
        if new is not None:
            rec[key].update(record_new_image(case, key, new))
    rec["dirty"] = image.is_dirty()
    rec["source_unchanged"] = all(np.array_equal(a, read(layer))
                                  for a, layer in zip(sources, image.get_layers()))
    rec["source_layers_after"] = [layer.get_name() for layer in image.get_layers()]
    eng = in_gimp_engine()
    from style_transfer.engine import RenderOptions

    rec["reference"], rec["shown"] = [], []
    for k, frame in enumerate(shown_frames(image)):
        rec["shown"].append(save(case, f"shown-{k}", frame))
        painted = eng.stylize(frame, [os.path.join(IMAGES, "udnie.jpg")], None,
                              RenderOptions(model="int8"))
        rec["reference"].append(save(case, f"reference-{k}", painted))
    return rec


def case_animation_refused(case):
    image = load("chicago.jpg", width=64)
    image.undo_enable()
    image.clean_all()
    rec = {"one_layer": call_animation(image), "dirty": image.is_dirty()}
    rec["layers"] = len(image.get_layers())
    return rec


def case_animation_killed(case):
    """GIMP's Cancel on the progress bar kills the plug-in: here it is killed while held at
    "frame 3/5" (STYLE_TRANSFER_TEST_HOLD, set by conftest for this session), two frames
    painted. Then a short clip runs, which must clear the killed run's spool."""
    import glob
    import tempfile
    import threading

    image = animation_image()
    image.undo_enable()
    image.clean_all()
    sources = [read(layer) for layer in image.get_layers()]
    state = {}
    gate = os.environ["STYLE_TRANSFER_TEST_HOLD"].split("@", 1)[1]
    killer = threading.Thread(target=_kill_plugin, args=(state, gate))
    killer.start()
    rec = {"call": call_animation(image)}
    killer.join()
    rec.update(state)
    rec["call"].pop("new_image", None)
    spools = os.path.join(tempfile.gettempdir(), "style-transfer-clip-*")
    left = glob.glob(spools)
    rec["spools_after_kill"] = len(left)
    rec["spooled_frames"] = [len(glob.glob(os.path.join(f, "*.npy"))) for f in left]
    rec["dirty"] = image.is_dirty()
    rec["source_unchanged"] = all(np.array_equal(a, read(layer))
                                  for a, layer in zip(sources, image.get_layers()))
    short = load("chicago.jpg", width=48)
    short.insert_layer(Gimp.Layer.new_from_drawable(short.get_layers()[0], short), None, 0)
    after = call_animation(short)
    new = after.pop("new_image", None)
    rec["short"] = after
    if new is not None:
        new.delete()
    rec["spools_after_next_run"] = len(glob.glob(spools))
    return rec


results = {"gimp": Gimp.version(), "python": sys.version.split()[0], "cases": {}}
for name in CONFIG["cases"]:
    start = time.time()
    try:
        record = globals()["case_" + name](name)
    except Exception:  # record and go on: one broken case must not hide the others
        record = {"exception": traceback.format_exc()}
    record["case_seconds"] = round(time.time() - start, 2)
    results["cases"][name] = record
    print(f"[batch] {name}: {record.get('call', record.get('exception'))}", file=sys.stderr,
          flush=True)

tmp = CONFIG["result_file"] + ".part"
with open(tmp, "w", encoding="utf-8") as f:
    json.dump(results, f, indent=1)
os.replace(tmp, CONFIG["result_file"])
