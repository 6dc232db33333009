"""Keyboard control of the picture, as pure logic over a shared :class:`Scene`.

The window translates key presses into action names with :func:`action_for_key` and hands
layer and master actions to :class:`SceneControls`, which edits the same LayerSettings and
MasterSettings the bridge's OSC handlers edit. Nothing here touches glfw or GL, so every
key's effect is unit-tested, and the bridge can drive the same actions from OSC or MIDI.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol

from renderer.modes import BLEND_MODES
from renderer.scene import Scene
from renderer.settings import MasterSettings

OPACITY_STEP = 0.05
TRAILS_STEP = 0.02
#: A key press moves a layer's expression a quarter: 0, 0.25, … 1 in four presses.
EXPRESSION_STEP = 0.25
TRAILS_MAX = 0.99


@dataclass(frozen=True)
class KeyBinding:
    """One documented key: ``keys`` as shown to users, the action name, what it does."""

    keys: str
    action: str
    help: str


KEY_BINDINGS: tuple[KeyBinding, ...] = (
    KeyBinding("H", "toggle-hud", "show or hide the HUD"),
    KeyBinding("Tab / Shift+Tab", "select-next", "select the next / previous layer"),
    KeyBinding("1 … 9", "select-1", "select layer 1 … 9 (bottom first)"),
    KeyBinding("B / Shift+B", "blend-next", "next / previous blend mode of the selected layer"),
    KeyBinding("↑ / ↓", "opacity-up", "selected layer's opacity ± 0.05"),
    KeyBinding(
        "E / Shift+E",
        "expression-down",
        "selected layer's expression − / + 0.25 (0: the learned stroke alone)",
    ),
    KeyBinding("M", "mute", "mute / unmute the selected layer"),
    KeyBinding("S", "solo", "solo / unsolo the selected layer"),
    KeyBinding("T", "trails", "feedback trails on / off"),
    KeyBinding("[ / ]", "trails-less", "shorter / longer trails"),
    KeyBinding("F", "freeze", "freeze / unfreeze the picture"),
    KeyBinding("C / Shift+C", "composition-next", "next / previous composition (layout)"),
    KeyBinding("O / Shift+O", "colour-next", "next / previous colour mode (track, tone, wheel)"),
    KeyBinding("Y", "structure", "show the music's structure (motif places, sections) or not"),
    KeyBinding("G", "form", "form strip on / off (the set's bars, motifs and sections)"),
    KeyBinding("L", "midi-learn", "MIDI learn: press L, then a key, then move a control"),
    KeyBinding("P", "screenshot", "save a PNG screenshot"),
    KeyBinding("F11", "toggle-fullscreen", "window ↔ fullscreen"),
    KeyBinding("Esc / Q", "quit", "close the window"),
)

_PLAIN_KEYS = {
    "h": "toggle-hud",
    "tab": "select-next",
    "b": "blend-next",
    "up": "opacity-up",
    "down": "opacity-down",
    "e": "expression-down",
    "m": "mute",
    "s": "solo",
    "t": "trails",
    "[": "trails-less",
    "]": "trails-more",
    "f": "freeze",
    "c": "composition-next",
    "o": "colour-next",
    "y": "structure",
    "g": "form",
    "l": "midi-learn",
    "p": "screenshot",
    "f11": "toggle-fullscreen",
    "escape": "quit",
    "q": "quit",
}
_SHIFT_KEYS = {
    "tab": "select-previous",
    "b": "blend-previous",
    "c": "composition-previous",
    "o": "colour-previous",
    "e": "expression-up",
}

#: Every action a key is bound to (plain or with Shift), e.g. for MIDI learn's targets.
KEY_ACTIONS = frozenset(_PLAIN_KEYS.values()) | frozenset(_SHIFT_KEYS.values())

#: Actions the window itself handles; the rest go to :class:`KeyboardControls`.
WINDOW_ACTIONS = frozenset({"toggle-hud", "screenshot", "toggle-fullscreen", "quit"})


def action_for_key(key: str, shift: bool = False) -> str | None:
    """The action bound to a key name ("a", "tab", "up", "1", "f11" …), or None."""
    key = key.lower()
    if shift and key in _SHIFT_KEYS:
        return _SHIFT_KEYS[key]
    if key.isdigit() and key != "0":
        return f"select-{key}"
    return _PLAIN_KEYS.get(key)


def choose_layer(
    ids: list[Hashable], current: Hashable | None, which: str
) -> tuple[Hashable | None, str]:
    """Resolve a selection action: ``which`` is "next", "previous" or a 1-based number.

    Returns the layer to select (None to keep the selection) and a message for the HUD.
    Shared by every keyboard handler so layer numbering means the same everywhere.
    """
    if not ids:
        return None, "no layers yet"
    position = ids.index(current) if current in ids else 0
    if which == "next":
        position = (position + 1) % len(ids)
    elif which == "previous":
        position = (position - 1) % len(ids)
    else:
        number = int(which)
        if number > len(ids):
            return None, f"there is no layer {number} (only {len(ids)})"
        position = number - 1
    return ids[position], f"selected layer {position + 1}: {ids[position]}"


class ControlTarget(Protocol):
    """What keyboard actions edit: the layers (in draw order) and the master.

    Layer properties are ``blend`` (a blend name), ``opacity`` (0..1), ``mute`` and
    ``solo`` (bools), and where the target has generators ``expression`` (0..1, the share
    of its style's expression head a layer's pictures get; :attr:`layer_props` says). A
    renderer on its own edits its :class:`Scene` (:class:`SceneTarget`); the bridge edits
    its looks, so a key press is an override like an OSC controller's.
    """

    #: The layer properties :meth:`get` and :meth:`set` know.
    layer_props: frozenset[str]

    def layer_ids(self) -> list[Hashable]:
        """Layer ids in draw order (bottom first), as numbered by keys 1…9."""

    def layer_name(self, layer_id: Hashable) -> str:
        """What the HUD calls the layer."""

    def get(self, layer_id: Hashable, prop: str) -> object:
        """A layer property's current value (KeyError: the layer is gone)."""

    def set(self, layer_id: Hashable, prop: str, value: object) -> None:
        """Change a layer property (KeyError: the layer is gone)."""

    def master(self) -> MasterSettings:
        """The whole picture's settings now."""

    def set_master(self, **changes: object) -> MasterSettings:
        """Change master settings; returns the new ones."""

    def step_composition(self, step: int) -> str | None:
        """Switch to the composition (layout) ``step`` places on in the owner's list, e.g.
        +1 next, −1 previous; returns its name, or None when the target has no
        compositions (a bare renderer places layers only as their settings say)."""

    def switch(self, name: str, step: int) -> str | None:
        """Move the owner's look switch ``name`` on by ``step``: ``colour`` (the colour
        mode, ±1 through the list) or ``structure`` / ``form`` (on ↔ off); returns the new
        value as the HUD shows it, or None when the target has no such switch."""


class KeyboardControls:
    """The one map from keyboard actions to edits, over any :class:`ControlTarget`;
    remembers which layer is selected."""

    def __init__(self, target: ControlTarget) -> None:
        self.target = target
        self.selected: Hashable | None = None

    def layer_ids(self) -> list[Hashable]:
        return self.target.layer_ids()

    def selected_layer(self) -> Hashable | None:
        """The selected layer if it still exists, else the first layer, else None."""
        ids = self.target.layer_ids()
        if self.selected not in ids:
            self.selected = ids[0] if ids else None
        return self.selected

    def apply(self, action: str) -> str:
        """Perform an action; return a short message for the HUD saying what happened.

        Raises:
            ValueError: the action is unknown (a programming error in a key map).
        """
        if action.startswith("select-"):
            return self._select(action.removeprefix("select-"))
        if action == "midi-learn":
            return self.midi_learn()
        target = self.target
        master = target.master()
        if action == "trails":
            master = target.set_master(trails_on=not master.trails_on)
            return f"trails {'on' if master.trails_on else 'off'} ({master.trails:.2f})"
        if action in ("trails-less", "trails-more"):
            step = TRAILS_STEP if action == "trails-more" else -TRAILS_STEP
            trails = round(min(TRAILS_MAX, max(0.0, master.trails + step)), 4)
            target.set_master(trails=trails, trails_on=trails > 0.0)
            return f"trails {trails:.2f}"
        if action == "freeze":
            master = target.set_master(freeze=not master.freeze)
            return "frozen" if master.freeze else "unfrozen"
        if action in ("composition-next", "composition-previous"):
            name = target.step_composition(1 if action == "composition-next" else -1)
            return f"composition {name}" if name else "no compositions here"
        if action in _SWITCHES:
            switch, step = _SWITCHES[action]
            value = target.switch(switch, step)
            return f"{switch} {value}" if value is not None else f"no {switch} switch here"
        if action not in _LAYER_ACTIONS:
            raise ValueError(f"unknown control action {action!r}")
        layer_id = self.selected_layer()
        if layer_id is None:
            return "no layers yet"
        try:
            return f"{target.layer_name(layer_id)}: {self._edit(layer_id, action)}"
        except KeyError:  # removed by another controller between the two calls
            return f"layer {layer_id!r} is gone"

    def midi_learn(self) -> str:
        """Start MIDI learn; a bare renderer has no MIDI (the bridge's show overrides this)."""
        return "MIDI learn needs the bridge: synaesthete bridge --midi"

    def _edit(self, layer_id: Hashable, action: str) -> str:
        target = self.target
        if action in ("blend-next", "blend-previous"):
            step = 1 if action == "blend-next" else -1
            current = str(target.get(layer_id, "blend"))
            mode = BLEND_MODES[(BLEND_MODES.index(current) + step) % len(BLEND_MODES)]
            target.set(layer_id, "blend", mode)
            return f"blend {mode}"
        if action in ("opacity-up", "opacity-down"):
            step = OPACITY_STEP if action == "opacity-up" else -OPACITY_STEP
            value = round(min(1.0, max(0.0, float(target.get(layer_id, "opacity")) + step)), 4)  # type: ignore[arg-type]
            target.set(layer_id, "opacity", value)
            return f"opacity {value:.2f}"
        if action in ("expression-up", "expression-down"):
            if "expression" not in target.layer_props:
                return "no expression here: it shapes generated pictures (synaesthete bridge)"
            step = EXPRESSION_STEP if action == "expression-up" else -EXPRESSION_STEP
            now = float(target.get(layer_id, "expression"))  # type: ignore[arg-type]
            value = round(min(1.0, max(0.0, now + step)), 4)
            target.set(layer_id, "expression", value)
            return f"expression {value:.2f}"
        value = not bool(target.get(layer_id, action))  # mute, solo
        target.set(layer_id, action, value)
        return f"{action} {'on' if value else 'off'}"

    def _select(self, which: str) -> str:
        ids = self.target.layer_ids()
        choice, message = choose_layer(ids, self.selected_layer(), which)
        if choice is None:
            return message
        self.selected = choice
        return f"selected layer {ids.index(choice) + 1}: {self.target.layer_name(choice)}"


#: Actions that move a look switch of the owner (:meth:`ControlTarget.switch`).
_SWITCHES = {
    "colour-next": ("colour", 1),
    "colour-previous": ("colour", -1),
    "structure": ("structure", 1),
    "form": ("form", 1),
}
_LAYER_ACTIONS = frozenset(
    {
        "blend-next",
        "blend-previous",
        "opacity-up",
        "opacity-down",
        "expression-up",
        "expression-down",
        "mute",
        "solo",
    }
)
#: The scene's name for each layer property a key edits.
_SCENE_FIELDS = {"blend": "blend", "opacity": "opacity", "mute": "muted", "solo": "solo"}


class SceneTarget:
    """A bare :class:`Scene` as a :class:`ControlTarget` (the renderer on its own)."""

    layer_props = frozenset(_SCENE_FIELDS)

    def __init__(self, scene: Scene) -> None:
        self.scene = scene

    def layer_ids(self) -> list[Hashable]:
        return [layer_id for layer_id, _ in self.scene.snapshot().layers]

    def layer_name(self, layer_id: Hashable) -> str:
        settings = self.scene.layer(layer_id)
        return (settings.label if settings is not None else "") or str(layer_id)

    def get(self, layer_id: Hashable, prop: str) -> object:
        settings = self.scene.layer(layer_id)
        if settings is None:
            raise KeyError(layer_id)
        return getattr(settings, _SCENE_FIELDS[prop])

    def set(self, layer_id: Hashable, prop: str, value: object) -> None:
        if self.scene.layer(layer_id) is None:
            raise KeyError(layer_id)
        self.scene.update_layer(layer_id, **{_SCENE_FIELDS[prop]: value})

    def master(self) -> MasterSettings:
        return self.scene.master

    def set_master(self, **changes: object) -> MasterSettings:
        return self.scene.update_master(**changes)

    def step_composition(self, step: int) -> str | None:
        return None  # layouts belong to the bridge's show; a bare scene has none

    def switch(self, name: str, step: int) -> str | None:
        return None  # colour modes and structure belong to the bridge's looks


def scene_controls(scene: Scene) -> KeyboardControls:
    """Keyboard controls editing ``scene`` directly."""
    return KeyboardControls(SceneTarget(scene))
