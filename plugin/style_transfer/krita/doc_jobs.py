"""Job settings per document. Every Apply records its job in the document (the annotation
`style-transfer`, common/job_record.py), so the .kra carries it: reopened, the docker shows it and
Apply Again repeats it. Settings changed in the docker without an Apply live per document for
the session only (`Documents`): writing them into the document would mark it modified, and
Krita would ask "Save changes?" of a painter who only looked at the docker.

A document without a job starts from the settings used last (in any document) minus their
regions and maps, which name another document's layers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ..common import job_record
from ..common.logs import logger
from ..common.settings import JobSettings
from . import layers
from .app_data import data_dir, load_settings, save_settings
from .qt import QByteArray

log = logger("krita")
THUMB_PX = 48  # the list shows 40 px; a few KB per style in the document


def record(doc: Any, settings: JobSettings, engine: Any) -> None:
    """Write `settings` (the job just applied) into `doc`. Main thread. The style vectors come
    from the engine's cache (the render just used them)."""
    vectors = []
    for style in settings.styles:
        try:
            vectors.append(engine.resolve_style(style.path, settings.style_mode))
        except Exception as e:  # its file went away meanwhile: the rest is still worth keeping
            log.warning("style %s left out of the document's job: %s", style.path, e)
            vectors.append(None)
    files = {}
    for ref in settings.map_refs() + [s.region for s in settings.styles if s.region]:
        if ref.kind == "file" and ref.key not in files:
            try:
                with open(ref.key, "rb") as f:
                    files[ref.key] = f.read()
            except OSError:
                pass
    data = job_record.encode(settings, vectors, files, [_thumbnail_png(s) for s in settings.styles])
    doc.setAnnotation(job_record.TYPE, job_record.DESCRIPTION, QByteArray(data))


def _thumbnail_png(style: Any) -> Optional[bytes]:
    """A small PNG of `style` for the list of whoever reopens the document."""
    from .qt import QBuffer, QImage, QIODevice, Qt

    path = style.path
    if style.kind == "vector":
        path = job_record.thumbnail_of(path)
    image = QImage(path)
    if image.isNull():
        return None
    image = image.scaled(THUMB_PX, THUMB_PX, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(data)


def recorded(doc: Any) -> Tuple[Optional[JobSettings], Optional[str]]:
    """(the job recorded in `doc`, None) / (None, None) without one / (None, one line) when the
    record cannot be used."""
    if job_record.TYPE not in (doc.annotationTypes() or []):
        return None, None
    data = bytes(doc.annotation(job_record.TYPE))
    try:
        return job_record.decode(data, data_dir("styles"), data_dir("maps")), None
    except job_record.RecordError as e:
        log.warning("%s: %s", layers.document_title(doc), e)
        return None, (f"'{layers.document_title(doc)}': {e}; the settings start from the "
                      "defaults.")


def without_maps(settings: JobSettings) -> JobSettings:
    """`settings` for another document: its regions and maps refer to this one's layers."""
    styles = [s if s.region is None else replace(s, region=None) for s in settings.styles]
    return settings.replace(styles=styles, strength_map=None, scale_map=None)


class Documents:
    """The docker's settings of each open document this session, by layers.doc_key."""

    def __init__(self) -> None:
        self.by_key: Dict[str, JobSettings] = {}

    def settings_for(self, doc: Any) -> Tuple[JobSettings, Optional[str]]:
        """`doc`'s settings: as left this session, else its recorded job, else the last used
        ones without maps; and the line to show when its record could not be read."""
        key = layers.doc_key(doc)
        if key in self.by_key:
            return self.by_key[key], None
        job, problem = recorded(doc)
        if job is None:
            job = without_maps(load_settings())
        self.by_key[key] = job
        return job, problem

    def keep(self, key: Optional[str], settings: JobSettings) -> None:
        """The docker changed `settings` of document `key` (None: no document open); they are
        also the last used ones, where a new document starts."""
        if key is not None:
            self.by_key[key] = settings
        save_settings(settings)

    def forget_closed(self, open_keys: Iterable[str]) -> None:
        """Drop closed documents: a reopened .kra starts from its record, not from what the
        closed one showed."""
        keep = set(open_keys)
        self.by_key = {k: v for k, v in self.by_key.items() if k in keep}

    def all(self) -> List[JobSettings]:
        return list(self.by_key.values())


def last_applied(doc: Optional[Any]) -> JobSettings:
    """What Apply Again repeats on `doc`: the job recorded in it, else the last applied
    anywhere, else the docker's last settings."""
    job = recorded(doc)[0] if doc is not None else None
    if job is None:
        job = load_settings("last_applied")
    if not job.styles:
        job = load_settings()
    return job

