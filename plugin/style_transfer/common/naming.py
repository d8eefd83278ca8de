"""Result layer names: which styles, how strong, and every option that differs from the
defaults, so two results never look alike in the Layers panel; a repeat gets " (2)", " (3)"."""

from __future__ import annotations

from typing import Iterable, Optional

from .maps import describe
from .settings import DEFAULT_MODEL, DEFAULT_STYLE_MODE, JobSettings

PREFIX = "Stylized"
MAX_STYLES_SHOWN = 3


def _scale_text(scale: Optional[float]) -> Optional[str]:
    if scale is None:
        return None  # auto is the default
    return f"scale {scale:g}×"


def base_name(settings: JobSettings) -> str:
    """E.g. "Stylized · udnie 60% + stripes 40% · 80% · keep colours · f16 · scale 1×", or with
    regions "Stylized · udnie in sky + stripes 100% · strength map fade"."""
    active = settings.active_styles
    total = sum(s.weight for s in active) or 1.0
    if any(s.region is not None for s in active):
        # each style is whole inside its region: say where, not a share of one mix
        parts = [f"{s.name or 'style'} in {s.region.name}" if s.region else (s.name or "style")
                 for s in active]
    elif len(active) > 1:
        parts = [f"{s.name or 'style'} {round(100 * s.weight / total)}%" for s in active]
    else:
        parts = [s.name or "style" for s in active] or ["style"]
    shown = " + ".join(parts[:MAX_STYLES_SHOWN]) + (" + …" if len(parts) > MAX_STYLES_SHOWN else "")
    extras = []
    if settings.preserve_colors:
        extras.append("keep colours")
    if settings.model != DEFAULT_MODEL:
        extras.append(settings.model)
    scale = None if settings.scale_map is not None else _scale_text(settings.scale)
    if scale:  # a stroke-size map replaces the scale (maps.describe names its range)
        extras.append(scale)
    if settings.style_mode != DEFAULT_STYLE_MODE:
        extras.append(f"style {settings.style_mode}")
    extras.extend(describe(settings))
    if settings.animated and settings.stability is not None:
        extras.append(f"stability {round(settings.stability * 100)}%")
    # the runtime is left out on purpose: it changes the speed, not the look
    head = f"{PREFIX} · {shown} {round(settings.strength * 100)}%"
    return " · ".join([head, *extras])


def unique_name(base: str, existing: Iterable[str]) -> str:
    """`base`, or `base (2)`, `base (3)`… — the first that no existing layer carries."""
    taken = set(existing)
    if base not in taken:
        return base
    n = 2
    while f"{base} ({n})" in taken:
        n += 1
    return f"{base} ({n})"


def result_name(settings: JobSettings, existing: Iterable[str] = ()) -> str:
    return unique_name(base_name(settings), existing)
