"""The pure engine: numpy + LiteRT + Pillow. Never imports Qt, Krita or GIMP.

Hosts use the `Engine` facade (core.py): style images / presets / vectors in, stylized arrays
out. The names below are imported on first use (PEP 562), so reading the model list
(`engine.models`, stdlib only) or an error class does not pay for numpy, Pillow and the
runtimes: `style-transfer --help` and the installer start without them, and a host can show
its settings when the engine's packages are missing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import Engine, StyleItem
    from .errors import Cancelled, DependencyError, EngineError, InputError, ModelError
    from .progress import CancelToken
    from .render import RenderOptions, working_size
    from .runtime import RUNTIME_CHOICES

_WHERE = {
    "Engine": "core", "StyleItem": "core", "check_runtime": "core", "first_line": "core",
    "Cancelled": "errors", "DependencyError": "errors", "EngineError": "errors",
    "InputError": "errors", "ModelError": "errors",
    "CancelToken": "progress", "RenderOptions": "render", "working_size": "render",
    "RUNTIME_CHOICES": "runtime",
}

__all__ = [
    "RUNTIME_CHOICES", "CancelToken", "Cancelled", "DependencyError", "Engine", "EngineError",
    "InputError", "ModelError", "RenderOptions", "StyleItem", "check_runtime", "first_line",
    "working_size",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_WHERE))
