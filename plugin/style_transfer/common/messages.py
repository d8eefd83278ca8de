"""What a user reads when something fails, written once for the CLI, Krita and GIMP: which
failures are shown as they are (one line that names the fix), what a bug becomes, and the
sentence that names the packages a host's Python lacks (deps.missing detects them).

Standard library only at import: a host shows these messages exactly when numpy, Pillow or
LiteRT cannot be imported. Each host passes its own fix (which button, which command): the
engine names no host.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, List, Optional

#: a front end's "Fix: ..." sentence for missing models, given whether downloads are allowed
#: (engine/models.fix_hint builds one)
ModelsHint = Callable[[bool], str]


class UserError(Exception):
    """A failure whose message is one line for the user, shown as it is (a host's own checks
    raise it or a subclass: GIMP's PlugInError)."""


class SetupError(UserError):
    """The engine cannot run in this Python: packages are missing. The message names them and
    the host's fix."""


def user_message(exc: BaseException) -> Optional[str]:
    """The one line to show for `exc` as it is (an engine error or a UserError), or None for a
    bug, which the caller logs with its traceback."""
    if isinstance(exc, UserError):
        return str(exc)
    from ..engine.errors import EngineError  # stdlib only: works while packages are missing

    return str(exc) if isinstance(exc, EngineError) else None


def failure_message(exc: BaseException, details: str = "") -> str:
    """What to show for any failure: user_message(exc), else a line that names the bug and,
    when the host keeps one, the log file with its traceback."""
    message = user_message(exc)
    if message is not None:
        return message
    where = f" (details in {details})" if details else ""
    return f"Style transfer failed: {type(exc).__name__}: {exc}{where}"


def is_cancel(exc: BaseException) -> bool:
    from ..engine.errors import Cancelled

    return isinstance(exc, Cancelled)


def missing_packages(error: Optional[BaseException] = None) -> List[str]:
    """pip names of the packages this Python lacks: deps.missing (the one detection), plus the
    package of a failed import it does not list (tqdm for the CLI, a broken install)."""
    from .. import deps

    return deps.missing(error)


def missing_message(hint: str, program: str = "", error: Optional[BaseException] = None) -> str:
    """"Style Transfer is missing the Python packages 'numpy', 'pillow' for Krita's Python
    3.11. <hint>": `program` names whose Python it is ("" = the running one, by its path)."""
    names = missing_packages(error) or [str(error or "a dependency")]
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    python = f"{program}'s Python {version}" if program else f"Python {version} ({sys.executable})"
    plural = "s" if len(names) > 1 else ""
    return (f"Style Transfer is missing the Python package{plural} "
            f"{', '.join(repr(n) for n in names)} for {python}. {hint}")


def load_engine(hint: str, models_hint: ModelsHint, program: str = "",
                sources: Optional[List[str]] = None, **options: Any) -> Any:
    """An Engine whose packages import (numpy, Pillow, a TFLite runtime), its missing-model
    messages ending in the front end's `models_hint`; else SetupError naming every missing
    package and the front end's `hint`. `sources`: model folders / URLs (default
    $STYLE_TRANSFER_MODELS); `options` go to Engine (threads, runtime, ...)."""
    from ..engine.errors import DependencyError  # stdlib only

    # by name first: the engine imports lazily, so with a system-wide Pillow and numpy
    # (Debian's python3-pil) it would import, and only a render would say "the TFLite runtime
    # is not installed": the same missing package in other words. The plugin uses such a
    # system package as it uses Debian's numpy; its wheels only fill the gaps.
    if missing_packages():
        raise SetupError(missing_message(hint, program))
    try:
        from ..engine import Engine
        from ..engine.models import ModelStore
        from ..engine.runtime import interpreter_class

        interpreter_class()
    except ImportError as e:
        raise SetupError(missing_message(hint, program, e)) from None
    except DependencyError as e:  # no TFLite runtime: deps.missing names ai-edge-litert
        raise SetupError(missing_message(hint, program, e)) from None
    return Engine(store=ModelStore(sources=sources, hint=models_hint), **options)
