"""What the stills command and `style-transfer animate` (cli_animate.py) share, defined once:
the render options and their parsing, usage errors, the command line's fix hints, and the checks
made before anything is rendered."""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from .engine.models import fix_hint

PROG = "style-transfer"
#: the command line's own fixes, for messages the engine and common/messages.py word
MODELS_HINT = fix_hint(f"run `{PROG} models fetch`", "pass --models DIR")
INSTALL_HINT = ("Fix: install them into that Python with pip (`pip install .` in the "
                "style-transfer folder brings every one).")


class UsageError(Exception):
    pass


def _strength(text: str) -> float:
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number (use 0.8 or 80%)") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"strength must be 0..1 or 0%..100%, not {text}")
    return value


def _scale(text: str) -> Optional[float]:
    from .engine.render import MAX_SCALE, MIN_SCALE

    if text == "auto":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not 'auto' or a number") from None
    if not (math.isfinite(value) and MIN_SCALE <= value <= MAX_SCALE):
        raise argparse.ArgumentTypeError(
            f"scale must be 'auto' or {MIN_SCALE:g}..{MAX_SCALE:g}, not {text}")
    return value


def _threads(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"threads must be 1 or more, not {text}")
    return value


def _weights(text: str) -> List[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list") from None


@dataclass(frozen=True)
class RegionArg:
    """--region MASK=STYLE[:W][,STYLE[:W]...]: the styles painted where MASK is white."""

    mask: str
    styles: Tuple[str, ...]
    weights: Tuple[float, ...]  # normalised like --weights; 1 each when not given


def _region(text: str) -> RegionArg:
    mask, eq, rest = text.partition("=")
    if not eq or not mask or not rest:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not MASK=STYLE[,STYLE...] (e.g. sky.png=udnie.jpg:0.7,stripes.jpg:0.3)")
    styles: List[str] = []
    weights: List[float] = []
    for item in rest.split(","):
        path, _, weight = item.rpartition(":")
        try:  # a weight after the last ':' (a Windows drive letter is no number)
            weights.append(float(weight))
            styles.append(path)
        except ValueError:
            weights.append(1.0)
            styles.append(item)
    if any(not x for x in styles):
        raise argparse.ArgumentTypeError(f"'{text}' names an empty style")
    return RegionArg(mask, tuple(styles), tuple(weights))


def _scale_range(text: str) -> Tuple[float, float]:
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not LO,HI (e.g. 0.5,2)") from None
    for v in (lo, hi):
        _scale(repr(v))  # the same range as --scale
    return lo, hi


def add_render_options(p: argparse.ArgumentParser) -> None:
    """The options of a render, defined once for stills and `animate`."""
    p.add_argument("-s", "--style", action="append", default=[], metavar="S",
                   help="style image, preset .json or .npy vector; repeat to blend styles")
    p.add_argument("-w", "--weights", type=_weights, help="one weight per --style, e.g. 0.7,0.3")
    p.add_argument("--strength", type=_strength, default=1.0,
                   help="0..1 or 0%%..100%% (default 1 = full style)")
    p.add_argument("--scale", type=_scale, default=None,
                   help="'auto' (default) or the resolution the network paints at, relative to "
                   "the image, 0.01..4: 1 = finest strokes, 0.5 = strokes twice as large")
    p.add_argument("--preserve-colors", action="store_true",
                   help="keep the content's colours, take only lightness from the style")
    p.add_argument("--mask", metavar="M", help="image of the same size: white = stylize, black or "
                   "transparent = keep (colour counts by its lightness)")
    paint = p.add_argument_group(
        "painting the style by region (masks and maps: grayscale images of the content's size)")
    paint.add_argument("--region", type=_region, action="append", default=[],
                       metavar="MASK=STYLE[:W],...",
                       help="paint these styles where MASK is white; repeatable. Pixels in no "
                       "region keep --style, or the original when there is no --style")
    paint.add_argument("--strength-map", metavar="IMG",
                       help="per-pixel strength: white = --strength, black = 0")
    paint.add_argument("--scale-map", metavar="IMG",
                       help="per-pixel stroke size: black = LO, white = HI of --scale-range")
    paint.add_argument("--scale-range", type=_scale_range, metavar="LO,HI",
                       help="the two style scales --scale-map blends (e.g. 0.5,2)")
    paint.add_argument("--color-source", metavar="IMG",
                       help="take the colours (chroma statistics) of this image")
    from .engine.models import DEFAULT_MODEL, model_choices  # the one model list

    p.add_argument("--model", default=DEFAULT_MODEL, choices=[c.name for c in model_choices()],
                   help="; ".join(f"{c.name}: {c.help}" for c in model_choices()).replace(
                       "%", "%%"))  # argparse formats help with %
    p.add_argument("--style-mode", default="crop", choices=["crop", "whole", "multi"],
                   help="how a style image is read: centre crop (default), whole, or several crops")
    p.add_argument("--models", metavar="DIR|URL", help="where model files are (default: "
                   "$STYLE_TRANSFER_MODELS, the cache, then download)")
    p.add_argument("--threads", type=_threads, default=None, help="CPU threads for the models")
    p.add_argument("--runtime", choices=["auto", "openvino", "litert"], default=None,
                   help="what runs the networks: auto (default, or $STYLE_TRANSFER_RUNTIME: "
                   "OpenVINO if it works, else LiteRT), openvino or litert")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def check_painting_args(args: argparse.Namespace) -> None:
    if not args.style and not args.region:
        raise UsageError("give a style (--style S) or a region (--region MASK=STYLE)")
    if getattr(args, "save_preset", None) and not args.style:
        raise UsageError("--save-preset saves the --style blend; give --style")
    if (args.scale_map is None) != (args.scale_range is None):
        raise UsageError("--scale-map and --scale-range go together")


def side_inputs(args: argparse.Namespace) -> List[str]:
    """Every file the command reads besides the content and the styles."""
    files = [args.mask, args.strength_map, args.scale_map, args.color_source]
    files += [r.mask for r in args.region] + [s for r in args.region for s in r.styles]
    return [f for f in files if f]


def read_styles(engine: Any, args: argparse.Namespace) -> Tuple[Any, List[Any], Dict[str, Any]]:
    """(the --style blend's vector or None, the --region masks as (mask, vector, file name),
    {strength_map, scale_map, color_source: image or None}): what both commands read once."""
    from .engine.images import load_image

    vector = engine.style_mix(args.style, args.weights, args.style_mode) if args.style else None
    regions = [(load_image(r.mask), engine.style_mix(list(r.styles), r.weights, args.style_mode),
                r.mask) for r in args.region]
    maps = {name: load_image(getattr(args, name)) if getattr(args, name) else None
            for name in ("strength_map", "scale_map", "color_source")}
    return vector, regions, maps


def paint_maps_of(regions: List[Any], maps: Dict[str, Any], args: argparse.Namespace) -> Any:
    """engine.regions.PaintMaps of the loaded --region masks (mask, vector, file name) and
    --strength-map / --scale-map / --color-source images."""
    from .engine.regions import PaintMaps, Region

    return PaintMaps(
        regions=[Region(mask, [v], None, Path(name).name) for mask, v, name in regions],
        strength_map=maps["strength_map"], scale_map=maps["scale_map"],
        scale_range=args.scale_range, color_source=maps["color_source"])


def file_key(p: Path) -> object:
    """What makes two paths one file: device and inode (also hard links, symlinks and
    case-insensitive file systems), else the resolved path for files that do not exist."""
    try:
        st = p.stat()
        return (st.st_dev, st.st_ino)
    except OSError:
        return p.resolve()


def refuse_overwriting_inputs(written: List[Path], inputs: List[Path]) -> None:
    """No output may land on any input: content, style, preset, mask (it would be replaced
    with exit 0)."""
    taken = {file_key(src): src for src in inputs}
    for dst in written:
        src = taken.get(file_key(dst))
        if src is not None:
            raise UsageError(f"{dst}: would overwrite the input {src}; choose another -o "
                             "or --save-preset")
