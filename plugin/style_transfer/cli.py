"""`style-transfer` command: stylize files in batch, manage the model files.

Exit codes: 0 ok, 1 a runtime error (bad file, missing model, ...), 2 wrong usage.
Every error is one line on stderr that names the file and the fix.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import signal
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set

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
from .common.messages import UserError, load_engine, missing_message, user_message
from .version import __version__

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".gif"}


#: Our own default outputs (NAME-stylized.png, NAME-stylized-2.png): skipped in folders
OUR_OUTPUT = re.compile(r"^(?P<stem>.+)-stylized(-[0-9]+)?$")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl+C so that every temporary file is removed on the way out."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Restyle images in the look of any style image (local, Magenta arbitrary "
        "style transfer). `style-transfer models list|fetch|verify` manages the model files.",
    )
    p.add_argument("content", nargs="+", metavar="CONTENT",
                   help="image files, folders or glob patterns")
    add_render_options(p)
    p.add_argument("-o", "--output", metavar="OUT",
                   help="output file (one input) or folder; default: NAME-stylized.png beside it")
    p.add_argument("--save-preset", metavar="FILE", help="also save the style blend as a preset")
    p.add_argument("--version", action=_VersionAction, nargs=0,
                   help="show the version and the runtime renders would use, then exit")
    return p


class _VersionAction(argparse.Action):
    """--version also names the runtime (and why not OpenVINO): importing OpenVINO takes ~0.4 s,
    so only when asked."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # type: ignore[override]
        print(f"{PROG} {__version__}\nruntime: {_runtime_line(None)}")
        parser.exit()


def _runtime_line(runtime: Optional[str]) -> str:
    from .engine import Engine, EngineError

    try:
        return Engine(runtime=runtime).runtime_status()
    except EngineError as e:  # e.g. a bad $STYLE_TRANSFER_RUNTIME
        return str(e)


def build_models_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"{PROG} models", description="Manage the model files.")
    sub = p.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="every model, and where a verified copy is")
    f = sub.add_parser("fetch", help="download (or copy) and verify models into the cache")
    f.add_argument("ids", nargs="*", help="model ids (default: all)")
    f.add_argument("--from", dest="source", metavar="DIR|URL", help="take files from here")
    sub.add_parser("verify", help="check the sha256 of every local copy")
    for sp in sub.choices.values():
        sp.add_argument("--models", metavar="DIR|URL", help="extra model folder or base URL")
    return p


# -- stylize -------------------------------------------------------------------------------------


def _without_our_outputs(files: List[Path], where: str) -> List[Path]:
    """Drop NAME-stylized*.png files whose NAME is an image beside them: results of an earlier
    run, which a second run on the folder must not stylize again. Says so in one line."""
    stems = {(f.parent, f.stem) for f in files}
    ours = [f for f in files if (m := OUR_OUTPUT.match(f.stem)) and f.suffix.lower() == ".png"
            and (f.parent, m.group("stem")) in stems]
    if ours:
        print(f"{PROG}: note: skipping {len(ours)} earlier result(s) in {where} "
              f"({', '.join(f.name for f in ours[:3])}{', ...' if len(ours) > 3 else ''}); "
              "name them explicitly to stylize them", file=sys.stderr)
    return [f for f in files if f not in ours]


def expand_inputs(items: Sequence[str]) -> List[Path]:
    files: List[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(f for f in path.iterdir() if f.suffix.lower() in IMAGE_EXTS)
            files += _without_our_outputs(found, item)
        elif path.exists():
            files.append(path)
        elif any(ch in item for ch in "*?["):
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True))
            if not matches:
                raise UsageError(f"{item}: the pattern matches no file")
            files += _without_our_outputs([m for m in matches if m.is_file()], item)
        else:
            raise UsageError(f"{item}: no such file or folder")
    if not files:
        raise UsageError("no input images found")
    return files


def _unique(name: Path, taken: List[Path]) -> Path:
    """NAME.png, else NAME-2.png, NAME-3.png...: two inputs that share a name (a/x.jpg and
    b/x.jpg, or x.jpg and x.png in one folder) must not write over each other's result."""
    candidate, k = name, 2
    while candidate in taken:
        candidate, k = name.with_name(f"{name.stem}-{k}{name.suffix}"), k + 1
    return candidate


def output_paths(inputs: List[Path], output: Optional[str]) -> List[Path]:
    names: List[Path] = []
    if output is None:
        for p in inputs:
            names.append(_unique(p.with_name(f"{p.stem}-stylized.png"), names))
        return names
    out = Path(output)
    said_folder = output.endswith(("/", os.sep))
    as_folder = len(inputs) > 1 or out.is_dir() or said_folder
    if as_folder:
        if out.exists() and not out.is_dir():
            raise UsageError(f"{out}: is a file; with several inputs -o must be a folder")
        if not out.exists() and not said_folder and out.suffix.lower() in IMAGE_EXTS:
            # a slip for one output file: never make a folder named like an image
            raise UsageError(f"{out}: looks like an image file, but {len(inputs)} inputs need "
                             "a folder for their results; give a folder with -o (e.g. "
                             f"{out.with_suffix('')}/) or one input")
        for p in inputs:
            names.append(_unique(out / f"{p.stem}.png", names))
        return names
    if out.suffix.lower() not in IMAGE_EXTS:
        raise UsageError(f"{out}: unknown image type; end it with .png, .jpg, .tif or .webp")
    return [out]


def _warm_up(engine, args: argparse.Namespace, first: Path) -> Future:
    """Load the transformer on a thread (OpenVINO: import, read, compile for the first image's
    working size) while the main thread reads the style images: start-up costs overlap
    instead of adding up."""
    from .engine import working_size

    shape = None
    try:
        from PIL import Image

        with Image.open(first) as im:  # the header only
            w, h = im.size
            if im.getexif().get(0x0112) in (5, 6, 7, 8):  # EXIF-rotated by a quarter turn
                h, w = w, h
        shape = working_size(h, w, args.scale)
    except Exception:  # unreadable or bad scale: the render reports it, one line
        pass
    pool = ThreadPoolExecutor(1, thread_name_prefix="style-transfer-warm-up")
    future = pool.submit(engine.warm_up, args.model, args.runtime, shape)
    pool.shutdown(wait=False)
    return future


def run_stylize(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .engine import CancelToken, EngineError, RenderOptions
    from .engine.errors import AnimatedImageError
    from .engine.images import load_image, save_image
    from .engine.runtime import native_stderr_silenced
    from .engine.style import save_preset

    inputs = expand_inputs(args.content)
    outputs = output_paths(inputs, args.output)
    written = outputs + ([Path(args.save_preset)] if args.save_preset else [])
    check_painting_args(args)
    refuse_overwriting_inputs(written, inputs + [Path(s) for s in args.style]
                               + [Path(f) for f in side_inputs(args)])
    if args.weights is not None and len(args.weights) != len(args.style):
        raise UsageError(f"{len(args.weights)} weights for {len(args.style)} styles")

    try:
        engine = load_engine(INSTALL_HINT, MODELS_HINT, sources=[args.models] if args.models
                             else None, threads=args.threads, runtime=args.runtime)
        _check_writable(written)  # before any render: a failure must not cost the user its time
        engine.check_models(args.model)
        with native_stderr_silenced():  # keep stderr for our one-line messages
            engine.network("predictor-int8")
        warm = _warm_up(engine, args, inputs[0])  # overlaps with reading the styles
        vector, regions, maps = read_styles(engine, args)
        if args.save_preset and vector is not None:
            first = args.style[0]
            thumb = load_image(first) if Path(first).suffix.lower() in IMAGE_EXTS else None
            name = " + ".join(Path(s).stem for s in args.style)
            save_preset(args.save_preset, name, vector, thumb)
        mask = load_image(args.mask) if args.mask else None
        warm.result()  # its errors (e.g. --runtime openvino not installed) are ours
    except (EngineError, UserError) as e:
        print(f"{PROG}: error: {user_message(e)}", file=sys.stderr)
        return 1

    failures = 0
    cancel = CancelToken()
    for n, (src, dst) in enumerate(zip(inputs, outputs), 1):
        label = f"[{n}/{len(inputs)}] {src.name}" if len(inputs) > 1 else src.name
        bar = tqdm(total=100, desc=label, disable=args.quiet, leave=False,
                   bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}")

        def progress(fraction: float, stage: str, bar=bar, label=label) -> None:
            bar.set_description_str(f"{label} ({stage})", refresh=False)
            bar.update(round(fraction * 100) - bar.n)

        try:
            content = load_image(src)
            # the mask as the file holds it: the engine reads every map by one rule (masks.py)
            options = RenderOptions(strength=args.strength, scale=args.scale,
                                    preserve_colors=args.preserve_colors, mask=mask,
                                    model=args.model, style_mode=args.style_mode)
            if regions or any(v is not None for v in maps.values()):
                out = _paint(engine, content, vector, regions, maps, args, options, progress,
                             cancel)
            else:
                out = engine.stylize(content, [vector], options=options, progress=progress,
                                     cancel=cancel)
            save_image(dst, out)
        except AnimatedImageError as e:  # the engine stylizes stills; clips have a command
            failures += 1
            bar.close()
            print(f"{PROG}: error: {src}: has {e.frames} frames (animated or multi-page); "
                  f"stylize it as a clip with `{PROG} animate {src} --style S -o OUT` "
                  f"(.gif, .webp, .png, .mp4 or a folder)", file=sys.stderr)
            continue
        except (EngineError, OSError) as e:  # OSError: the disk filled up, the folder went...
            failures += 1
            bar.close()
            what = (user_message(e) if isinstance(e, EngineError)
                    else f"{dst}: cannot write ({e.strerror or e})")
            print(f"{PROG}: error: {what}", file=sys.stderr)
            continue
        bar.close()
        if not args.quiet:
            print(f"{src} -> {dst}", file=sys.stderr)
    if not args.quiet and failures < len(inputs):
        # what really ran (auto may have fallen back to LiteRT on the way)
        print(f"{PROG}: rendered on {engine.runtime_status(args.runtime)}", file=sys.stderr)
    return 1 if failures else 0


def _paint(engine: Any, content: Any, vector: Any, regions: List[Any], maps: Dict[str, Any],
           args: argparse.Namespace, options: Any, progress: Any, cancel: Any) -> Any:
    """Regions / maps: engine.regions.paint, with the masks checked against this content."""
    from .engine.regions import paint

    styles = [vector] if vector is not None else []
    return paint(engine, content, styles, None, options, paint_maps_of(regions, maps, args),
                 progress, cancel)


def _check_writable(paths: List[Path]) -> None:
    """Every output's folder must take a new file (tried once per folder)."""
    from .engine.images import check_writable

    tried: Set[Path] = set()
    for p in paths:
        if p.is_dir() or p.parent not in tried:
            check_writable(p)
            tried.add(p.parent)


# -- models --------------------------------------------------------------------------------------


def run_models(argv: Sequence[str]) -> int:
    from .engine import EngineError
    from .engine.models import ModelStore, sha256_of

    args = build_models_parser().parse_args(argv)
    sources = [s for s in (getattr(args, "source", None), args.models) if s]
    store = ModelStore(sources=sources or None, hint=MODELS_HINT)
    if args.action == "list":
        print(f"{'id':26} {'role':12} {'precision':20} {'MB':>6}  where")
        for spec, path, notes in store.status():
            where = str(path) if path else ("BAD: " + notes[0] if notes else "not downloaded")
            mb = spec.size / 1e6
            print(f"{spec.id:26} {spec.role:12} {spec.precision:20} {mb:6.2f}  {where}")
        print(f"cache: {store.cache_dir}")
        print(f"runtime: {_runtime_line(None)}")
        return 0
    if args.action == "fetch":
        ids = args.ids or list(store.manifest)
        failed = 0
        for model_id in ids:
            try:
                spec = store.spec(model_id)
                store.fetch(spec.id)  # verified copy in the cache: copied or downloaded
                print(f"{spec.id}: ok ({store.cache_dir / spec.file})")
            except EngineError as e:
                failed += 1
                print(f"{PROG}: error: {user_message(e)}", file=sys.stderr)
        return 1 if failed else 0
    bad = 0
    for spec, path, notes in store.status():
        for note in notes:
            bad += 1
            print(f"{spec.id}: BAD {note}")
        if path:
            print(f"{spec.id}: ok {path} sha256={sha256_of(path)[:16]}…")
        elif not notes:
            bad += 1
            print(f"{spec.id}: missing (run `{PROG} models fetch`)")
    return 1 if bad else 0


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (called from a host's worker): leave signals alone
        previous = None
    try:
        return _main(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: List[str]) -> int:
    if argv[:1] == ["models"]:
        try:
            return run_models(argv[1:])
        except Terminated:
            return 143
        except KeyboardInterrupt:
            return 130
    if argv[:1] == ["animate"]:  # clips: their own module and parser
        from .cli_animate import run_animate

        def run() -> int:
            return run_animate(argv[1:])
    else:
        args = build_parser().parse_args(argv)

        def run() -> int:
            return run_stylize(args)
    try:
        return run()
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except ImportError as e:  # numpy, Pillow, tqdm... missing: one line naming them
        if not e.name or e.name.split(".")[0] == __package__:
            raise  # our own code: a bug, with its traceback
        print(f"{PROG}: error: {missing_message(INSTALL_HINT, error=e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:  # Ctrl+C or SIGTERM: temporary files are already removed
        how = "terminated" if isinstance(e, Terminated) else "interrupted"
        print(f"{PROG}: {how}; no partial output was written", file=sys.stderr)
        return 143 if isinstance(e, Terminated) else 130


if __name__ == "__main__":
    sys.exit(main())
