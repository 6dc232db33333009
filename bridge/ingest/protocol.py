"""The OSC address space (v2): one machine-readable description, and its validator.

docs/protocol.md explains this protocol to people; the tables here are the same protocol
for programs. The bridge's dispatcher, the simulator and the Max device's tests all use
:data:`MESSAGES`, and a test checks that every address and type string below is documented,
so the three cannot drift apart.

:func:`interpret` turns a decoded :class:`~bridge.ingest.osc_codec.OscMessage` into a typed event
or raises :class:`ProtocolError` with a ``reason`` that the bridge counts. It never raises
anything else, whatever the input. It is driven by :data:`MESSAGES`: the address template
picks the spec, the spec's arguments check the values, and the spec's ``build`` makes the
event, so a message is described in one place.
"""

from __future__ import annotations

import math
import re
import typing
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bridge.ingest.osc_codec import OscMessage
from renderer.modes import BLEND_MODES
from renderer.settings import INK_MODES

PROTOCOL_VERSION = 2
#: Versions whose devices the bridge still takes (v1 hellos have no reply port).
SUPPORTED_VERSIONS = (1, 2)
#: The port a device's elected listener takes replies on, unless set otherwise.
DEFAULT_REPLY_PORT = 9001
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
#: What MIDI learn may map to: a key action (``opacity-up``) or a control address.
LEARN_TARGET = re.compile(r"^(/syn/[a-z0-9_/-]{1,120}|[a-z0-9-]{1,40})?$")
#: The largest relative step taken (in the property's own units or list places).
MAX_STEP = 1e6
MAX_NAME_CHARS = 256
#: A track name is cut to this many characters (the cut ends in "…"); what is kept of it is
#: what the HUD, the terminal and name selectors see.
MAX_TRACK_NAME_CHARS = 64
NONCE_RANGE = (1, 2**31 - 1)
SEQ_RANGE = (0, 2**31 - 1)
DENOMINATORS = (1, 2, 4, 8, 16, 32)


#: Format controls that reorder the text around them on a terminal (bidirectional overrides,
#: embeddings and isolates): escaped like control characters.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def safe_text(text: str, limit: int) -> str:
    """``text`` as the bridge shows and compares it: NFC-normalised, every control character
    (newline, tab, terminal escape, bidi override) written as a visible escape such as
    ``\\x0a``, and cut to ``limit`` characters (the last one then "…"). Letters of any
    script and emoji are kept as they are."""
    text = unicodedata.normalize("NFC", text)
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in text):
        text = "".join(
            (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
            if unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS
            else ch
            for ch in text
        )
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    reply_port: int = 0  # where this device listens for the bridge's status (0: nowhere)

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
    """Which layer(s) a control message means: by ``uuid``, track ``name`` or ``index``
    (Live's 0-based track index), by layer ``number`` (1-based, bottom first, as the HUD
    and keys 1…9 count), or the ``selected`` layer (value 0)."""

    kind: str
    value: str | int


#: The selector of ``/syn/selected/...``: whichever layer is selected in the show.
SELECTED = Selector("selected", 0)


@dataclass(frozen=True)
class LayerControl:
    """Set ``prop`` of the layer(s) ``selector`` names to ``value``; with ``relative``,
    ``value`` is a signed step: added to a number (clamped to its range), places moved in
    a list of names (wrapping), a toggle for 0/1 properties."""

    selector: Selector
    prop: str
    value: float | str | int | bool
    relative: bool = False
    #: The controller's host, filled in on arrival (feedback sends it no echo); not compared.
    sender: str = field(default="", compare=False)


@dataclass(frozen=True)
class LayerReset:
    selector: Selector


@dataclass(frozen=True)
class MasterControl:
    """Set one master property; ``relative`` as in :class:`LayerControl`."""

    prop: str
    value: float | int | bool | str
    relative: bool = False
    sender: str = field(default="", compare=False)  # as in LayerControl


@dataclass(frozen=True)
class SelectLayer:
    """Select layer ``number`` (1-based, bottom first, as the HUD counts; 0 changes nothing:
    a TouchOSC button sends it on release), or with ``relative`` move the selection by
    ``number`` places (wrapping)."""

    number: int
    relative: bool = False
    sender: str = field(default="", compare=False)  # as in LayerControl


@dataclass(frozen=True)
class FeedbackRegister:
    """A controller asks for (``register``) or stops (not ``register``) the state being sent
    to ``port`` on its host; ``host`` is the sender's address, filled in on arrival."""

    port: int
    register: bool = True
    host: str = ""


@dataclass(frozen=True)
class MidiLearn:
    """``action`` "learn": the next MIDI control moved is mapped to ``target`` (a key action
    such as ``opacity-up``, or a control address such as ``/syn/selected/opacity``; "" stops
    learning); "forget": ``target``'s mappings are removed."""

    action: str
    target: str


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
    | SelectLayer
    | FeedbackRegister
    | MidiLearn
)

#: Events that a controller sends for the show (the rest come from devices).
ControlEvent = (
    LayerControl
    | LayerReset
    | MasterControl
    | PresetControl
    | SelectLayer
    | FeedbackRegister
    | MidiLearn
)
#: The same, as a tuple of classes for ``isinstance``.
CONTROL_EVENTS: tuple[type, ...] = typing.get_args(ControlEvent)
#: Controls whose ``sender`` the ingest fills in (feedback echoes nothing back to it).
SENT_CONTROLS = (LayerControl, MasterControl, SelectLayer)
#: The strings that make a control's value a relative step (Resolume's OSC convention):
#: ``/syn/selected/opacity "+" 0.1``.
RELATIVE_SIGNS = {"+": 1.0, "-": -1.0}

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
    #: Applied to a string before it is checked (e.g. ``str.lower`` for uuids).
    normalise: Callable[[str], str] | None = None
    #: Free text (a track name): shown safely and cut to this many characters with
    #: :func:`safe_text` rather than refused when long.
    text: int | None = None

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
            if self.text is not None:
                return safe_text(value, self.text)
            if len(value) > MAX_NAME_CHARS:
                raise ProtocolError(BAD_VALUE, f"{self.name} longer than {MAX_NAME_CHARS}")
            if self.normalise is not None:
                value = self.normalise(value)
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
    from ``props``, ``{index|uuid}`` a track index or uuid, ``{number}`` a layer number
    (1-based, bottom first, as the HUD counts). ``variadic`` is a trailing list
    of float samples. The last ``optional`` arguments may be left out (older senders), and
    ``build`` turns the checked values (by argument name, with the address's ``uuid``,
    ``prop`` or ``selector``) into the event; it may refuse with :class:`ProtocolError`.
    Specs without ``build`` are sent by the bridge, never taken in.
    """

    name: str
    address: str
    direction: str  # "device" or "control" (-> bridge), "reply" (bridge -> device/controller)
    args: tuple[Arg, ...]
    doc: str
    variadic: Arg | None = None
    variadic_max: int = 0
    optional: int = 0
    props: dict[str, Arg] | None = None
    build: Callable[[dict[str, object]], Event] | None = field(default=None, compare=False)
    #: The ``value`` may follow a "+" or "-" string: a step from the current value
    #: (``found["relative"]`` is then the sign, +1.0 or -1.0).
    relative: bool = False

    @property
    def type_string(self) -> str:
        """The OSC type tags a conforming sender uses, e.g. ``siifi`` or ``iif…``."""
        fixed = "".join(a.kind for a in self.args)
        return fixed + ("f…" if self.variadic else "")


#: Layouts of the whole picture (bridge/show/compositions.py), in the order a controller's
#: index and the keyboard count them.
COMPOSITION_NAMES: tuple[str, ...] = ("stage", "grid", "stack", "score")
#: How layers are coloured (bridge/show/colour.py): the track's colour, its colour family
#: turned by pitch, or one pitch-class colour wheel for the whole picture.
COLOUR_NAMES: tuple[str, ...] = ("track", "tone", "wheel")
#: A voice's role on the stage; "auto" follows the track's audio.
ROLE_NAMES: tuple[str, ...] = ("auto", "bass", "perc", "pad", "lead")

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
    "role": Arg("role", "s", "place on the stage (auto: from the audio)", choices=ROLE_NAMES),
    "expression": Arg(
        "expression",
        "f",
        "how much the sound's manner shapes its drawing: 0 the learned stroke alone … 1 the "
        "style's own (louder bigger and bolder, noisier sprayed, slower softer)",
        0.0,
        1.0,
    ),
}

MASTER_PROPS: dict[str, Arg] = {
    "opacity": Arg("opacity", "f", "opacity of the whole picture", 0.0, 1.0),
    "brightness": Arg("brightness", "f", "brightness factor", 0.0, 4.0),
    "trails": Arg("trails", "f", "feedback decay: 0 off … 0.99 long trails", 0.0, 0.99),
    "background": Arg("background", "i", "background colour 0xRRGGBB", 0, 0xFFFFFF),
    "freeze": _bool_arg("freeze", "1 holds the current picture"),
    "composition": Arg(
        "composition", "s", "layout of the layers (name or index)", choices=COMPOSITION_NAMES
    ),
    "ink": Arg("ink", "s", "how ink is drawn: stroke (crisp edges) or field", choices=INK_MODES),
    "colour": Arg("colour", "s", "track colour, tone (pitch) or wheel", choices=COLOUR_NAMES),
    "structure": _bool_arg(
        "structure", "1 shows the music's structure: motif places and accents, section colours"
    ),
    "form": _bool_arg("form", "1 draws the form strip: bars, motifs and sections so far"),
}

MESSAGES: tuple[MessageSpec, ...] = (
    MessageSpec(
        "hello",
        "/syn/hello",
        "device",
        (
            Arg(
                "uuid",
                "s",
                "device identity, kept in the device (any case; the bridge lower-cases it)",
                pattern=UUID_PATTERN,
                normalise=str.lower,
            ),
            NONCE,
            Arg("proto", "i", "protocol version", 1, 1000),
            Arg("sample_rate", "f", "Live's sample rate in Hz", 8000.0, 384000.0),
            Arg("decimation", "i", "pcm rate = sample_rate / decimation", 1, 16),
            Arg("reply_port", "i", "port the device listens on for status, 0 none (v2)", 0, 65535),
        ),
        "Announces a device; sent at load and about every second.",
        optional=1,
        build=lambda v: _hello(v),
    ),
    MessageSpec(
        "meta",
        "/syn/{uuid}/meta",
        "device",
        (
            NONCE,
            Arg("name", "s", "the host track's name", text=MAX_TRACK_NAME_CHARS),
            Arg("color", "i", "the track's colour 0xRRGGBB", 0, 0xFFFFFF),
            Arg("track_index", "i", "0-based track index in Live (-1 unknown)", -1, 4096),
        ),
        "Track metadata; sent on change and with every hello.",
        build=lambda v: Meta(v["uuid"], v["nonce"], v["name"], v["color"], v["track_index"]),  # type: ignore[arg-type]
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
        build=lambda v: Params(
            v["uuid"],  # type: ignore[arg-type]
            v["nonce"],  # type: ignore[arg-type]
            v["opacity"],  # type: ignore[arg-type]
            v["blend"],  # type: ignore[arg-type]
            v["style"],  # type: ignore[arg-type]
            v["gain"],  # type: ignore[arg-type]
            bool(v["enabled"]),
        ),
    ),
    MessageSpec(
        "pcm",
        "/syn/{uuid}/pcm",
        "device",
        (NONCE, Arg("seq", "i", "message counter, +1 per message, wraps to 0", *SEQ_RANGE)),
        "Mono audio at sample_rate / decimation.",
        variadic=Arg("samples", "f", "1 … 512 samples, nominally -1 … 1"),
        variadic_max=MAX_PCM_SAMPLES,
        build=lambda v: Pcm(v["uuid"], v["nonce"], v["seq"], v["samples"]),  # type: ignore[arg-type]
    ),
    MessageSpec(
        "bye",
        "/syn/{uuid}/bye",
        "device",
        (NONCE,),
        "The device was removed or switched off.",
        build=lambda v: Bye(v["uuid"], v["nonce"]),  # type: ignore[arg-type]
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
        "Live's transport, about 30 times a second, from one device per set.",
        build=lambda v: Transport(
            v["tempo"],  # type: ignore[arg-type]
            bool(v["playing"]),
            v["beat"],  # type: ignore[arg-type]
            v["numerator"],  # type: ignore[arg-type]
            v["denominator"],  # type: ignore[arg-type]
        ),
    ),
    MessageSpec(
        "layer",
        "/syn/layer/{prop}",
        "control",
        (
            Arg("selector", "s", "uuid, track name (s) or track index (i)"),
            Arg("value", "f", "see the property table"),
        ),
        "Set one property of the layer(s) the selector names.",
        props=LAYER_PROPS,
        build=lambda v: _layer_control(v),
        relative=True,
    ),
    MessageSpec(
        "layer_by_address",
        "/syn/layer/{index|uuid}/{prop}",
        "control",
        (Arg("value", "f", "see the property table"),),
        "Set one property of the layer whose Live track index or uuid is in the address "
        "(for simple controllers).",
        props=LAYER_PROPS,
        build=lambda v: _layer_control(v),
        relative=True,
    ),
    MessageSpec(
        "layer_number",
        "/syn/layers/{number}/{prop}",
        "control",
        (Arg("value", "f", "see the property table"),),
        "Set one property of layer number N (1-based, bottom first, as the HUD and keys "
        "1…9 count); also sent to registered controllers.",
        props=LAYER_PROPS,
        build=lambda v: _layer_control(v),
        relative=True,
    ),
    MessageSpec(
        "selected",
        "/syn/selected/{prop}",
        "control",
        (Arg("value", "f", "see the property table"),),
        "Set one property of the selected layer; also sent to registered controllers.",
        props=LAYER_PROPS,
        build=lambda v: _layer_control({**v, "selector": SELECTED}),
        relative=True,
    ),
    MessageSpec(
        "select",
        "/syn/select",
        "control",
        (
            Arg(
                "number",
                "i",
                "layer number, 1-based as the HUD counts (0: no change; or a step)",
                0,
                4096,
            ),
        ),
        "Select a layer (keys 1…9, Tab); '+'/'-' before the number steps the selection "
        "(rounded); 0 changes nothing (a button's release). "
        "Also sent to registered controllers (0: no layers).",
        build=lambda v: _select(v),
        relative=True,
    ),
    MessageSpec(
        "layer_reset",
        "/syn/layer/reset",
        "control",
        (Arg("selector", "s", "uuid, track name (s) or track index (i)"),),
        "Forget controller changes; the layer follows its device again.",
        build=lambda v: LayerReset(v["selector"]),  # type: ignore[arg-type]
    ),
    MessageSpec(
        "master",
        "/syn/master/{prop}",
        "control",
        (Arg("value", "f", "see the master property table"),),
        "Set one property of the whole picture; also sent to registered controllers.",
        props=MASTER_PROPS,
        build=lambda v: MasterControl(
            v["prop"],  # type: ignore[arg-type]
            v["value"] * v["relative"] if "relative" in v else v["value"],  # type: ignore[arg-type, operator]
            "relative" in v,
        ),
        relative=True,
    ),
    MessageSpec(
        "preset_load",
        "/syn/preset/load",
        "control",
        (Arg("name", "s", "preset name", pattern=PRESET_NAME_PATTERN),),
        "Load a saved look.",
        build=lambda v: PresetControl("load", v["name"]),  # type: ignore[arg-type]
    ),
    MessageSpec(
        "preset_save",
        "/syn/preset/save",
        "control",
        (Arg("name", "s", "preset name", pattern=PRESET_NAME_PATTERN),),
        "Save the current look.",
        build=lambda v: PresetControl("save", v["name"]),  # type: ignore[arg-type]
    ),
    MessageSpec(
        "feedback_register",
        "/syn/feedback/register",
        "control",
        (Arg("port", "i", "UDP port on the sender's host to send the state to", 1, 65535),),
        "Send this controller the state (layers, selection, master) now and on every change.",
        build=lambda v: FeedbackRegister(v["port"]),  # type: ignore[arg-type]
    ),
    MessageSpec(
        "feedback_unregister",
        "/syn/feedback/unregister",
        "control",
        (Arg("port", "i", "the port given to register", 1, 65535),),
        "Stop sending the state to this controller.",
        build=lambda v: FeedbackRegister(v["port"], register=False),  # type: ignore[arg-type]
    ),
    MessageSpec(
        "midi_learn",
        "/syn/midi/learn",
        "control",
        (Arg("target", "s", "a key action or control address; '' stops", pattern=LEARN_TARGET),),
        "The next MIDI control moved is mapped to the target.",
        build=lambda v: MidiLearn("learn", v["target"]),  # type: ignore[arg-type]
    ),
    MessageSpec(
        "midi_forget",
        "/syn/midi/forget",
        "control",
        (Arg("target", "s", "a key action or a control address", pattern=LEARN_TARGET),),
        "Remove every MIDI mapping to the target.",
        build=lambda v: MidiLearn("forget", v["target"]),  # type: ignore[arg-type]
    ),
    MessageSpec(
        "layer_count",
        "/syn/layers/count",
        "reply",
        (Arg("count", "i", "layers in the show now", 0, 4096),),
        "To registered controllers: how many layers there are (numbered 1 … count).",
    ),
    MessageSpec(
        "layer_name",
        "/syn/layers/{number}/name",
        "reply",
        (Arg("name", "s", "the track's name (empty: no layer N any more)"),),
        "To registered controllers: layer N's track name.",
    ),
    MessageSpec(
        "selected_name",
        "/syn/selected/name",
        "reply",
        (Arg("name", "s", "the selected layer's track name (empty: none)"),),
        "To registered controllers: the selected layer's name.",
    ),
    MessageSpec(
        "layer_motif",
        "/syn/layers/{number}/motif",
        "reply",
        (Arg("motif", "s", "a, b … a new motif; a', a'' … a variation of a; empty: silent"),),
        "To registered controllers: the motif layer N played in the last bar (docs/structure.md).",
    ),
    MessageSpec(
        "section",
        "/syn/structure/section",
        "reply",
        (Arg("label", "s", "A, B … in order of first appearance; a return keeps its label"),),
        "To registered controllers: the section the set is in (empty before the first bar).",
    ),
    MessageSpec(
        "bar",
        "/syn/structure/bar",
        "reply",
        (Arg("bar", "i", "bars since the structure analysis started, 1 first", 0, 2**31 - 1),),
        "To registered controllers: the number of the last complete bar (0: none yet).",
    ),
    MessageSpec(
        "status",
        "/syn/status",
        "reply",
        (
            Arg("proto", "i", "the bridge's protocol version", 1, 1000),
            Arg("tracks", "i", "tracks the bridge holds now", 0, 4096),
        ),
        "The bridge's answer to a hello with a reply port: sent to the hello's sender at "
        "that port, so a device can show that a bridge is listening.",
    ),
)

SPECS: dict[str, MessageSpec] = {spec.name: spec for spec in MESSAGES}


# ------------------------------------------------------------------------ interpreting


def _hello(values: dict[str, object]) -> Hello:
    proto, rate, decimation = (
        int(values["proto"]),
        float(values["sample_rate"]),
        int(values["decimation"]),
    )  # type: ignore[call-overload, arg-type]
    if proto not in SUPPORTED_VERSIONS:
        raise ProtocolError(
            UNSUPPORTED_PROTOCOL,
            f"protocol {proto}; this bridge speaks {', '.join(map(str, SUPPORTED_VERSIONS))}",
        )
    if not 4000.0 <= rate / decimation <= 192000.0:
        raise ProtocolError(BAD_VALUE, f"stream rate {rate / decimation:g} Hz")
    uuid, nonce = str(values["uuid"]), int(values["nonce"])  # type: ignore[call-overload]
    return Hello(uuid, nonce, proto, rate, decimation, int(values.get("reply_port", 0)))  # type: ignore[call-overload]


def _layer_control(values: dict[str, object]) -> LayerControl:
    sign = values.get("relative")
    value = values["value"]
    if sign is not None:
        return LayerControl(values["selector"], values["prop"], value * sign, True)  # type: ignore[arg-type, operator]
    return LayerControl(values["selector"], values["prop"], value)  # type: ignore[arg-type]


def _select(values: dict[str, object]) -> SelectLayer:
    sign = values.get("relative")
    number = round(values["number"])  # type: ignore[call-overload]  # "+" 1.7: 2 places
    return SelectLayer(number * int(sign), True) if sign is not None else SelectLayer(number)  # type: ignore[call-overload]


def _step(name: str, value: object) -> float:
    """A relative step: any finite number up to :data:`MAX_STEP` in size."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProtocolError(BAD_TYPES, f"a step for {name} must be a number")
    if not math.isfinite(value) or abs(value) > MAX_STEP:
        raise ProtocolError(BAD_VALUE, f"step {value} for {name} is not valid")
    return float(value)


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
        if not value:
            raise ProtocolError(BAD_VALUE, "track name must not be empty")
        return Selector("name", safe_text(value, MAX_TRACK_NAME_CHARS))
    raise ProtocolError(BAD_TYPES, "selector must be a string or an integer")


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


def _match(template: list[str], parts: list[str], props: dict[str, Arg] | None) -> dict | None:
    """The address's placeholders if ``parts`` fits ``template``, else None."""
    if len(template) != len(parts):
        return None
    found: dict[str, object] = {}
    for want, part in zip(template, parts, strict=True):
        if want == "{uuid}":
            if not UUID_PATTERN.match(part.lower()):
                return None
            found["uuid"] = part.lower()
        elif want == "{prop}":
            if props is None or part not in props:
                return None
            found["prop"] = part
        elif want == "{number}":
            if not (part.isdigit() and len(part) <= 4 and 1 <= int(part) <= 4096):
                return None
            found["selector"] = Selector("number", int(part))
        elif want == "{index|uuid}":
            if part.isdigit() and len(part) <= 4:
                found["selector"] = Selector("index", int(part))
            elif UUID_PATTERN.match(part.lower()):
                found["selector"] = Selector("uuid", part.lower())
            else:
                return None
        elif want != part:
            return None
    return found


def _specificity(spec: MessageSpec) -> int:
    return -sum(1 for part in spec.address.split("/") if not part.startswith("{"))


#: The specs the bridge takes in, most literal address first (``/syn/layer/reset`` before
#: ``/syn/layer/{prop}``), with their templates split once.
_INPUTS: tuple[tuple[MessageSpec, list[str]], ...] = tuple(
    (spec, spec.address.split("/"))
    for spec in sorted(MESSAGES, key=_specificity)
    if spec.build is not None
)


def _values(spec: MessageSpec, message: OscMessage, found: dict, uuid: str | None) -> dict:
    """The message's arguments checked against ``spec``, by name (with ``found``)."""
    if spec.variadic is not None:
        values: list[object] = list(message.args)
        samples = message.tail
        if len(values) != len(spec.args) or not 1 <= samples.size <= spec.variadic_max:
            raise ProtocolError(
                BAD_TYPES,
                f"{spec.name} takes {len(spec.args)} arguments then 1-{spec.variadic_max} "
                f"floats, got {len(values)} then {samples.size}",
                uuid,
            )
        found[spec.variadic.name] = samples
    else:
        values = message.arguments()
        if spec.relative and len(values) == len(spec.args) + 1:
            sign = values[-2]
            if isinstance(sign, str) and sign in RELATIVE_SIGNS:
                found["relative"] = RELATIVE_SIGNS[sign]
                del values[-2]
        least = len(spec.args) - spec.optional
        if not least <= len(values) <= len(spec.args):
            count = str(len(spec.args)) if not spec.optional else f"{least}-{len(spec.args)}"
            raise ProtocolError(
                BAD_TYPES, f"{spec.name} takes {count} arguments, got {len(values)}", uuid
            )
    for arg, value in zip(spec.args, values, strict=False):
        if arg.name == "selector":
            found["selector"] = _selector(value)
        elif "relative" in found and arg is spec.args[-1]:
            found[arg.name] = _step(str(found.get("prop", arg.name)), value)
        elif arg.name == "value" and spec.props is not None:
            found["value"] = _prop_value(spec.props, str(found["prop"]), value)
        else:
            found[arg.name] = arg.coerce(value)
    return found


def interpret(message: OscMessage) -> Event:
    """Validate a decoded message against the protocol and return its event.

    Raises:
        ProtocolError: the message is not part of the protocol, has the wrong argument
            types or count, or carries an absurd value. Its ``reason`` names the counter,
            and its ``uuid`` the stream it concerned (when the address named one).
    """
    parts = message.address.split("/")
    if len(parts) < 3 or parts[0] != "" or parts[1] != "syn":
        raise ProtocolError(UNKNOWN_ADDRESS, f"{message.address[:60]!r} is not under /syn/")
    for spec, template in _INPUTS:
        found = _match(template, parts, spec.props)
        if found is None:
            continue
        uuid = found.get("uuid")
        try:
            return spec.build(_values(spec, message, found, uuid))  # type: ignore[misc]
        except ProtocolError as exc:
            exc.uuid = exc.uuid or uuid  # type: ignore[assignment]
            raise
    if len(parts) == 4 and UUID_PATTERN.match(parts[2].lower()):
        uuid = parts[2].lower()
        raise ProtocolError(UNKNOWN_ADDRESS, f"no device message {parts[3][:40]!r}", uuid)
    raise ProtocolError(UNKNOWN_ADDRESS, f"no address {message.address[:60]!r}")


def device_address(uuid: str, kind: str) -> str:
    """The address a device with ``uuid`` uses for message ``kind`` (meta, params, ...)."""
    return SPECS[kind].address.replace("{uuid}", uuid)
