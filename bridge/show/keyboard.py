"""The window's keys, applied to the bridge's looks instead of the bare scene.

In the live show every frame's layer settings are derived from :class:`Looks` (device
dials, controller overrides, fades), so a key that edited the scene directly would be
undone a frame later. This handler sees each key first (``Window.add_key_handler``) and
runs the renderer's one keyboard action map (:class:`renderer.controls.KeyboardControls`)
over the looks — each edit an override, exactly what an OSC controller does — and leaves
window actions (HUD, screenshot, fullscreen, quit) to the window. C / Shift+C switch the
composition (:mod:`bridge.show.compositions`); the layers move to their new places eased.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace

from bridge.show.compositions import COMPOSITIONS
from bridge.show.looks import Looks
from renderer.controls import WINDOW_ACTIONS, KeyboardControls, action_for_key
from renderer.settings import MasterSettings


class LooksTarget:
    """The looks as a :class:`renderer.controls.ControlTarget`."""

    def __init__(self, looks: Looks) -> None:
        self.looks = looks

    def layer_ids(self) -> list[Hashable]:
        settings = self.looks.all_settings()
        return sorted(settings, key=lambda k: (settings[k].order, str(k)))

    def layer_name(self, layer_id: Hashable) -> str:
        return self.looks.layers[layer_id].info.name or str(layer_id)

    def get(self, layer_id: Hashable, prop: str) -> object:
        return self.looks.value(layer_id, prop)

    def set(self, layer_id: Hashable, prop: str, value: object) -> None:
        self.looks.set_override(layer_id, prop, value)

    def master(self) -> MasterSettings:
        return self.looks.master

    def set_master(self, **changes: object) -> MasterSettings:
        self.looks.master = replace(self.looks.master, **changes)  # type: ignore[arg-type]
        return self.looks.master

    def step_composition(self, step: int) -> str | None:
        index = COMPOSITIONS.index(self.looks.composition)
        self.looks.composition = COMPOSITIONS[(index + step) % len(COMPOSITIONS)]
        return self.looks.composition


class LooksKeyboard(KeyboardControls):
    """Key presses → look changes; remembers the selected layer and the last message."""

    def __init__(self, looks: Looks) -> None:
        super().__init__(LooksTarget(looks))
        self.looks = looks
        self.message = ""

    def handle(self, key: str, shift: bool = False) -> bool:
        """Apply the key's action; True when consumed (False leaves it to the window)."""
        action = action_for_key(key, shift)
        if action is None or action in WINDOW_ACTIONS:
            return False
        self.message = self.apply(action)
        return True
