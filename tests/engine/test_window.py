"""Engine.stylize_window: a part of the render painted alone, equal to the whole render there
(what a preview of a detail at 100 % shows)."""

from __future__ import annotations

import numpy as np
import pytest
from style_transfer.engine import InputError, RenderOptions, working_size
from style_transfer.engine.images import from_float, resize_float, to_float


@pytest.fixture(scope="module")
def big(load) -> np.ndarray:
    photo = to_float(load("stata.jpg"))  # 1024 x 679 -> a 2048 px canvas
    return np.rint(resize_float(photo, (1358, 2048)) * 255).astype(np.uint8)


@pytest.mark.parametrize("scale, box", [
    (1.0, (700, 300, 600, 500)),  # painted at full size: many tiles, a tone reference
    (2.0, (1200, 600, 700, 600)),  # above the image's resolution
    (0.5, (0, 0, 1024, 679)),  # the whole working image
])
def test_window_equals_the_whole_render_there(engine, load, big, scale, box) -> None:
    udnie = engine.style_vector(load("udnie.jpg"))
    content = big if scale != 2.0 else np.ascontiguousarray(big[::2, ::2])
    opt = RenderOptions(scale=scale)
    part = engine.stylize_window(content, [udnie], box, options=opt)
    x, y, w, h = box
    assert part.shape == (h, w, 3)
    if working_size(*content.shape[:2], scale) == content.shape[:2]:
        whole = engine.stylize(content, [udnie], options=opt)[y:y + h, x:x + w]
    else:  # compare with the working-size render, before the return to full size
        wh, ww = working_size(*content.shape[:2], scale)
        work = engine.stylize_window(content, [udnie], (0, 0, ww, wh), options=opt)
        whole = from_float(work[y:y + h, x:x + w], np.dtype(np.uint8))
    diff = np.abs(from_float(part, np.dtype(np.uint8)).astype(int) - whole.astype(int))
    assert diff.max() <= 1, diff.max()


def test_window_outside_the_working_image_is_refused(engine, load, big) -> None:
    udnie = engine.style_vector(load("udnie.jpg"))
    with pytest.raises(InputError, match="not inside"):
        engine.stylize_window(big, [udnie], (2000, 0, 100, 100), options=RenderOptions(scale=1.0))
