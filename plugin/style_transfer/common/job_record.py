"""A job as a document carries it (Krita: the annotation `style-transfer` of the .kra): UTF-8 JSON
of the JobSettings with each style's VECTOR instead of its path, and selection snapshots
embedded as PNG bytes.

Why vectors: a path names a file on one machine (and tells whoever gets the .kra the painter's
folder names); the vector is what the render used, so the job repeats pixel for pixel anywhere,
after the document moved, and after the style image or the layer it came from is gone. Only
the file's name is kept (for the list). Layers used as regions or maps are referred to by their
unique id, which the document keeps itself.

A record from another version of this format, or damaged, raises RecordError with one line for
the painter; the host then starts the document from its defaults.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import asdict
from typing import Any, Dict, Optional, Sequence

import numpy as np

from .settings import JobSettings, MapRef

TYPE = "style-transfer"  # the annotation's name
DESCRIPTION = "Style Transfer: the last applied job (JSON)"
VERSION = 1
STYLE_DIM = 100


class RecordError(ValueError):
    """The document's record cannot be used; str() is the one line to show."""


def encode(settings: JobSettings, vectors: Sequence[Optional[Sequence[float]]],
           files: Dict[str, bytes], thumbs: Sequence[Optional[bytes]] = ()) -> bytes:
    """The record of `settings`. vectors[i] is the vector of settings.styles[i] (None: that
    style is left out, e.g. its file is gone); files: the bytes of each "file" map by key;
    thumbs[i]: a small PNG of style i for the style list (optional)."""
    job = asdict(settings)
    styles = []
    thumbs = list(thumbs) + [None] * (len(settings.styles) - len(thumbs))
    for style, ref, vector, thumb in zip(job["styles"], settings.styles, vectors, thumbs):
        if vector is None:
            continue
        style.update(path=os.path.basename(ref.path),
                     vector=[float(v) for v in np.asarray(vector, np.float32).reshape(-1)],
                     region=_map_out(ref.region, files))
        if thumb:
            style["thumbnail"] = base64.b64encode(thumb).decode("ascii")
        styles.append(style)
    job["styles"] = styles
    for key in ("strength_map", "scale_map"):
        job[key] = _map_out(getattr(settings, key), files)
    return json.dumps({"format": TYPE, "version": VERSION, "job": job},
                      ensure_ascii=False).encode("utf-8")


def _map_out(ref: Optional[MapRef], files: Dict[str, bytes]) -> Optional[Dict[str, Any]]:
    if ref is None:
        return None
    out: Dict[str, Any] = asdict(ref)
    if ref.kind == "file":
        out["key"] = os.path.basename(ref.key)
        data = files.get(ref.key)
        if data is not None:
            out["png"] = base64.b64encode(data).decode("ascii")
    return out


def decode(data: bytes, styles_dir: str, maps_dir: str) -> JobSettings:
    """The JobSettings of a record. Each style vector becomes a .npy file in `styles_dir`, each
    embedded map a .png in `maps_dir`, named by their content (the same record restores to the
    same files, however often it is read)."""
    try:
        top = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise RecordError("its Style Transfer job is damaged (not readable JSON)") from None
    if not isinstance(top, dict) or top.get("format") != TYPE:
        raise RecordError("its Style Transfer job is not one this plugin wrote")
    if top.get("version") != VERSION:
        raise RecordError(f"its Style Transfer job was saved by another version of the plugin "
                          f"(format {top.get('version')!r}, this one reads {VERSION})")
    try:
        job = dict(top["job"])
        styles = []
        for style in job.get("styles", []):
            style = dict(style)
            vector = np.asarray(style.pop("vector"), np.float32)
            if vector.shape != (STYLE_DIM,) or not np.all(np.isfinite(vector)):
                raise ValueError("bad style vector")
            thumb = style.pop("thumbnail", None)
            name = os.path.splitext(os.path.basename(str(style.get("path") or "style")))[0]
            path = _store(styles_dir, name, ".npy", _npy(vector))
            if thumb:
                _write_once(thumbnail_of(path), base64.b64decode(thumb, validate=True))
            style.update(kind="vector", path=path,
                         region=_map_in(style.get("region"), maps_dir))
            styles.append(style)
        job["styles"] = styles
        for key in ("strength_map", "scale_map"):
            job[key] = _map_in(job.get(key), maps_dir)
        settings = JobSettings.from_dict(job)
        _check_types(settings)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise RecordError("its Style Transfer job is damaged (fields missing or wrong)") from None
    return settings


def _check_types(s: JobSettings) -> None:
    """A field of the wrong type fails here (one line), not later in a slider or at Apply."""
    numbers = [s.strength, *s.scale_range, *(st.weight for st in s.styles)]
    numbers += [v for v in (s.scale, s.stability) if v is not None]
    texts = [s.model, s.runtime, s.style_mode, s.frames, *(st.name for st in s.styles)]
    if not (all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers)
            and all(isinstance(v, str) for v in texts) and len(s.scale_range) == 2
            and isinstance(s.whole_image, bool) and isinstance(s.preserve_colors, bool)):
        raise ValueError("a field of the wrong type")


def _map_in(data: Any, maps_dir: str) -> Optional[Dict[str, Any]]:
    if not data:
        return None
    data = dict(data)
    png = data.pop("png", None)
    if data.get("kind") == "file":
        name = os.path.splitext(os.path.basename(str(data["key"])))[0]
        data["key"] = (os.path.join(maps_dir, os.path.basename(str(data["key"])))
                       if png is None else
                       _store(maps_dir, name, ".png", base64.b64decode(png, validate=True)))
    return {k: str(data[k]) for k in ("kind", "key", "name")}


def _npy(vector: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, vector, allow_pickle=False)
    return buf.getvalue()


def thumbnail_of(vector_path: str) -> str:
    """Where the list's picture of a restored style is kept: beside its vector."""
    return os.path.splitext(vector_path)[0] + ".png"


def _store(folder: str, name: str, suffix: str, data: bytes) -> str:
    """`data` as <folder>/<name>-<hash><suffix>, written once."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:40] or "job"
    path = os.path.join(folder, f"{safe}-{hashlib.sha256(data).hexdigest()[:12]}{suffix}")
    os.makedirs(folder, exist_ok=True)
    _write_once(path, data)
    return path


def _write_once(path: str, data: bytes) -> None:
    """Write `path` unless it exists (atomically: a reader never sees half a file)."""
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
