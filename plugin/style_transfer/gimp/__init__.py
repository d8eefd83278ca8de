"""GIMP 3 adapter: the procedure (plugin.py) and its arguments (args.py); one run as read ->
render in memory -> one undo group (job.py); the dialog (dialog.py, style_rows.py,
preview_pane.py, gtk_util.py, help.txt); drawable pixels <-> numpy arrays (pixels.py, pure and
testable without GIMP); the file GIMP executes (style-transfer.py).

Importing this package must not import gi: the engine tests and the Krita host import the
style_transfer package tree without GIMP around.
"""
