"""The measuring side of the bench: each job runs in its own child process (`run.py --child JOB`)
so that peak RSS belongs to one render path at one size, and no size warms another's caches.

Jobs write their figures as JSON and their output images as .npy into the parent's work folder;
the parent computes the quality figures from those files afterwards.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from common import current_rss_mb, ensure_engine_importable, peak_rss_mb

ensure_engine_importable()

Timed = Tuple[np.ndarray, Dict[str, Any]]


def parse_scale(text: str) -> Optional[float]:
    return None if text == "auto" else float(text)


def out_path(work: Path, kind: str, size: int, scale: str) -> Path:
    return work / f"{kind}_{size}_{scale}.npy"


def content_path(work: Path, size: int) -> Path:
    return work / f"content_{size}.npy"


def save_image(work: Path, kind: str, size: int, scale: str, img: np.ndarray) -> None:
    """uint8 on disk: our outputs are uint8 anyway, and float copies of 4096² cost 200 MB each."""
    from style_transfer.engine.images import from_float

    if img.dtype != np.uint8:
        img = from_float(np.clip(img, 0.0, 1.0), np.dtype(np.uint8))
    np.save(out_path(work, kind, size, scale), img)


def load_style(images: Path) -> np.ndarray:
    from common import STYLE_IMAGE
    from style_transfer.engine.images import load_image

    return load_image(images / STYLE_IMAGE)


def warm_up(net: Any, vector: np.ndarray) -> None:
    """The first invoke after allocation is slower (XNNPACK packs weights): a plugin that is
    already open has paid this, so our path is timed warm. The naive path is timed both ways."""
    h, w = net.input_hw
    net.transform(np.zeros((h, w, 3), np.float32), vector)


class InvokeClock:
    """Wall-clock intervals of every interpreter invoke, from any thread.

    Network.invoke_seconds is a SUM over calls; once tiles are painted on several threads that
    sum exceeds the wall time, and "wall minus model" goes negative. The figure the issue wants
    (our own overhead) is the wall time during which NO model call is running, so we record each
    call's interval and take the union. Wraps Network._invoke (the engine's one timing point);
    if that ever disappears we fall back to the public sums, which are right for one thread."""

    def __init__(self) -> None:
        self.intervals: List[Tuple[float, float]] = []
        self.active = False

    def install(self) -> None:
        from style_transfer.engine.runtime import Network

        original = getattr(Network, "_invoke", None)
        if original is None:
            return
        clock = self

        def _invoke(net: Any, it: Any) -> None:
            t0 = time.perf_counter()
            try:
                original(net, it)
            finally:
                clock.intervals.append((t0, time.perf_counter()))  # list.append is atomic

        Network._invoke = _invoke  # type: ignore[method-assign]
        self.active = True

    def reset(self) -> None:
        self.intervals = []

    def busy(self) -> float:
        """Length of the union of the intervals: time with at least one invoke running."""
        total, end = 0.0, float("-inf")
        for a, b in sorted(self.intervals):
            if b > end:
                total += b - max(a, end)
                end = b
        return total


CLOCK = InvokeClock()


def timed(
    fn: Callable[[], np.ndarray],
    nets: Sequence[Any],
    budget_s: float,
    max_runs: int,
    prepare: Optional[Callable[[], None]] = None,
) -> Timed:
    """Run fn until `budget_s` is used or `max_runs` reached (at least once); median figures.

    model_seconds = wall time with an invoke running (see InvokeClock); invoke_sum_seconds = the
    engine's own sum over calls (> model_seconds when tiles run in parallel); the rest is ours."""
    runs: List[Dict[str, float]] = []
    spent = 0.0
    out = np.empty(0)
    while not runs or (spent < budget_s and len(runs) < max_runs):
        if prepare is not None:
            prepare()  # untimed set-up before each run
        for n in nets:
            n.reset_stats()
        CLOCK.reset()
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        cpu = time.process_time() - c0  # all threads: > dt when tiles run in parallel
        spent += dt
        invoke_sum = sum(n.invoke_seconds for n in nets)
        runs.append({
            "seconds": dt,
            "cpu_seconds": cpu,
            "model_seconds": CLOCK.busy() if CLOCK.active else invoke_sum,
            "invoke_sum_seconds": invoke_sum,
            "invokes": sum(n.invokes for n in nets),
        })
    return out, summarize(runs)


def summarize(runs: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The median run's figures (by wall time), plus every run's time and the fastest."""
    mid = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    secs = [r["seconds"] for r in runs]
    stats = dict(mid, runs=secs, min_seconds=min(secs), samples=runs)
    stats["overhead_seconds"] = stats["seconds"] - stats["model_seconds"]
    return stats


def profile_top(fn: Callable[[], Any], limit: int = 12) -> List[Dict[str, Any]]:
    """Own-time hot spots of one extra (profiled, hence slower) run, for the lead."""
    prof = cProfile.Profile()
    prof.runcall(fn)
    stats = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    for (file, line, func), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():
        rows.append({"function": f"{Path(file).name}:{line}({func})", "calls": calls,
                     "own_s": round(tottime, 3), "cum_s": round(cumtime, 3)})
    return sorted(rows, key=lambda r: r["own_s"], reverse=True)[:limit]


# -- jobs ----------------------------------------------------------------------------------------


def job_load(args: argparse.Namespace) -> Dict[str, Any]:
    """Imports + models + one warm-up invoke and nothing else: the floor under every render."""
    rss: Dict[str, Optional[float]] = {}
    t0 = time.perf_counter()
    import style_transfer.engine  # noqa: F401

    rss["after_import_mb"] = peak_rss_mb()
    eng = make_engine(args)
    net = eng.network(args.model)
    vector = eng.style_vector(load_style(Path(args.images)))
    rss["after_load_mb"] = peak_rss_mb()
    warm_up(net, vector)
    rss["peak_mb"] = peak_rss_mb()
    rss["current_mb"] = current_rss_mb()
    return {"seconds": time.perf_counter() - t0, "rss": rss, "model": args.model}


def make_engine(args: argparse.Namespace) -> Any:
    """Engine() as a host builds it; --threads / --workers only if given (and only the keywords
    this engine version accepts), so the bench runs against older and newer engines alike."""
    import inspect

    from style_transfer.engine import Engine

    accepted = inspect.signature(Engine).parameters
    wanted = {"threads": args.threads, "workers": args.workers}
    return Engine(**{k: v for k, v in wanted.items() if v and k in accepted})


def _engine_and_content(args: argparse.Namespace) -> Tuple[Any, np.ndarray, np.ndarray]:
    eng = make_engine(args)
    content = np.load(content_path(Path(args.work), args.size))
    style = load_style(Path(args.images))
    eng.style_vector(style)  # cached from here on, as in an editing session
    return eng, content, style


def job_ours(args: argparse.Namespace) -> Dict[str, Any]:
    """Our path (Engine.stylize), int8 first (its peak RSS is the memory figure), then f16."""
    from style_transfer.engine import RenderOptions, working_size
    from style_transfer.engine.tiles import plan_tiles

    eng, content, style = _engine_and_content(args)
    scale = parse_scale(args.scale)
    h, w = content.shape[:2]
    wh, ww = working_size(h, w, scale)
    result: Dict[str, Any] = {"working": [wh, ww]}
    rss_before = peak_rss_mb()
    for model in args.models:
        net = eng.network(model)
        nets = [net, eng.network("predictor-int8")]
        vector = eng.style_vector(style)
        warm_up(net, vector)
        opts = RenderOptions(scale=scale, model=model)

        def render(opts: Any = opts) -> np.ndarray:
            return eng.stylize(content, [style], options=opts)

        out, stats = timed(render, nets, args.budget, args.max_runs)
        plan = plan_tiles(wh, ww, net)
        stats.update(tiles=plan.count, tile=[plan.tile_h, plan.tile_w], overlap=plan.overlap,
                     rss_before_mb=rss_before, rss_peak_mb=peak_rss_mb())
        if args.profile:
            stats["profile"] = profile_top(render)
        save_image(Path(args.work), f"ours-{model}", args.size, args.scale, out)
        result[model] = stats
    return result


def naive_whole(net: Any, content: np.ndarray, vector: np.ndarray,
                wh: int, ww: int) -> np.ndarray:
    """What a first attempt does: shrink to the working size if needed, one call of the dynamic
    model on the whole picture, plain bicubic back up to the image size."""
    from PIL import Image
    from style_transfer.engine import baselines
    from style_transfer.engine.images import from_float

    h, w = content.shape[:2]
    small = content
    if (wh, ww) != (h, w):
        small = np.asarray(Image.fromarray(content).resize((ww, wh), Image.LANCZOS))
    out = from_float(baselines.whole_image(net, small, vector), np.dtype(np.uint8))
    if (wh, ww) != (h, w):
        out = np.asarray(Image.fromarray(out).resize((w, h), Image.BICUBIC))
    return out


def naive_whole_timings(
    dyn: Any, predictor: Any, content: np.ndarray, vector: np.ndarray,
    working: Tuple[int, int], args: argparse.Namespace,
) -> Tuple[Dict[str, Any], np.ndarray]:
    """The dynamic model's three costs, all on ONE interpreter (as in a user's session):

    first: the first call in the process (fresh interpreter memory): the issue's naive figure;
    new_size: later calls at sizes this interpreter has not seen (sample i is 4*i px smaller);
        measured, this is far cheaper than `first` (1.2 s vs 2.2 s at 1024²), so the first-call
        penalty is mostly faulting in a fresh arena, not the resize itself;
    warm: repeats at the same size.
    A new interpreter per sample would instead hold a second 1.6 GB arena at 1024² (that sample
    took 5 s, and it inflated peak RSS)."""
    wh, ww = working
    trim = [0]

    def next_size() -> None:
        trim[0] += 4

    def at_trimmed_size() -> np.ndarray:
        t = min(trim[0], wh - 16, ww - 16)
        return naive_whole(dyn, content, vector, wh - t, ww - t)

    _, first = timed(at_trimmed_size, [dyn], 0.0, 1)
    _, new_size = timed(at_trimmed_size, [dyn], args.budget, max(1, args.max_runs - 1),
                        prepare=next_size)
    out, warm = timed(lambda: naive_whole(dyn, content, vector, wh, ww), [dyn, predictor],
                      args.budget, args.max_runs)
    return {"first": first, "new_size": new_size, "warm": warm,
            "rss_peak_mb": peak_rss_mb()}, out


def job_naive(args: argparse.Namespace) -> Dict[str, Any]:
    """Baselines: whole image through the dynamic model (first call at this size, then warm),
    the TFLite example's 384 centre crop, and plain non-overlapping tiles (seam reference)."""
    from style_transfer.engine import baselines, working_size
    from style_transfer.engine.runtime import DYNAMIC_MAX

    eng, content, style = _engine_and_content(args)
    vector = eng.style_vector(style)
    scale = parse_scale(args.scale)
    h, w = content.shape[:2]
    wh, ww = working_size(h, w, scale)
    work = Path(args.work)
    result: Dict[str, Any] = {"working": [wh, ww], "rss_before_mb": peak_rss_mb()}
    predictor = eng.network("predictor-int8")
    if max(wh, ww) <= DYNAMIC_MAX:  # above it the dynamic model overflows (garbage output)
        dyn = eng.network("transformer-int8-dynamic")
        result["whole"], out = naive_whole_timings(dyn, predictor, content, vector, (wh, ww),
                                                   args)
        save_image(work, "naive-whole", args.size, args.scale, out)
    else:
        result["whole"] = None
    for model in args.models:  # the TFLite example: int8, and f16 for its quantisation error
        net = eng.network(model)
        warm_up(net, vector)
        out, stats = timed(lambda net=net: baselines.centre_crop(net, content, vector),
                           [net, predictor], args.budget, args.max_runs)
        result[f"crop-{model}"] = stats
        save_image(work, f"crop-{model}", args.size, args.scale, out)
    if args.plain_tiles_job:
        from PIL import Image

        net = eng.network("int8")
        small = content
        if (wh, ww) != (h, w):
            small = np.asarray(Image.fromarray(content).resize((ww, wh), Image.LANCZOS))
        out, stats = timed(lambda: baselines.plain_tiles(net, small, vector),
                           [net, predictor], 0.0, 1)
        result["plain-tiles"] = stats
        save_image(work, "plain-tiles", args.size, args.scale, out)
    return result


JOBS = {"load": job_load, "ours": job_ours, "naive": job_naive}


def child_main(args: argparse.Namespace) -> None:
    CLOCK.install()
    result = JOBS[args.child](args)
    result["job"] = args.child
    Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")
