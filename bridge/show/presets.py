"""Presets: the whole look saved as JSON and loaded back, validated key by key.

A preset holds the master settings (the composition, ink, colour mode and what the music's
structure shows among them) and,
per track *name*, the layer properties a controller can set (docs/protocol.md), a track's
stage role included.
Names rather than uuids make a preset useful across sets: a layer called "Bass" looks the
same in every set. Loading checks everything before changing anything: an unknown key or a
bad value is an error that names the key, and the current look stays as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bridge.ingest.protocol import (
    LAYER_PROPS,
    MASTER_PROPS,
    PRESET_NAME_PATTERN,
    Arg,
    MasterControl,
    ProtocolError,
)
from bridge.show.looks import Looks, master_with
from models.config import ConfigError, parse_json_object, read_config_json
from models.paths import user_data_dir

PRESET_FORMAT = 1
FORMAT_KEY = "synaesthete_preset"
#: Largest preset file read (a preset of 128 layers is about 20 KB).
MAX_PRESET_BYTES = 256 * 1024


class PresetError(ValueError):
    """A preset file or name is not valid; the message names the key and what is wrong."""


@dataclass
class Preset:
    master: dict[str, float | int | str] = field(default_factory=dict)
    layers: dict[str, dict[str, object]] = field(default_factory=dict)

    def to_json(self) -> str:
        data = {FORMAT_KEY: PRESET_FORMAT, "master": self.master, "layers": self.layers}
        return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _coerce(where: str, arg: Arg, value: object) -> object:
    if isinstance(value, bool) and arg.kind != "i":
        expected = "a string" if arg.kind == "s" else "a number"
        raise PresetError(f"{where}: expected {expected}, got {value!r}")
    try:
        coerced = arg.coerce(value)
    except ProtocolError as exc:
        raise PresetError(f"{where}: {exc.detail}") from None
    return bool(coerced) if arg.choices == (0, 1) else coerced


def parse_preset(text: str, origin: str = "preset") -> Preset:
    """Parse and validate preset JSON.

    Raises:
        PresetError: invalid JSON, a wrong format marker, an unknown key or a bad value;
            the message names the offending key, e.g. ``layers.Bass.opacity``.
    """
    try:
        data = parse_json_object(text, origin)
    except ConfigError as exc:
        raise PresetError(str(exc)) from None
    return check_preset(data, origin)


def check_preset(data: dict[str, object], origin: str = "preset") -> Preset:
    """Validate a preset's parsed JSON (see :func:`parse_preset`)."""
    unknown = set(data) - {FORMAT_KEY, "master", "layers"}
    if unknown:
        raise PresetError(f"{origin}: unknown key {sorted(unknown)[0]!r}")
    if data.get(FORMAT_KEY) != PRESET_FORMAT:
        raise PresetError(f"{origin}: {FORMAT_KEY} must be {PRESET_FORMAT}")
    master = data.get("master", {})
    layers = data.get("layers", {})
    if not isinstance(master, dict):
        raise PresetError(f"{origin}: master must be an object")
    if not isinstance(layers, dict):
        raise PresetError(f"{origin}: layers must be an object of track names")
    preset = Preset()
    for key, value in master.items():
        if key not in MASTER_PROPS:
            raise PresetError(f"{origin}: unknown key master.{key}")
        preset.master[key] = _coerce(f"{origin}: master.{key}", MASTER_PROPS[key], value)  # type: ignore[assignment]
    for name, props in layers.items():
        if not isinstance(props, dict):
            raise PresetError(f"{origin}: layers.{name} must be an object")
        checked = {}
        for key, value in props.items():
            if key not in LAYER_PROPS:
                raise PresetError(f"{origin}: unknown key layers.{name}.{key}")
            checked[key] = _coerce(f"{origin}: layers.{name}.{key}", LAYER_PROPS[key], value)
        preset.layers[name] = checked
    return preset


#: Master properties the looks keep themselves rather than the renderer's settings.
LOOKS_MASTER = ("composition", "colour", "structure", "form")


def master_values(looks: Looks) -> dict[str, float | int | str]:
    """Every master property (:data:`~bridge.ingest.protocol.MASTER_PROPS`) as a controller
    sets it: trails 0 when off, the background as 0xRRGGBB, freeze 0/1."""
    m = looks.master
    return {
        "opacity": m.opacity,
        "brightness": m.brightness,
        "trails": m.trails if m.trails_on else 0.0,
        "background": (round(m.background[0] * 255) << 16)
        | (round(m.background[1] * 255) << 8)
        | round(m.background[2] * 255),
        "freeze": int(m.freeze),
        "composition": looks.composition,
        "ink": m.ink,
        "colour": looks.colour,
        "structure": int(looks.structure_on),
        "form": int(looks.form_on),
    }


def capture(looks: Looks) -> Preset:
    """The current look as a preset (overrides per track name, and the master)."""
    preset = Preset(master=master_values(looks))
    for look in looks.layers.values():
        if look.overrides and look.info.name:
            preset.layers[look.info.name] = dict(look.overrides)
    return preset


def apply_preset(looks: Looks, preset: Preset) -> int:
    """Apply a validated preset; return how many live layers it matched by name. A track
    that appears later with a name the preset holds takes its look too (an offline render
    applies its ``--look`` before the first frame this way)."""
    master = looks.master
    for key, value in preset.master.items():
        if key in LOOKS_MASTER:
            continue  # not renderer settings: the looks' own, set below
        master = master_with(master, key, value)
    looks.master = master
    for key in LOOKS_MASTER:  # layout (layers move there, eased), tints, structure
        if key in preset.master:
            looks.apply(MasterControl(key, preset.master[key]))
    by_name = {name.casefold(): dict(props) for name, props in preset.layers.items()}
    looks.named_overrides = by_name  # for tracks that appear later
    matched = 0
    for look in looks.layers.values():
        props = by_name.get(look.info.name.casefold())
        if props is not None:
            look.overrides = dict(props)
            matched += 1
    return matched


def presets_dir() -> Path:
    """Where presets live: ``presets/`` in the user's synaesthete data folder
    (``$SYNAESTHETE_HOME`` when set), next to the user's own styles."""
    return user_data_dir() / "presets"


def preset_path(name: str, directory: Path | None = None) -> Path:
    """The file for preset ``name``; refuses names that could leave the directory."""
    if not PRESET_NAME_PATTERN.match(name):
        raise PresetError(
            f"preset name {name!r} must match {PRESET_NAME_PATTERN.pattern} "
            "(lowercase letters, digits, '-' and '_')"
        )
    return (directory or presets_dir()) / f"{name}.json"


def save_preset(looks: Looks, name: str, directory: Path | None = None) -> Path:
    path = preset_path(name, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(capture(looks).to_json())
    tmp.replace(path)  # never leave a half-written preset behind
    return path


def load_preset(looks: Looks, name: str, directory: Path | None = None) -> int:
    """Load and apply preset ``name``.

    Raises:
        PresetError: the name is invalid, there is no such preset, or the file cannot be
            used (not UTF-8, not JSON, too big or too deep, huge numbers, unknown keys, bad
            values); the message names the file, and the look is unchanged.
    """
    return apply_preset(looks, read_preset(preset_path(name, directory)))


def read_preset(path: Path) -> Preset:
    """The validated preset in file ``path``.

    Raises:
        PresetError: no such file, or one that cannot be used (as :func:`load_preset`).
    """
    if not path.is_file():
        raise PresetError(f"no preset file {path}")
    try:
        data = read_config_json(path, max_bytes=MAX_PRESET_BYTES)
    except ConfigError as exc:  # not UTF-8, too big, too deep, huge numbers, unreadable
        raise PresetError(str(exc)) from None
    return check_preset(data, origin=str(path))


def find_preset(given: str, directory: Path | None = None) -> Preset:
    """A preset named on the command line: a path to a ``.json`` file, or the name of one
    saved in the presets folder (``/syn/preset/save``).

    Raises:
        PresetError: as :func:`read_preset`, or an invalid name.
    """
    path = Path(given)
    if path.suffix.lower() == ".json" or len(path.parts) > 1:
        return read_preset(path)
    return read_preset(preset_path(given, directory))
