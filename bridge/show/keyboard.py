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

from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Protocol

from bridge.ingest.protocol import LAYER_PROPS
from bridge.show.colour import COLOUR_MODES
from bridge.show.compositions import COMPOSITIONS
from bridge.show.looks import Looks
from renderer.controls import WINDOW_ACTIONS, KeyboardControls, action_for_key
from renderer.settings import MasterSettings


class LooksTarget:
    """The looks as a :class:`renderer.controls.ControlTarget`.

    ``draw_order`` (e.g. the compositor scene's layer ids, bottom first) makes the numbers
    keys, OSC and feedback use the ones the HUD shows; layers it does not know yet come
    after, by their order and key.
    """

    layer_props = frozenset(LAYER_PROPS)

    def __init__(
        self, looks: Looks, draw_order: Callable[[], list[Hashable]] | None = None
    ) -> None:
        self.looks = looks
        self.draw_order = draw_order

    def layer_ids(self) -> list[Hashable]:
        layers = self.looks.layers
        drawn = [key for key in self.draw_order() if key in layers] if self.draw_order else []
        known = set(drawn)
        rest = [key for key in layers if key not in known]
        if rest:
            settings = {key: self.looks.settings(key) for key in rest}
            drawn.extend(sorted(rest, key=lambda k: (settings[k].order, str(k))))
        return drawn

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

    def switch(self, name: str, step: int) -> str | None:
        looks = self.looks
        if name == "colour":
            index = COLOUR_MODES.index(looks.colour)
            looks.colour = COLOUR_MODES[(index + step) % len(COLOUR_MODES)]
            return looks.colour
        if name == "structure":
            looks.structure_on = not looks.structure_on
            return "on" if looks.structure_on else "off"
        if name == "form":
            looks.form_on = not looks.form_on
            return "on" if looks.form_on else "off"
        return None


class Learner(Protocol):
    """MIDI learn as the keyboard drives it (:class:`bridge.control.midi_learn.MidiLearner`)."""

    def arm(self, target: str) -> str:
        """Map the next MIDI control moved to ``target``; returns a message for the HUD."""

    def cancel(self) -> str:
        """Stop waiting for a control; returns a message for the HUD."""


class LooksKeyboard(KeyboardControls):
    """Key presses → look changes; remembers the selected layer and the last message.

    With a ``learner``, L starts MIDI learn: the next key names the control (its action),
    then the next MIDI control moved is mapped to it; L or Esc instead of a key cancels.
    """

    def __init__(
        self,
        looks: Looks,
        *,
        draw_order: Callable[[], list[Hashable]] | None = None,
        learner: Learner | None = None,
    ) -> None:
        super().__init__(LooksTarget(looks, draw_order))
        self.looks = looks
        self.learner = learner
        self.choosing = False  # L was pressed: the next key names the control to map
        self.message = ""

    def midi_learn(self) -> str:
        if self.learner is None:
            return super().midi_learn()
        self.choosing = True
        return "MIDI learn: press the key of the control to map (L or Esc cancels)"

    def handle(self, key: str, shift: bool = False) -> bool:
        """Apply the key's action; True when consumed (False leaves it to the window)."""
        action = action_for_key(key, shift)
        if self.choosing and self.learner is not None:
            self.choosing = False
            if action is None or action in ("midi-learn", "quit"):
                self.message = self.learner.cancel()
            elif action in WINDOW_ACTIONS:
                self.message = f"{action} is the window's own; it cannot be mapped"
            else:
                self.message = self.learner.arm(action)
            return True
        if action is None or action in WINDOW_ACTIONS:
            return False
        self.message = self.apply(action)
        return True
