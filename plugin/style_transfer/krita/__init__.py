"""Krita adapter: extension.py (the one registration point), docker.py (UI), controller.py (one
stylization: read pixels, run the engine on a worker, write the result), layers.py (Krita pixels
<-> RGBA arrays), qt.py (the one Qt shim). Importing this package imports neither Qt nor Krita."""
