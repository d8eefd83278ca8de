"""Which docker control edits which JobSettings field, declared once.

Each row names the docker's widget(s), the field, how to read the field from the widget(s) and
how to show a value in them. The docker loads a whole JobSettings into its widgets with `load`
(signals blocked, so showing settings is not a change), reads them back with `read` after any
change, and connects every control's change signal with `connect`. A control added to the docker
is one row here, not two hand-written copies that drift apart.

The style list (its rows, the selected style's weight and region) is edited through its own
actions in the docker: it is a list, not one field per control.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple

from ..common import texts
from ..common.settings import JobSettings


@dataclass(frozen=True)
class Binding:
    field: str  # JobSettings field
    widgets: Tuple[str, ...]  # attributes of the docker
    get: Callable[..., Any]  # (*widgets, current settings) -> the field's value
    put: Callable[..., None]  # (*widgets, value): show the value
    signal: str  # the widgets' change signal
    label: Optional[str] = None  # a label showing the value ("80 %"), kept in step


def _percent(value: Optional[float], default: Callable[[], float] = lambda: 0.0) -> int:
    return round((default() if value is None else value) * 100)


def _stability(slider: Any, s: JobSettings) -> Optional[float]:
    # the engine's default stays "default" (None) until the slider is moved off it
    return None if slider.value() == _percent(texts.default_stability()) \
        else slider.value() / 100.0


def _data(combo: Any, value: str) -> None:
    combo.setCurrentIndex(max(0, combo.findData(value)))


def _pair(lo: Any, hi: Any, value: Tuple[float, float]) -> None:
    lo.setValue(value[0])
    hi.setValue(value[1])


BINDINGS: Tuple[Binding, ...] = (
    Binding("whole_image", ("content",), lambda w, s: w.currentIndex() == 1,
            lambda w, v: w.setCurrentIndex(1 if v else 0), "currentIndexChanged"),
    Binding("strength", ("strength",), lambda w, s: w.value() / 100.0,
            lambda w, v: w.setValue(_percent(v)), "valueChanged", label="strength_label"),
    Binding("scale", ("scale",), lambda w, s: w.value() or None,  # 0 shows "Auto"
            lambda w, v: w.setValue(v or 0.0), "valueChanged"),
    Binding("preserve_colors", ("preserve",), lambda w, s: w.isChecked(),
            lambda w, v: w.setChecked(v), "toggled"),
    Binding("model", ("model",), lambda w, s: w.currentData() or s.model, _data,
            "currentIndexChanged"),
    Binding("runtime", ("runtime",), lambda w, s: w.currentData() or s.runtime, _data,
            "currentIndexChanged"),
    Binding("frames", ("frames",), lambda w, s: w.currentData() or "current", _data,
            "currentIndexChanged"),
    Binding("stability", ("stability",), _stability,
            lambda w, v: w.setValue(_percent(v, texts.default_stability)), "valueChanged",
            label="stability_label"),
    Binding("scale_range", ("scale_lo", "scale_hi"), lambda lo, hi, s: (lo.value(), hi.value()),
            _pair, "valueChanged"),
)


def _widgets(owner: Any, b: Binding) -> list:
    return [getattr(owner, name) for name in b.widgets]


def _show_label(owner: Any, b: Binding) -> None:
    if b.label is not None:
        getattr(owner, b.label).setText(f"{_widgets(owner, b)[0].value()} %")


def load(owner: Any, settings: JobSettings) -> None:
    """Show `settings` in the owner's controls without emitting their change signals."""
    for b in BINDINGS:
        widgets = _widgets(owner, b)
        blocked = [w.blockSignals(True) for w in widgets]
        try:
            b.put(*widgets, getattr(settings, b.field))
        finally:
            for w, was in zip(widgets, blocked):
                w.blockSignals(was)
        _show_label(owner, b)


def read(owner: Any, settings: JobSettings) -> JobSettings:
    """`settings` with every bound field as the owner's controls show it now."""
    for b in BINDINGS:
        _show_label(owner, b)
    return settings.replace(**{b.field: b.get(*_widgets(owner, b), settings) for b in BINDINGS})


def connect(owner: Any, slot: Callable[..., None]) -> None:
    """Call `slot` whenever one of the bound controls changes."""
    for b in BINDINGS:
        for w in _widgets(owner, b):
            getattr(w, b.signal).connect(slot)
