"""The settings of one stylization, frozen: a job works on a snapshot, never on the object the
widgets edit (a render that runs for seconds must not change course when a slider moves)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any, Dict, List, Optional, Tuple

#: The defaults both hosts start from; naming.py names every option that differs from them.
DEFAULT_MODEL = "int8"
DEFAULT_RUNTIME = "auto"
DEFAULT_STYLE_MODE = "crop"


@dataclass(frozen=True)
class MapRef:
    """A grayscale map the host reads when a job starts (white = full): a region, a strength
    map or a stroke-size map. kind: "file" (a PNG snapshot, e.g. of a Krita selection, lying at
    the PNG's offset), or a host kind ("node" = a Krita layer or selection mask by unique id,
    "channel" = a GIMP channel or layer mask by item id) read live, so painting on it counts."""

    kind: str
    key: str
    name: str


@dataclass(frozen=True)
class StyleRef:
    """One style in the list. kind: "file" (an image), "preset" (.json), "vector" (.npy) or
    "layer" (a layer's pixels saved as a PNG by the host, so it outlives the document).
    region: where this style paints (None = everywhere not claimed by a region)."""

    kind: str
    path: str
    name: str
    weight: float = 1.0
    region: Optional[MapRef] = None


@dataclass(frozen=True)
class JobSettings:
    styles: Tuple[StyleRef, ...] = ()
    strength: float = 1.0  # 0..1; 0 = the picture's own style (not the original picture)
    scale: Optional[float] = None  # None = auto; 1.0 = paint at the image's own resolution
    preserve_colors: bool = False
    model: str = DEFAULT_MODEL
    runtime: str = DEFAULT_RUNTIME  # auto | openvino | litert
    style_mode: str = DEFAULT_STYLE_MODE
    whole_image: bool = False  # Krita: the visible image instead of the active layer
    strength_map: Optional[MapRef] = None  # per-pixel strength, white = `strength`
    scale_map: Optional[MapRef] = None  # per-pixel stroke size: black = scale_range[0]
    # black = 1x (the picture's own resolution, the finest strokes), white = 0.5x (strokes
    # twice as large): paint white where the strokes should be big, as with strength
    scale_range: Tuple[float, float] = (1.0, 0.5)
    # animation (Krita): "current" = the current frame as a still, "keys" = every keyframe of
    # the active layer, "range" = the keys shown in the playback range; stability 0..1 (None
    # = the engine's default) steadies the strokes from frame to frame (engine/clip.py)
    frames: str = "current"
    stability: Optional[float] = None

    def replace(self, **changes: Any) -> JobSettings:
        if "styles" in changes:
            changes["styles"] = tuple(changes["styles"])
        return replace(self, **changes)

    # -- what the engine takes ------------------------------------------------------------------
    @property
    def active_styles(self) -> Tuple[StyleRef, ...]:
        """The styles that take part: weight above 0."""
        return tuple(s for s in self.styles if s.weight > 0)

    def style_paths(self) -> List[str]:
        return [s.path for s in self.active_styles]

    def weights(self) -> List[float]:
        return [float(s.weight) for s in self.active_styles]

    def problem(self) -> Optional[str]:
        """The reason a job cannot start with these settings, or None."""
        if not self.styles:
            return "Add at least one style (an image, a layer or a preset) first."
        if not self.active_styles:
            return "At least one style needs a weight above 0."
        if not 0.0 <= self.strength <= 1.0:
            return f"Strength must be between 0 and 1, not {self.strength}."
        if self.stability is not None and not 0.0 <= self.stability <= 1.0:
            return f"Stability must be between 0 and 1, not {self.stability}."
        lo, hi = self.scale_range
        if self.scale_map is not None and not (lo > 0.0 and hi > 0.0):
            return f"The stroke-size range must be two positive scales, not {lo}–{hi}."
        return None

    @property
    def animated(self) -> bool:
        """True when the job stylizes frames of an animation, not one still."""
        return self.frames in ("keys", "range")

    @property
    def uses_maps(self) -> bool:
        """True when the job paints per pixel (common/maps.py) rather than one style."""
        return (self.strength_map is not None or self.scale_map is not None
                or any(s.region is not None for s in self.active_styles))

    def map_refs(self) -> List[MapRef]:
        """Every map the host must read for this job (each once)."""
        refs = [s.region for s in self.active_styles if s.region is not None]
        refs += [m for m in (self.strength_map, self.scale_map) if m is not None]
        return list(dict.fromkeys(refs))

    def render_options(self, **extra: Any) -> Any:
        """The engine's RenderOptions for this snapshot (extra: mask=..., scale=... overrides).
        The engine is imported here, not at module level, so a host can show its settings even
        when the engine's packages are missing."""
        from ..engine import RenderOptions

        fields = dict(strength=self.strength, scale=self.scale,
                      preserve_colors=self.preserve_colors, model=self.model,
                      style_mode=self.style_mode)
        known = getattr(RenderOptions, "__dataclass_fields__", {})
        if "runtime" in known:
            fields["runtime"] = None if self.runtime == DEFAULT_RUNTIME else self.runtime
        fields.update(extra)
        return RenderOptions(**fields)

    # -- persistence (Krita settings, GIMP parasites, tests) ------------------------------------
    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> JobSettings:
        data = dict(data)
        styles = tuple(StyleRef(**{**s, "region": _map_ref(s.get("region"))})
                       for s in data.pop("styles", []))
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("strength_map", "scale_map"):
            known[key] = _map_ref(known.get(key))
        if "scale_range" in known:
            known["scale_range"] = tuple(float(v) for v in known["scale_range"])
        return cls(styles=styles, **known)

    @classmethod
    def from_json(cls, text: str) -> JobSettings:
        try:
            return cls.from_dict(json.loads(text) if text else {})
        except (ValueError, TypeError, AttributeError):
            return cls()  # settings from another version: start clean rather than fail



def _map_ref(data: Any) -> Optional[MapRef]:
    return MapRef(**data) if data else None
