#!/usr/bin/env python3
"""GIMP 3 executes this file as plug-ins/style-transfer/style-transfer.py (GIMP wants one folder
per plug-in, the file named like the folder, executable).

installer.py --gimp lays the folder out as
    style-transfer/style-transfer.py           this file
    style-transfer/style_transfer/             the package (engine + the GIMP adapter)
    style-transfer/style_transfer/_deps/       wheels for the Python GIMP runs (pip --target)
Run from a source checkout (plugin/style_transfer/gimp/) it finds the package two levels up.
"""

import os
import sys

_HERE = os.path.dirname(os.path.realpath(__file__))


def _add_paths() -> None:
    candidates = [_HERE, os.path.dirname(os.path.dirname(_HERE))]
    root = next((p for p in candidates
                 if os.path.isfile(os.path.join(p, "style_transfer", "__init__.py"))), None)
    if root is None:
        return  # the import below fails with a message GIMP logs
    if root not in sys.path:
        sys.path.insert(0, root)
    deps = os.path.join(root, "style_transfer", "_deps")
    # Appended, not prepended: the installer resolved the private wheels against the packages
    # GIMP's Python already has (e.g. Debian's numpy), so those must keep winning.
    if os.path.isdir(deps) and deps not in sys.path:
        sys.path.append(deps)


_add_paths()

from style_transfer.gimp.plugin import main  # noqa: E402

main()
