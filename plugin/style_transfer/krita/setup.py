"""Finish an install from inside Krita: after a zip-only install (Tools › Scripts › Import Python
Plugin from File) the wheels and models are missing; the docker lists them and these functions,
run on a worker thread by controller.Job, fetch them.

The wheels are installed by deps.py, the one copy of that logic (installer.py uses it too), into
the plugin's private _deps folder for Krita's own Python. The folder is then put on sys.path and
the import caches dropped, so in most cases the plugin works without restarting Krita.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any, Callable, List

from .controller import UserError

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # .../pykrita/style_transfer
Progress = Callable[[float, str], None]


def missing_packages() -> List[str]:
    """pip names of the packages Krita's Python cannot import (deps.missing)."""
    from .. import deps

    activate()  # a folder filled by an earlier Install dependencies counts
    return deps.missing()


def activate() -> None:
    """Put the private wheel folder on sys.path (after Krita's own folders: Krita's numpy and
    PyQt always win) and drop the import caches, so packages installed now import."""
    from .. import deps

    folder = str(deps.deps_dir(PACKAGE_DIR))
    if Path(folder).is_dir() and folder not in sys.path:
        sys.path.append(folder)
    importlib.invalidate_caches()


def install_dependencies(progress: Progress, token: Any) -> List[str]:
    """Worker thread: install the missing wheels for this Python. Returns what is still missing
    afterwards ([] = usable now, without restarting Krita)."""
    from .. import deps

    target = deps.deps_dir(PACKAGE_DIR)
    progress(0.0, f"Installing {', '.join(deps.missing())} into {target}")
    try:
        deps.install(target, progress=lambda line: progress(0.0, line))
    except deps.DependencyInstallError as e:
        raise UserError(f"Installing the dependencies failed: {e}") from None
    activate()
    return deps.missing()


def needed_models(model: str) -> List[str]:
    """Model ids a render with the Model choice `model` needs that are not here (verified)."""
    from ..engine.models import PREDICTOR_ID, ModelStore

    store = ModelStore(asker="krita")
    ids = [PREDICTOR_ID, store.spec(model).id]
    return [i for i in ids if store.find_local(i)[0] is None]


def download_models(ids: List[str], progress: Progress, token: Any) -> int:
    """Worker thread: fetch the models into the user's model cache; each file is checked
    against its sha256 in the manifest before it is used. Returns how many were fetched."""
    from ..engine import EngineError
    from ..engine.models import ModelStore

    store = ModelStore(asker="krita")
    for n, model_id in enumerate(ids):
        def report(done: int, total: int, n: int = n, model_id: str = model_id) -> None:
            part = done / total if total else 0.0
            progress((n + part) / len(ids), f"Downloading {model_id}")
            if token.cancelled:
                raise UserError("Download cancelled.")
        try:
            store.path(model_id, report)
        except EngineError as e:
            raise UserError(str(e)) from None
    return len(ids)
