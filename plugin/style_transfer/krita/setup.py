"""Finish an install from inside Krita: after a zip-only install (Tools › Scripts › Import Python
Plugin from File) the wheels and models are missing; the docker lists them and these functions,
run on a worker thread by controller.Job, fetch them. The fixes Krita's messages name are here
too. No Qt or Krita import: tested off Krita.

The wheels are installed by deps.py, the one copy of that logic (installer.py uses it too), into
the plugin's private _deps folder for Krita's own Python; deps.activate then puts the folder on
sys.path and drops the import caches, so in most cases the plugin works without a restart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, List

from ..common.messages import UserError
from ..engine.models import fix_hint

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # .../pykrita/style_transfer
#: Krita's own fixes, for the messages common/messages.py and the engine word
INSTALL_HINT = (
    "Fix: press Install dependencies below (it installs them for Krita's own Python), or run "
    "`python3 installer.py --krita` from the style-transfer folder and restart Krita."
)
MODELS_HINT = fix_hint("press Download models in the Style Transfer docker",
                       "run `python3 installer.py --models DIR` again")
Progress = Callable[[float, str], None]


def install_dependencies(progress: Progress, token: Any) -> bool:
    """Worker thread: install the missing wheels for this Python into the plugin's _deps folder
    and make them importable (deps.activate). True = usable now, False = restart Krita."""
    from .. import deps

    target = deps.deps_dir(PACKAGE_DIR)
    progress(0.0, f"Installing {', '.join(deps.missing())}")
    try:
        deps.install(target, progress=lambda line: progress(0.0, line))
    except deps.DependencyInstallError as e:
        raise UserError(f"Installing the dependencies failed: {e}") from None
    return deps.activate(target)


def needed_models(model: str) -> List[str]:
    """Model ids a render with the Model choice `model` needs that are not here (verified)."""
    from ..engine.models import PREDICTOR_ID, ModelStore

    store = ModelStore(hint=MODELS_HINT)
    ids = [PREDICTOR_ID, store.spec(model).id]
    return [i for i in ids if store.find_local(i)[0] is None]


def download_models(ids: List[str], progress: Progress, token: Any) -> int:
    """Worker thread: fetch the models into the user's model cache; each file is checked
    against its sha256 in the manifest before it is used. Returns how many were fetched."""
    from ..engine import EngineError
    from ..engine.models import ModelStore

    store = ModelStore(hint=MODELS_HINT)
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
