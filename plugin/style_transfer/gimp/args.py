"""The procedure's arguments: how they are registered, read back as a frozen JobSettings, and
checked with one clear line per problem.

Style paths are STRING arguments, not GFile ones: GIMP checks a GFile argument itself before the
plug-in runs and turns a missing file into "'<not transformable to string>' … out of range" with
get_last_error() saying "success". As strings, a missing file, a folder or an unused slot reach
our own messages. The dialog still shows a file chooser for them (dialog.py).

No numpy, no engine at import time: GIMP imports this to register the procedure even when the
engine's dependencies are missing (then the run says how to fix it).
"""

from __future__ import annotations

import json
import os
from typing import Dict, List, Optional, Tuple

from gi.repository import Gimp, GObject

from ..common.messages import UserError
from ..common.settings import DEFAULT_MODEL, DEFAULT_RUNTIME, JobSettings, MapRef, StyleRef
from ..common.texts import KEEP_COLORS_HELP, RUNTIME_CHOICES, SCALE_HELP, STRENGTH_HELP

STYLE_SLOTS = 3  # style + weight pairs in the dialog and the PDB signature
# The channel arguments: a region per style slot, the strength map and the stroke-size map.
MAP_ARGS = (*(f"region-{i}" for i in range(1, STYLE_SLOTS + 1)), "strength-map", "scale-map")
# GIMP 3.0 cannot write a channel argument into its last values or settings presets ("couldn't
# serialize property ... of type GimpChannel" on stderr, and the channel is dropped), so
# Filters > Repeat and the next dialog would silently paint without the regions. So an
# interactive run keeps them in this aux string instead, {argument: [item id, name]}, and
# leaves the channel arguments empty (only scripts set those).
MAPS_AUX = "map-channels"
_RW = GObject.ParamFlags.READWRITE
# The CLI's --scale / --scale-range limits (cli_options._scale): the same range everywhere.
SCALE_RANGE_LIMITS = (0.01, 4.0)
# Each dialog label needs its own mnemonic, none of them taken by the dialog's buttons (Help,
# Reset, Cancel, OK, Load/Save Settings): GIMP warns about missing or duplicate ones.
_WEIGHT_LABELS = ("_Weight 1", "W_eight 2", "We_ight 3")

# Used only when the engine cannot be imported at registration (its dependencies missing): the
# run then fails with the install hint anyway, but the menu entry must still appear.
_FALLBACK_MODELS: Tuple[Tuple[str, str, str], ...] = (
    ("int8", "Fast (int8)", "int8"), ("f16", "Quality (f16)", "f16"),
    ("int8-fixed", "Fastest (full int8)", "int8-fixed"))


class PlugInError(UserError):
    """A failure whose message is meant for the user as it is (one line)."""


def model_choices() -> List[Tuple[str, str, str]]:
    """The Model choice, from the one list in engine/models.py (common.texts)."""
    try:
        from ..common.texts import model_choices as choices

        return list(choices())
    except Exception:  # any import failure: register with the fallback
        return list(_FALLBACK_MODELS)


def add_arguments(procedure: Gimp.Procedure) -> None:
    for i in range(1, STYLE_SLOTS + 1):
        procedure.add_string_argument(
            f"style-{i}", f"Style _{i}",
            "Path of a style image or a style preset .json" + ("" if i == 1 else ", optional"),
            "", _RW)
        procedure.add_double_argument(
            f"weight-{i}", _WEIGHT_LABELS[i - 1],
            f"How much of style {i} goes into the mix (0 = leave it out)", 0.0, 10.0, 1.0, _RW)
        # A channel argument takes a layer mask too (Gimp.LayerMask is a Gimp.Channel).
        procedure.add_channel_argument(
            f"region-{i}", f"Region {i}",
            f"Where style {i} paints: a channel or layer mask, white = here (none = the rest "
            "of the picture, left to the styles without a region)", True, _RW)
    procedure.add_double_argument("strength", "S_trength", STRENGTH_HELP, 0.0, 1.0, 1.0, _RW)
    procedure.add_channel_argument(
        "strength-map", "Strength map",
        "A channel or layer mask: white = Strength, black = the picture's own style "
        "(none = Strength everywhere)", True, _RW)
    procedure.add_channel_argument(
        "scale-map", "Strokes map",
        "A channel or layer mask: the stroke size goes from scale-range-black (black) to "
        "scale-range-white (white) (none = Style scale everywhere)", True, _RW)
    black, white = JobSettings().scale_range  # Krita's defaults: white paints big strokes
    procedure.add_double_argument(
        "scale-range-black", "Stroke size at _black",
        "The style scale where the strokes map is black (1 = the picture's own resolution, "
        "the finest strokes; 0.5 = strokes twice as large)", *SCALE_RANGE_LIMITS, black, _RW)
    procedure.add_double_argument(
        "scale-range-white", "Stroke si_ze at white",
        "The style scale where the strokes map is white", *SCALE_RANGE_LIMITS, white, _RW)
    procedure.add_string_aux_argument(
        MAPS_AUX, "Map channels", "The region and map channels of the last run (JSON), kept "
        "by the plug-in for Filters > Repeat", "", _RW)
    procedure.add_double_argument("style-scale", "Style sc_ale (0 = auto)", SCALE_HELP,
                                  0.0, 4.0, 0.0, _RW)
    procedure.add_boolean_argument("preserve-colors", "_Preserve colours", KEEP_COLORS_HELP,
                                   False, _RW)
    models = Gimp.Choice.new()
    for index, (nick, label, help_text) in enumerate(model_choices()):
        models.add(nick, index, label, help_text)
    procedure.add_choice_argument("model", "_Model", "Which transformer network paints",
                                  models, DEFAULT_MODEL, _RW)
    runtimes = Gimp.Choice.new()
    for index, (nick, label) in enumerate(RUNTIME_CHOICES):
        runtimes.add(nick, index, label, label)
    procedure.add_choice_argument("runtime", "E_ngine", "Which inference engine runs the model",
                                  runtimes, DEFAULT_RUNTIME, _RW)


def _kind(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    return {".json": "preset", ".npy": "vector"}.get(suffix, "file")


def settings_from_config(config: Gimp.ProcedureConfig) -> JobSettings:
    """A frozen snapshot of the arguments; empty style slots are left out."""
    styles = []
    chosen = chosen_maps(config)
    for i in range(1, STYLE_SLOTS + 1):
        path = str(config.get_property(f"style-{i}") or "").strip()
        if path.startswith("file://"):  # a URI pasted into a script: take its path
            from gi.repository import Gio

            path = Gio.File.new_for_uri(path).get_path() or path
        if not path:
            continue
        name = os.path.splitext(os.path.basename(path))[0]
        styles.append(StyleRef(_kind(path), path, name,
                               float(config.get_property(f"weight-{i}")),
                               chosen.get(f"region-{i}")))
    scale = float(config.get_property("style-scale"))
    return JobSettings(
        styles=tuple(styles),
        strength=float(config.get_property("strength")),
        scale=scale if scale > 0.0 else None,  # 0 = let the engine decide
        preserve_colors=bool(config.get_property("preserve-colors")),
        model=str(config.get_property("model")),
        runtime=str(config.get_property("runtime")),
        strength_map=chosen.get("strength-map"),
        scale_map=chosen.get("scale-map"),
        scale_range=(float(config.get_property("scale-range-black")),
                     float(config.get_property("scale-range-white"))),
    )


def map_ref(channel: Optional[Gimp.Channel]) -> Optional[MapRef]:
    """A channel or layer mask argument as the settings name it (job.py reads it by its id).
    The name is taken now: when the channel is gone later, the message can still name it."""
    if channel is None:
        return None
    try:
        name = channel.get_name() if channel.is_valid() else f"channel {channel.get_id()}"
    except Exception:  # a proxy whose item GIMP no longer knows
        name = f"channel {channel.get_id()}"
    return MapRef("channel", str(channel.get_id()), name)


def _remembered(config: Gimp.ProcedureConfig) -> Dict[str, list]:
    try:
        saved = json.loads(str(config.get_property(MAPS_AUX) or "") or "{}")
    except ValueError:
        return {}
    return saved if isinstance(saved, dict) else {}


def chosen_maps(config: Gimp.ProcedureConfig) -> Dict[str, MapRef]:
    """{argument: MapRef} of the channel arguments; one GIMP could not restore from its last
    values comes from MAPS_AUX (by id: job.py says so when that channel is gone)."""
    saved = _remembered(config)
    out = {}
    for name in MAP_ARGS:
        ref = map_ref(config.get_property(name))
        entry = saved.get(name)
        if ref is None and isinstance(entry, list) and len(entry) == 2:
            ref = MapRef("channel", str(entry[0]), str(entry[1]))
        if ref is not None:
            out[name] = ref
    return out


def set_map(config: Gimp.ProcedureConfig, name: str, channel: Optional[Gimp.Channel]) -> None:
    """Choose a region / map for an interactive run (None = none): kept in MAPS_AUX, the
    channel argument itself left empty so GIMP can save the config."""
    saved = _remembered(config)
    ref = map_ref(channel)
    if ref is None:
        saved.pop(name, None)
    else:
        saved[name] = [int(ref.key), ref.name]
    config.set_property(MAPS_AUX, json.dumps(saved, sort_keys=True))
    config.set_property(name, None)


def remember_maps(config: Gimp.ProcedureConfig) -> None:
    """Move the channel arguments an interactive run was given into MAPS_AUX."""
    for name in MAP_ARGS:
        channel = config.get_property(name)
        if channel is not None:
            set_map(config, name, channel)


def check_settings(settings: JobSettings) -> None:
    """PlugInError with one line naming the problem; unused slots (weight 0) are not checked."""
    problem = settings.problem()
    if problem:
        raise PlugInError(problem.replace("Add at least one style (an image, a layer or a "
                                          "preset)", "Choose a style image (Style 1)"))
    for ref in settings.active_styles:
        if not os.path.exists(ref.path):
            raise PlugInError(f"Style file is missing: {ref.path} (no such file).")
        if os.path.isdir(ref.path):
            raise PlugInError(f"Style path is a folder, not an image: {ref.path}")
        if not os.access(ref.path, os.R_OK):
            raise PlugInError(f"Style file cannot be read (permissions): {ref.path}")

