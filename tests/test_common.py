"""The host-neutral layer both adapters use: settings snapshot, names, coverage, preview."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from style_transfer.common import coverage, naming, preview
from style_transfer.common.settings import JobSettings, StyleRef
from style_transfer.engine.images import resize_float, to_float


def _settings(**kw) -> JobSettings:
    return JobSettings(styles=(StyleRef("file", "/x/udnie.jpg", "udnie"),), **kw)


def test_settings_are_frozen_and_round_trip() -> None:
    s = _settings(strength=0.8, scale=2.0, preserve_colors=True, model="f16")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.strength = 0.1  # type: ignore[misc]
    assert JobSettings.from_json(s.to_json()) == s
    assert JobSettings.from_json("{not json") == JobSettings()
    assert JobSettings.from_json('{"strength": 0.5, "unknown": 1}').strength == 0.5
    changed = s.replace(strength=0.3)
    assert (s.strength, changed.strength) == (0.8, 0.3)


def test_settings_problems() -> None:
    assert "Add at least one style" in (JobSettings().problem() or "")
    zero = JobSettings(styles=(StyleRef("file", "a.png", "a", 0.0),))
    assert "weight above 0" in (zero.problem() or "")
    assert _settings().problem() is None
    mixed = JobSettings(styles=(StyleRef("file", "a.png", "a", 0.0), StyleRef("file", "b", "b")))
    assert mixed.style_paths() == ["b"] and mixed.weights() == [1.0]


def test_render_options_follow_the_snapshot() -> None:
    opt = _settings(strength=0.4, scale=0.5, preserve_colors=True, model="f16").render_options()
    assert (opt.strength, opt.scale, opt.preserve_colors, opt.model) == (0.4, 0.5, True, "f16")
    assert _settings().render_options(scale=1.0).scale == 1.0


def test_names_carry_every_non_default_option_and_never_collide() -> None:
    plain = naming.base_name(_settings(strength=0.8))
    assert plain == "Stylized · udnie 80%"
    keep = naming.base_name(_settings(preserve_colors=True))
    f16 = naming.base_name(_settings(model="f16", scale=1.0))
    assert keep == "Stylized · udnie 100% · keep colours"
    assert f16 == "Stylized · udnie 100% · f16 · scale 1×"
    assert len({plain, keep, f16, naming.base_name(_settings())}) == 4
    two = JobSettings(styles=(StyleRef("file", "a", "a", 3.0), StyleRef("file", "b", "b", 1.0)))
    assert naming.base_name(two) == "Stylized · a 75% + b 25% 100%"
    existing = [plain, plain + " (2)"]
    assert naming.result_name(_settings(strength=0.8), existing) == plain + " (3)"
    assert naming.result_name(_settings(strength=0.8), []) == plain


def test_coverage_makes_uncovered_pixels_transparent() -> None:
    rgba = np.full((4, 4, 4), 200, np.uint8)
    rgba[..., 3] = 128  # a semi-transparent source
    sel = np.zeros((4, 4), np.float32)
    sel[:2] = 1.0
    sel[2, :] = 0.5
    mask = np.ones((4, 4), np.float32)
    mask[:, 0] = 0.0  # a layer mask hiding the first column
    cov = coverage.combine(sel, None, mask)
    out = coverage.apply_to_alpha(rgba, cov)
    assert out[0, 1, 3] == 128 and out[2, 1, 3] == 64
    assert (out[3] == 0).all() and (out[:, 0] == 0).all()  # nothing added outside
    assert rgba[3, 3, 3] == 128  # the input is never changed
    assert coverage.combine(None, None) is None
    assert coverage.is_empty(np.zeros((2, 2))) and not coverage.is_empty(None)
    with pytest.raises(ValueError):
        coverage.apply_to_alpha(rgba, np.ones((3, 3), np.float32))


def test_preview_plan_whole_at_auto_detail_at_full_scale() -> None:
    auto = preview.plan(3000, 4000, None)
    assert not auto.detail and auto.paint_hw == auto.working_hw == (768, 1024)
    full = preview.plan(3000, 4000, 1.0)
    assert full.detail and full.paint_hw == (1024, 1024)
    assert full.region == (1488, 988, 1024, 1024)  # centred
    corner = preview.plan(3000, 4000, 2.0, focus=(0, 0))
    assert corner.region[:2] == (0, 0) and corner.paint_hw == (1024, 1024)
    assert corner.region[2:] == (512, 512)
    small = preview.plan(300, 200, 1.0)
    assert not small.detail and small.paint_hw == (300, 200)


def test_preview_matches_apply_on_a_large_picture(engine, load, tmp_path) -> None:
    """The preview paints at Apply's working size: Apply's result scaled down to the preview
    agrees with it (a 256 px thumbnail painted at scale 1 did not: its strokes were 4x bigger)."""
    photo = to_float(load("stata.jpg"))  # 1024 x 679, enlarged to a 2048 px canvas
    content = np.rint(resize_float(photo, (1358, 2048)) * 255).astype(np.uint8)
    style = load("udnie.jpg")
    vec = engine.style_vector(style)
    np.save(tmp_path / "udnie.npy", vec)  # a style vector file, as a saved preset would give
    auto = JobSettings(styles=(StyleRef("vector", str(tmp_path / "udnie.npy"), "udnie"),),
                       strength=0.8)
    for s in (auto, auto.replace(scale=1.0)):
        p = preview.plan(*content.shape[:2], s.scale)
        applied = engine.stylize(content, s.style_paths(), s.weights(), s.render_options())
        x, y, w, h = p.region
        got = preview.render(engine, content[y:y + h, x:x + w], p, s, whole=content)
        assert got.shape[:2] == p.paint_hw
        db = preview.compare(applied, got, p)
        # the old preview: a 256 px thumbnail of the whole picture painted at scale 1
        old = engine.stylize(content[::8, ::8], s.style_paths(), s.weights(),
                             s.render_options(scale=1.0))
        x, y, w, h = (v // 8 for v in p.region)
        naive = preview.compare(applied, old[y:y + h, x:x + w], p)
        print(f"scale={s.scale}: {'detail' if p.detail else 'whole'} preview vs Apply "
              f"{db:.1f} dB, old 256 px thumbnail {naive:.1f} dB")
        # a whole preview is a separate render at Apply's working size (Apply then upsamples);
        # a detail is Apply's own tiles: equal but for 8-bit rounding
        assert db >= (35.0 if not p.detail else 45.0) and db > naive + 10.0
