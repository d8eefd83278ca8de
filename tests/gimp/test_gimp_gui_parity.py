"""Acceptance (issue 9), parity with Krita in the real GIMP 3 dialog: a layer of an open image as
a style, Save as preset (a .json any host reads back as the same mix), the style chooser with
its image filter and preview, thumbnails of the chosen styles (screenshots, looked at).

Keys only (xdotool): Alt+1 opens the Style 1 chooser, Alt+U uses the layer chosen in "Layer as
style" (the image's own layer by default), Alt+V is "Save as preset…".
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from .gui import GuiSession, read_result, start_preview_case
from .harness import SHARED, WORK, GimpChroot

pytestmark = pytest.mark.slow




def test_layer_as_style_and_save_as_preset(gimp: GimpChroot, session: GuiSession) -> None:
    from style_transfer.engine import Engine
    from style_transfer.engine.images import load_image
    from style_transfer.engine.style import load_preset

    styles_dir = gimp.host_path(f"{WORK}/layer-styles")  # beside $STYLE_TRANSFER_LOG_DIR
    for old in styles_dir.glob("*.png"):
        old.unlink()
    result_file, out = start_preview_case(gimp, session, 400, "gui-parity")
    wid = session.dialog()
    session.x(["xdotool", "windowactivate", "--sync", wid])

    # The Style 1 chooser: images and presets only, with a preview of the file under the cursor.
    chooser = session.open_style_chooser(1)
    time.sleep(0.5)
    session.screenshot("chooser.png")
    session.x(["xdotool", "windowactivate", "--sync", chooser, "key", "Escape"])
    session.wait(lambda: not session.windows("Style 1"), 10, "the chooser to close")

    session.x(["xdotool", "windowactivate", "--sync", wid, "key", "--clearmodifiers", "alt+u"])
    saved = session.wait(lambda: list(styles_dir.glob("*.png")), 20, "the layer saved as style")
    assert len(saved) == 1, saved

    session.x(["xdotool", "key", "--clearmodifiers", "alt+v"])
    save = session.wait(lambda: session.windows("Save style preset"), 15, "the preset dialog")[0]
    preset = out / "mix.json"
    session.x(["xdotool", "windowactivate", "--sync", save, "key", "ctrl+a"])
    session.x(["xdotool", "type", "--delay", "20", f"{WORK}/out/gui-parity/mix.json"])
    session.x(["xdotool", "key", "Return"])
    session.wait(preset.is_file, 20, "the preset file")
    time.sleep(1.5)  # the thumbnails and the preview of the new mix
    session.x(["xdotool", "windowactivate", "--sync", wid])
    session.screenshot("dialog-parity.png")

    session.x(["xdotool", "key", "--clearmodifiers", "Escape"])
    result = read_result(session, result_file, 30, "the run to return")
    assert result["status"] == "cancel" and result["layers_after"] == ["small.png"], result

    # The preset holds the 50/50 mix of udnie and the layer, and a thumbnail.
    loaded = load_preset(preset)
    assert loaded.thumbnail is not None and "udnie" in loaded.name
    eng = Engine(models=SHARED / "models")
    expected = eng.style_mix([SHARED / "images" / "udnie.jpg", load_image(saved[0])], [1.0, 1.0])
    # (GIMP's python and this venv may run the predictor on different runtimes: not bit-exact)
    error = np.linalg.norm(loaded.vector - expected) / np.linalg.norm(expected)
    assert error < 0.02, error
