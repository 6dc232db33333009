"""The window's keys, applied to the bridge's looks instead of the bare scene.

In the live pipeline every frame's layer settings are derived from :class:`Looks` (device
dials, controller overrides, fades), so a key that edited the scene directly would be
undone a frame later. This handler sees each key first (``Window.add_key_handler``),
performs the same documented actions (renderer.controls.KEY_BINDINGS) as overrides on the
looks — exactly what an OSC controller does — and leaves window actions (HUD, screenshot,
fullscreen, quit) to the window.
"""

from __future__ import annotations

from collections.abc import Hashable

from bridge.show.looks import Looks, master_with
from renderer.controls import (
    OPACITY_STEP,
    TRAILS_MAX,
    TRAILS_STEP,
    WINDOW_ACTIONS,
    action_for_key,
    choose_layer,
)
from renderer.modes import BLEND_MODES


class LooksKeyboard:
    """Key presses → look changes; remembers the selected layer and the last message."""

    def __init__(self, looks: Looks) -> None:
        self.looks = looks
        self.selected: Hashable | None = None
        self.message = ""

    def layer_keys(self) -> list[Hashable]:
        """Layers in draw order (bottom first), as numbered by keys 1…9."""
        settings = self.looks.all_settings()
        return sorted(settings, key=lambda k: (settings[k].order, str(k)))

    def selected_layer(self) -> Hashable | None:
        keys = self.layer_keys()
        if self.selected not in keys:
            self.selected = keys[0] if keys else None
        return self.selected

    def handle(self, key: str, shift: bool = False) -> bool:
        """Apply the key's action; True when consumed (False leaves it to the window)."""
        action = action_for_key(key, shift)
        if action is None or action in WINDOW_ACTIONS:
            return False
        self.message = self.apply(action)
        return True

    def apply(self, action: str) -> str:
        looks = self.looks
        master = looks.master
        if action == "trails":
            looks.master = master_with(master, "trails", 0.0 if master.trails_on else master.trails)
            return f"trails {'on' if looks.master.trails_on else 'off'}"
        if action in ("trails-less", "trails-more"):
            step = TRAILS_STEP if action == "trails-more" else -TRAILS_STEP
            looks.master = master_with(master, "trails", min(TRAILS_MAX, master.trails + step))
            return f"trails {looks.master.trails:.2f}"
        if action == "freeze":
            looks.master = master_with(master, "freeze", not master.freeze)
            return "frozen" if looks.master.freeze else "unfrozen"
        if action.startswith("select-"):
            return self._select(action.removeprefix("select-"))
        key = self.selected_layer()
        if key is None:
            return "no layers yet"
        name = looks.layers[key].info.name or str(key)
        if action in ("blend-next", "blend-previous"):
            step = 1 if action == "blend-next" else -1
            current = str(looks.value(key, "blend"))
            mode = BLEND_MODES[(BLEND_MODES.index(current) + step) % len(BLEND_MODES)]
            looks.set_override(key, "blend", mode)
            return f"{name}: blend {mode}"
        if action in ("opacity-up", "opacity-down"):
            step = OPACITY_STEP if action == "opacity-up" else -OPACITY_STEP
            value = round(min(1.0, max(0.0, float(looks.value(key, "opacity")) + step)), 4)  # type: ignore[arg-type]
            looks.set_override(key, "opacity", value)
            return f"{name}: opacity {value:.2f}"
        if action in ("mute", "solo"):
            value = not bool(looks.value(key, action))
            looks.set_override(key, action, value)
            return f"{name}: {action} {'on' if value else 'off'}"
        raise ValueError(f"unknown control action {action!r}")

    def _select(self, which: str) -> str:
        choice, message = choose_layer(self.layer_keys(), self.selected_layer(), which)
        if choice is None:
            return message
        self.selected = choice
        number = message.split(":")[0]  # "selected layer N"
        return f"{number}: {self.looks.layers[choice].info.name or choice}"
