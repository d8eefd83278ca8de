"""Stylize the frames of a clip one at a time, without flicker: the engine's one clip renderer.

Hosts only enumerate frames (Krita keyframes, GIMP layers, the command line's containers) and
write the results; everything that makes a clip more than N stills lives here:

- the style vector(s) are resolved once for the whole clip (vectors, not paths, reach the
  engine per frame);
- stability 0 is exactly the stills path, frame by frame (Engine.stylize, or regions.paint when
  maps are given, each frame with its own content vector): bit-identical to stylizing each
  frame alone;
- above 0, strength mixes with a content vector fixed for the scene (its first frame's, or the
  one the caller passes: per-frame content vectors flicker too), and the Stabilizer
  (stabilize.py) blends each render with the previous output carried along optical flow;
- an exact repeat of the previous frame (same pixels, same maps) returns exactly the previous
  output without rendering: holds on 2s/3s never shimmer;
- a scene cut (detected by the Stabilizer, or told by the host with cut()) starts the history
  afresh, the fixed content vector included;
- masks, keep-colours, regions and strength / stroke-size maps work per frame as on stills; the
  mask is applied after stabilisation, so unmasked pixels stay the input's bit for bit, and
  alpha passes through (transparent pixels keep their input values; the Stabilizer never takes
  colour from, nor gives it to, a transparent pixel).

Frames stream: the renderer holds the previous frame and output only (plus the Stabilizer's
O(1) history), whatever the clip's length.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import numpy as np

from .errors import InputError
from .images import alpha_part, check_array, color_part, to_float
from .masks import as_map
from .progress import CancelToken, Progress, ProgressFn
from .render import RenderOptions, finish
from .stabilize import DEFAULT_STABILITY, Stabilizer, import_cv2
from .style import check_strength, check_vector

if TYPE_CHECKING:
    from .core import Engine, StyleItem
    from .regions import PaintMaps

# the default stability is the stabiliser's, chosen from its measurements (stabilize.py)

#: One item of a clip for stylize_clip: a frame, or (frame, its maps or None)
ClipItem = Union[np.ndarray, Tuple[np.ndarray, Optional["PaintMaps"]]]


def check_stability(stability: float) -> float:
    s = float(stability)
    if not 0.0 <= s <= 1.0:  # NaN fails too
        raise InputError(f"Stability must be between 0 and 1, not {stability}.")
    return s


@dataclass
class ClipStats:
    """What the renderer did so far, for logs, metrics and tests."""

    frames: int = 0  # frames given to render()
    rendered: int = 0  # frames the network painted (exact repeats are not painted)
    repeats: int = 0  # exact repeats of the previous frame: its output returned as it was
    cuts: List[int] = field(default_factory=list)  # 0-based frames that started a new scene
    render_seconds: float = 0.0  # in the network (and regions' blends)
    stabilize_seconds: float = 0.0  # flow and blending


class _History:
    """The one place clip.py meets engine/stabilize.py: a Stabilizer(stability) with
    step(content, stylized, alpha) -> output on HxWx3 float32 0..1 frames, reset(), and
    `last.cut` telling that a step started afresh (first frame or a detected scene cut)."""

    def __init__(self, stability: float) -> None:
        import_cv2()  # before the first frame: a missing OpenCV is one line naming the fix
        self._stabilizer = Stabilizer(stability)
        self.frames = 0  # frames since the last reset: a "cut" on the first one is no cut

    def step(self, content: np.ndarray, stylized: np.ndarray,
             alpha: Optional[np.ndarray]) -> Tuple[np.ndarray, bool]:
        """(output, whether this frame cut the history of earlier frames)."""
        out = self._stabilizer.step(content, stylized, alpha)
        cut = self.frames > 0 and bool(getattr(self._stabilizer.last, "cut", False))
        self.frames += 1
        return out, cut

    def reset(self) -> None:
        self._stabilizer.reset()
        self.frames = 0


class ClipRenderer:
    """Renders the frames of one clip in order: render() per frame, cut() at a known cut.

    `styles` / `weights` as Engine.stylize (may be empty when every frame's maps carry
    regions); `options` as for a still; `stability` 0..1 (0 = each frame alone);
    `content_vector`: the picture's own style for strength below 1, fixed by the caller for
    every frame (default: each scene's first frame's when stability > 0, each frame's own at 0).
    Not thread-safe: one clip, one thread."""

    def __init__(
        self,
        engine: Engine,
        styles: Sequence[StyleItem],
        weights: Optional[Sequence[float]] = None,
        options: Optional[RenderOptions] = None,
        stability: float = DEFAULT_STABILITY,
        content_vector: Optional[np.ndarray] = None,
    ) -> None:
        self.engine = engine
        self.options = options or RenderOptions()
        check_strength(self.options.strength)
        self.stability = check_stability(stability)
        # resolved once: a style image is read and encoded once per clip, not per frame
        self._styles: List[np.ndarray] = (
            [engine.style_mix(styles, weights, self.options.style_mode)] if styles else [])
        self._given_vector = (None if content_vector is None
                              else check_vector(content_vector, "content vector"))
        self._scene_vector = self._given_vector
        self._history: Optional[_History] = None
        self._region_vectors: Dict[Any, np.ndarray] = {}  # a region's styles -> one vector
        self._prev: Optional[Tuple[np.ndarray, Optional[PaintMaps], np.ndarray]] = None
        self._raw: Optional[Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]] = None
        self._last_unstabilized: Optional[np.ndarray] = None
        self.stats = ClipStats()

    # -- the frame ---------------------------------------------------------------------------------
    def render(self, frame: np.ndarray, maps: Optional[PaintMaps] = None,
               progress: Optional[ProgressFn] = None,
               cancel: Optional[CancelToken] = None) -> np.ndarray:
        """One frame (HxW[xC], uint8/uint16/float like Engine.stylize) -> its stylized frame,
        same shape and dtype, a new array. Raises Cancelled if `cancel` is set."""
        check_array(frame, "frame")
        if cancel is not None:
            cancel.check()
        index = self.stats.frames
        if self._prev is not None:
            last_frame, last_maps, last_out = self._prev
            if _same_maps(maps, last_maps) and last_frame.shape == frame.shape \
                    and last_frame.dtype == frame.dtype and np.array_equal(last_frame, frame):
                self.stats.frames += 1
                self.stats.repeats += 1
                if progress is not None:
                    progress(1.0, "held frame")
                return last_out.copy()
        resolved = self._resolved(maps)
        if self.stability <= 0.0:
            raw = self._paint(frame, resolved, self.options, self._given_vector, progress,
                              cancel)
            self._raw, self._last_unstabilized = None, raw
            out = raw
        else:
            out = self._stabilized(frame, resolved, index, progress, cancel)
        self.stats.frames += 1
        self._prev = (frame.copy(), maps, out)
        return out.copy()

    def cut(self) -> None:
        """A scene cut the host knows of (an edit point, a new shot): the next frame starts a
        new history and, when the caller gave none, a new fixed content vector."""
        if self._history is not None:
            self._history.reset()
        self._scene_vector = self._given_vector
        self._prev = None
        if self.stats.frames and self.stats.frames not in self.stats.cuts:
            self.stats.cuts.append(self.stats.frames)

    @property
    def last_unstabilized(self) -> Optional[np.ndarray]:
        """The last rendered frame as the network painted it, finished like the output (mask,
        alpha) but not stabilised: what `--metrics` compares the output against. At stability
        0 it is the output itself. None before the first frame."""
        if self._last_unstabilized is None and self._raw is not None:
            frame, raw, mask = self._raw
            out = np.empty_like(frame)
            finish(frame, to_float(color_part(raw)), out, mask)
            self._last_unstabilized = out
        return self._last_unstabilized

    # -- parts -------------------------------------------------------------------------------------
    def _stabilized(self, frame: np.ndarray, maps: Optional[PaintMaps], index: int,
                    progress: Optional[ProgressFn], cancel: Optional[CancelToken]) -> np.ndarray:
        # the mask is applied after the blend (finish): the flow follows the whole stylized
        # picture, and masked-out pixels stay the input's exactly
        opts = replace(self.options, mask=None)
        h, w = frame.shape[:2]
        mask = None if self.options.mask is None else as_map(self.options.mask, h, w, "mask")
        needs_vector = self.options.strength < 1.0 or (
            maps is not None and maps.strength_map is not None)
        if needs_vector and self._scene_vector is None:
            self._scene_vector = self.engine.content_vector(frame)
        raw = self._paint(frame, maps, opts, self._scene_vector, progress, cancel)
        if self._history is None:
            self._history = _History(self.stability)
        content = np.clip(to_float(color_part(frame)), 0.0, 1.0)
        alpha = alpha_part(frame)
        alpha_f = None if alpha is None else np.clip(to_float(alpha), 0.0, 1.0)
        if alpha_f is not None:
            # premultiplied for the flow: colour hidden under transparent pixels (whatever a
            # host or file keeps there) must not steer where visible strokes move
            content = content * alpha_f[:, :, None]
        t0 = time.perf_counter()
        stab, cut = self._history.step(content, to_float(color_part(raw)), alpha_f)
        if cut:
            self.stats.cuts.append(index)
            if needs_vector and self._given_vector is None:
                # a new scene has its own content vector: paint this frame again with it
                self.stats.stabilize_seconds += time.perf_counter() - t0
                self._scene_vector = self.engine.content_vector(frame)
                raw = self._paint(frame, maps, opts, self._scene_vector, progress, cancel)
                t0 = time.perf_counter()
                self._history.reset()
                stab, _ = self._history.step(content, to_float(color_part(raw)), alpha_f)
        out = np.empty_like(frame)
        finish(frame, stab, out, mask)
        self.stats.stabilize_seconds += time.perf_counter() - t0
        self._raw, self._last_unstabilized = (frame, raw, mask), None
        return out

    def _paint(self, frame: np.ndarray, maps: Optional[PaintMaps], options: RenderOptions,
               content_vector: Optional[np.ndarray], progress: Optional[ProgressFn],
               cancel: Optional[CancelToken]) -> np.ndarray:
        """The stills path for one frame: Engine.stylize, or regions.paint with maps."""
        t0 = time.perf_counter()
        try:
            if maps is not None:
                from .regions import paint

                return paint(self.engine, frame, self._styles, None, options, maps, progress,
                             cancel, content_vector=content_vector)
            if not self._styles:
                raise InputError("Give a style, or at least one region with a style.")
            return self.engine.stylize(frame, self._styles, None, options, progress, cancel,
                                       content_vector=content_vector)
        finally:
            self.stats.rendered += 1
            self.stats.render_seconds += time.perf_counter() - t0

    def _resolved(self, maps: Optional[PaintMaps]) -> Optional[PaintMaps]:
        """`maps` with each region's styles as one vector, encoded once per clip for each
        distinct style list (blend([v]) is v: the pixels are those of the region's list)."""
        if maps is None or not maps.regions:
            return maps
        from .regions import Region

        regions = []
        for r in maps.regions:
            key = (tuple(_style_key(s) for s in r.styles),
                   None if r.weights is None else tuple(float(x) for x in r.weights))
            vector = self._region_vectors.get(key)
            if vector is None:
                vector = self.engine.style_mix(r.styles, r.weights, self.options.style_mode)
                if len(self._region_vectors) > 64:  # a host inventing styles per frame
                    self._region_vectors.clear()
                self._region_vectors[key] = vector
            regions.append(Region(r.mask, [vector], None, r.name))
        return replace(maps, regions=regions)


def stylize_clip(renderer: ClipRenderer, frames: Iterable[ClipItem], total: Optional[int] = None,
                 progress: Optional[ProgressFn] = None,
                 cancel: Optional[CancelToken] = None) -> Iterator[np.ndarray]:
    """Stylize `frames` (arrays, or (array, maps) pairs) in order, yielding each output as soon
    as it is made: one frame in memory at a time. Progress: stage "frame k/n" (n = `total`,
    "frame k" when unknown), fraction (k - 1 + f) / n; Cancelled between and within frames."""
    n = total if total and total > 0 else None
    prog = Progress(progress, cancel)
    for k, item in enumerate(frames, 1):
        frame, maps = item if isinstance(item, tuple) else (item, None)
        del item  # the generator must not keep the input frame while the caller works
        label = f"frame {k}/{n}" if n else f"frame {k}"
        # through Progress: checks the cancel, and a test can hold the job at "frame k/n"
        prog.report((k - 1) / n if n else 0.0, label)
        sub = None
        if progress is not None:
            def sub(f: float, stage: str, _k: int = k, _label: str = label) -> None:
                progress((_k - 1 + f) / n if n else 0.0, _label)

        out = renderer.render(frame, maps, sub, cancel)
        del frame
        yield out
    prog.report(1.0, "done")


def _style_key(style: Any) -> Any:
    if isinstance(style, np.ndarray):
        return ("array", style.shape, str(style.dtype), hash(style.tobytes()))
    return ("path", str(style))


def _same_maps(a: Optional[PaintMaps], b: Optional[PaintMaps]) -> bool:
    """Whether two frames' maps paint alike (the same object, or equal arrays and values)."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    if len(a.regions) != len(b.regions) or a.scale_range != b.scale_range:
        return False
    for ra, rb in zip(a.regions, b.regions):
        if not (_same_array(ra.mask, rb.mask) and ra.weights == rb.weights
                and len(ra.styles) == len(rb.styles)
                and all(_same_array(x, y) if isinstance(x, np.ndarray) else x == y
                        for x, y in zip(ra.styles, rb.styles))):
            return False
    return all(_same_array(getattr(a, f), getattr(b, f))
               for f in ("strength_map", "scale_map", "color_source"))


def _same_array(x: Any, y: Any) -> bool:
    if x is y:
        return True
    if x is None or y is None or isinstance(x, np.ndarray) != isinstance(y, np.ndarray):
        return False
    return bool(np.array_equal(x, y)) if isinstance(x, np.ndarray) else x == y
