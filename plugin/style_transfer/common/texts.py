"""Labels and help texts both hosts show, written once so Krita, GIMP and the CLI agree."""

from __future__ import annotations

from typing import Any, List, Tuple

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
    *Install dependencies*): engine/__init__ imports numpy/Pillow/LiteRT, models.py does not."""
    try:
        from ..engine import models
    except ImportError:
        models = _models_by_path()

    fn = getattr(models, "model_choices", None)
    if fn is not None:  # the list with labels
        return [(c.name, c.label, c.help) for c in fn()]
    labels = {"int8": "Fast (int8)", "f16": "Quality (f16)", "int8-fixed": "Fastest (full int8)"}
    return [(name, labels.get(name, name), name) for name in models.MODEL_CHOICES]


def _models_by_path() -> Any:
    """engine/models.py loaded as a file, without running engine/__init__ (as installer.py does)."""
    import importlib.util
    import sys
    from pathlib import Path

    if "_style_transfer_models" in sys.modules:
        return sys.modules["_style_transfer_models"]
    path = Path(__file__).resolve().parents[1] / "engine" / "models.py"
    spec = importlib.util.spec_from_file_location("_style_transfer_models", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module
