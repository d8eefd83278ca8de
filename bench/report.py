"""Markdown tables (paste-able into the README) and the issue's targets, from the bench's rows."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

Row = Dict[str, Any]

# Targets of issue #5, all at --scale 1 on this machine.
SPEEDUP_1024 = 2.0
RSS_4096_MB = 1500.0  # "1.5 GB", decimal
OVERHEAD_4096 = 0.15
PREVIEW_SECONDS = 0.3
PSNR_SLACK_DB = 0.1  # "no worse" allows measurement noise, nothing more
FIDELITY_SLACK = 0.005


def fmt(x: Optional[float], digits: int = 2, suffix: str = "") -> str:
    return "n/a" if x is None else f"{x:.{digits}f}{suffix}"


def pct(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{100 * x:.0f} %"


def dig(d: Any, *keys: str) -> Any:
    """d[k1][k2]... or None as soon as a level is missing (skipped or failed measurements)."""
    for k in keys:
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d


def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return None if a is None or b is None or b == 0 else a / b


def table(head: Sequence[str], body: List[List[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def _label(row: Row) -> List[str]:
    wh, ww = row["working"]
    return [row["image"], row["scale"], f"{ww}×{wh}"]


def speed_table(rows: List[Row]) -> str:
    head = ["image", "scale", "painted at", "invokes", "ours s (min)", "MP/s", "in model",
            "overhead / model", "f16 s", "naive whole s first / new size / warm",
            "speed-up vs naive first / warm", "centre crop s"]
    return table(head, [[*_label(r), *_speed_cells(r)] for r in rows])


def _speed_cells(r: Row) -> List[str]:
    o = dig(r, "ours", "int8") or {}
    secs, model = o.get("seconds"), o.get("model_seconds")
    first = dig(r, "naive", "whole", "first", "seconds")
    warm = dig(r, "naive", "whole", "warm", "seconds")
    new_size = dig(r, "naive", "whole", "new_size", "seconds")
    mp = r["size"] ** 2 / 1e6
    return [
        str(o.get("invokes", "n/a")), f"{fmt(secs)} ({fmt(o.get('min_seconds'))})",
        fmt(ratio(mp, secs)),
        pct(ratio(model, secs)), pct(ratio(o.get("overhead_seconds"), model)),
        fmt(dig(r, "ours", "f16", "seconds")),
        f"{fmt(first)} / {fmt(new_size)} / {fmt(warm)}",
        f"{fmt(ratio(first, secs), 1, '×')} / {fmt(ratio(warm, secs), 1, '×')}",
        fmt(dig(r, "naive", "crop-int8", "seconds"), 3),
    ]


def memory_table(rows: List[Row], load_only: Optional[float]) -> str:
    head = ["image", "scale", "painted at", "ours peak RSS MB", "ours minus load-only MB",
            "naive whole peak RSS MB"]
    body = []
    for r in rows:
        peak = dig(r, "ours", "int8", "rss_peak_mb")
        own = None if peak is None or load_only is None else peak - load_only
        naive = dig(r, "naive", "whole", "rss_peak_mb")
        body.append([*_label(r), fmt(peak, 0), fmt(own, 0), fmt(naive, 0)])
    return table(head, body)


def quality_table(rows: List[Row]) -> str:
    head = ["image", "scale", "painted at", "PSNR vs f16 dB: ours / naive whole / crop",
            "seam: ours / ours f16 / plain tiles",
            "style fidelity whole: ours / ours f16 / naive whole / crop / content",
            "local: ours / naive whole / content"]
    return table(head, [[*_label(r), *_quality_cells(r)] for r in rows])


def _quality_cells(r: Row) -> List[str]:
    q = r.get("quality") or {}
    p, s, f = q.get("psnr_vs_f16", {}), q.get("seam", {}), q.get("style_fidelity", {})
    loc = q.get("local_fidelity", {})
    fid_keys = ("ours", "ours_f16", "naive_whole", "centre_crop", "content")
    return [
        " / ".join(fmt(p.get(k), 1) for k in ("ours", "naive_whole", "centre_crop")),
        " / ".join(fmt(s.get(k)) for k in ("ours", "ours_f16", "plain_tiles")),
        " / ".join(fmt(f.get(k), 3) for k in fid_keys),
        " / ".join(fmt(loc.get(k), 3) for k in ("ours", "naive_whole", "content")),
    ]


def _find(rows: List[Row], size: int, scale: str = "1", preview: bool = False) -> Row:
    for r in rows:
        if r["size"] == size and r["scale"] == scale and r["preview"] == preview:
            return r
    return {}


def _target(name: str, want: str, figure: str, met: Optional[bool]) -> Dict[str, Any]:
    return {"target": name, "wanted": want, "measured": figure,
            "met": None if met is None else bool(met)}


def targets(rows: List[Row], preview: int) -> List[Dict[str, Any]]:
    """The issue's targets, judged at --scale 1 (None = not measured in this run)."""
    out = []
    r = _find(rows, 1024)
    ours = dig(r, "ours", "int8", "seconds")
    first = ratio(dig(r, "naive", "whole", "first", "seconds"), ours)
    warm = ratio(dig(r, "naive", "whole", "warm", "seconds"), ours)
    new_size = ratio(dig(r, "naive", "whole", "new_size", "seconds"), ours)
    out.append(_target("1024² vs naive whole-image dynamic", f"≥ {SPEEDUP_1024:.0f}× faster",
                       f"{fmt(first, 2, '×')} vs first call, {fmt(new_size, 2, '×')} vs a later "
                       f"new size, {fmt(warm, 2, '×')} vs warm",
                       None if first is None else first >= SPEEDUP_1024))
    r = _find(rows, 4096)
    peak = dig(r, "ours", "int8", "rss_peak_mb")
    out.append(_target("4096² peak RSS", f"< {RSS_4096_MB:.0f} MB", fmt(peak, 0, " MB"),
                       None if peak is None else peak < RSS_4096_MB))
    above = dig(_find(rows, 1024, "4"), "ours", "int8", "rss_peak_mb")  # same budget, 4x
    out.append(_target("1024² at --scale 4 peak RSS", f"< {RSS_4096_MB:.0f} MB",
                       fmt(above, 0, " MB"), None if above is None else above < RSS_4096_MB))
    over = ratio(dig(r, "ours", "int8", "overhead_seconds"),
                 dig(r, "ours", "int8", "model_seconds"))
    out.append(_target("4096² our overhead", f"< {OVERHEAD_4096:.0%} of model time", pct(over),
                       None if over is None else over < OVERHEAD_4096))
    secs = dig(_find(rows, preview, preview=True), "ours", "int8", "seconds")
    out.append(_target(f"{preview} px preview", f"< {PREVIEW_SECONDS} s", fmt(secs, 3, " s"),
                       None if secs is None else secs < PREVIEW_SECONDS))
    out += quality_targets(rows)
    return out


def quality_targets(rows: List[Row]) -> List[Dict[str, Any]]:
    """Ours vs the naive whole-image path wherever that path exists (it does not above 1024)."""
    pairs = []
    for r in rows:
        if r["scale"] != "1" or dig(r, "naive", "whole") is None:
            continue
        q = r.get("quality") or {}
        pairs.append((r["image"], dig(q, "psnr_vs_f16", "ours"),
                      dig(q, "psnr_vs_f16", "naive_whole"), dig(q, "style_fidelity", "ours"),
                      dig(q, "style_fidelity", "naive_whole")))
    out = []
    psnr = [(i, a, b) for i, a, b, _, _ in pairs if a is not None and b is not None]
    out.append(_target("PSNR vs f16, ours ≥ naive whole", f"within {PSNR_SLACK_DB} dB",
                       "; ".join(f"{i}: {a:.1f} vs {b:.1f} dB" for i, a, b in psnr) or "n/a",
                       all(a >= b - PSNR_SLACK_DB for _, a, b in psnr) if psnr else None))
    fid = [(i, a, b) for i, _, _, a, b in pairs if a is not None and b is not None]
    out.append(_target("style fidelity, ours ≥ naive whole", f"within {FIDELITY_SLACK}",
                       "; ".join(f"{i}: {a:.3f} vs {b:.3f}" for i, a, b in fid) or "n/a",
                       all(a >= b - FIDELITY_SLACK for _, a, b in fid) if fid else None))
    return out


def targets_table(items: List[Dict[str, Any]]) -> str:
    verdict = {True: "met", False: "**missed**", None: "not measured"}
    body = [[t["target"], t["wanted"], t["measured"], verdict[t["met"]]] for t in items]
    return table(["target (--scale 1)", "wanted", "measured", ""], body)


def _busy(meta: Dict[str, Any]) -> str:
    loads = [x for x in (meta.get("load_start"), meta.get("load_end")) if x is not None]
    # Anything else running competes for the same 2 cores: say so next to the figures.
    return " (other work was running: timings are contended)" if loads and max(loads) >= 1 else ""


def _engine_line(meta: Dict[str, Any]) -> str:
    e = meta.get("engine", {})
    dirty = e.get("engine_uncommitted")
    state = "" if dirty is None else (
        f" + uncommitted {', '.join(x.split()[-1] for x in dirty)}" if dirty else " (clean)")
    return f"{e.get('version')} at {e.get('git_head', e.get('package'))}{state}"


def render_all(meta: Dict[str, Any], rows: List[Row], load_only: Optional[float],
               target_items: List[Dict[str, Any]]) -> str:
    m = meta["machine"]
    parts = [
        f"Benchmark {meta['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, "
        f"Python {m['python']}, ai-edge-litert {m['ai_edge_litert']}, numpy {m['numpy']}; "
        f"content {meta['content']} (Lanczos to each size, square), style {meta['style']}; "
        f"load average {meta['load_start']} → {meta['load_end']}{_busy(meta)}; "
        f"bench wall time {meta['wall_seconds']:.0f} s. Engine: {_engine_line(meta)}.",
        "### Targets\n\n" + targets_table(target_items),
        "### Speed (int8; every time is the median of up to 3 runs; ours warm)\n\n"
        + speed_table(rows),
        f"### Memory (separate process per row; load-only process: {fmt(load_only, 0)} MB)\n\n"
        + memory_table(rows, load_only),
        "### Quality\n\n" + quality_table(rows),
    ]
    return "\n\n".join(parts) + "\n"
