#!/usr/bin/env python3
"""Install the style-transfer plugin into a painting program, with the wheels ITS Python needs.

    python3 installer.py                      # Krita (the default host)
    python3 installer.py --dry-run            # print the plan, change nothing
    python3 installer.py --models DIR|URL     # take the models from a folder / mirror (offline)
    python3 installer.py --uninstall          # remove exactly what an install added
    python3 installer.py --zip                # plugin zip for Krita's "Import Python Plugin"

Stdlib only, runs with any Python >= 3.9 (it need not be the host's Python: wheels are fetched
for the host's Python version and platform with `pip install --target --python-version
--platform --only-binary :all:`).

Nothing is written twice: the wheel install is plugin/style_transfer/deps.py (the Krita docker's
*Install dependencies* runs the same code), the model list and store (cache folder, sha256,
download) are plugin/style_transfer/engine/models.py, and the plugin's own folders (data, cache,
logs; the rule for the variables that name them) are plugin/style_transfer/engine/folders.py;
all are standard-library only and loaded here by path.

Layout: the host-neutral parts come first (install record for an exact --uninstall, package
copy, model fetch into the shared cache, the plan / --dry-run). Each program is a `Host`
subclass listed in HOSTS: Krita, then GIMP 3 (--gimp, --gimp-dir, GIMP's plug-in folders and
Python detection).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parent
PACKAGE = "style_transfer"
PACKAGE_SRC = REPO / "plugin" / PACKAGE
MANIFEST = REPO / "models" / "manifest.json"


def _load(name: str, path: Path) -> ModuleType:
    """Import one stdlib-only file of the plugin by path: the package itself needs numpy etc.,
    which this script's Python may not have."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


#: the plugin's own per-OS folders (data, cache, logs) and the rule for the variables naming them
folders = _load("_style_transfer_folders", PACKAGE_SRC / "engine" / "folders.py")
#: the wheels the plugin needs and how to install them (shared with the Krita docker)
deps = _load("_style_transfer_deps", PACKAGE_SRC / "deps.py")
#: the model list and the model store (cache folder, sha256, download) the engine uses
models = _load("_style_transfer_models", PACKAGE_SRC / "engine" / "models.py")
REQUIREMENTS = deps.REQUIREMENTS
DEPS_DIRNAME = deps.DEPS_DIRNAME
RECORD_NAME = "install-record.json"
#: the shared model cache's own record (which hosts use it, which files installs put there)
CACHE_RECORD = ".install-record.json"
COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", DEPS_DIRNAME, RECORD_NAME)


class InstallError(Exception):
    """Something the user has to fix; the message says how."""


def log(msg: str) -> None:
    print(msg, flush=True)


# == host-neutral parts =========================================================================


class Record:
    """What one install added, so --uninstall removes exactly that and nothing else.

    `paths`: files and folders that are ours alone (the plugin package, a model file), removed
    on uninstall, folders recursively. `dirs`: folders we had to create on the way there (e.g.
    ~/.config/GIMP/3.0/plug-ins on a fresh account); the host or the user may have put their
    own files there since, so they are removed only if empty. `ini_edits`: keys set in a config
    file, with the previous value and whether the file / section were created, so the file is
    restored as it was.

    The record is saved after every step (not only at the end), so an install that stops
    half-way (a bad --models, no network, Ctrl+C) can still be removed by --uninstall.

    The model cache is shared by every host (and the CLI), so it has a record of its own in
    the cache folder: `hosts` names the hosts installed with it, and only the last host's
    uninstall removes the model files an install put there (`cache` links a host's record to
    it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.paths: List[str] = []
        self.dirs: List[str] = []
        self.ini_edits: List[Dict[str, object]] = []
        self.hosts: List[str] = []
        self.cache: Optional[str] = None
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            self.paths = data.get("paths", [])
            self.dirs = data.get("dirs", [])
            self.ini_edits = data.get("ini_edits", [])
            self.hosts = data.get("hosts", [])
            self.cache = data.get("cache")

    def created(self, p: Path) -> None:
        if str(p) not in self.paths:
            self.paths.append(str(p))

    def created_dir(self, p: Path) -> None:
        if str(p) not in self.dirs:
            self.dirs.append(str(p))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"paths": self.paths, "dirs": self.dirs, "ini_edits": self.ini_edits,
                "hosts": self.hosts, "cache": self.cache}
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)  # a Ctrl+C never leaves half a record


def mkdirs_recorded(folder: Path, record: Record, own_leaf: bool = False) -> None:
    """mkdir -p that records each folder it had to create. Parents are shared with the host
    (removed on uninstall only if empty); `own_leaf` marks `folder` itself as wholly ours."""
    missing = []
    p = folder
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        d.mkdir()
        if own_leaf and d == folder:
            record.created(d)
        else:
            record.created_dir(d)


def _ini_lines(path: Path) -> Tuple[List[str], str]:
    """The file's lines, each with its own line end as it is on disk (bytes, not text mode:
    Windows' text mode and str.splitlines would both change them), and the line end to give
    new lines: the file's own ("\r\n" or "\n")."""
    text = path.read_bytes().decode("utf-8") if path.is_file() else ""
    lines = [ln + "\n" for ln in text.split("\n")]
    lines[-1] = lines[-1][:-1]  # after the last "\n": what follows it, often nothing
    if not lines[-1]:
        lines.pop()
    eol = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    return lines, eol


def _line_end(line: str) -> str:
    return "\r\n" if line.endswith("\r\n") else "\n" if line.endswith("\n") else ""


def _ini_key(line: str) -> str:
    return line.split("=", 1)[0].strip()


def ini_set(path: Path, section: str, key: str, value: str, record: Record) -> None:
    """Set key=value in an INI/KConfig file by editing lines, not by re-serialising: KConfig files
    hold keys configparser mangles (case, '[$e]' markers), so everything else stays byte-identical,
    line ends included, and ini_restore gives back the very bytes the file had.
    """
    existed = path.is_file()
    lines, eol = _ini_lines(path)
    header = f"[{section}]"
    start = next((i for i, ln in enumerate(lines) if ln.strip() == header), None)
    edit: Dict[str, object] = {
        "file": str(path), "section": section, "key": key,
        "created_file": not existed, "created_section": start is None, "previous": None,
        "previous_line": None, "added_eol": False, "added_blank": False,
    }

    def end_the_last_line() -> None:  # before adding a line after it; undone by ini_restore
        if lines and not _line_end(lines[-1]):
            lines[-1] += eol
            edit["added_eol"] = True

    if start is None:
        end_the_last_line()
        if lines and lines[-1].strip():
            lines.append(eol)
            edit["added_blank"] = True
        lines += [header + eol, f"{key}={value}{eol}"]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
                   len(lines))
        for i in range(start + 1, end):
            if _ini_key(lines[i]) == key:
                edit["previous"] = lines[i].split("=", 1)[1].rstrip("\r\n")
                edit["previous_line"] = lines[i]
                lines[i] = f"{key}={value}{_line_end(lines[i])}"
                break
        else:
            ins = end
            while ins > start + 1 and not lines[ins - 1].strip():
                ins -= 1  # keep the blank line(s) that separate this section from the next
            if ins == len(lines):
                end_the_last_line()
            lines.insert(ins, f"{key}={value}{eol}")
    old = next((e for e in record.ini_edits if e["file"] == str(path) and e["key"] == key
                and e["section"] == section), None)
    if old is None:  # a re-install keeps the state from before the FIRST install
        record.ini_edits.append(edit)
        record.save()  # recorded before the file changes
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("".join(lines).encode("utf-8"))


def ini_restore(edit: Dict[str, object]) -> None:
    path = Path(str(edit["file"]))
    if not path.is_file():
        return
    lines, _ = _ini_lines(path)
    if edit["created_file"]:
        rest = "".join(lines).replace("\r\n", "\n").strip()
        if rest in (f"[{edit['section']}]\n{edit['key']}=true", f"[{edit['section']}]"):
            path.unlink()  # nothing but our own line: the file did not exist before
            return
    header = f"[{edit['section']}]"
    start = next((i for i, ln in enumerate(lines) if ln.strip() == header), None)
    if start is None:
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
               len(lines))
    cut_at_end = False  # lines removed from the end of the file
    for i in range(start + 1, end):
        if _ini_key(lines[i]) == edit["key"]:
            if edit["previous"] is None:
                del lines[i]
                end -= 1
                cut_at_end = i == len(lines)
            elif edit.get("previous_line"):
                lines[i] = str(edit["previous_line"])
            else:  # a record written before previous_line was kept
                lines[i] = f"{edit['key']}={edit['previous']}{_line_end(lines[i])}"
            break
    body = [ln for ln in lines[start + 1:end] if ln.strip()]
    if edit["created_section"] and not body:
        del lines[start:end]
        cut_at_end = start == len(lines)
        # the blank line we put before the section (records from before added_blank: any)
        if start > 0 and cut_at_end and not lines[start - 1].strip() \
                and edit.get("added_blank", True):
            del lines[start - 1]
    if cut_at_end and edit.get("added_eol") and lines:
        lines[-1] = lines[-1].rstrip("\r\n")  # the file ended without one before
    path.write_bytes("".join(lines).encode("utf-8"))


def uninstall(record: Record, dry_run: bool, host: str = "") -> None:
    if record.cache:
        release_cache(Path(record.cache), host, dry_run)
    for edit in reversed(record.ini_edits):
        log(f"  restore {edit['section']}/{edit['key']} in {edit['file']}")
        if not dry_run:
            ini_restore(edit)
    # deepest paths first, so a folder we created is empty of our files before it is removed
    for p in sorted((Path(s) for s in record.paths), key=lambda q: len(q.parts), reverse=True):
        if not p.exists() and not p.is_symlink():
            continue
        log(f"  remove {p}")
        if dry_run:
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()
    if not dry_run and record.path.exists():
        record.path.unlink()
    for d in sorted((Path(s) for s in record.dirs), key=lambda q: len(q.parts), reverse=True):
        if d.is_dir() and not any(d.iterdir()):
            log(f"  remove empty {d}")
            if not dry_run:
                d.rmdir()


def copy_package(dest: Path, dry_run: bool) -> None:
    """Copy plugin/style_transfer to `dest`, replacing earlier plugin files but keeping the
    private wheels and the install record, plus the model manifest the engine reads."""
    log(f"  copy {PACKAGE_SRC} -> {dest}")
    if dry_run:
        return
    dest.mkdir(parents=True, exist_ok=True)
    for child in dest.iterdir():
        if child.name in (DEPS_DIRNAME, RECORD_NAME):
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    for child in PACKAGE_SRC.iterdir():
        if child.name in ("__pycache__", DEPS_DIRNAME, RECORD_NAME):
            continue
        if child.is_dir():
            shutil.copytree(child, dest / child.name, ignore=COPY_IGNORE)
        else:
            shutil.copy2(child, dest / child.name)
    shutil.copy2(MANIFEST, dest / "manifest.json")


def check_models_source(source: Optional[str], dry_run: bool) -> None:
    """Before anything changes: does --models hold every model (or does the cache)? A dry run
    warns; an install stops here, so a typo leaves nothing behind."""
    if not source:
        return
    if models._is_url(source):
        return  # checked by the download itself (a mirror may need the network)
    store = models.ModelStore(sources=[source], allow_download=False)
    if not Path(source).is_dir():
        problem = f"--models {source}: no such folder"
    else:
        lacking = [spec.file for spec in store.manifest.values()
                   if store.find_local(spec.id)[0] is None]
        problem = (f"--models {source} lacks {', '.join(lacking)} (or a copy fails its sha256)"
                   if lacking else "")
    if not problem:
        return
    if dry_run:
        log(f"  warning: {problem}; the install would stop here")
        return
    raise InstallError(f"{problem}. Pass a folder holding the .tflite files (or a base URL), "
                       "or --no-models.")


def join_shared(host: str, record: Record, dry_run: bool) -> Record:
    """Name `host` in the shared record (in the model cache folder), with or without models:
    the last host an uninstall removes takes the plugin's own files with it (release_cache)."""
    dest = models.default_cache_dir()
    shared = Record(dest / CACHE_RECORD)
    if not dry_run:
        mkdirs_recorded(dest, shared)
        if host not in shared.hosts:
            shared.hosts.append(host)
        shared.save()
        record.cache = str(dest)
        record.save()
    return shared


def models_hint(allow_download: bool) -> str:
    """The installer's fix for a model it could not get (downloads are off exactly when
    --models was given)."""
    if not allow_download:
        return "Fix: check that --models names a folder or base URL holding the .tflite files."
    return ("Fix: check the network connection and run installer.py again, or pass --models "
            "DIR|URL (a folder or mirror holding the .tflite files).")


def fetch_models(source: Optional[str], shared: Record, dry_run: bool) -> None:
    """Put a verified copy of every model in the manifest into the engine's cache, through the
    engine's own store (engine/models.py, loaded by path). `source`: a folder or a base URL
    (offline mirror); None = the manifest's own URLs. Valid files already there are kept."""
    store = models.ModelStore(sources=[source] if source else [], allow_download=not source,
                              hint=models_hint)
    dest = store.cache_dir
    for spec in store.manifest.values():
        final = dest / spec.file
        if store.verified(final, spec):
            log(f"  model {spec.file}: already there")
            continue
        log(f"  model {spec.file} <- {source or spec.sources[0].url}")
        if dry_run:
            continue
        existed = final.exists()
        try:
            store.fetch(spec.id)
        except models.ModelError as e:
            raise InstallError(str(e)) from e
        if not existed:
            shared.created(final)
            shared.save()


def release_cache(dest: Path, host: str, dry_run: bool) -> None:
    """Uninstall of one host: the model files, logs and caches go only when no other host
    uses them."""
    shared = Record(dest / CACHE_RECORD)
    if not shared.path.is_file():
        return
    others = [h for h in shared.hosts if h != host]
    if others:
        log(f"  keep the models in {dest}: {', '.join(others)} still uses them")
        if not dry_run:
            shared.hosts = others
            shared.save()
        return
    remove_own_files(dry_run)
    # the engine's derived files (compiled networks) go with the models they came from
    shared.created(dest / models.DERIVED_CACHE)
    uninstall(shared, dry_run)
    for folder in (folders.data_dir(), folders.cache_dir()):
        remove_if_empty(folder, dry_run)


def remove_own_files(dry_run: bool) -> None:
    """The files the plugin wrote for itself while it ran (folders.py): each host's log and
    its rotated copies (common/logs.py), the PNG copies of layers used as styles (GIMP's
    style_rows.py; useless without the plugin), the pip wheel *Install dependencies*
    downloaded (deps.pip_wheel), and their folders once empty."""
    found = []
    for host in HOSTS:
        found += folders.log_dir().glob(f"{host.log_name}.log")
        found += folders.log_dir().glob(f"{host.log_name}.log.[0-9]*")
    found += folders.layer_styles_dir().glob("*.png")
    found += folders.pip_dir().glob("pip-*.whl")
    found += folders.pip_dir().glob(".pip-*.part")
    for p in sorted(found):
        log(f"  remove {p}")
        if not dry_run:
            p.unlink()
    remove_if_empty(folders.data_dir() / "logs", dry_run)  # never a folder the user named
    for folder in (folders.layer_styles_dir(), folders.pip_dir()):
        remove_if_empty(folder, dry_run)


def remove_if_empty(folder: Path, dry_run: bool) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        log(f"  remove empty {folder}")
        if not dry_run:
            folder.rmdir()


# == hosts =====================================================================================


def python_of_library(path: Path) -> Optional[str]:
    """'3.11' if the binary at `path` links/bundles libpython3.11 / python311.dll / 3.11 framework.

    Reads the file's bytes instead of running ldd: stdlib only, and works for foreign platforms."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    m = re.search(rb"libpython3\.(\d+)|python3(\d\d)\.dll|Python\.framework/Versions/3\.(\d+)",
                  data)
    if not m:
        return None
    return "3." + next(g for g in m.groups() if g).decode()


class Host:
    """One program to install into. Subclasses say where things go and which Python it runs."""

    name = "host"
    flag = "--host"
    log_name = "host"  # the host's log file is <log folder>/<log_name>.log (common/logs.py)

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        raise NotImplementedError

    @classmethod
    def selected(cls, args: argparse.Namespace) -> bool:
        raise NotImplementedError

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    # where things go
    def package_dir(self) -> Path:
        raise NotImplementedError

    def deps_dir(self) -> Path:
        return self.package_dir() / DEPS_DIRNAME

    def record_path(self) -> Path:
        return self.package_dir() / RECORD_NAME

    # which Python
    def python_version(self) -> str:
        raise NotImplementedError

    def python_platforms(self) -> List[str]:
        return deps.pip_platforms()

    def host_has(self, dist: str) -> Optional[str]:
        """The version of `dist` (canonical name) the host's own Python already has, or None."""
        if not hasattr(self, "_has_cache"):
            self._has_cache: Dict[str, Optional[str]] = {}
        if dist not in self._has_cache:
            exe = self.shared_python()
            found = None
            if exe:
                code = ("import importlib.metadata as m, sys\n"
                        "try: print(m.version(sys.argv[1]))\n"
                        "except m.PackageNotFoundError: pass")
                r = subprocess.run([exe, "-I", "-c", code, dist], capture_output=True, text=True)
                found = r.stdout.strip() or None
            self._has_cache[dist] = found
        return self._has_cache[dist]

    def shared_python(self) -> Optional[str]:
        """A python executable whose site-packages the host's Python also sees (a distro
        build using the system Python), or None when the host bundles its own."""
        return None

    # host-specific steps around the common ones
    def install_extra(self, record: Record, dry_run: bool) -> None:
        pass

    def describe(self) -> str:
        return f"{self.name}: package {self.package_dir()}, Python {self.python_version()}"


class KritaHost(Host):
    name = "Krita"
    flag = "--krita"
    log_name = "krita"
    FLATPAK_ID = "org.kde.krita"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        g = parser.add_argument_group("Krita")
        g.add_argument("--krita", action="store_true",
                       help="install into Krita (the default when no host is named)")
        g.add_argument("--krita-dir", type=Path,
                       help="Krita's resource folder (holds pykrita/); default: found per OS")
        g.add_argument("--krita-config", type=Path,
                       help="Krita's kritarc (plugin enable switch); default: found per OS")
        g.add_argument("--krita-python", metavar="X.Y",
                       help="Python version Krita embeds; default: read from Krita's files")
        g.add_argument("--krita-bin", type=Path, help="Krita executable / AppImage to inspect")

    @classmethod
    def selected(cls, args: argparse.Namespace) -> bool:
        return bool(args.krita)

    # -- folders --
    def _flatpak_root(self) -> Path:
        return Path.home() / ".var" / "app" / self.FLATPAK_ID

    def _native_linux(self) -> bool:
        data = folders.os_folder("XDG_DATA_HOME", Path.home() / ".local" / "share")
        return (shutil.which("krita") is not None or (data / "krita").is_dir()
                or not self._flatpak_root().is_dir())

    def resource_dir(self) -> Path:
        if self.args.krita_dir:
            return Path(self.args.krita_dir).expanduser()
        if sys.platform == "win32":
            return folders.os_folder("APPDATA", Path.home() / "AppData" / "Roaming") / "krita"
        if sys.platform == "darwin":
            return Path.home() / "Library" / "Application Support" / "krita"
        if self._native_linux():
            data = folders.os_folder("XDG_DATA_HOME", Path.home() / ".local" / "share")
            return data / "krita"
        return self._flatpak_root() / "data" / "krita"

    def config_file(self) -> Path:
        if self.args.krita_config:
            return Path(self.args.krita_config).expanduser()
        if sys.platform == "win32":
            return folders.os_folder("LOCALAPPDATA", Path.home() / "AppData" / "Local") / "kritarc"
        if sys.platform == "darwin":
            return Path.home() / "Library" / "Preferences" / "kritarc"
        if self._native_linux():
            return folders.os_folder("XDG_CONFIG_HOME", Path.home() / ".config") / "kritarc"
        return self._flatpak_root() / "config" / "kritarc"

    def pykrita(self) -> Path:
        return self.resource_dir() / "pykrita"

    def package_dir(self) -> Path:
        return self.pykrita() / PACKAGE

    # -- Python --
    def _candidate_binaries(self) -> Iterable[Path]:
        if self.args.krita_bin:
            yield Path(self.args.krita_bin)
        if sys.platform == "win32":
            for base in (os.environ.get("PROGRAMFILES"), os.environ.get("PROGRAMW6432")):
                if base:
                    for sub in ("Krita (x64)", "Krita"):
                        root = Path(base) / sub
                        yield from sorted(root.glob("python*.dll"))
                        yield from sorted((root / "bin").glob("python3*.dll"))
            return
        if sys.platform == "darwin":
            fw = Path("/Applications/krita.app/Contents/Frameworks/Python.framework/Versions")
            yield from (v / "Python" for v in sorted(fw.glob("3.*")))
            return
        # distro packages: the pykrita plugin (not the krita binary) links libpython
        for libdir in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                       "/usr/lib", "/usr/local/lib", "/app/lib"):
            yield Path(libdir) / "kritaplugins" / "kritapykrita.so"
            yield Path(libdir) / "krita-python-libs" / "PyKrita" / "krita.so"
        for root in (Path("/var/lib/flatpak"), Path.home() / ".local/share/flatpak"):
            files = root / "app" / self.FLATPAK_ID / "current" / "active" / "files" / "lib"
            yield from sorted(files.glob("libpython3*.so*"))

    def python_version(self) -> str:
        if self.args.krita_python:
            if not re.fullmatch(r"3\.\d+", self.args.krita_python):
                raise InstallError("--krita-python takes a version like 3.10")
            return str(self.args.krita_python)
        for path in self._candidate_binaries():
            if path.is_file():
                found = python_of_library(path)
                if found:
                    return found
        raise InstallError(
            "Could not tell which Python your Krita embeds. Pass it: --krita-python 3.10 for "
            "Krita 5.2, 3.13 for Krita 5.3; a distribution's Krita uses the system python3. "
            "For an AppImage pass --krita-bin path/to/krita.AppImage or --krita-python.")

    def _system_python(self) -> Optional[str]:
        """A distro Krita embeds the system libpython: its python3.X sees the same site-packages."""
        if sys.platform in ("win32", "darwin") or self.args.krita_bin:
            return None  # bundled Pythons carry no extra packages worth reusing
        # not shutil.which: a pyenv/venv python3.X earlier on PATH is not the one Krita embeds
        for exe in (f"/usr/bin/python{self.python_version()}",
                    f"/usr/local/bin/python{self.python_version()}"):
            if os.access(exe, os.X_OK):
                return exe
        return None

    def shared_python(self) -> Optional[str]:
        return self._system_python()

    def install_extra(self, record: Record, dry_run: bool) -> None:
        desktop = self.pykrita() / f"{PACKAGE}.desktop"
        # Krita reads an action's default shortcut only from an .action file in its
        # resource folder's actions/ (as Krita's own plugin importer puts it there)
        action = self.resource_dir() / "actions" / f"{PACKAGE}.action"
        log(f"  copy {PACKAGE}.desktop -> {desktop}")
        log(f"  copy {PACKAGE}.action -> {action}")
        log(f"  enable the plugin in {self.config_file()} ([python] enable_{PACKAGE}=true)")
        if dry_run:
            return
        if not desktop.exists():
            record.created(desktop)
        shutil.copy2(REPO / "plugin" / f"{PACKAGE}.desktop", desktop)
        mkdirs_recorded(action.parent, record)
        if not action.exists():
            record.created(action)
        shutil.copy2(REPO / "plugin" / f"{PACKAGE}.action", action)
        ini_set(self.config_file(), "python", f"enable_{PACKAGE}", "true", record)

    def describe(self) -> str:
        return (f"Krita: resources {self.resource_dir()}, config {self.config_file()}, "
                f"Python {self.python_version()}")


class GimpHost(Host):
    """GIMP 3: plug-ins/style-transfer/style-transfer.py (GIMP runs only the file named like its
    folder) with the package beside it: plug-ins/style-transfer/style_transfer/ (+ _deps/)."""

    name = "GIMP"
    flag = "--gimp"
    log_name = "gimp"
    FLATPAK_ID = "org.gimp.GIMP"
    PLUGIN = "style-transfer"
    ENTRY_SRC = PACKAGE_SRC / "gimp" / "style-transfer.py"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        g = parser.add_argument_group("GIMP 3")
        g.add_argument("--gimp", action="store_true", help="install into GIMP 3")
        g.add_argument("--gimp-dir", type=Path,
                       help="GIMP's user plug-ins folder (or the GIMP/3.x folder holding it); "
                            "default: found per OS")
        g.add_argument("--gimp-python", metavar="X.Y",
                       help="Python version GIMP runs plug-ins with; default: detected")

    @classmethod
    def selected(cls, args: argparse.Namespace) -> bool:
        return bool(args.gimp)

    # -- folders --
    def _flatpak_root(self) -> Path:
        return Path.home() / ".var" / "app" / self.FLATPAK_ID

    def _native_linux(self) -> bool:
        # A Flatpak-only GIMP keeps its config under ~/.var/app; anything else is native.
        cfg = folders.os_folder("XDG_CONFIG_HOME", Path.home() / ".config")
        return (shutil.which("gimp-3.0") is not None or shutil.which("gimp") is not None
                or (cfg / "GIMP").is_dir() or not self._flatpak_root().is_dir())

    @staticmethod
    def _version_dir(gimp_root: Path) -> Path:
        """GIMP/3.0 unless a newer 3.x folder already exists (GIMP makes it on first start)."""
        found = [p for p in gimp_root.glob("3.*") if re.fullmatch(r"3\.\d+", p.name)]
        if not found:
            return gimp_root / "3.0"
        return max(found, key=lambda p: int(p.name.split(".")[1]))

    def plugins_dir(self) -> Path:
        if self.args.gimp_dir:
            d = Path(self.args.gimp_dir).expanduser()
            return d / "plug-ins" if d.name != "plug-ins" and (d / "plug-ins").is_dir() else d
        if sys.platform == "win32":
            root = folders.os_folder("APPDATA", Path.home() / "AppData" / "Roaming") / "GIMP"
        elif sys.platform == "darwin":
            root = Path.home() / "Library" / "Application Support" / "GIMP"
        elif self._native_linux():
            root = folders.os_folder("XDG_CONFIG_HOME", Path.home() / ".config") / "GIMP"
        else:
            root = self._flatpak_root() / "config" / "GIMP"
        return self._version_dir(root) / "plug-ins"

    def plugin_dir(self) -> Path:
        return self.plugins_dir() / self.PLUGIN

    def package_dir(self) -> Path:
        return self.plugin_dir() / PACKAGE

    # -- Python --
    def _interpreter(self) -> Optional[str]:
        """The python3 a native Linux GIMP starts `#!/usr/bin/env python3` plug-ins with."""
        if sys.platform in ("win32", "darwin") or not self._native_linux():
            return None
        # Upstream builds name it in pygimp.interp; Debian's has none and relies on PATH, where
        # a desktop session finds /usr/bin first (a venv's python3 on OUR PATH is not GIMP's).
        for interp in sorted(Path("/usr").glob("lib*/**/gimp/3.0/interpreters/pygimp.interp")):
            for line in interp.read_text(encoding="utf-8", errors="replace").splitlines():
                key, _, value = line.partition("=")
                if key.strip() == "python3" and os.access(value.strip(), os.X_OK):
                    return value.strip()
        for exe in ("/usr/bin/python3", "/usr/local/bin/python3", shutil.which("python3")):
            if exe and os.access(exe, os.X_OK):
                return exe
        return None

    def _bundled_libraries(self) -> Iterable[Path]:
        if sys.platform == "win32":
            for base in (os.environ.get("PROGRAMFILES"), os.environ.get("LOCALAPPDATA")):
                if base:
                    for sub in ("GIMP 3", "Programs/GIMP 3"):
                        yield from sorted((Path(base) / sub / "bin").glob("libpython3*.dll"))
                        yield from sorted((Path(base) / sub / "bin").glob("python3*.dll"))
            return
        if sys.platform == "darwin":
            res = Path("/Applications/GIMP.app/Contents")
            yield from sorted(res.glob("Resources/lib/libpython3.*.dylib"))
            yield from (v / "Python" for v in sorted(
                res.glob("Frameworks/Python.framework/Versions/3.*")))
            return
        # Flatpak: the Python comes from the GNOME runtime the app uses.
        for root in (Path("/var/lib/flatpak"), Path.home() / ".local/share/flatpak"):
            meta = root / "app" / self.FLATPAK_ID / "current" / "active" / "metadata"
            runtime = None
            if meta.is_file():
                m = re.search(r"^runtime=(.+)$", meta.read_text(encoding="utf-8"), re.M)
                runtime = m.group(1).strip() if m else None
            if runtime:
                files = root / "runtime" / runtime / "active" / "files"
                yield from sorted(files.glob("lib/**/libpython3.*.so*"))

    def found(self) -> bool:
        """Is a GIMP installed here at all? Without one, no Python version may be planned (a
        python3 on PATH is not GIMP's)."""
        if any(shutil.which(n) for n in ("gimp-3.0", "gimp-3", "gimp")):
            return True
        if any(Path("/usr").glob("lib*/**/gimp/3.0/interpreters/pygimp.interp")):
            return True
        for root in (Path("/var/lib/flatpak"), Path.home() / ".local/share/flatpak"):
            if (root / "app" / self.FLATPAK_ID).is_dir():
                return True
        return any(True for _ in self._bundled_libraries())

    def python_version(self) -> str:
        if hasattr(self, "_python_version"):
            return self._python_version
        version = None
        if self.args.gimp_python:
            if not re.fullmatch(r"3\.\d+", self.args.gimp_python):
                raise InstallError("--gimp-python takes a version like 3.13")
            version = str(self.args.gimp_python)
        elif not self.found():
            raise InstallError(
                "GIMP 3 was not found (no gimp on PATH, no GIMP Flatpak, no GIMP 3 in the usual "
                "folders). Install GIMP 3 first, or pass --gimp-python X.Y (and --gimp-dir) to "
                "install for a GIMP this script cannot see.")
        exe = self._interpreter()
        if version is None and exe:
            code = "import sys; print('%d.%d' % sys.version_info[:2])"
            r = subprocess.run([exe, "-I", "-c", code], capture_output=True, text=True)
            version = r.stdout.strip() or None
        if version is None:
            version = next((v for v in map(python_of_library, self._bundled_libraries()) if v),
                           None)
        if version is None:
            raise InstallError(
                "Could not tell which Python GIMP 3 runs plug-ins with. Pass it, e.g. "
                "--gimp-python 3.12 for GIMP 3.0 on Windows; a distribution's GIMP uses the "
                "system python3.")
        self._python_version = version
        return version

    def shared_python(self) -> Optional[str]:
        # Only a native Linux GIMP shares site-packages with a python3 we can ask (e.g. Debian's
        # numpy); the Windows/macOS bundles and Flatpak get all wheels privately.
        return None if self.args.gimp_python else self._interpreter()

    def install_extra(self, record: Record, dry_run: bool) -> None:
        entry = self.plugin_dir() / f"{self.PLUGIN}.py"
        log(f"  copy {self.ENTRY_SRC.name} -> {entry} (executable)")
        if dry_run:
            return
        if not entry.exists():
            record.created(entry)
        shutil.copy2(self.ENTRY_SRC, entry)
        entry.chmod(0o755)  # GIMP only runs executable plug-in files on Linux/macOS

    def describe(self) -> str:
        # The plug-ins folder and its parents are GIMP's own: if the install has to create them
        # they are recorded as shared folders, which an uninstall removes only when empty.
        return f"GIMP 3: plug-in {self.plugin_dir()}, Python {self.python_version()}"


#: every host this installer knows; the GIMP work appends its GimpHost here
HOSTS: List[type] = [KritaHost, GimpHost]
DEFAULT_HOSTS: List[type] = [KritaHost]


# == commands ==================================================================================


def install(host: Host, args: argparse.Namespace) -> None:
    dry = args.dry_run
    log(("Plan for " if dry else "Installing into ") + host.describe())
    if not args.no_models:
        check_models_source(args.models, dry)
    pkg = host.package_dir()
    record = Record(host.record_path())
    if not dry:
        mkdirs_recorded(pkg, record, own_leaf=True)
        record.save()  # first, so --uninstall can undo whatever follows if it fails
    optional = [] if getattr(args, "runtime", "auto") == "litert" else deps.OPTIONAL
    deps.install_with_optional(host.deps_dir(), REQUIREMENTS, optional, host.python_version(),
                               host.python_platforms(), host.host_has, dry, log)
    copy_package(pkg, dry)
    host.install_extra(record, dry)
    if not dry:
        record.save()
    shared = join_shared(host.name, record, dry)
    if not args.no_models:
        fetch_models(args.models, shared, dry)
    log("Done." if not dry else "(dry run: nothing was changed)")


def _zip_dir(z: zipfile.ZipFile, name: str) -> None:
    """A directory entry: Krita's importer finds the package by its `style_transfer/` entry (a zip
    of file entries only gives "No plugins found in archive"); zipfile writes none by itself."""
    info = zipfile.ZipInfo(name.rstrip("/") + "/", time.localtime()[:6])
    info.external_attr = (0o40755 << 16) | 0x10  # a folder for unzip and for Windows
    z.writestr(info, b"")


def build_zip(out_dir: Path) -> Path:
    """The zip Krita's Tools › Scripts › Import Python Plugin from File expects: the .desktop and
    .action files and the package folder at the top, with a directory entry for every folder. It
    holds no wheels (they depend on Krita's Python): the docker offers *Install dependencies*
    (deps.py)."""
    version = re.search(r'__version__ = "([^"]+)"',
                        (PACKAGE_SRC / "version.py").read_text(encoding="utf-8"))
    out = out_dir / f"{PACKAGE}-krita-{version.group(1) if version else 'dev'}.zip"
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(REPO / "plugin" / f"{PACKAGE}.desktop", f"{PACKAGE}.desktop")
            # the importer puts <name>.action into the resource folder's actions/
            z.write(REPO / "plugin" / f"{PACKAGE}.action", f"{PACKAGE}.action")
            _zip_dir(z, PACKAGE)
            for f in sorted(PACKAGE_SRC.rglob("*")):
                rel = f.relative_to(PACKAGE_SRC)
                if "__pycache__" in rel.parts or rel.parts[0] in (DEPS_DIRNAME, RECORD_NAME):
                    continue
                if f.is_dir():
                    _zip_dir(z, f"{PACKAGE}/{rel.as_posix()}")
                elif f.suffix != ".pyc":
                    z.write(f, f"{PACKAGE}/{rel.as_posix()}")
            # where engine/models.py looks first inside an installed package
            z.write(MANIFEST, f"{PACKAGE}/manifest.json")
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--runtime", choices=["auto", "litert"], default="auto",
                        help="auto (default): OpenVINO's wheels beside LiteRT where they exist "
                        "(faster); litert: LiteRT only (about 50-180 MB less)")
    parser.add_argument("--uninstall", action="store_true",
                        help="remove exactly what the install added")
    parser.add_argument("--models", metavar="DIR|URL",
                        help="take the model files from this folder or base URL")
    parser.add_argument("--no-models", action="store_true", help="do not fetch the models")
    parser.add_argument("--zip", nargs="?", const=str(REPO / "dist"), metavar="OUT_DIR",
                        help="build the Krita plugin zip (default into dist/) and exit")
    for host_cls in HOSTS:
        host_cls.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.zip:
        log(f"Wrote {build_zip(Path(args.zip))}")
        return 0
    hosts = [h(args) for h in HOSTS if h.selected(args)] or [h(args) for h in DEFAULT_HOSTS]
    try:
        for host in hosts:
            if args.uninstall:
                record = Record(host.record_path())
                if not record.path.is_file():
                    log(f"{host.name}: nothing to uninstall (no {record.path})")
                    continue
                log(f"Uninstalling from {host.name}")
                uninstall(record, args.dry_run, host.name)
            else:
                install(host, args)
    except (InstallError, deps.DependencyInstallError, models.ModelError) as e:
        print(f"error: {e}", file=sys.stderr)
        if not args.uninstall and not args.dry_run and any(
                h.record_path().is_file() for h in hosts):
            print("The install stopped half-way: fix the above and run it again, or remove "
                  "what it added with `installer.py --uninstall`.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
