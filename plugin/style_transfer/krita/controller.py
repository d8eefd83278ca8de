"""One stylization in Krita, shared by the docker, the Filter-menu actions and the tests.

Main thread: read the content pixels and the selection (layers.read_content), later write the
result layer. Worker thread: the engine only, on plain numpy arrays. The two talk through Qt
signals, which Qt queues onto the main thread, so no Krita object is touched off it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import traceback
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, List, Optional

import numpy as np

from . import layers
from .qt import QObject, pyqtSignal

SETTINGS_GROUP = "style_transfer"
INSTALL_HINT = (
    "Fix: run `python3 installer.py --krita` from the style-transfer folder (it installs the "
    "packages for Krita's own Python), then restart Krita."
)


@dataclass
class StyleEntry:
    """One style in the list. kind: "file" (image), "preset" (.json) or "layer" (a layer's pixels
    saved as a PNG in the plugin's data folder, so it survives the document being closed)."""

    kind: str
    path: str
    name: str
    weight: float = 1.0


@dataclass
class Settings:
    styles: List[StyleEntry] = field(default_factory=list)
    strength: float = 1.0  # 0..1
    scale: Optional[float] = None  # None = auto
    preserve_colors: bool = False
    model: str = "int8"  # "int8" (fast) | "f16"
    whole_image: bool = False  # False = active layer

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        try:
            data = json.loads(text) if text else {}
            styles = [StyleEntry(**s) for s in data.pop("styles", [])]
            known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
            return cls(styles=styles, **known)
        except (ValueError, TypeError):
            return cls()  # settings from another version: start clean rather than fail


def krita() -> Any:
    from krita import Krita

    return Krita.instance()


def load_settings(key: str = "settings") -> Settings:
    return Settings.from_json(krita().readSetting(SETTINGS_GROUP, key, ""))


def save_settings(settings: Settings, key: str = "settings") -> None:
    krita().writeSetting(SETTINGS_GROUP, key, settings.to_json())


def data_dir(sub: str) -> str:
    """<Krita resource folder>/style_transfer/<sub>: layer styles and presets the user made."""
    base = krita().getAppDataLocation()
    path = os.path.join(base, "style_transfer", sub)
    os.makedirs(path, exist_ok=True)
    return path


def safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_") or "style"


def style_from_layer(node: Any) -> StyleEntry:
    """Snapshot a layer's pixels (any open document) to a PNG in the plugin's data folder, so the
    style stays usable after that document is closed and across sessions. Main thread only."""
    rgba = layers.node_thumbnail_rgba(node)
    uid = node.uniqueId().toString().strip("{}")[:8]
    path = os.path.join(data_dir("styles"), f"{safe_name(node.name())}-{uid}.png")
    if not layers.rgba_to_qimage(rgba).save(path, "PNG"):
        raise layers.ColorSpaceError(f"Could not save the style image {path}.")
    return StyleEntry("layer", path, node.name())


def load_engine() -> Any:
    """The engine, or an EngineSetupError whose message says which command fixes it."""
    try:
        from ..engine import Engine
    except ImportError as e:
        # the name Python imports is not always the name to install (PIL is Pillow)
        module = (e.name or str(e)).split(".")[0]
        package = {"PIL": "Pillow", "ai_edge_litert": "ai-edge-litert"}.get(module, module)
        raise EngineSetupError(
            f"Style Transfer is missing the Python package '{package}' for Krita's Python "
            f"{sys.version_info[0]}.{sys.version_info[1]}. {INSTALL_HINT}"
        ) from None
    return Engine()


class EngineSetupError(Exception):
    pass


def check_ready(engine: Any, model: str) -> Optional[str]:
    """None if a render can run, else the user-facing message (dependency or model missing).

    A missing package gets the Krita command that installs it (the engine's own hint speaks of
    pip); a missing model keeps the engine's message, which already names its fix."""
    from ..engine import DependencyError, EngineError

    try:
        engine.check_models(model)
    except DependencyError as e:
        return f"{e} {INSTALL_HINT}"
    except EngineError as e:
        return str(e)
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
        from ..engine import CancelToken

        self.fn = fn
        self.token = CancelToken()
        self.thread: Optional[threading.Thread] = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="style-transfer", daemon=True)
        self.thread.start()

    def cancel(self) -> None:
        self.token.cancel()

    def _run(self) -> None:
        from ..engine import Cancelled, EngineError

        try:
            out = self.fn(lambda f, stage: self.progressed.emit(float(f), str(stage)), self.token)
        except Cancelled:
            self.cancelled.emit()
        except EngineError as e:
            self.failed.emit(str(e))
        except Exception as e:  # never let a worker exception reach Krita's traceback dialog
            traceback.print_exc()
            self.failed.emit(f"Style transfer failed: {e!r}")
        else:
            self.succeeded.emit(out)


class Controller(QObject):
    """Starts renders, owns the running one, writes results. One per Krita process."""

    progressed = pyqtSignal(float, str)
    #: (layer or None, message): layer = the new result layer; None + message = error/cancel
    finished = pyqtSignal(object, str)
    busy_changed = pyqtSignal(bool)

    def __init__(self) -> None:
        super().__init__()
        self._engine: Any = None
        self.job: Optional[Job] = None
        self._target: Any = None

    # -- engine --
    def engine(self) -> Any:
        if self._engine is None:
            self._engine = load_engine()
        return self._engine

    @property
    def busy(self) -> bool:
        return self.job is not None

    # -- apply --
    def apply(self, settings: Settings, doc: Any = None, node: Any = None) -> Optional[str]:
        """Start a render of `node` (default: the active layer of the active document).

        Returns None if started, else the reason it could not start (shown to the user)."""
        if self.busy:
            return "A style transfer is already running."
        if not settings.styles:
            return "Add at least one style (an image, a layer or a preset) first."
        try:
            engine = self.engine()
        except EngineSetupError as e:
            return str(e)
        problem = check_ready(engine, settings.model)
        if problem:
            return problem
        doc = doc or krita().activeDocument()
        if doc is None:
            return "Open a document first."
        node = node or doc.activeNode()
        try:
            content = layers.read_content(doc, node, settings.whole_image)
        except layers.ColorSpaceError as e:
            return str(e)
        styles = [s.path for s in settings.styles]
        weights = [max(0.0, s.weight) for s in settings.styles]
        if sum(weights) <= 0:
            return "At least one style needs a weight above 0."
        from ..engine import RenderOptions

        options = RenderOptions(strength=settings.strength, scale=settings.scale,
                                preserve_colors=settings.preserve_colors, model=settings.model)

        def work(progress: Callable[[float, str], None], token: Any) -> np.ndarray:
            return engine.stylize(content.rgba, styles, weights, options, progress, token)

        name = layers.result_layer_name([s.name for s in settings.styles], settings.strength)
        self._target = (doc, node, content, name, settings)
        self.job = Job(work)
        title = layers.document_title(doc)  # the progress line says whose render this is
        self.job.progressed.connect(lambda f, stage: self.progressed.emit(f, f"{title}: {stage}"))
        self.job.succeeded.connect(self._succeeded)
        self.job.failed.connect(self._failed)
        self.job.cancelled.connect(self._cancelled)
        self.busy_changed.emit(True)
        self.job.start()
        return None

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _end(self) -> None:
        self.job = None
        self._target = None
        self.busy_changed.emit(False)

    def _succeeded(self, out: np.ndarray) -> None:
        doc, node, content, name, settings = self._target
        self._end()
        # The user may have closed the document, deleted or moved the layer, or switched to
        # another document while the worker ran. A closed document answers "" for its colour
        # space and creating a layer for it crashes Krita natively (no `try` catches that), so
        # check what is still there before touching anything.
        gone = layers.target_problem(doc, None if settings.whole_image else node)
        if gone:
            self.finished.emit(None, gone)
            return
        above = None if settings.whole_image else layers.live_node(doc, node)
        try:
            if content.mask is not None:
                out = layers.apply_mask_to_alpha(out, content.mask)
            layer = layers.add_result_layer(doc, above, out, content.rect, name)
            save_settings(settings, "last_applied")
        except Exception as e:
            traceback.print_exc()
            self.finished.emit(None, f"Could not add the result layer: {e}")
            return
        self.finished.emit(layer, f"Added layer '{name}'.")

    def _failed(self, message: str) -> None:
        self._end()
        self.finished.emit(None, message)

    def _cancelled(self) -> None:
        self._end()
        self.finished.emit(None, "Cancelled.")


_controller: Optional[Controller] = None


def controller() -> Controller:
    global _controller
    if _controller is None:
        _controller = Controller()
    return _controller
