"""Model manifest and model store: where each .tflite file comes from and how it is verified.

Resolution order for a model file (first hit whose sha256 matches wins):
1. explicit sources: folders or base URLs given by the caller, else $STYLE_TRANSFER_MODELS
   (several separated by os.pathsep; "http(s)://" entries are base URLs);
2. the user's cache folder ($STYLE_TRANSFER_CACHE, else a per-OS data folder);
3. download from the manifest's upstream URLs into the cache: `<file>.part`, resumed with an HTTP
   Range request after an interruption, sha256 checked, then renamed atomically.
A file whose hash does not match is never used.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

try:
    from .errors import ModelError
except ImportError:  # loaded by file path (installer.py, on a bare Python): no parent package
    import importlib.util as _util

    _spec = _util.spec_from_file_location("_style_transfer_errors",
                                          Path(__file__).with_name("errors.py"))
    assert _spec is not None and _spec.loader is not None
    _errors = _util.module_from_spec(_spec)
    _spec.loader.exec_module(_errors)
    ModelError = _errors.ModelError

ENV_MODELS = "STYLE_TRANSFER_MODELS"
ENV_CACHE = "STYLE_TRANSFER_CACHE"
ENV_OFFLINE = "STYLE_TRANSFER_OFFLINE"
ENV_MANIFEST = "STYLE_TRANSFER_MANIFEST"

#: Names users type (CLI --model, host UIs) -> transformer model id.
# "int8" is the dynamic-range file run in 384 px tiles: as fast as f16 is slow it is not
# (~20 % slower than full int8, ~18 % faster than f16) and 35-38 dB from the f16 render, where
# the full-integer file is 28-31 dB away (bench/). "int8-fixed" keeps that fastest option.
MODEL_CHOICES: Dict[str, str] = {
    "int8": "transformer-int8-dynamic",
    "f16": "transformer-f16",
    "int8-fixed": "transformer-int8",
}
PREDICTOR_ID = "predictor-int8"

FIX_HINT = (
    "Fix: run `style-transfer models fetch` (or `python installer.py --models DIR`), "
    f"or point {ENV_MODELS} at a folder that holds the .tflite files."
)

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
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE])
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "style-transfer" / "models"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _is_url(s: str) -> bool:
    return s.startswith(("http://", "https://", "file://"))


class ModelStore:
    """Finds, verifies and (if allowed) downloads model files. Thread-safe for reads."""

    def __init__(
        self,
        sources: Optional[Sequence[str]] = None,
        cache_dir: Optional[Path] = None,
        allow_download: Optional[bool] = None,
        manifest: Optional[Dict[str, ModelSpec]] = None,
        retries: int = 3,
    ) -> None:
        if sources is None:
            env = os.environ.get(ENV_MODELS, "")
            sources = [s for s in env.split(os.pathsep) if s] if env else []
        self.sources: List[str] = [str(s) for s in sources]
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        if allow_download is None:
            allow_download = os.environ.get(ENV_OFFLINE, "") not in ("1", "true", "yes")
        self.allow_download = allow_download
        self.manifest = manifest if manifest is not None else load_manifest()
        self.retries = retries
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
            f"Model file {spec.file} ({spec.id}) is not available. {FIX_HINT} "
            f"(Searched: {where}, {self.cache_dir}; {details}.)"
        )

    # -- download ------------------------------------------------------------------------------
    def download(
        self, spec: ModelSpec, url: str, progress: Optional[DownloadProgress] = None
    ) -> Path:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        final = self.cache_dir / spec.file
        part = final.with_name(final.name + ".part")
        total = max(s.bytes for s in spec.sources)
        last_error = "no attempt"
        for attempt in range(1, self.retries + 1):
            try:
                self._fetch(url, part, total, progress)
            except urllib.error.HTTPError as e:
                last_error = f"download of {url} failed: HTTP {e.code} {e.reason}"
                if 400 <= e.code < 500 and e.code not in (408, 416, 429):
                    break  # a missing file will not appear by retrying
                time.sleep(min(0.2 * 2**attempt, 2.0))
                continue
            except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as e:
                reason = getattr(e, "reason", e)
                last_error = f"download of {url} failed: {reason} (offline?)"
                time.sleep(min(0.2 * 2**attempt, 2.0))
                continue
            if part.stat().st_size in {s.bytes for s in spec.sources} and (
                sha256_of(part) in spec.hashes
            ):
                os.replace(part, final)  # atomic: a reader never sees a half-written model
                return final
            last_error = f"{url} gave a file whose sha256 does not match the manifest"
            part.unlink(missing_ok=True)  # never resume onto bad bytes
        part_size = part.stat().st_size if part.exists() else 0
        if part_size == 0:
            part.unlink(missing_ok=True)
        raise ModelError(last_error)

    @staticmethod
    def _fetch(url: str, part: Path, total: int, progress: Optional[DownloadProgress]) -> None:
        have = part.stat().st_size if part.exists() else 0
        if have >= total:  # a full or oversize leftover cannot be resumed; start again
            part.unlink()
            have = 0
        request = urllib.request.Request(url, headers={"User-Agent": "style-transfer"})
        if have:
            request.add_header("Range", f"bytes={have}-")
        with urllib.request.urlopen(request, timeout=30) as response:
            if have and response.status != 206:  # server ignored Range: take the whole body
                have = 0
            with open(part, "ab" if have else "wb") as out:
                done = have
                while True:
                    chunk = response.read(1 << 16)
                    if not chunk:
                        break
                    out.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
            expected = response.headers.get("Content-Length")
            if expected is not None and done - have < int(expected):
                raise OSError(f"connection closed after {done} of {total} bytes")

    # -- bulk ----------------------------------------------------------------------------------
    def status(self) -> List[Tuple[ModelSpec, Optional[Path], List[str]]]:
        return [(spec, *self.find_local(spec.id)) for spec in self.manifest.values()]
