"""What the Krita and GIMP adapters share, host-neutral (no Qt, Krita or GIMP imports).

settings.py  the frozen settings snapshot a job runs on, and its RenderOptions
naming.py    result layer names (styles, strength, every non-default option; never colliding)
coverage.py  selection x layer mask x source alpha -> the result layer's alpha
preview.py   what the preview paints so that it shows what Apply will paint
texts.py     user-facing labels both hosts show (strength, models, runtimes)
messages.py  what a user reads when something fails (CLI too), and the missing packages
maps.py      regions and maps: which pixels paint which style, strength, stroke size
draft.py     the preview's quick draft while a slider moves
logs.py      a rotating log file in the user's data folder, for bug reports
"""
