"""GIMP 3 adapter: the plug-in procedure (plugin.py), drawable pixels <-> numpy arrays
(pixels.py, pure and testable without GIMP) and the file GIMP executes (style-transfer.py).

Importing this package must not import gi: the engine tests and the Krita host import the
style_transfer package tree without GIMP around.
"""
