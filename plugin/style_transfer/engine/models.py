"""Model manifest and model store: where each .tflite file comes from and how it is verified.

Resolution order for a model file (first hit whose sha256 matches wins):
1. explicit sources: folders or base URLs given by the caller, else $STYLE_TRANSFER_MODELS
   (several separated by os.pathsep, i.e. ':' on Linux/macOS and ';' on Windows; an entry
   starting with http://, https:// or file:// is a base URL and keeps its ':' and port, see
   split_sources);
2. the user's cache folder ($STYLE_TRANSFER_CACHE, else a per-OS data folder: folders.py);
3. download from the manifest's upstream URLs into the cache, the way pooch does it: each
   attempt from each source writes a fresh temporary file in the cache folder, which is hashed
   and then renamed atomically; it is removed on any failure (HTTP error, hash mismatch, cut
   connection, Ctrl+C). No resume: at 0.2-2.8 MB a retry costs less than a splice of two
   sources would.
A file whose hash does not match is never used.

Standard library only, so installer.py (on a bare Python) loads this file by path and uses the
same store and the same model list as the engine and the hosts.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Dict, List, Optional, Sequence, Tuple

try:
    from . import folders
    from .errors import ModelError
except ImportError:  # loaded by file path (installer.py, on a bare Python): no parent package
    import importlib.util as _util

    def _sibling(name: str) -> Any:
        _spec = _util.spec_from_file_location(f"_style_transfer_{name}",
                                              Path(__file__).with_name(f"{name}.py"))
        assert _spec is not None and _spec.loader is not None
        module = _util.module_from_spec(_spec)
        _spec.loader.exec_module(module)
        return module

    folders = _sibling("folders")
    ModelError = _sibling("errors").ModelError

ENV_MODELS = "STYLE_TRANSFER_MODELS"
ENV_CACHE = folders.ENV_CACHE
ENV_OFFLINE = "STYLE_TRANSFER_OFFLINE"
ENV_MANIFEST = "STYLE_TRANSFER_MANIFEST"


@dataclass(frozen=True)
class ModelChoice:
    """One entry of the Model choice every front end shows (CLI --model, Krita, GIMP)."""

    name: str  # what users type and settings store, e.g. "int8"
    model_id: str  # the transformer's id in manifest.json
    label: str  # for a combo box, e.g. "Fast (int8)"
    help: str  # one line for a tooltip / --help


# "int8" is the dynamic-range file run in 384 px tiles: as fast as f16 is slow it is not
# (~20 % slower than full int8, ~18 % faster than f16) and 35-38 dB from the f16 render, where
# the full-integer file is 28-31 dB away (bench/). "int8-fixed" keeps that fastest option.
_CHOICES: Tuple[ModelChoice, ...] = (
    ModelChoice("int8", "transformer-int8-dynamic", "Fast (int8)",
                "close to f16 (35-38 dB), any image size (the default)"),
    ModelChoice("f16", "transformer-f16", "Quality (f16)",
                "the original network's float16 weights, slower"),
    ModelChoice("int8-fixed", "transformer-int8", "Fastest (full int8)",
                "full-integer, ~20 % faster than int8; colours less exact"),
)
DEFAULT_MODEL = "int8"
#: name -> transformer model id (what ModelStore.spec accepts besides the ids themselves)
MODEL_CHOICES: Dict[str, str] = {c.name: c.model_id for c in _CHOICES}
PREDICTOR_ID = "predictor-int8"
#: What the engine derives from the models inside the cache folder (OpenVINO's edited and
#: compiled networks): removed together with the models (installer.py --uninstall).
DERIVED_CACHE = "openvino-cache"


def model_choices() -> List[ModelChoice]:
    """The Model choice in display order, the default first."""
    return list(_CHOICES)


def model_label(name: str) -> str:
    """"Fast (int8)" for "int8"; an unknown name is shown as it is."""
    return next((c.label for c in _CHOICES if c.name == name), name)


#: A front end's "Fix: ..." sentence for a missing model, given whether downloads are allowed.
#: Each front end offers what works for its users and passes its own (the CLI, the Krita
#: docker, the GIMP plug-in, installer.py): the engine names none of them.
FixHint = Callable[[bool], str]


def fix_hint(fetch: str, rerun: str) -> FixHint:
    """The usual sentence from a front end's two ways to the models: `fetch` (downloads them,
    e.g. "run `style-transfer models fetch`") and `rerun` (takes them from a folder, e.g.
    "pass --models DIR"). Downloads off (STYLE_TRANSFER_OFFLINE=1): only a folder can help, so
    that alone is offered."""
    def hint(allow_download: bool) -> str:
        if not allow_download:
            return f"Fix: {rerun}, or {_FOLDER} (downloads are off: {ENV_OFFLINE}=1)."
        return f"Fix: {fetch}, or {rerun}, or {_FOLDER}."

    return hint


_FOLDER = f"point {ENV_MODELS} at a folder (or base URL) that holds the .tflite files"


def folder_hint(allow_download: bool) -> str:
    """The hint when the front end gives none: the folder, which works whoever asks."""
    offline = "" if allow_download else f" (downloads are off: {ENV_OFFLINE}=1)"
    return f"Fix: {_FOLDER}{offline}."


DownloadProgress = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass(frozen=True)
class Source:
    url: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class ModelSpec:
    id: str
    role: str  # "predictor" | "transformer"
    file: str
    input_size: Optional[int]  # None = any size (dynamic)
    precision: str
    description: str
    license: str
    sources: Tuple[Source, ...]

    @property
    def hashes(self) -> Tuple[str, ...]:
        return tuple(s.sha256 for s in self.sources)

    @property
    def size(self) -> int:
        return self.sources[0].bytes


def _manifest_candidates() -> List[Path]:
    here = Path(__file__).resolve().parent  # .../style_transfer/engine
    found = []
    if os.environ.get(ENV_MANIFEST):
        found.append(Path(os.environ[ENV_MANIFEST]))
    found += [
        here.parent / "manifest.json",  # copied in by installer.py (Krita / GIMP installs)
        here.parents[2] / "models" / "manifest.json",  # a source checkout / editable install
        Path(sys.prefix) / "share" / "style-transfer" / "manifest.json",  # a wheel install
    ]
    return found


def load_manifest(path: Optional[Path] = None) -> Dict[str, ModelSpec]:
    candidates = [path] if path else _manifest_candidates()
    for candidate in candidates:
        if candidate and candidate.is_file():
            break
    else:
        raise ModelError(
            "The model manifest (manifest.json) is missing from this installation; "
            "reinstall the plugin with installer.py."
        )
    data = json.loads(candidate.read_text(encoding="utf-8"))
    specs = {}
    for m in data["models"]:
        sources = tuple(
            Source(s["url"], s["sha256"].lower(), int(s["bytes"])) for s in m["sources"]
        )
        specs[m["id"]] = ModelSpec(
            id=m["id"], role=m["role"], file=m["file"], input_size=m.get("input_size"),
            precision=m["precision"], description=m.get("description", ""),
            license=m.get("license", ""), sources=sources,
        )
    return specs


def default_cache_dir() -> Path:
    """The model cache: $STYLE_TRANSFER_CACHE, else <the user's data folder>/style-transfer/
    models (folders.py)."""
    return folders.models_dir()


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_SCHEMES = ("http://", "https://", "file://")


def _is_url(s: str) -> bool:
    return s.lower().startswith(_SCHEMES)


def split_sources(value: str, sep: str = os.pathsep) -> List[str]:
    """Split a $STYLE_TRANSFER_MODELS value into folders and base URLs.

    Entries are separated by os.pathsep. On Linux/macOS that is ':', which URLs contain too, so
    a scheme ("http") followed by a "//..." piece is joined back, and so is a port right after
    the host ("http://host:8765/x" stays one entry)."""
    if sep != ":":
        return [p for p in value.split(sep) if p]
    parts = value.split(":")
    out: List[str] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        if (part.lower() in ("http", "https", "file") and i + 1 < len(parts)
                and parts[i + 1].startswith("//")):
            url = f"{part}:{parts[i + 1]}"
            i += 2
            host_only = "/" not in parts[i - 1][2:]  # "//host" with no path yet
            if host_only and i < len(parts) and re.match(r"\d+(/|$)", parts[i]):
                url += f":{parts[i]}"
                i += 1
            out.append(url)
        else:
            if part:
                out.append(part)
            i += 1
    return out


class ModelStore:
    """Finds, verifies and (if allowed) downloads model files. Thread-safe for reads."""

    def __init__(
        self,
        sources: Optional[Sequence[str]] = None,
        cache_dir: Optional[Path] = None,
        allow_download: Optional[bool] = None,
        manifest: Optional[Dict[str, ModelSpec]] = None,
        retries: int = 3,
        hint: Optional[FixHint] = None,
    ) -> None:
        """`hint`: the "Fix: ..." sentence of a missing-model message, from the front end that
        shows it (fix_hint); default folder_hint."""
        if sources is None:
            sources = split_sources(os.environ.get(ENV_MODELS, ""))
        self.sources: List[str] = [str(s) for s in sources]
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        if allow_download is None:
            allow_download = os.environ.get(ENV_OFFLINE, "") not in ("1", "true", "yes")
        self.allow_download = allow_download
        self.manifest = manifest if manifest is not None else load_manifest()
        self.retries = retries
        self.hint: FixHint = hint or folder_hint
        self._verified: Dict[Tuple[str, int, float], bool] = {}

    # -- lookup -------------------------------------------------------------------------------
    def spec(self, model_id: str) -> ModelSpec:
        model_id = MODEL_CHOICES.get(model_id, model_id)
        try:
            return self.manifest[model_id]
        except KeyError:
            known = ", ".join(list(MODEL_CHOICES) + sorted(self.manifest))
            raise ModelError(f"Unknown model '{model_id}'. Known models: {known}.") from None

    def verified(self, path: Path, spec: ModelSpec) -> bool:
        try:
            st = path.stat()
        except OSError:
            return False
        key = (str(path), st.st_size, st.st_mtime)
        if key not in self._verified:
            self._verified[key] = st.st_size in {s.bytes for s in spec.sources} and (
                sha256_of(path) in spec.hashes
            )
        return self._verified[key]

    def find_local(self, model_id: str) -> Tuple[Optional[Path], List[str]]:
        """The first verified local copy, and notes about rejected copies (for error messages)."""
        spec = self.spec(model_id)
        notes = []
        folders = [Path(s) for s in self.sources if not _is_url(s)] + [self.cache_dir]
        for folder in folders:
            path = folder / spec.file
            if path.is_file():
                if self.verified(path, spec):
                    return path, notes
                notes.append(f"{path} does not match its sha256 (corrupted or another file)")
        return None, notes

    def path(self, model_id: str, progress: Optional[DownloadProgress] = None) -> Path:
        """Path of a verified copy of the model, downloading it if needed and allowed."""
        spec = self.spec(model_id)
        found, notes = self.find_local(model_id)
        if found:
            return found
        urls = [s.rstrip("/") + "/" + spec.file for s in self.sources if _is_url(s)]
        if self.allow_download:
            urls += [s.url for s in spec.sources]
        errors = []
        for url in urls:
            try:
                return self.download(spec, url, progress)
            except ModelError as e:
                errors.append(str(e))
        where = ", ".join(str(Path(s)) for s in self.sources if not _is_url(s)) or "no folder set"
        details = "; ".join(notes + errors) or (
            "downloads are disabled" if not self.allow_download else "no source"
        )
        raise ModelError(
            f"Model file {spec.file} ({spec.id}) is not available. "
            f"{self.hint(self.allow_download)} "
            f"(Searched: {where}, {self.cache_dir}; {details}.)"
        )

    def fetch(self, model_id: str, progress: Optional[DownloadProgress] = None) -> Path:
        """A verified copy in the cache folder (what `models fetch` and installer.py want): from
        a source folder by copying, else as path() finds or downloads it."""
        spec = self.spec(model_id)
        final = self.cache_dir / spec.file
        if self.verified(final, spec):
            return final
        local, _ = self.find_local(model_id)
        if local is None:
            return self.path(model_id, progress)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{spec.file}.", suffix=".part", dir=self.cache_dir)
        try:
            with os.fdopen(fd, "wb") as out, open(local, "rb") as src:
                shutil.copyfileobj(src, out)
            if not self.verified(Path(name), spec):
                raise ModelError(f"{local} changed while it was copied; try again.")
            os.replace(name, final)
        finally:
            Path(name).unlink(missing_ok=True)
        return final

    # -- download ------------------------------------------------------------------------------
    def download(
        self, spec: ModelSpec, url: str, progress: Optional[DownloadProgress] = None
    ) -> Path:
        """Fetch `url` into the cache as spec.file, verified; retries transient failures. Each
        attempt gets its own temporary file, so neither two sources nor two processes ever
        write into the same one."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        final = self.cache_dir / spec.file
        # earlier versions resumed into one shared `<file>.part`; never reuse (or keep) it
        final.with_name(final.name + ".part").unlink(missing_ok=True)
        sizes = {s.bytes for s in spec.sources}
        total = max(sizes)
        last_error = "no attempt"
        for attempt in range(1, self.retries + 1):
            fd, name = tempfile.mkstemp(prefix=f".{spec.file}.", suffix=".part",
                                        dir=self.cache_dir)
            tmp = Path(name)
            try:
                with os.fdopen(fd, "wb") as out:
                    self._fetch(url, out, total, progress)
                if tmp.stat().st_size in sizes and sha256_of(tmp) in spec.hashes:
                    os.replace(tmp, final)  # atomic: a reader never sees a half-written model
                    return final
                last_error = f"{url} gave a file whose sha256 does not match the manifest"
                break  # the same URL will give the same wrong file
            except urllib.error.HTTPError as e:
                last_error = f"download of {url} failed: HTTP {e.code} {e.reason}"
                if 400 <= e.code < 500 and e.code not in (408, 429):
                    break  # a missing file will not appear by retrying
            except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as e:
                reason = getattr(e, "reason", e)
                last_error = f"download of {url} failed: {reason} (offline?)"
            finally:
                tmp.unlink(missing_ok=True)  # after a failure, a hash mismatch or Ctrl+C
            if attempt < self.retries:
                time.sleep(min(0.2 * 2**attempt, 2.0))
        raise ModelError(last_error)

    @staticmethod
    def _fetch(url: str, out: BinaryIO, total: int,
               progress: Optional[DownloadProgress]) -> None:
        request = urllib.request.Request(url, headers={"User-Agent": "style-transfer"})
        with urllib.request.urlopen(request, timeout=30) as response:
            done = 0
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
            expected = response.headers.get("Content-Length")
            if expected is not None and done < int(expected):
                raise OSError(f"connection closed after {done} of {expected} bytes")

    # -- bulk ----------------------------------------------------------------------------------
    def status(self) -> List[Tuple[ModelSpec, Optional[Path], List[str]]]:
        return [(spec, *self.find_local(spec.id)) for spec in self.manifest.values()]
