"""One run of the filter in three steps, so the image is touched only once the result exists:

1. read()   — check the targets and read every input (pixels, selection, layer mask) from GIMP;
2. render() — paint in memory (pure numpy + engine: safe in a worker thread, cancellable);
3. commit() — open ONE undo group, add the new layer(s), close it.

An error or a Cancel during 1 or 2 leaves no trace: no layer, no undo step, not dirty. GIMP's own
Cancel on the progress bar kills the plug-in process; since no undo group is open during the
render, GIMP then has nothing to clean up and prints no warning.

GIMP calls (libgimp talks to GIMP over a pipe) happen only in read() and commit(), from the
plug-in's main thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import numpy as np
from gi.repository import Gegl, Gimp

from ..common import coverage, maps, naming
from ..common.settings import JobSettings, MapRef
from . import pixels
from .args import PlugInError

ProgressFn = Callable[[float, str], None]


@dataclass
class Target:
    """A source layer's pixels to paint, read before anything is changed."""

    source: Gimp.Layer
    x: int  # canvas position of the region (the new layer goes there)
    y: int
    content: np.ndarray  # (H, W, 4) in fmt.dtype, sRGB-encoded
    coverage: Optional[np.ndarray]  # (H, W) selection x layer mask, None = everything
    masks: Dict[MapRef, np.ndarray] = field(default_factory=dict)  # regions / maps, (H, W)


def layers_of(drawables: List[Gimp.Drawable]) -> List[Gimp.Drawable]:
    """A selected layer MASK stands for its layer: after painting a mask it is what GIMP
    passes, and the user means the layer (its mask shapes the result anyway)."""
    out = []
    for d in drawables:
        layer = Gimp.Layer.from_mask(d) if isinstance(d, Gimp.LayerMask) else d
        if layer.get_id() not in [o.get_id() for o in out]:
            out.append(layer)
    return out


def check_targets(image: Gimp.Image, drawables: List[Gimp.Drawable]) -> None:
    if image.get_base_type() == Gimp.ImageBaseType.INDEXED:
        raise PlugInError(
            "Style transfer needs an RGB or grayscale image; this one is indexed. "
            "Convert it with Image > Mode > RGB, then run the filter again.")
    if not drawables:
        raise PlugInError("Select the layer to stylize in the Layers dialog.")
    for drawable in drawables:
        # The result goes in a new layer above the source, which only a layer can have.
        if not isinstance(drawable, Gimp.Layer):
            raise PlugInError(
                f"'{drawable.get_name()}' is a channel; select a layer instead.")
        if drawable.is_floating_sel():
            raise PlugInError("Anchor or convert the floating selection to a layer first.")


def pixel_format(image: Gimp.Image) -> pixels.PixelFormat:
    return pixels.format_for_precision(image.get_precision().value_nick)


def _read_mask(drawable: Gimp.Drawable, x: int, y: int, w: int, h: int) -> np.ndarray:
    data = drawable.get_buffer().get(Gegl.Rectangle.new(x, y, w, h), 1.0, pixels.MASK_FORMAT,
                                     Gegl.AbyssPolicy.NONE)
    return pixels.mask_from_bytes(data, w, h)


def map_channel(image: Gimp.Image, ref: MapRef) -> Gimp.Channel:
    """The channel or layer mask a region / strength map names, or PlugInError saying why not
    (deleted since it was chosen, or a channel of another image)."""
    item = Gimp.Item.get_by_id(int(ref.key)) if ref.key.lstrip("-").isdigit() else None
    # The name must match too: ids restart with every GIMP session, and the last values keep
    # the id (args.MAPS_AUX), so an old id may name some other channel today.
    if (item is None or not item.is_valid() or not isinstance(item, Gimp.Channel)
            or item.get_name() != ref.name):
        raise PlugInError(f"The channel '{ref.name}' chosen as a region or map is gone "
                          "(deleted or renamed?): choose another one or none in the dialog.")
    if item.get_image().get_id() != image.get_id():
        raise PlugInError(f"The channel '{ref.name}' belongs to another image: choose a "
                          "channel or layer mask of this image as the region or map.")
    return item


def read_maps(image: Gimp.Image, settings: Optional[JobSettings], x: int, y: int, w: int,
              h: int) -> Dict[MapRef, np.ndarray]:
    """Every region / map of the job over the canvas rectangle (x, y, w, h): the channel's
    pixels there (a layer mask sits at its layer's offsets), 0 outside the channel. Channels
    are only read, never changed."""
    out = {}
    for ref in settings.map_refs() if settings is not None else []:
        channel = map_channel(image, ref)
        _, cx, cy = channel.get_offsets()
        out[ref] = _read_mask(channel, x - cx, y - cy, w, h)
    return out


def read_one(image: Gimp.Image, layer: Gimp.Layer, fmt: pixels.PixelFormat,
             has_selection: bool, settings: Optional[JobSettings] = None) -> Optional[Target]:
    """The target for one layer, or None when the selection / mask leaves nothing to paint."""
    width, height = layer.get_width(), layer.get_height()
    region = pixels.work_region((width, height), layer.mask_intersect(), has_selection)
    if region is None:
        return None
    _, off_x, off_y = layer.get_offsets()
    rect = Gegl.Rectangle.new(region.x, region.y, region.width, region.height)
    # The layer's own buffer is in layer coordinates; babl converts gray / no-alpha / linear
    # storage to the sRGB RGBA format we ask for.
    data = layer.get_buffer().get(rect, 1.0, fmt.babl, Gegl.AbyssPolicy.NONE)
    content = pixels.bytes_to_rgba(data, region.width, region.height, fmt)

    selection = layer_mask = None
    if has_selection:  # the selection channel covers the canvas: shift by the layer's offsets
        selection = _read_mask(image.get_selection(), off_x + region.x, off_y + region.y,
                               region.width, region.height)
    mask = layer.get_mask()
    if mask is not None and layer.get_apply_mask():  # a disabled mask hides nothing
        layer_mask = _read_mask(mask, region.x, region.y, region.width, region.height)
    cover = pixels.effective_mask(coverage.combine(selection, layer_mask))
    if coverage.is_empty(cover):
        return None
    x, y = off_x + region.x, off_y + region.y
    masks = read_maps(image, settings, x, y, region.width, region.height)
    return Target(layer, x, y, content, cover, masks)


def read(image: Gimp.Image, drawables: List[Gimp.Drawable],
         settings: Optional[JobSettings] = None) -> List[Target]:
    """The targets with their pixels, coverage and (given the settings) regions and maps."""
    drawables = layers_of(drawables)
    check_targets(image, drawables)
    fmt = pixel_format(image)
    has_selection = not Gimp.Selection.is_empty(image)
    targets = [t for t in (read_one(image, d, fmt, has_selection, settings) for d in drawables)
               if t]
    if not targets:
        raise PlugInError("The selection (or the layer mask) leaves nothing of the selected "
                          "layer(s) to stylize: select an area that overlaps them.")
    return targets


def render(engine: Any, targets: List[Target], settings: JobSettings,
           progress: Optional[ProgressFn] = None, cancel: Any = None) -> List[np.ndarray]:
    """The new layers' pixels: stylized (per pixel by the job's regions and maps, see
    common/maps.py), alpha = source alpha x selection x layer mask (the engine carries the
    source alpha; common.coverage multiplies in the rest)."""
    results = []
    for index, target in enumerate(targets):
        def step(fraction: float, stage: str, _i: int = index) -> None:
            if progress is not None:
                progress((_i + max(0.0, min(1.0, fraction))) / len(targets), stage)

        painted = maps.render(engine, target.content, settings, target.masks, step, cancel)
        results.append(coverage.apply_to_alpha(painted, target.coverage))
    return results


def _all_names(items: List[Any]) -> List[str]:
    names = []
    for item in items:
        names.append(item.get_name())
        if item.is_group():
            names += _all_names(list(item.get_children()))
    return names


def commit(image: Gimp.Image, targets: List[Target], results: List[np.ndarray],
           settings: JobSettings) -> List[Gimp.Layer]:
    """Add one new layer above each source, all in ONE undo group (one Ctrl+Z removes them)."""
    fmt = pixel_format(image)
    layer_type = (Gimp.ImageType.GRAYA_IMAGE if image.get_base_type() == Gimp.ImageBaseType.GRAY
                  else Gimp.ImageType.RGBA_IMAGE)
    names = _all_names(list(image.get_layers()))
    created = []
    image.undo_group_start()
    try:
        for target, result in zip(targets, results):
            h, w = result.shape[:2]
            name = naming.result_name(settings, names)
            names.append(name)
            layer = Gimp.Layer.new(image, name, w, h, layer_type, 100.0, Gimp.LayerMode.NORMAL)
            # Same parent and position as the source puts the new layer directly above it.
            image.insert_layer(layer, target.source.get_parent(),
                               image.get_item_position(target.source))
            layer.set_offsets(target.x, target.y)
            buffer = layer.get_buffer()  # a brand-new layer: undoing the insert removes it
            buffer.set(Gegl.Rectangle.new(0, 0, w, h), fmt.babl,
                       pixels.rgba_to_bytes(result, fmt))
            buffer.flush()
            layer.update(0, 0, w, h)
            created.append(layer)
    finally:
        image.undo_group_end()
    Gimp.displays_flush()
    return created
