"""`style-transfer animate INPUT --style S -o OUT`: stylize every frame of a clip, without flicker.

INPUT: a folder of frames (natural name order), a glob, an animated GIF / WebP / APNG or a video;
OUT: a folder (one PNG per frame) or a GIF / WebP / APNG / MP4 / WebM / MOV / MKV file. The
render options are the stills command's (one definition, cli.add_render_options); frames go
through engine.clip.ClipRenderer one at a time, reading and writing in media.py.

Exit codes as the stills command: 0 ok, 1 a runtime error (nothing written), 2 wrong usage,
130 Ctrl+C (nothing written), 143 SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import Any, Deque, Dict, Iterator, List

from .cli_options import (
    INSTALL_HINT,
    MODELS_HINT,
    PROG,
    UsageError,
    add_render_options,
    check_painting_args,
    paint_maps_of,
    read_styles,
    refuse_overwriting_inputs,
    side_inputs,
)


def _stability(text: str) -> float:
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number (use 0.9 or 90%)") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"stability must be 0..1 or 0%..100%, not {text}")
    return value


def _fps(text: str) -> Fraction:
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"'{text}' is not a frame rate (e.g. 24, 12.5, "
                                         "30000/1001)") from None
    if not 0 < value <= 1000:
        raise argparse.ArgumentTypeError(f"fps must be above 0 and at most 1000, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from .engine.clip import DEFAULT_STABILITY

    p = argparse.ArgumentParser(
        prog=f"{PROG} animate",
        description="Stylize every frame of a clip, without flicker: strokes follow the motion "
        "(optical flow) instead of swimming. INPUT: a folder of frames, a glob (quoted), an "
        "animated GIF / WebP / APNG, or a video (mp4, mov, webm, mkv: needs "
        "`pip install 'style-transfer[video]'`).")
    p.add_argument("input", metavar="INPUT",
                   help="folder of frames, 'glob*.png', animated GIF/WebP/APNG, or video")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="a folder (one PNG per frame; a folder's frames keep their names) or "
                   "a file: .gif .webp .png (APNG) .mp4 .webm .mov .mkv")
    add_render_options(p)
    p.add_argument("--stability", type=_stability, default=DEFAULT_STABILITY,
                   help=f"0..1 (default {DEFAULT_STABILITY:g}): how much each frame keeps of "
                   "the previous one along the motion; 0 = every frame stylized alone "
                   "(flickers)")
    p.add_argument("--fps", type=_fps, default=None,
                   help="frame rate of a folder's or glob's frames (default 24); for an "
                   "animation or video, retimes it")
    p.add_argument("--metrics", metavar="FILE.json",
                   help="also write the clip's flicker (warping error) before and after "
                   "stabilisation")
    p.add_argument("--keep-going", action="store_true",
                   help="skip frames that cannot be read (named at the end) instead of stopping")
    return p


def run_animate(argv: List[str]) -> int:
    from tqdm import tqdm

    from .common.messages import UserError, load_engine, user_message
    from .engine import CancelToken, EngineError, RenderOptions, working_size
    from .engine.clip import ClipRenderer, stylize_clip
    from .engine.images import load_image
    from .engine.runtime import native_stderr_silenced
    from .media import Frame, open_clip, open_writer, output_kind

    args = build_parser().parse_args(argv)
    check_painting_args(args)
    if args.weights is not None and len(args.weights) != len(args.style):
        raise UsageError(f"{len(args.weights)} weights for {len(args.style)} styles")
    try:
        output_kind(args.output)
    except EngineError as e:
        raise UsageError(str(e)) from None
    written = [Path(args.output)] + ([Path(args.metrics)] if args.metrics else [])
    read = [Path(args.input)] + [Path(s) for s in args.style] + [Path(f) for f in
                                                                side_inputs(args)]

    reader = None
    try:
        reader = open_clip(args.input, args.fps, args.keep_going)
        info = reader.info
        writer = open_writer(args.output, info, reader)  # checks an output in the input folder
        refuse_overwriting_inputs(written, read)
        if args.metrics:
            from .engine.flicker import import_cv2
            from .engine.images import check_writable

            import_cv2()
            check_writable(args.metrics)
        engine = load_engine(INSTALL_HINT, MODELS_HINT, sources=[args.models] if args.models
                             else None, threads=args.threads, runtime=args.runtime)
        engine.check_models(args.model)
        with native_stderr_silenced():
            engine.network("predictor-int8")
        warm = _warm_up(engine, args, working_size(info.height, info.width, args.scale))
        vector, regions, maps = read_styles(engine, args)
        paint_maps = (paint_maps_of(regions, maps, args)
                      if regions or any(v is not None for v in maps.values()) else None)
        # the mask as the file holds it: the engine reads every map by one rule (masks.py)
        options = RenderOptions(strength=args.strength, scale=args.scale,
                                preserve_colors=args.preserve_colors,
                                mask=load_image(args.mask) if args.mask else None,
                                model=args.model, style_mode=args.style_mode)
        renderer = ClipRenderer(engine, [vector] if vector is not None else [], None, options,
                                args.stability)
        warm.result()
    except BaseException as e:
        if reader is not None:
            reader.close()
        if not isinstance(e, (EngineError, UserError)):
            raise
        print(f"{PROG}: error: {user_message(e)}", file=sys.stderr)
        return 1

    n = info.count
    if n == 1 and not args.quiet:
        print(f"{PROG}: note: {args.input} has 1 frame; it is stylized as a 1-frame clip",
              file=sys.stderr)
    label = Path(args.input.rstrip("/")).name or args.input
    bar = tqdm(total=1000, desc=label, disable=args.quiet, leave=False,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining}")

    def progress(fraction: float, stage: str) -> None:
        bar.set_description_str(f"{label} ({stage})", refresh=False)
        bar.update(round(fraction * 1000) - bar.n)

    meter = None
    if args.metrics:
        from .engine.flicker import FlickerMeter

        meter = FlickerMeter()
    cancel = CancelToken()
    started = time.perf_counter()

    def outputs() -> Iterator[Frame]:
        sources: Deque[Frame] = deque()

        def items() -> Iterator[Any]:
            for f in reader.frames():
                sources.append(f)
                yield (f.pixels, paint_maps) if paint_maps is not None else f.pixels

        for out in stylize_clip(renderer, items(), n, progress, cancel):
            src = sources.popleft()
            if meter is not None:
                meter.add(src.pixels, unstabilized=renderer.last_unstabilized, stabilized=out)
            yield Frame(out, src.index, src.name, src.start, src.duration)

    try:
        count = writer.write_all(outputs())
        if meter is not None:
            _write_metrics(Path(args.metrics), meter.result(), renderer, args, count,
                           time.perf_counter() - started)
    except EngineError as e:
        bar.close()
        print(f"{PROG}: error: {user_message(e)}", file=sys.stderr)
        return 1
    except OSError as e:
        bar.close()
        print(f"{PROG}: error: {args.output}: cannot write ({e.strerror or e}); nothing was "
              "written", file=sys.stderr)
        return 1
    finally:
        reader.close()
    bar.close()
    for note in writer.notes:
        print(f"{PROG}: note: {note}", file=sys.stderr)
    if reader.skipped:
        print(f"{PROG}: note: skipped {len(reader.skipped)} unreadable frame(s): "
              f"{'; '.join(reader.skipped[:3])}{' …' if len(reader.skipped) > 3 else ''}",
              file=sys.stderr)
    if not args.quiet:
        stats = renderer.stats
        held = f", {stats.repeats} held" if stats.repeats else ""
        cuts = f", {len(stats.cuts)} scene cut(s)" if stats.cuts else ""
        print(f"{args.input} -> {args.output}: {count} frames ({stats.rendered} rendered{held}"
              f"{cuts}) in {time.perf_counter() - started:.1f} s on "
              f"{engine.runtime_status(args.runtime)}", file=sys.stderr)
    return 1 if reader.skipped else 0


def _warm_up(engine: Any, args: argparse.Namespace, shape: Any) -> Any:
    """Load (and on OpenVINO compile) the transformer on a thread while the styles are read."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="style-transfer-warm-up")
    future = pool.submit(engine.warm_up, args.model, args.runtime, shape)
    pool.shutdown(wait=False)
    return future


def _write_metrics(path: Path, flicker: Dict[str, Any], renderer: Any,
                   args: argparse.Namespace, count: int, seconds: float) -> None:
    from .media import _publish, _temp_beside

    stats = renderer.stats
    data: Dict[str, Any] = {
        "input": args.input, "output": args.output, "stability": args.stability,
        "frames": count, "rendered": stats.rendered, "held": stats.repeats,
        "scene_cuts": stats.cuts, "seconds": round(seconds, 3),
        "render_seconds": round(stats.render_seconds, 3),
        "stabilize_seconds": round(stats.stabilize_seconds, 3),
        "measure": "warping error, Lai et al. 2018: DIS flow on the content frames, "
                   "occlusions masked (forward-backward check); 8-bit RGB in 0..1",
        "warp_error": {
            "content": flicker["content"]["warp_error"],
            "unstabilized": flicker["unstabilized"]["warp_error"],
            "stabilized": flicker["stabilized"]["warp_error"],
        },
        "ratio": flicker["stabilized"].get("ratio_to_unstabilized"),
        "psnr_to_unstabilized_db": flicker["stabilized"].get("psnr_to_unstabilized_db"),
        "raw_flicker": {k: flicker[k]["raw_flicker"]
                        for k in ("content", "unstabilized", "stabilized")},
    }
    text = json.dumps(data, indent=2, allow_nan=False,
                      default=lambda v: None if isinstance(v, float) and math.isnan(v) else v)
    tmp = _temp_beside(path)
    try:
        tmp.write_text(text + "\n", encoding="utf-8")
        _publish(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
