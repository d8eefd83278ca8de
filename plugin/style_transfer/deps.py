"""The plugin's third-party dependencies, and how to install them for a host's Python.

One copy of this logic, used twice: installer.py loads this file by path (it runs on a bare
Python, outside any host), and the Krita docker imports it to offer *Install dependencies* after
a zip-only install. Standard library only, Python >= 3.9; of the rest of the package only
engine/folders.py (the per-OS folders, stdlib only too), loaded by path when this file is.

The wheels go into `<package>/_deps`, a private folder style_transfer/__init__.py appends to
sys.path (after the host's own folders, so the host's numpy always wins). They are fetched with
`pip install --target --python-version --platform --only-binary :all:`, so the Python that runs
pip need not be the host's: inside Krita `sys.executable` is the krita binary, so we look for a
python with pip, and if none has one we run pip straight from its wheel downloaded from PyPI.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

try:
    from .engine import folders
except ImportError:  # loaded by file path (installer.py, on a bare Python): no parent package
    _spec = importlib.util.spec_from_file_location(
        "_style_transfer_folders", Path(__file__).with_name("engine") / "folders.py")
    assert _spec is not None and _spec.loader is not None
    folders = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(folders)

#: what the plugin imports beyond the standard library (pip requirement strings). numpy is
#: listed so the rest resolves against a compatible one, but it is not installed when the
#: host's Python already has it (Krita's and GIMP's Pythons do).
REQUIREMENTS: List[str] = ["ai-edge-litert>=1.0", "numpy>=1.23.2", "Pillow>=9.1",
                           # optical flow for animations (engine/stabilize.py): 4.12+ need
                           # numpy 2 (Krita 5.1.5 has 1.24)
                           "opencv-python-headless>=4.10,<4.12"]
#: optional: OpenVINO, the faster runtime (engine/openvino_backend.py; wheels of 33-85 MB for
#: Windows x64, Linux x86-64/aarch64, macOS arm64). Where pip has no wheel for the host's Python
#: and platform, or it fails, the required ones go in alone and LiteRT runs the models (the
#: status line then says "OpenVINO not installed").
OPTIONAL: List[str] = ["openvino>=2024.6"]
#: canonical distribution name -> the module the plugin imports
MODULES: Dict[str, str] = {"ai-edge-litert": "ai_edge_litert", "numpy": "numpy", "pillow": "PIL",
                           "opencv-python-headless": "cv2"}
DEPS_DIRNAME = "_deps"
PYPI_PIP = "https://pypi.org/pypi/pip/json"
STAMP = ".stamp.json"

Progress = Callable[[str], None]
#: canonical name -> version the host's Python already has ("*" = present, version unknown)
HostHas = Callable[[str], Optional[str]]


class DependencyInstallError(Exception):
    """Installing the wheels failed; the message is one line that says what to do."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(req: str) -> str:
    return canonical(re.split(r"[<>=!~ ;\[]", req, maxsplit=1)[0])


def pip_name(module: str) -> str:
    """The pip name of a top-level module ("PIL" -> "pillow"); others are their own."""
    return next((dist for dist, name in MODULES.items() if name == module), module)


def missing(error: Optional[BaseException] = None) -> List[str]:
    """pip names of the requirements whose module the running Python cannot find: the one
    detection every front end uses (common/messages.py words it). With the ImportError of a
    failed import, also the package of the module it names, when that cannot be found either
    and is not the plugin's own (tqdm for the CLI, say)."""
    importlib.invalidate_caches()  # a folder filled since start-up is seen
    names = [requirement_name(req) for req in REQUIREMENTS
             if importlib.util.find_spec(MODULES[requirement_name(req)]) is None]
    module = (getattr(error, "name", None) or "").split(".")[0]
    if module and module != "style_transfer" and pip_name(module) not in names:
        try:
            absent = importlib.util.find_spec(module) is None
        except (ImportError, ValueError):
            absent = True
        if absent:
            names.append(pip_name(module))
    return names


def deps_dir(package_dir: Path) -> Path:
    """The private wheel folder of an installed package (style_transfer/__init__.py uses it)."""
    return Path(package_dir) / DEPS_DIRNAME


def pip_platforms() -> List[str]:
    """Wheel platform tags this machine can run, newest first (pip --platform takes several)."""
    machine = platform.machine().lower()
    if sys.platform == "win32":
        return ["win_arm64"] if machine in ("arm64", "aarch64") else ["win_amd64"]
    if sys.platform == "darwin":
        arch = "arm64" if machine in ("arm64", "aarch64") else "x86_64"
        major = int(platform.mac_ver()[0].split(".")[0] or 11)
        return [f"macosx_{v}_0_{arch}" for v in range(max(major, 11), 10, -1)] + [
            f"macosx_10_{m}_{arch}" for m in range(15, 8, -1)]
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    libc, version = platform.libc_ver()
    if libc != "glibc" or not version:
        return [f"linux_{arch}"]
    minor = int(version.split(".")[1])
    tags = [f"manylinux_2_{m}_{arch}" for m in range(minor, 16, -1)]
    return [*tags, f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}"]


# -- finding pip ---------------------------------------------------------------------------------


def _clean_env() -> Dict[str, str]:
    """The environment for a child python: a host's PYTHONHOME/PYTHONPATH (Krita's AppImage sets
    them for its own Python) would break another interpreter."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _looks_like_python(exe: Optional[str]) -> bool:
    return bool(exe) and re.fullmatch(r"python(\d+(\.\d+)?)?(\.exe)?",
                                      Path(str(exe)).name.lower()) is not None


def python_candidates() -> List[str]:
    """Python interpreters that could run pip, best first. Inside Krita sys.executable is the
    krita binary, so it is skipped by name; then the same X.Y on PATH, then any python3."""
    found: List[str] = []
    for exe in (sys.executable, getattr(sys, "_base_executable", None)):
        if _looks_like_python(exe) and os.access(str(exe), os.X_OK):
            found.append(str(exe))
    for name in (f"python{sys.version_info[0]}.{sys.version_info[1]}", "python3", "python"):
        exe = shutil.which(name)
        if exe:
            found.append(exe)
    return list(dict.fromkeys(found))


def _has_pip(python: str) -> bool:
    try:
        r = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True,
                           env=_clean_env(), timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pip_wheel(cache: Optional[Path] = None, say: Progress = lambda s: None) -> Path:
    """A pip wheel to run pip from (`python pip.whl/pip ...`), downloaded from PyPI once.

    Only a wheel whose sha256 matched PyPI's is ever kept in the cache, so a cached one is
    reused without asking the network again."""
    cache = cache or folders.pip_dir()
    have = sorted(cache.glob("pip-*-py3-none-any.whl"), key=lambda p: p.stat().st_mtime)
    if have:
        return have[-1]
    say("Downloading pip from PyPI (no Python with pip was found)")
    try:
        with urllib.request.urlopen(PYPI_PIP, timeout=30) as r:
            meta = json.load(r)
            base = r.geturl()
        wheel = next(f for f in meta["urls"] if f["packagetype"] == "bdist_wheel"
                     and f["filename"].endswith("-py3-none-any.whl"))
        url = urllib.parse.urljoin(base, wheel["url"])  # a mirror may answer relative URLs
        cache.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".pip-", suffix=".part", dir=cache)
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as r:
                shutil.copyfileobj(r, out)
            if _sha256(Path(tmp)) != wheel["digests"]["sha256"]:
                raise DependencyInstallError(
                    f"The pip wheel from PyPI ({wheel['filename']}) failed its sha256 check; "
                    "try again later.")
            final = cache / wheel["filename"]
            os.replace(tmp, final)
            return final
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except (OSError, ValueError, KeyError, StopIteration) as e:
        raise DependencyInstallError(
            f"No Python with pip was found and pip could not be downloaded from PyPI ({e}); "
            "check the network connection, or install Python 3 with pip and try again.") from e


def pip_command(say: Progress = lambda s: None) -> List[str]:
    """The command that runs pip: `python -m pip` with the first candidate that has pip, else
    the first python running pip from its wheel."""
    candidates = python_candidates()
    for python in candidates:
        if _has_pip(python):
            return [python, "-m", "pip"]
    if not candidates:
        raise DependencyInstallError(
            "No Python interpreter was found to run pip; install Python 3 (python.org, or your "
            "distribution's python3 package) and try again.")
    return [candidates[0], str(pip_wheel(say=say) / "pip")]


def _pip_error(output: str) -> str:
    lines = [ln.strip() for ln in output.strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR")] or lines[-1:] or ["no output"]
    text = errors[-1]
    if re.search(r"NewConnectionError|Failed to establish|Name or service not known|"
                 r"Temporary failure in name resolution|Network is unreachable", output):
        return f"PyPI could not be reached; check the network connection ({text})"
    return text


def run_pip(pip: Sequence[str], args: Sequence[str],
            say: Optional[Progress] = None) -> str:
    """Run pip; its output lines go to `say` as they come. Returns the output."""
    try:
        proc = subprocess.Popen([*pip, "--disable-pip-version-check", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=_clean_env())
    except OSError as e:
        raise DependencyInstallError(f"Could not run pip ({pip[0]}): {e}") from e
    out: List[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        out.append(line)
        if say and line.strip():
            say(line.rstrip())
    if proc.wait() != 0:
        raise DependencyInstallError("pip failed: " + _pip_error("".join(out)))
    return "".join(out)


# -- installing ----------------------------------------------------------------------------------


def resolve_wheels(pip: Sequence[str], requirements: Sequence[str], python_version: str,
                   platforms: Sequence[str]) -> List[Tuple[str, str]]:
    """(name, version) of every wheel the requirements need for that Python and platform.

    Known pip limit: environment markers (`; python_version < "3.11"`) are evaluated for the
    Python running pip, not for --python-version, so a backport may be added needlessly; that is
    harmless (an unused pure-Python package)."""
    with tempfile.TemporaryDirectory(prefix="st-resolve-") as tmp:
        report = Path(tmp) / "report.json"
        args = ["install", "--dry-run", "--quiet", "--ignore-installed", "--report", str(report),
                "--only-binary", ":all:", "--python-version", python_version, "--target", tmp]
        for tag in platforms:
            args += ["--platform", tag]
        run_pip(pip, [*args, *requirements])
        data = json.loads(report.read_text(encoding="utf-8"))
    return [(i["metadata"]["name"], i["metadata"]["version"]) for i in data["install"]]


def install_wheels(target: Path, requirements: Sequence[str], python_version: str,
                   platforms: Sequence[str], host_has: HostHas, dry_run: bool = False,
                   say: Progress = print) -> None:
    """Install the wheels into `target`, skipping distributions the host's Python already has
    (e.g. Debian's numpy). `target` is replaced as a whole only once pip succeeded (built in a
    temporary folder beside it, then swapped), so a failure leaves it as it was and no stale
    files stay behind. Idempotent: a stamp file names what is there; a match skips the work."""
    target = Path(target)
    pip = pip_command(say)
    # pin what the host already has, so the rest is resolved to work with THAT numpy etc.
    reqs = list(requirements)
    for i, req in enumerate(reqs):
        have = host_has(requirement_name(req))
        if have and have != "*":
            reqs[i] = f"{requirement_name(req)}=={have}"
    say(f"Resolving {', '.join(requirements)} for Python {python_version}")
    wanted = resolve_wheels(pip, reqs, python_version, platforms)
    pins = [f"{n}=={v}" for n, v in wanted if not host_has(canonical(n))]
    skipped = [f"{n} {v}" for n, v in wanted if host_has(canonical(n))]
    stamp_text = json.dumps({"python": python_version, "platforms": list(platforms),
                             "pins": sorted(pins)})
    stamp = target / STAMP
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == stamp_text:
        say(f"  wheels for Python {python_version} already in {target}")
        return
    say(f"  pip install --target {target} --python-version {python_version} "
        f"--platform {platforms[0]} …: {' '.join(pins)}")
    if skipped:
        say(f"  (the host's Python already has: {', '.join(skipped)})")
    if dry_run:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".st-deps-", dir=target.parent))
    old = target.with_name(f".{target.name}-old-{os.getpid()}")
    try:
        args = ["install", "--no-deps", "--only-binary", ":all:", "--progress-bar", "off",
                "--python-version", python_version, "--target", str(staging)]
        for tag in platforms:
            args += ["--platform", tag]
        if pins:  # nothing to add when the host has it all: an empty folder + stamp
            run_pip(pip, [*args, *pins], lambda line: say("    " + line))
        (staging / STAMP).write_text(stamp_text, encoding="utf-8")
        if target.exists():
            try:
                target.rename(old)
            except OSError as e:  # Windows: files of a loaded extension cannot be moved
                raise DependencyInstallError(
                    f"{target} is in use ({e}); restart the program and try again.") from e
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def install_with_optional(target: Path, requirements: Sequence[str], optional: Sequence[str],
                          python_version: str, platforms: Sequence[str], host_has: HostHas,
                          dry_run: bool = False, say: Progress = print) -> bool:
    """install_wheels with the `optional` ones too, else without them (one line says why).
    Returns whether the optional ones are in."""
    if optional:
        try:
            install_wheels(target, [*requirements, *optional], python_version, platforms,
                           host_has, dry_run, say)
            return True
        except DependencyInstallError as e:
            say(f"  {', '.join(optional)} left out ({e}); LiteRT will run the models")
    install_wheels(target, requirements, python_version, platforms, host_has, dry_run, say)
    return False


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def running_python_has(exclude: Path) -> HostHas:
    """host_has for the running Python: what it can import from anywhere but `exclude` (the
    folder about to be replaced: what is only there must be installed again)."""
    def has(dist: str) -> Optional[str]:
        try:
            found = importlib.metadata.distribution(dist)
            if not _inside(Path(str(found.locate_file(""))), exclude):
                return str(found.version)
        except importlib.metadata.PackageNotFoundError:
            pass
        module = MODULES.get(dist)
        spec = importlib.util.find_spec(module) if module else None
        if spec is not None and spec.origin and not _inside(Path(spec.origin), exclude):
            return "*"  # importable, but without metadata (some bundled Pythons)
        return None
    return has


def activate(target: Path) -> bool:
    """After install(): make the wheels in `target` importable in the running Python (appended
    to sys.path, after the host's own folders, as style_transfer/__init__.py does at start-up).
    True = usable now; False = the program must be restarted (something is still missing, or a
    module was already loaded from the files the install replaced)."""
    folder = str(target)
    if folder not in sys.path:
        sys.path.append(folder)
    importlib.invalidate_caches()
    stale = [name for name in MODULES.values() if name in sys.modules
             and _inside(Path(getattr(sys.modules[name], "__file__", None) or "/"), target)]
    return not missing() and not stale


def install(target: Path, python_version: Optional[str] = None,
            progress: Optional[Progress] = None) -> None:
    """Install the wheels the running Python lacks for `python_version` (default: the running
    Python's X.Y) and this platform into `target`. Raises DependencyInstallError with one
    actionable line on failure and then leaves `target` unchanged. Blocks for minutes (about
    100 MB are downloaded the first time): call it from a worker thread in a GUI."""
    say = progress or (lambda s: None)
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    version = python_version or running
    target = Path(target)
    importlib.invalidate_caches()
    host_has = running_python_has(target) if version == running else (lambda dist: None)
    try:
        install_with_optional(target, REQUIREMENTS, OPTIONAL, version, pip_platforms(),
                              host_has, False, say)
    except OSError as e:
        raise DependencyInstallError(f"Could not write the dependencies into {target}: {e}") from e
    say("Dependencies installed.")
