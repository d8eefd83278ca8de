"""Paths, machine description and memory readings shared by the bench parent and its children."""

from __future__ import annotations

import os
import platform
import resource
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Optional

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
ENV_MODELS = "STYLE_TRANSFER_MODELS"
ENV_IMAGES = "STYLE_TRANSFER_IMAGES"
CONTENT_IMAGE = "stata.jpg"
STYLE_IMAGE = "udnie.jpg"


def ensure_engine_importable() -> None:
    """Benchmark this checkout's engine, even when another copy is pip-installed in the venv
    (a stale install would measure old code). An explicit PYTHONPATH that holds a
    style_transfer package wins, for A/B runs against another tree."""
    explicit = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if any((Path(p) / "style_transfer").is_dir() for p in explicit):
        return
    plugin = str(REPO / "plugin")
    if plugin not in sys.path:
        sys.path.insert(0, plugin)


def _resolve(env: str, fallback: Path, what: str) -> Path:
    raw = os.environ.get(env)
    path = Path(raw) if raw else fallback
    if not path.is_dir():
        raise SystemExit(f"bench: {what} folder {path} not found; set {env} to the folder.")
    return path.resolve()


def models_dir() -> Path:
    """The models folder; also exported, so the engine and every child use exactly this one."""
    # Only the first entry when several are given: the bench needs one local folder.
    raw = os.environ.get(ENV_MODELS, "").split(os.pathsep)[0]
    if raw:
        os.environ[ENV_MODELS] = raw
    path = _resolve(ENV_MODELS, REPO.parent / "shared" / "models", "models")
    os.environ[ENV_MODELS] = str(path)
    return path


def images_dir() -> Path:
    return _resolve(ENV_IMAGES, REPO.parent / "shared" / "images", "images")


def _proc_status_mb(field: str) -> Optional[float]:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024 / 1e6  # the kernel writes kB (KiB)
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """This process's peak resident set size (high-water mark), in MB (10^6 bytes, as the
    issue's "1.5 GB" target).

    Linux: VmHWM, not ru_maxrss. ru_maxrss survives execve, so a child started by a 200 MB
    parent reports at least 200 MB whatever it does (measured: 206 MB vs 42 MB for an import);
    VmHWM belongs to the new address space only. /usr/bin/time -v has the same flaw."""
    hwm = _proc_status_mb("VmHWM")
    if hwm is not None:
        return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # macOS reports bytes, other Unixes KiB.
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6


def current_rss_mb() -> Optional[float]:
    return _proc_status_mb("VmRSS")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def total_memory_gb() -> Optional[float]:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> Dict[str, object]:
    import numpy as np
    import PIL

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": total_memory_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "ai_edge_litert": package_version("ai-edge-litert"),
        "numpy": np.__version__,
        "pillow": PIL.__version__,
    }


def load_average() -> Optional[float]:
    """1-minute load average: other work on a 2-core box distorts every timing, so we record it."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _git(*args: str) -> Optional[str]:
    import subprocess

    try:
        proc = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def engine_info() -> Dict[str, object]:
    """Which engine was measured: figures are only comparable for the same code, and the engine
    changes under performance work (uncommitted edits are listed, not hidden)."""
    import style_transfer

    path = Path(style_transfer.__file__).resolve().parent
    info: Dict[str, object] = {"package": str(path),
                               "version": getattr(style_transfer, "__version__", None)}
    if REPO / "plugin" in path.parents or path.parent == REPO / "plugin":
        info["git_head"] = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--", "plugin/style_transfer/engine")
        info["engine_uncommitted"] = dirty.splitlines() if dirty else []
    return info


def warm_median(fn: Callable[[], Any], repeat: int) -> float:
    """Median wall time of `repeat` calls of fn after one warm-up call."""
    import statistics
    import time

    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)
