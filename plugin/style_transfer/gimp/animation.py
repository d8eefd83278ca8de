"""Filters > Animation > Style Transfer: an image whose layers are frames (GIMP's animation
convention, frame_names.py) stylized into a NEW image, one layer per frame.

1. plan()  — check the image (one line per problem, nothing created) and list its frames,
             bottom layer first;
2. frames() reads one frame at a time, as the clip renderer asks for it: the layer as it shows
             on the canvas (offsets, layer mask and opacity; a layer group as its children
             composited), a "(combine)" frame drawn over the frame shown before it;
3. the engine's clip renderer (common/animate.py -> engine/clip.py) paints frame after frame;
   each result goes to a spool file on disk, so a long clip is never held in memory;
4. build() creates the new image from the spool only once every frame is painted.

Why the new image is made last: GIMP's Cancel on the progress bar kills the plug-in, and an
image a plug-in made stays in GIMP after it dies. Made last, a cancel or an error anywhere
leaves no half image, and the source image is only ever read (pixels and dirty state as they
were). A spool left by a killed run is removed by the next run.

GIMP calls happen on the plug-in's main thread only (reading frames, building the image).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional

import numpy as np
from gi.repository import Gegl, Gimp

from ..common import animate, coverage
from ..common.settings import JobSettings
from . import args, job, pixels
from .args import PlugInError
from .frame_names import FrameName, combine, parse

ProgressFn = Callable[[float, str], None]
STILL_MENU = "Filters › Artistic › Style Transfer…"
SPOOL_PREFIX = "style-transfer-clip-"


@dataclass(frozen=True)
class Frame:
    layer: Gimp.Layer  # a top-level layer or layer group
    name: FrameName


@dataclass
class Clip:
    image: Gimp.Image
    frames: List[Frame]  # bottom layer first: frame 1
    width: int
    height: int
    fmt: pixels.PixelFormat


def plan(image: Gimp.Image) -> Clip:
    """The frames of `image`, or PlugInError with the one line that says why it cannot run."""
    if image.get_base_type() == Gimp.ImageBaseType.INDEXED:
        raise PlugInError(
            "Style transfer needs an RGB or grayscale image; this one is indexed. "
            "Convert it with Image > Mode > RGB, then run the filter again.")
    if image.get_floating_sel() is not None:
        raise PlugInError("Anchor or convert the floating selection to a layer first.")
    layers = list(image.get_layers())
    if len(layers) < 2:
        count = "no layers" if not layers else "one layer"
        raise PlugInError(
            f"This image is not an animation: it has {count} (each layer is a frame, the "
            f"bottom one first); use {STILL_MENU} for a still.")
    frames = [Frame(layer, parse(layer.get_name())) for layer in reversed(layers)]
    return Clip(image, frames, image.get_width(), image.get_height(), job.pixel_format(image))


def settings_from_config(config: Gimp.ProcedureConfig) -> JobSettings:
    """The stills procedure's settings (args.py) with the clip's stability."""
    return args.settings_from_config(config).replace(
        stability=float(config.get_property("stability")))


def _to_float(a: np.ndarray) -> np.ndarray:
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    if a.dtype == np.uint16:
        return a.astype(np.float32) / 65535.0
    return a.astype(np.float32)


def _from_float(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype == np.uint8:
        return np.round(np.clip(a, 0.0, 1.0) * 255.0).astype(np.uint8)
    if dtype == np.uint16:
        return np.round(np.clip(a, 0.0, 1.0) * 65535.0).astype(np.uint16)
    return a.astype(dtype)


def read_layer(clip: Clip, layer: Gimp.Layer) -> np.ndarray:
    """The layer as it shows on the canvas (HxWx4 in clip.fmt): its pixels at its offsets,
    transparent outside it, alpha x layer mask x opacity. A group's buffer is its projection
    (its children composited)."""
    _, ox, oy = layer.get_offsets()
    w, h = clip.width, clip.height
    rect = Gegl.Rectangle.new(-ox, -oy, w, h)  # the canvas in the layer's coordinates
    data = layer.get_buffer().get(rect, 1.0, clip.fmt.babl, Gegl.AbyssPolicy.NONE)
    rgba = pixels.bytes_to_rgba(data, w, h, clip.fmt)
    cover = None
    mask = layer.get_mask()
    if mask is not None and layer.get_apply_mask():
        mdata = mask.get_buffer().get(rect, 1.0, pixels.MASK_FORMAT, Gegl.AbyssPolicy.NONE)
        cover = pixels.mask_from_bytes(mdata, w, h)
    opacity = float(layer.get_opacity()) / 100.0
    if opacity < 1.0:
        cover = np.full((h, w), opacity, np.float32) if cover is None else cover * opacity
    return rgba if cover is None else coverage.apply_to_alpha(rgba, cover)


def frames(clip: Clip) -> Iterator[np.ndarray]:
    """Each frame as shown, in order; only the frame before is kept (for "(combine)")."""
    shown: Optional[np.ndarray] = None
    for frame in clip.frames:
        own = read_layer(clip, frame.layer)
        if frame.name.combine and shown is not None:
            own = _from_float(combine(_to_float(own), _to_float(shown)), clip.fmt.dtype)
        shown = own
        yield own


class Spool:
    """The painted frames on disk until the new image is built (a temporary folder named with
    this process's id; folders of processes that are gone are removed on the next run)."""

    def __init__(self) -> None:
        remove_stale_spools()
        self.folder = Path(tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-"))
        self.count = 0

    def add(self, frame: np.ndarray) -> None:
        np.save(self.folder / f"{self.count:06d}.npy", frame, allow_pickle=False)
        self.count += 1

    def take(self, k: int) -> np.ndarray:
        path = self.folder / f"{k:06d}.npy"
        frame = np.load(path, allow_pickle=False)
        path.unlink()
        return frame

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def remove_stale_spools() -> None:
    for folder in Path(tempfile.gettempdir()).glob(f"{SPOOL_PREFIX}*-*"):
        pid = folder.name[len(SPOOL_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_masks(clip: Clip, settings: JobSettings) -> Any:
    """The job's regions / maps over the canvas (every frame covers the canvas)."""
    return job.read_maps(clip.image, settings, 0, 0, clip.width, clip.height)


def render(engine: Any, clip: Clip, settings: JobSettings, spool: Spool,
           progress: Optional[ProgressFn] = None, cancel: Any = None) -> None:
    """Paint every frame into `spool` (the clip renderer: stability, holds, progress
    "frame k/n", cancel)."""
    masks = read_masks(clip, settings) if settings.uses_maps else None
    n = len(clip.frames)
    for out in animate.render_frames(engine, settings, frames(clip), n, masks, progress,
                                     cancel):
        spool.add(out)


def build(clip: Clip, spool: Spool) -> Gimp.Image:
    """The new image: one layer per frame, frame 1 at the bottom, each named like its source
    with its delay and "(replace)" (every painted frame is whole)."""
    src = clip.image
    gray = src.get_base_type() == Gimp.ImageBaseType.GRAY
    image = Gimp.Image.new_with_precision(
        clip.width, clip.height,
        Gimp.ImageBaseType.GRAY if gray else Gimp.ImageBaseType.RGB, src.get_precision())
    image.undo_disable()  # building it is not something to undo, frame by frame
    try:
        _, xres, yres = src.get_resolution()
        image.set_resolution(xres, yres)
        profile = src.get_color_profile()
        if profile is not None:
            image.set_color_profile(profile)
        layer_type = Gimp.ImageType.GRAYA_IMAGE if gray else Gimp.ImageType.RGBA_IMAGE
        for k, frame in enumerate(clip.frames):
            rgba = spool.take(k)
            layer = Gimp.Layer.new(image, frame.name.result(), clip.width, clip.height,
                                   layer_type, 100.0, Gimp.LayerMode.NORMAL)
            image.insert_layer(layer, None, 0)  # above the frames before it
            buffer = layer.get_buffer()
            buffer.set(Gegl.Rectangle.new(0, 0, clip.width, clip.height), clip.fmt.babl,
                       pixels.rgba_to_bytes(rgba, clip.fmt))
            buffer.flush()
            del rgba
    except BaseException:
        image.delete()
        raise
    image.undo_enable()
    return image
