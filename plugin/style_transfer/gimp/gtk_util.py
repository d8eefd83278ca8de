"""Small GTK 3 helpers the dialog parts share: arrays as pixbufs, image file filters."""

from __future__ import annotations

from typing import Optional

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("GdkPixbuf", "2.0")
import numpy as np  # noqa: E402
from gi.repository import GdkPixbuf, GLib, Gtk  # noqa: E402

# What the engine reads (Pillow) plus the style presets; the chooser shows only these.
IMAGE_PATTERNS = ("*.png", "*.jpg", "*.jpeg", "*.tif", "*.tiff", "*.webp", "*.bmp", "*.gif")
PRESET_PATTERNS = ("*.json",)


def pixbuf_from_array(rgb: np.ndarray, max_side: Optional[int] = None) -> GdkPixbuf.Pixbuf:
    """uint8 (H, W, 3|4) or gray (H, W) -> a pixbuf, scaled to fit max_side if given."""
    a = np.asarray(rgb)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    a = np.ascontiguousarray(a[:, :, :3], dtype=np.uint8)
    h, w = a.shape[:2]
    pix = GdkPixbuf.Pixbuf.new_from_bytes(GLib.Bytes.new(a.tobytes()),
                                          GdkPixbuf.Colorspace.RGB, False, 8, w, h, w * 3)
    if max_side and max(h, w) > max_side:
        f = max_side / max(h, w)
        pix = pix.scale_simple(max(1, round(w * f)), max(1, round(h * f)),
                               GdkPixbuf.InterpType.BILINEAR)
    return pix


def style_filters() -> list:
    """File filters for the style chooser: images and presets first, then each on its own."""
    def make(name: str, patterns: tuple) -> Gtk.FileFilter:
        f = Gtk.FileFilter()
        f.set_name(name)
        for p in patterns:
            f.add_pattern(p)
            f.add_pattern(p.upper())
        return f

    return [make("Style images and presets", IMAGE_PATTERNS + PRESET_PATTERNS),
            make("Images", IMAGE_PATTERNS), make("Style presets (.json)", PRESET_PATTERNS)]


def style_thumbnail(path: str, side: int) -> Optional[GdkPixbuf.Pixbuf]:
    """A thumbnail of a style image or preset (None when the file cannot be shown)."""
    if not path:
        return None
    try:
        if path.lower().endswith(".json"):
            from ..engine.style import load_preset

            thumb = load_preset(path).thumbnail
            return None if thumb is None else pixbuf_from_array(thumb, side)
        return GdkPixbuf.Pixbuf.new_from_file_at_size(path, side, side)
    except Exception:  # a thumbnail must never break the dialog
        return None


def lay_out_columns(dialog: Gtk.Dialog, left_parts: list[Gtk.Widget],
                    right: Gtk.Widget) -> None:
    """The plug-in dialogs' layout: settings stacked on the left, the preview on the right."""
    left = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=8)
    for part in left_parts:
        left.pack_start(part, False, False, 0)
    columns = Gtk.Box(spacing=12)
    columns.set_border_width(6)
    columns.pack_start(left, True, True, 0)
    columns.pack_start(right, True, True, 0)
    dialog.get_content_area().pack_start(columns, True, True, 0)
    columns.show_all()
