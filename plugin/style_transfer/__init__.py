"""Local neural style transfer for Krita, GIMP 3 and the command line.

Importing the package does nothing unless it runs inside Krita (the `krita` module only exists
there); then it registers the Krita extension and docker. The engine (style_transfer.engine) never
imports Qt, Krita or GIMP.
"""

from __future__ import annotations

import os
import sys

from .version import __version__

__all__ = ["DEPS_DIR", "__version__"]

#: where installer.py puts the wheels (ai-edge-litert, Pillow, ...) built for the host's Python
DEPS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_deps")


def _use_private_deps() -> None:
    """Put the installer's private wheel folder on sys.path, AFTER the host's own folders, so the
    host's numpy/PyQt always win and ours only fill in what is missing."""
    if os.path.isdir(DEPS_DIR) and DEPS_DIR not in sys.path:
        sys.path.append(DEPS_DIR)


def _inside_krita() -> bool:
    try:
        from krita import Krita
    except ImportError:
        return False
    return hasattr(Krita, "instance")


if _inside_krita():
    _use_private_deps()
    from .krita.extension import register

    register()
