"""Labels and help texts both hosts show, written once so Krita, GIMP and the CLI agree."""

from __future__ import annotations

from typing import List, Tuple

STRENGTH_LABEL = "Strength"
STRENGTH_HELP = (
    "How much of the chosen style: 100% = the style image's look; 0% = the picture repainted in "
    "its own style (not the original picture — hide or delete the result layer for that)."
)
SCALE_HELP = (
    "Size of the brush strokes. Auto paints big images at about 1024 px and scales back with "
    "guided upsampling; 1× paints at full resolution (finest strokes, slowest); 0.5× gives "
    "strokes twice as large."
)
KEEP_COLORS_HELP = "Take the lightness from the style and keep the picture's own colours."
RUNTIME_CHOICES: Tuple[Tuple[str, str], ...] = (
    ("auto", "Automatic (OpenVINO when it works, else LiteRT)"),
    ("openvino", "OpenVINO"),
    ("litert", "LiteRT (reference)"),
)


def model_choices() -> List[Tuple[str, str, str]]:
    """(name, label, one-line help) for each Model choice, from the one list in engine/models.py.
    Works without the engine's packages too (a zip-only install shows its docker before
    *Install dependencies*): the engine package imports numpy/Pillow/LiteRT only on first use
    of its names, and models.py uses the standard library only."""
    from ..engine import models

    return [(c.name, c.label, c.help) for c in models.model_choices()]


FRAMES_CHOICES: Tuple[Tuple[str, str], ...] = (
    ("current", "Current frame"),
    ("keys", "All keyframes"),
    ("range", "Playback range"),
)
FRAMES_HELP = (
    "Current frame: a still of what the layer shows now. All keyframes / Playback range: a new "
    "animated layer with a stylized copy of every keyframe (in the range), at the same times, "
    "so holds stay holds."
)
STABILITY_HELP = (
    "How steady the strokes stay from frame to frame in an animation: 0% stylizes every frame "
    "on its own (the strokes swim), higher values carry the strokes along with the motion."
)


def default_stability() -> float:
    """The engine's default stability (engine/clip.py), the one value all front ends show.
    Before the engine's packages are installed (a zip-only install) the slider shows the
    middle; no render can run then anyway."""
    try:
        from ..engine.clip import DEFAULT_STABILITY
    except ImportError:
        return 0.5
    return float(DEFAULT_STABILITY)
