"""What every part of the plug-in shares (procedure, dialog, its lists): the log, an engine whose
messages name GIMP's own fixes, and the one line a failure becomes (common/messages.py).

Imports gi, the standard library and stdlib-only modules of the package only: the procedure
registers through here even when numpy, LiteRT or the models are missing, and the run then
says which and how to fix it.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any, Dict

from ..common import messages
from ..engine.models import fix_hint

INSTALL_HINT = (
    "Fix: run `python3 installer.py --gimp` again (from the style-transfer source folder); it "
    "installs the dependencies GIMP's Python needs next to the plug-in."
)
MODELS_HINT = fix_hint("run `python3 installer.py --gimp` again (it downloads the models)",
                       "run `python3 installer.py --gimp --models DIR` again")


def log(message: str) -> None:
    # stderr reaches the terminal GIMP was started from (and the CI log in batch mode); the log
    # file is what a user attaches to a bug report.
    print(f"style-transfer: {message}", file=sys.stderr, flush=True)
    try:
        from ..common.logs import logger

        logger("gimp").info(message)
    except Exception:  # logging must never be the reason a run fails
        pass


def new_engine(model: str) -> Any:
    """An Engine whose packages and model files are in place; else messages.SetupError or
    ModelError, each naming GIMP's fix."""
    engine = messages.load_engine(INSTALL_HINT, MODELS_HINT, "GIMP")
    from gi.repository import Gegl

    Gegl.init(None)
    engine.check_models(model=model)
    return engine


class Engines:
    """One Engine per model for a dialog and the render after it: the networks stay loaded
    between previews; a model asked for again is checked again (its files may have gone)."""

    def __init__(self) -> None:
        self._engines: Dict[str, Any] = {}

    def __call__(self, model: str) -> Any:
        if model not in self._engines:
            self._engines[model] = new_engine(model)
        else:
            self._engines[model].check_models(model=model)
        return self._engines[model]


def error_values(procedure: Any, message: str) -> Any:
    """The return values of a failed run: GIMP shows `message` in an error dialog for
    interactive runs and hands it to scripts (pdb.get_last_error()); a plain return without it
    would look like an unexplained failure."""
    from gi.repository import Gimp, GLib

    return procedure.new_return_values(Gimp.PDBStatusType.EXECUTION_ERROR, GLib.Error.new_literal(
        Gimp.PlugIn.error_quark(), message, 0))


def import_job() -> Any:
    """gimp/job.py (numpy, the engine), or messages.SetupError naming what is missing."""
    try:
        from . import job
    except ImportError as exc:
        raise messages.SetupError(messages.missing_message(INSTALL_HINT, "GIMP", exc)) from None
    return job


def describe_failure(exc: BaseException) -> str:
    """The one line to show for a failure; a bug's traceback goes to the log first. Call it in
    the `except` block."""
    message = messages.user_message(exc)
    if message is None:
        log(traceback.format_exc())
    message = messages.failure_message(exc)
    log(message)
    return message
