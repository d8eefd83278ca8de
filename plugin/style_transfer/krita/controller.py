"""One stylization in Krita, shared by the docker, the Filter-menu actions and the tests.

Main thread: read the content pixels and the selection (layers.read_content) and the job's
regions and maps (map_layers.read, live), later write the result layer. Worker thread: the
engine only, on plain numpy arrays. The two talk through Qt signals, which Qt queues onto the
main thread, so no Krita object is touched off it.

A job runs on a frozen JobSettings snapshot (common/settings.py): moving a slider while a render
runs changes neither where the result goes nor what is recorded as last applied.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple

import numpy as np

from ..common import coverage, maps, messages, naming
from ..common.logs import logger
from ..common.settings import JobSettings, StyleRef
from ..engine.progress import CancelToken  # stdlib only: usable while deps are missing
from . import doc_jobs, layers, map_layers

# load_settings, data_dir, safe_name: also used as ctl.* by the docker, extension and tests
from .app_data import data_dir, krita, load_settings, safe_name, save_settings  # noqa: F401
from .qt import QObject, pyqtSignal
from .setup import INSTALL_HINT, MODELS_HINT

log = logger("krita")
DRAFT_REUSE_S = 2.0  # a draft reuses the pixels read this recently (see _read_for_preview)


def style_from_layer(node: Any) -> StyleRef:
    """Snapshot a layer's pixels (any open document) to a PNG in the plugin's data folder, so the
    style stays usable after that document is closed and across sessions. Main thread only."""
    rgba = layers.node_thumbnail_rgba(node)
    uid = node.uniqueId().toString().strip("{}")[:8]
    path = os.path.join(data_dir("styles"), f"{safe_name(node.name())}-{uid}.png")
    if not layers.rgba_to_qimage(rgba).save(path, "PNG"):
        raise layers.ColorSpaceError(f"Could not save the style image {path}.")
    return StyleRef("layer", path, node.name())


def load_engine() -> Any:
    """The engine, or messages.SetupError naming every missing package and Krita's fix (the
    packages are checked by name first: messages.load_engine)."""
    return messages.load_engine(INSTALL_HINT, MODELS_HINT, "Krita")


def check_ready(engine: Any, model: str) -> Optional[str]:
    """None if a render can run, else the user-facing message (a model missing, with the
    docker's fix)."""
    from ..engine import EngineError

    try:
        engine.check_models(model)
    except EngineError as e:
        return messages.user_message(e)
    return None


class Job(QObject):
    """Runs fn(progress, cancel_token) on a Python thread; results come back as queued signals.

    LiteRT's invoke() releases the GIL, so the UI keeps its speed while the worker runs."""

    progressed = pyqtSignal(float, str)
    succeeded = pyqtSignal(object)
    failed = pyqtSignal(str)
    cancelled = pyqtSignal()

    def __init__(self, fn: Callable[[Callable[[float, str], None], Any], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.token = CancelToken()
        self.thread: Optional[threading.Thread] = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="style-transfer", daemon=True)
        self.thread.start()

    def cancel(self) -> None:
        self.token.cancel()

    def _run(self) -> None:
        try:
            out = self.fn(lambda f, stage: self.progressed.emit(float(f), str(stage)), self.token)
        except Exception as e:  # never let a worker exception reach Krita's traceback dialog
            if messages.is_cancel(e):
                self.cancelled.emit()
                return
            message = messages.user_message(e)
            if message is None:  # a bug: the traceback goes to the log, the user gets a line
                log.exception("job failed")
                message = messages.failure_message(e, log_file())
            else:
                log.warning("job failed: %s", message)
            self.failed.emit(message)
        else:
            self.succeeded.emit(out)


def log_file() -> str:
    from ..common.logs import log_path

    return str(log_path("krita"))


@dataclass(frozen=True)
class Target:
    """Where a running job's result goes, captured when it starts (main thread)."""

    doc: Any
    node: Optional[Any]  # None = the whole visible image (result on top of the stack)
    title: str  # the document's name, for the progress line and messages
    content: Optional[layers.Content]  # None for an animation (clip holds its keys)
    settings: JobSettings
    clip: Optional[Any] = None  # clip_job.ClipJob of an animation Apply


class Controller(QObject):
    """Starts renders, owns the running one, writes results. One per Krita process."""

    progressed = pyqtSignal(float, str)
    #: (layer or None, message): layer = the new result layer; None + message = error/cancel
    finished = pyqtSignal(object, str)
    busy_changed = pyqtSignal(bool)
    #: (float RGBA image, preview.PreviewPlan): a preview painted the way Apply paints
    preview_ready = pyqtSignal(object, object)
    preview_failed = pyqtSignal(str)
    #: a quick draft (common/draft.py) while the true preview renders
    draft_ready = pyqtSignal(object)
    #: (key index, RGBA) of an animation Apply, from the worker; written on the main thread
    _frame_done = pyqtSignal(int, object)

    def __init__(self) -> None:
        super().__init__()
        self._engine: Any = None
        self.job: Optional[Job] = None
        self._target: Optional[Target] = None
        self.preview_job: Optional[Job] = None
        self._preview_next: Optional[tuple] = None
        self._preview_is_draft = False
        #: (key, time, content, masks) of the last preview read, reused by DRAFTS only
        self._last_read: Optional[tuple] = None
        #: (ms, draft, reused) of each preview's main-thread read (tests, the log)
        self.read_times: list = []
        self._frame_done.connect(self._write_frame)

    # -- engine --
    def engine(self) -> Any:
        if self._engine is None:
            self._engine = load_engine()
        return self._engine

    def reset_engine(self) -> None:
        """Forget the engine (after dependencies or models were installed): the next call
        imports and checks again."""
        if not self.busy:
            self._engine = None

    @property
    def busy(self) -> bool:
        return self.job is not None

    def _engine_for(self, settings: JobSettings) -> Tuple[Any, Optional[str]]:
        """(engine, None) when a job with `settings` can start, else (None, the reason)."""
        problem = settings.problem()
        if problem:
            return None, problem
        try:
            engine = self.engine()
        except messages.SetupError as e:
            return None, str(e)
        problem = check_ready(engine, settings.model)
        return (None, problem) if problem else (engine, None)

    # -- apply --
    def apply(self, settings: JobSettings, doc: Any = None, node: Any = None) -> Optional[str]:
        """Start a render of `node` (default: the active layer of the active document) with a
        snapshot of `settings`. Returns None if started, else the reason it could not start."""
        if self.busy:
            return "A style transfer is already running."
        settings = settings.replace(styles=settings.styles)  # frozen, styles a tuple
        engine, problem = self._engine_for(settings)
        if problem:
            return problem
        doc = doc or krita().activeDocument()
        if doc is None:
            return "Open a document first."
        node = None if settings.whole_image else (node or doc.activeNode())
        if settings.animated:
            return self._apply_clip(engine, settings, doc, node)
        try:
            content, masks = read_job(doc, node, settings)
        except layers.ColorSpaceError as e:
            return str(e)

        def work(progress: Callable[[float, str], None], token: Any) -> np.ndarray:
            # one style as Engine.stylize, or blended per pixel by the job's maps
            return maps.render(engine, content.rgba, settings, masks, progress, token)

        target = Target(doc, node, layers.document_title(doc), content, settings)
        self._start(work, target)
        return None

    def _apply_clip(self, engine: Any, settings: JobSettings, doc: Any,
                    node: Optional[Any]) -> Optional[str]:
        """Apply on the keyframes of the active layer (krita/clip_job.py)."""
        from .clip_job import ClipJob

        if node is None:
            return ("Animations are stylized from the active layer: choose Active layer, or "
                    "Frames › Current frame to stylize the visible image as a still.")
        try:
            job = ClipJob.plan(doc, node, settings)
        except layers.ColorSpaceError as e:
            return str(e)
        target = Target(doc, node, layers.document_title(doc), None, settings, clip=job)
        self._start(job.work(engine, self._frame_done.emit), target)
        return None

    def _write_frame(self, k: int, out: np.ndarray) -> None:
        t = self._target
        if t is None or t.clip is None:
            return  # a late frame of a job that already ended
        try:
            t.clip.write(k, out)
        except Exception as e:  # never into Krita's traceback dialog; the job stops
            log.exception("could not write a keyframe")
            t.clip.error = f"Could not write keyframe {k + 1}: {e}"
            self.cancel()

    def _start(self, work: Callable[..., Any], target: Target) -> None:
        self._target = target
        self.job = Job(work)
        title = target.title  # the progress line says whose render this is
        self.job.progressed.connect(lambda f, stage: self.progressed.emit(f, f"{title}: {stage}"))
        self.job.succeeded.connect(self._succeeded)
        self.job.failed.connect(self._failed)
        self.job.cancelled.connect(self._cancelled)
        self.busy_changed.emit(True)
        self.job.start()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _end(self) -> Optional[Target]:
        target = self._target
        self.job = None
        self._target = None
        self.busy_changed.emit(False)
        return target

    def _succeeded(self, out: np.ndarray) -> None:
        t = self._end()
        assert t is not None
        # The user may have closed the document, deleted or moved the layer, or switched to
        # another document while the worker ran. A closed document answers "" for its colour
        # space and creating a layer for it crashes Krita natively (no `try` catches that), so
        # check what is still there before touching anything.
        gone = layers.target_problem(t.doc, t.node)
        if gone:
            if t.clip is not None:
                t.clip.abandon()
            self.finished.emit(None, gone)
            return
        try:
            layer, message = t.clip.finish(out) if t.clip is not None else self._write(t, out)
            save_settings(t.settings, "last_applied")
        except Exception as e:
            log.exception("could not add the result layer")
            self.finished.emit(None, f"Could not add the result layer: {e}")
            return
        try:  # the .kra carries its job: reopened, the docker and Apply Again know it
            doc_jobs.record(t.doc, t.settings, self.engine())
        except Exception:  # the layer is there; a job not recorded is not worth a failure
            log.exception("could not record the job in the document")
        self.finished.emit(layer, message)

    def _write(self, t: Target, out: np.ndarray) -> tuple:
        """Add the result layer where it belongs; returns (layer, message for the user)."""
        source = None if t.node is None else layers.live_node(t.doc, t.node)
        name = naming.result_name(t.settings, layers.all_names(t.doc))
        assert t.content is not None  # a still's target (an animation's goes to t.clip)
        out = coverage.apply_to_alpha(out, t.content.mask)
        # above the source AND the earlier results of it, so the new one is the visible one
        above = None if source is None else layers.top_of_results(source, naming.PREFIX)
        hidden = source is not None and not source.visible()
        layer = layers.add_result_layer(t.doc, above, out, t.content.rect, name,
                                        visible=not hidden)
        if source is not None:
            keep_active(t.doc, source)  # Apply again stylizes the original, not the result
        if hidden:
            return layer, (f"Added layer '{name}', hidden like its source layer "
                           f"'{source.name()}': show both to see it.")
        return layer, f"Added layer '{name}'."

    # -- preview --
    def preview(self, settings: JobSettings, doc: Any = None, node: Any = None,
                draft: bool = False) -> Optional[str]:
        """Paint a preview of what Apply would paint now (common/preview.py: same working
        scale, same colour conversion, same model; the whole picture at Auto, a detail at 100 %
        when the working image is big). Pixels are read here on the main thread, the model runs
        on the preview worker; the newest request wins. draft=True: a quick draft (common/draft.py)
        instead, only when the true preview is big enough to be slow (draft_ready, else nothing).
        A newer request cancels a running true preview but lets a running draft (~0.1 s) finish,
        so drafts keep showing while a slider moves. Returns why it cannot start, or None."""
        engine, problem = self._engine_for(settings)
        if problem:
            return problem
        doc = doc or krita().activeDocument()
        if doc is None or not layers.is_open(doc):
            return "Open a document first."
        if self.preview_job is not None:  # paint the newest settings once this one stops
            self._preview_next = (settings, doc, node, draft)
            if not self._preview_is_draft:
                self.preview_job.cancel()
            return None
        from ..common import draft as drafts
        from ..common import preview

        if draft and not drafts.worth_it(preview.plan_for(settings, doc.height(),
                                                          doc.width()).paint_hw):
            return None  # a small canvas: the true preview is about as quick, no read
        node = None if settings.whole_image else (node or doc.activeNode())
        try:
            content, masks = self._read_for_preview(doc, node, settings, draft)
        except layers.ColorSpaceError as e:
            return str(e)
        h, w = content.rgba.shape[:2]
        plan = preview.plan_for(settings, h, w)
        if draft:
            if not drafts.worth_it(plan.paint_hw):
                return None

            def work(progress: Callable[[float, str], None], token: Any) -> Any:
                return drafts.render(engine, content.rgba, settings, masks, token,
                                     region=plan.region)
        else:
            x, y, rw, rh = plan.region
            area = content.rgba[y:y + rh, x:x + rw]

            def work(progress: Callable[[float, str], None], token: Any) -> Any:
                image = preview.render(engine, area, plan, settings, content.rgba, token,
                                       masks=masks)
                return image, plan

        job = Job(work)
        job.succeeded.connect(self._draft_done if draft else self._preview_done)
        job.failed.connect(self._preview_error)
        job.cancelled.connect(self._preview_stopped)
        self.preview_job = job
        self._preview_is_draft = draft
        job.start()
        return None

    def _read_for_preview(self, doc: Any, node: Optional[Any], settings: JobSettings,
                          draft: bool) -> tuple:
        """read_job for a preview, on the main thread (Krita's objects live there). A draft
        reuses a read of the same layer and maps from the last DRAFT_REUSE_S: while a slider
        moves, the pixels do not, and each read of a big canvas holds the UI. The true preview
        always reads afresh, so what it shows is what Apply would read now."""
        import time

        # ids, not wrappers: this is kept after the preview (see layers.doc_key)
        key = (layers.doc_key(doc), None if node is None else node.uniqueId().toString(),
               settings.whole_image, tuple(settings.map_refs()))
        last = self._last_read
        if draft and last is not None and last[0] == key \
                and time.monotonic() - last[1] < DRAFT_REUSE_S:
            self.read_times = [*self.read_times[-50:], (0.0, True, True)]
            return last[2], last[3]
        t = time.perf_counter()
        content, masks = read_job(doc, node, settings)
        ms = round((time.perf_counter() - t) * 1000, 1)
        self.read_times = [*self.read_times[-50:], (ms, draft, False)]
        log.debug("preview read %s ms (draft=%s)", ms, draft)
        self._last_read = (key, time.monotonic(), content, masks)
        return content, masks

    def _draft_done(self, image: np.ndarray) -> None:
        # shown even when a newer request waits: it is newer than what the docker shows, and
        # the next one follows in ~0.1 s
        self.draft_ready.emit(image)
        self._preview_stopped()

    def _preview_done(self, out: tuple) -> None:
        self._preview_stopped()
        if self.preview_job is None:  # no newer request started: show this one
            self.preview_ready.emit(*out)

    def _preview_error(self, message: str) -> None:
        self._preview_stopped()
        self.preview_failed.emit(message)

    def _preview_stopped(self) -> None:
        self.preview_job = None
        nxt, self._preview_next = self._preview_next, None
        if nxt is not None:
            error = self.preview(*nxt)
            if error and not nxt[3]:  # a draft that cannot start: its true preview will say
                self.preview_failed.emit(error)

    def _failed(self, message: str) -> None:
        t = self._end()
        if t is not None and t.clip is not None:
            t.clip.abandon()
        self.finished.emit(None, message)

    def _cancelled(self) -> None:
        t = self._end()
        message = "Cancelled."
        if t is not None and t.clip is not None:
            t.clip.abandon()
            message = t.clip.error or message
        self.finished.emit(None, message)


def read_job(doc: Any, node: Optional[Any], settings: JobSettings) -> tuple:
    """(content, masks) of a job, main thread: the pixels to stylize and every map of the job
    read live for exactly the content's rectangle. A layers.ColorSpaceError says, in one line,
    why the job cannot start: the active layer is one of its maps, a map layer is visible in a
    visible-image job, or a map is gone."""
    map_layers.check_sources(settings, doc, None if settings.whole_image else node)
    content = layers.read_content(doc, node, settings.whole_image)
    return content, map_layers.read_all(doc, settings, content.rect)


def keep_active(doc: Any, node: Any) -> None:
    """Make `node` the active layer again after a result was inserted. In the GUI, Krita
    activates an inserted layer a moment later (queued), which would override an immediate
    setActiveNode: so set it now and once more after the queued events ran. The timers keep
    ids, not the document: under kritarunner they never fire, and a Document wrapper they held
    would crash Krita at exit."""
    from .qt import QTimer

    key, node_id = layers.doc_key(doc), node.uniqueId().toString()

    def again() -> None:
        live = layers.doc_by_key(key)
        found = None if live is None else layers.node_by_id(live, node_id)
        if found is not None:
            live.setActiveNode(found)

    doc.setActiveNode(node)
    QTimer.singleShot(0, again)
    QTimer.singleShot(150, again)


_controller: Optional[Controller] = None


def controller() -> Controller:
    global _controller
    if _controller is None:
        _controller = Controller()
    return _controller
