#!/usr/bin/env python3
"""GIMP 3 executes this file: plug-ins/style-transfer/style-transfer.py (GIMP wants one folder
per plug-in, the file named like the folder, executable).

installer.py --gimp lays the folder out as
    style-transfer/style-transfer.py   this file
    style-transfer/style_transfer/     the package (engine + this adapter)
    style-transfer/deps/               wheels for the Python GIMP runs, from pip --target
Run from a source checkout (plugin/style_transfer/gimp/) it finds the package two levels up.
"""

import os
import sys

_HERE = os.path.dirname(os.path.realpath(__file__))


def _add_paths() -> None:
    candidates = [_HERE, os.path.dirname(os.path.dirname(_HERE))]
    package_root = next(
        (p for p in candidates if os.path.isfile(os.path.join(p, "style_transfer", "__init__.py"))),
        None,
    )
    # The private deps go first: they were installed for exactly this Python, while whatever
    # numpy the system or GIMP bundle has may be too old for ai-edge-litert.
    for path in (os.path.join(_HERE, "deps"), package_root):
        if path and os.path.isdir(path) and path not in sys.path:
            sys.path.insert(0, path)


_add_paths()

from style_transfer.gimp.plugin import main  # noqa: E402

main()
