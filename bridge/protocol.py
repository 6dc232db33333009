"""The OSC address space v1: one machine-readable description, and its validator.

docs/protocol.md explains this protocol to people; the tables here are the same protocol
for programs. The bridge's dispatcher, the simulator and the Max device's tests all use
:data:`MESSAGES`, and a test checks that every address and type string below is documented,
so the three cannot drift apart.

:func:`interpret` turns a decoded :class:`~bridge.osc_codec.OscMessage` into a typed event
or raises :class:`ProtocolError` with a ``reason`` that the bridge counts. It never raises
anything else, whatever the input.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from bridge.osc_codec import OscMessage
from renderer.modes import BLEND_MODES

PROTOCOL_VERSION = 1
#: Samples in one ``pcm`` message, at most (Max's lists stay small; ~2.6 KB datagrams).
MAX_PCM_SAMPLES = 512
#: Samples in each pcm message the Max device sends: its ``jit.catch~`` frame (10.7 ms
#: at 24 kHz). The simulator sends the same by default, because the packet period bounds
#: how fresh the newest audio can be when a picture is made.
DEVICE_FRAME = 256
#: The largest datagram a v1 sender produces: a pcm message of 512 floats with a 36-char
#: uuid is 2,620 bytes; a long track name in ``meta`` stays well below this.
MAX_DATAGRAM_BYTES = 4096
DEFAULT_PORT = 9000
DEFAULT_HOST = "127.0.0.1"

UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
STYLE_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PRESET_NAME_PATTERN = STYLE_NAME_PATTERN
MAX_NAME_CHARS = 256
NONCE_RANGE = (1, 2**31 - 1)
SEQ_RANGE = (0, 2**31 - 1)
DENOMINATORS = (1, 2, 4, 8, 16, 32)


class ProtocolError(ValueError):
    """A message that the bridge drops; ``reason`` is the counter it increments."""

    def __init__(self, reason: str, detail: str, uuid: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.uuid = uuid


# Reasons, each a counter in the bridge's statistics.
MALFORMED = "malformed"  # not OSC at all
OVERSIZE = "oversize"  # bigger than MAX_DATAGRAM_BYTES
UNKNOWN_ADDRESS = "unknown_address"
BAD_TYPES = "bad_types"  # wrong type tags or argument count
BAD_VALUE = "bad_value"  # right types, absurd value
UNSUPPORTED_PROTOCOL = "unsupported_protocol"


# ----------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Hello:
    uuid: str
    nonce: int
    proto: int
    sample_rate: float
    decimation: int

    @property
    def stream_rate(self) -> float:
        """Rate of this device's pcm samples in Hz."""
        return self.sample_rate / self.decimation


@dataclass(frozen=True)
class Meta:
    uuid: str
    nonce: int
    name: str
    color: int
    track_index: int


@dataclass(frozen=True)
class Params:
    uuid: str
    nonce: int
    opacity: float
    blend: str
    style: str
    gain: float
    enabled: bool


@dataclass(frozen=True)
class Pcm:
    uuid: str
    nonce: int
    seq: int
    samples: np.ndarray


@dataclass(frozen=True)
class Bye:
    uuid: str
    nonce: int


@dataclass(frozen=True)
class Transport:
    tempo: float
    playing: bool
    beat: float
    numerator: int
    denominator: int


@dataclass(frozen=True)
class Selector:
    """Which layer(s) a control message means: by ``uuid``, track ``name`` or ``index``."""

    kind: str
    value: str | int


@dataclass(frozen=True)
class LayerControl:
    selector: Selector
    prop: str
    value: float | str | int | bool


@dataclass(frozen=True)
class LayerReset:
    selector: Selector


@dataclass(frozen=True)
class MasterControl:
    prop: str
    value: float | int | bool


@dataclass(frozen=True)
class PresetControl:
    action: str
    name: str


Event = (
    Hello
    | Meta
    | Params
    | Pcm
    | Bye
    | Transport
    | LayerControl
    | LayerReset
    | MasterControl
    | PresetControl
)

# -------------------------------------------------------------------- argument kinds


@dataclass(frozen=True)
class Arg:
    """One argument of a message: its name, OSC type, accepted values and meaning.

    ``kind`` is ``"i"``, ``"f"`` or ``"s"`` (what a conforming sender uses). Numbers are
    accepted in any numeric OSC type when the value is representable: an ``f`` where an
    ``i`` is expected must be integral, and ``T``/``F`` count as 1/0, because generic OSC
    controllers send floats for everything.
    """

    name: str
    kind: str
    doc: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str | int, ...] | None = None
    pattern: re.Pattern[str] | None = None

    def describe_range(self) -> str:
        if self.choices is not None:
            return " | ".join(str(c) for c in self.choices)
        if self.pattern is not None:
            return f"matches `{self.pattern.pattern}`"
        if self.low is not None and self.high is not None:
            return f"{self.low:g} … {self.high:g}"
        return ""

    def coerce(self, value: object) -> float | int | str:
        """Return ``value`` as this argument's type, or raise ProtocolError."""
        if self.kind == "s":
            if not isinstance(value, str):
                raise ProtocolError(BAD_TYPES, f"{self.name} must be a string")
            if len(value) > MAX_NAME_CHARS:
                raise ProtocolError(BAD_VALUE, f"{self.name} longer than {MAX_NAME_CHARS}")
            if self.pattern is not None and not self.pattern.match(value):
                raise ProtocolError(BAD_VALUE, f"{self.name} {value[:40]!r} is not valid")
            if self.choices is not None and value not in self.choices:
                raise ProtocolError(BAD_VALUE, f"{self.name} {value[:40]!r} is not one of ours")
            return value
        if isinstance(value, bool):
            number: float | int = int(value)
        elif isinstance(value, (int, float)):
            number = value
        else:
            raise ProtocolError(BAD_TYPES, f"{self.name} must be a number")
        if not math.isfinite(number):
            raise ProtocolError(BAD_VALUE, f"{self.name} is not finite")
        if self.kind == "i":
            if number != int(number):
                raise ProtocolError(BAD_TYPES, f"{self.name} must be an integer, got {number}")
            number = int(number)
        else:
            number = float(number)
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            raise ProtocolError(BAD_VALUE, f"{self.name}={number} outside {self.describe_range()}")
        if self.choices is not None and number not in self.choices:
            raise ProtocolError(BAD_VALUE, f"{self.name}={number} not one of {self.choices}")
        return number


NONCE = Arg("nonce", "i", "random per device load; uuid+nonce identify a stream", *NONCE_RANGE)


def _bool_arg(name: str, doc: str) -> Arg:
    return Arg(name, "i", doc, choices=(0, 1))


@dataclass(frozen=True)
class MessageSpec:
    """One address of the protocol.

    ``address`` is a template: ``{uuid}`` is the device's uuid, ``{prop}`` a property name
    from ``props``. ``variadic`` is a trailing list of float samples.
    """

    name: str
    address: str
    direction: str  # "device" (device/simulator -> bridge) or "control" (controller -> bridge)
    args: tuple[Arg, ...]
    doc: str
    variadic: Arg | None = None
    variadic_max: int = 0

    @property
    def type_string(self) -> str:
        """The OSC type tags a conforming sender uses, e.g. ``siifi`` or ``iif…``."""
        fixed = "".join(a.kind for a in self.args)
        return fixed + ("f…" if self.variadic else "")


# Layer properties a controller may set: name -> argument description.
LAYER_PROPS: dict[str, Arg] = {
    "opacity": Arg("opacity", "f", "layer opacity", 0.0, 1.0),
    "blend": Arg("blend", "s", "blend mode name", choices=BLEND_MODES),
    "style": Arg("style", "s", "style (generator) name", pattern=STYLE_NAME_PATTERN),
    "gain": Arg("gain", "f", "audio reactivity", 0.0, 4.0),
    "mute": _bool_arg("mute", "1 hides the layer"),
    "solo": _bool_arg("solo", "1 shows only soloed layers"),
    "x": Arg("x", "f", "horizontal position, -1 (left) … 1 (right)", -4.0, 4.0),
    "y": Arg("y", "f", "vertical position, -1 (bottom) … 1 (top)", -4.0, 4.0),
    "scale": Arg("scale", "f", "size factor", 0.05, 8.0),
    "rotation": Arg("rotation", "f", "degrees, counter-clockwise", -3600.0, 3600.0),
}

MASTER_PROPS: dict[str, Arg] = {
    "opacity": Arg("opacity", "f", "opacity of the whole picture", 0.0, 1.0),
    "brightness": Arg("brightness", "f", "brightness factor", 0.0, 4.0),
    "trails": Arg("trails", "f", "feedback decay: 0 off … 0.99 long trails", 0.0, 0.99),
    "background": Arg("background", "i", "background colour 0xRRGGBB", 0, 0xFFFFFF),
    "freeze": _bool_arg("freeze", "1 holds the current picture"),
}

MESSAGES: tuple[MessageSpec, ...] = (
    MessageSpec(
        "hello",
        "/syn/hello",
        "device",
        (
            Arg("uuid", "s", "device identity, kept in the device", pattern=UUID_PATTERN),
            NONCE,
            Arg("proto", "i", "protocol version", 1, 1000),
            Arg("sample_rate", "f", "Live's sample rate in Hz", 8000.0, 384000.0),
            Arg("decimation", "i", "pcm rate = sample_rate / decimation", 1, 16),
        ),
        "Announces a device; sent at load and about every second.",
    ),
    MessageSpec(
        "meta",
        "/syn/{uuid}/meta",
        "device",
        (
            NONCE,
            Arg("name", "s", "the host track's name"),
            Arg("color", "i", "the track's colour 0xRRGGBB", 0, 0xFFFFFF),
            Arg("track_index", "i", "0-based track index in Live (-1 unknown)", -1, 4096),
        ),
        "Track metadata; sent on change and with every hello.",
    ),
    MessageSpec(
        "params",
        "/syn/{uuid}/params",
        "device",
        (
            NONCE,
            Arg("opacity", "f", "layer opacity", 0.0, 1.0),
            Arg("blend", "s", "blend mode", choices=BLEND_MODES),
            Arg("style", "s", "style name", pattern=STYLE_NAME_PATTERN),
            Arg("gain", "f", "audio reactivity", 0.0, 4.0),
            _bool_arg("enabled", "0 stops this track's layer"),
        ),
        "The device's dials; sent on change and with every hello.",
    ),
    MessageSpec(
        "pcm",
        "/syn/{uuid}/pcm",
        "device",
        (NONCE, Arg("seq", "i", "message counter, +1 per message, wraps to 0", *SEQ_RANGE)),
        "Mono audio at sample_rate / decimation.",
        variadic=Arg("samples", "f", "1 … 512 samples, nominally -1 … 1"),
        variadic_max=MAX_PCM_SAMPLES,
    ),
    MessageSpec(
        "bye",
        "/syn/{uuid}/bye",
        "device",
        (NONCE,),
        "The device was removed or switched off.",
    ),
    MessageSpec(
        "transport",
        "/syn/transport",
        "device",
        (
            Arg("tempo", "f", "beats per minute", 20.0, 999.0),
            _bool_arg("playing", "1 while Live plays"),
            Arg("beat", "f", "song position in beats (quarter notes)", -1e6, 1e9),
            Arg("numerator", "i", "time signature numerator", 1, 99),
            Arg("denominator", "i", "time signature denominator", choices=DENOMINATORS),
        ),
        "Live's transport, about 30 times a second.",
    ),
    MessageSpec(
        "layer",
        "/syn/layer/{prop}",
        "control",
        (
            Arg("selector", "s", "uuid, track name (s) or track index (i)"),
            Arg("value", "f", "see the property table"),
        ),
        "Set one property of the selected layer(s).",
    ),
    MessageSpec(
        "layer_by_address",
        "/syn/layer/{index|uuid}/{prop}",
        "control",
        (Arg("value", "f", "see the property table"),),
        "Same, with the track index or uuid in the address (for simple controllers).",
    ),
    MessageSpec(
        "layer_reset",
        "/syn/layer/reset",
        "control",
        (Arg("selector", "s", "uuid, track name (s) or track index (i)"),),
        "Forget controller changes; the layer follows its device again.",
    ),
    MessageSpec(
        "master",
        "/syn/master/{prop}",
        "control",
        (Arg("value", "f", "see the master property table"),),
        "Set one property of the whole picture.",
    ),
    MessageSpec(
        "preset_load",
        "/syn/preset/load",
        "control",
        (Arg("name", "s", "preset name", pattern=PRESET_NAME_PATTERN),),
        "Load a saved look.",
    ),
    MessageSpec(
        "preset_save",
        "/syn/preset/save",
        "control",
        (Arg("name", "s", "preset name", pattern=PRESET_NAME_PATTERN),),
        "Save the current look.",
    ),
)

SPECS: dict[str, MessageSpec] = {spec.name: spec for spec in MESSAGES}


# ------------------------------------------------------------------------ interpreting


def _check_count(spec: MessageSpec, values: list[object], uuid: str | None = None) -> None:
    if len(values) != len(spec.args):
        raise ProtocolError(
            BAD_TYPES,
            f"{spec.name} takes {len(spec.args)} arguments, got {len(values)}",
            uuid,
        )


def _coerce_all(
    spec: MessageSpec, values: list[object], uuid: str | None = None
) -> list[float | int | str]:
    _check_count(spec, values, uuid)
    try:
        return [arg.coerce(v) for arg, v in zip(spec.args, values, strict=True)]
    except ProtocolError as exc:
        exc.uuid = uuid
        raise


def _selector(value: object) -> Selector:
    if isinstance(value, bool):
        raise ProtocolError(BAD_TYPES, "selector must be a string or an integer")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value != int(value) or not 0 <= value <= 4096:
            raise ProtocolError(BAD_VALUE, f"track index {value} is not valid")
        return Selector("index", int(value))
    if isinstance(value, str):
        lowered = value.lower()
        if UUID_PATTERN.match(lowered):
            return Selector("uuid", lowered)
        if not value or len(value) > MAX_NAME_CHARS:
            raise ProtocolError(BAD_VALUE, "track name must be 1-256 characters")
        return Selector("name", value)
    raise ProtocolError(BAD_TYPES, "selector must be a string or an integer")


def _address_selector(part: str) -> Selector:
    if part.isdigit() and len(part) <= 4:
        return Selector("index", int(part))
    if UUID_PATTERN.match(part.lower()):
        return Selector("uuid", part.lower())
    raise ProtocolError(UNKNOWN_ADDRESS, f"{part[:40]!r} is neither a track index nor a uuid")


def _prop_value(props: dict[str, Arg], prop: str, value: object) -> float | int | str | bool:
    arg = props[prop]
    if arg.kind == "s" and arg.choices is not None and isinstance(value, (int, float)):
        # Enum by index, as a controller's fader or Live's enum parameter sends it.
        if (
            isinstance(value, bool)
            or not math.isfinite(value)
            or value != int(value)
            or not 0 <= value < len(arg.choices)
        ):
            raise ProtocolError(BAD_VALUE, f"{prop} index {value} out of range")
        return arg.choices[int(value)]
    coerced = arg.coerce(value)
    return bool(coerced) if arg.choices == (0, 1) else coerced


def _device_message(uuid: str, kind: str, message: OscMessage) -> Event:
    spec = SPECS.get(kind)
    if spec is None or spec.direction != "device" or kind in ("hello", "transport"):
        raise ProtocolError(UNKNOWN_ADDRESS, f"no device message {kind!r}", uuid)
    if kind == "pcm":
        if len(message.args) != 2:
            raise ProtocolError(BAD_TYPES, "pcm takes nonce, seq, then floats", uuid)
        samples = message.tail
        if not 1 <= samples.size <= MAX_PCM_SAMPLES:
            raise ProtocolError(
                BAD_TYPES, f"pcm carries {samples.size} samples (1-{MAX_PCM_SAMPLES})", uuid
            )
        nonce, seq = _coerce_all(spec, list(message.args), uuid)
        return Pcm(uuid, int(nonce), int(seq), samples)
    values = _coerce_all(spec, message.arguments(), uuid)
    if kind == "meta":
        nonce, name, color, index = values
        return Meta(uuid, int(nonce), str(name), int(color), int(index))
    if kind == "params":
        nonce, opacity, blend, style, gain, enabled = values
        return Params(
            uuid, int(nonce), float(opacity), str(blend), str(style), float(gain), bool(enabled)
        )
    (nonce,) = values
    return Bye(uuid, int(nonce))


def _control_message(parts: list[str], message: OscMessage) -> Event:
    area = parts[0]
    values = message.arguments()
    if area == "master" and len(parts) == 2 and parts[1] in MASTER_PROPS:
        _check_count(SPECS["master"], values)
        return MasterControl(parts[1], _prop_value(MASTER_PROPS, parts[1], values[0]))
    if area == "preset" and len(parts) == 2 and parts[1] in ("load", "save"):
        (name,) = _coerce_all(SPECS["preset_" + parts[1]], values)
        return PresetControl(parts[1], str(name))
    if area == "layer" and len(parts) == 2 and parts[1] == "reset":
        _check_count(SPECS["layer_reset"], values)
        return LayerReset(_selector(values[0]))
    if area == "layer" and len(parts) == 2 and parts[1] in LAYER_PROPS:
        _check_count(SPECS["layer"], values)
        return LayerControl(
            _selector(values[0]), parts[1], _prop_value(LAYER_PROPS, parts[1], values[1])
        )
    if area == "layer" and len(parts) == 3 and parts[2] in LAYER_PROPS:
        selector = _address_selector(parts[1])
        _check_count(SPECS["layer_by_address"], values)
        return LayerControl(selector, parts[2], _prop_value(LAYER_PROPS, parts[2], values[0]))
    raise ProtocolError(UNKNOWN_ADDRESS, f"no control address /syn/{'/'.join(parts)}")


def interpret(message: OscMessage) -> Event:
    """Validate a decoded message against protocol v1 and return its event.

    Raises:
        ProtocolError: the message is not part of the protocol, has the wrong argument
            types or count, or carries an absurd value. Its ``reason`` names the counter.
    """
    parts = message.address.split("/")
    if len(parts) < 3 or parts[0] != "" or parts[1] != "syn":
        raise ProtocolError(UNKNOWN_ADDRESS, f"{message.address[:60]!r} is not under /syn/")
    rest = parts[2:]
    if rest == ["hello"]:
        values = _coerce_all(SPECS["hello"], message.arguments())
        uuid, nonce, proto, rate, decimation = values
        if proto != PROTOCOL_VERSION:
            raise ProtocolError(
                UNSUPPORTED_PROTOCOL, f"protocol {proto}; this bridge speaks {PROTOCOL_VERSION}"
            )
        if not 4000.0 <= float(rate) / int(decimation) <= 192000.0:
            raise ProtocolError(BAD_VALUE, f"stream rate {float(rate) / int(decimation):g} Hz")
        return Hello(str(uuid), int(nonce), int(proto), float(rate), int(decimation))
    if rest == ["transport"]:
        tempo, playing, beat, numerator, denominator = _coerce_all(
            SPECS["transport"], message.arguments()
        )
        return Transport(float(tempo), bool(playing), float(beat), int(numerator), int(denominator))
    if rest[0] in ("layer", "master", "preset"):
        return _control_message(rest, message)
    if len(rest) == 2:
        uuid = rest[0].lower()
        if not UUID_PATTERN.match(uuid):
            raise ProtocolError(UNKNOWN_ADDRESS, f"{rest[0][:40]!r} is not a device uuid")
        return _device_message(uuid, rest[1], message)
    raise ProtocolError(UNKNOWN_ADDRESS, f"no address {message.address[:60]!r}")


def device_address(uuid: str, kind: str) -> str:
    """The address a device with ``uuid`` uses for message ``kind`` (meta, params, ...)."""
    return SPECS[kind].address.replace("{uuid}", uuid)
