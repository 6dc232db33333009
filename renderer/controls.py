"""Keyboard control of the picture, as pure logic over a shared :class:`Scene`.

The window translates key presses into action names with :func:`action_for_key` and hands
layer and master actions to :class:`SceneControls`, which edits the same LayerSettings and
MasterSettings the bridge's OSC handlers edit. Nothing here touches glfw or GL, so every
key's effect is unit-tested, and the bridge can drive the same actions from OSC or MIDI.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from renderer.modes import BLEND_MODES
from renderer.scene import Scene

OPACITY_STEP = 0.05
TRAILS_STEP = 0.02
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
    KeyBinding("M", "mute", "mute / unmute the selected layer"),
    KeyBinding("S", "solo", "solo / unsolo the selected layer"),
    KeyBinding("T", "trails", "feedback trails on / off"),
    KeyBinding("[ / ]", "trails-less", "shorter / longer trails"),
    KeyBinding("F", "freeze", "freeze / unfreeze the picture"),
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
    "m": "mute",
    "s": "solo",
    "t": "trails",
    "[": "trails-less",
    "]": "trails-more",
    "f": "freeze",
    "p": "screenshot",
    "f11": "toggle-fullscreen",
    "escape": "quit",
    "q": "quit",
}
_SHIFT_KEYS = {"tab": "select-previous", "b": "blend-previous"}

#: Actions the window itself handles; the rest go to :class:`SceneControls`.
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


class SceneControls:
    """Applies keyboard actions to a scene, remembering which layer is selected."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self.selected: Hashable | None = None

    def layer_ids(self) -> list[Hashable]:
        """Layer ids in draw order (bottom first), as numbered by keys 1…9."""
        return [layer_id for layer_id, _ in self.scene.snapshot().layers]

    def selected_layer(self) -> Hashable | None:
        """The selected layer if it still exists, else the first layer, else None."""
        ids = self.layer_ids()
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
        master_actions = {
            "trails": self._toggle_trails,
            "trails-less": lambda: self._nudge_trails(-TRAILS_STEP),
            "trails-more": lambda: self._nudge_trails(TRAILS_STEP),
            "freeze": self._toggle_freeze,
        }
        if action in master_actions:
            return master_actions[action]()
        layer_actions = {
            "blend-next": lambda lid: self._cycle_blend(lid, 1),
            "blend-previous": lambda lid: self._cycle_blend(lid, -1),
            "opacity-up": lambda lid: self._nudge_opacity(lid, OPACITY_STEP),
            "opacity-down": lambda lid: self._nudge_opacity(lid, -OPACITY_STEP),
            "mute": lambda lid: self._toggle(lid, "muted"),
            "solo": lambda lid: self._toggle(lid, "solo"),
        }
        if action not in layer_actions:
            raise ValueError(f"unknown control action {action!r}")
        layer_id = self.selected_layer()
        if layer_id is None:
            return "no layers yet"
        try:
            return layer_actions[action](layer_id)
        except KeyError:  # removed by another controller between the two calls
            return f"layer {layer_id!r} is gone"

    # -- selection -------------------------------------------------------------------------
    def _select(self, which: str) -> str:
        choice, message = choose_layer(self.layer_ids(), self.selected_layer(), which)
        if choice is not None:
            self.selected = choice
        return message

    # -- layer edits -----------------------------------------------------------------------
    def _cycle_blend(self, layer_id: Hashable, step: int) -> str:
        settings = self.scene.layer(layer_id)
        if settings is None:
            raise KeyError(layer_id)
        mode = BLEND_MODES[(BLEND_MODES.index(settings.blend) + step) % len(BLEND_MODES)]
        self.scene.update_layer(layer_id, blend=mode)
        return f"{layer_id}: blend {mode}"

    def _nudge_opacity(self, layer_id: Hashable, delta: float) -> str:
        settings = self.scene.layer(layer_id)
        if settings is None:
            raise KeyError(layer_id)
        opacity = round(min(1.0, max(0.0, settings.opacity + delta)), 4)
        self.scene.update_layer(layer_id, opacity=opacity)
        return f"{layer_id}: opacity {opacity:.2f}"

    def _toggle(self, layer_id: Hashable, flag: str) -> str:
        settings = self.scene.layer(layer_id)
        if settings is None:
            raise KeyError(layer_id)
        value = not getattr(settings, flag)
        self.scene.update_layer(layer_id, **{flag: value})
        return f"{layer_id}: {flag} {'on' if value else 'off'}"

    # -- master edits ----------------------------------------------------------------------
    def _toggle_trails(self) -> str:
        master = self.scene.update_master(trails_on=not self.scene.master.trails_on)
        return f"trails {'on' if master.trails_on else 'off'} ({master.trails:.2f})"

    def _nudge_trails(self, delta: float) -> str:
        trails = round(min(TRAILS_MAX, max(0.0, self.scene.master.trails + delta)), 4)
        self.scene.update_master(trails=trails)
        return f"trails {trails:.2f}"

    def _toggle_freeze(self) -> str:
        master = self.scene.update_master(freeze=not self.scene.master.freeze)
        return "frozen" if master.freeze else "unfrozen"
