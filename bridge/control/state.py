"""What a controller sees of the show: one immutable :class:`ControlState` per change.

The show thread builds it from the looks and the keyboard's selection
(:func:`capture_state`); feedback (:mod:`bridge.control.feedback`), the OSCQuery server
(:mod:`bridge.control.oscquery`) and MIDI feedback read it from other threads without a lock,
because it is never changed after it is made. :meth:`ControlState.values` flattens it into the
protocol's addresses (the same a controller sends to), so a TouchOSC fader bound to
``/syn/layers/1/opacity`` both moves the layer and follows it.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from functools import cached_property

from bridge.ingest.protocol import LAYER_PROPS, MASTER_PROPS, SPECS
from bridge.show.keyboard import LooksKeyboard
from bridge.show.looks import Looks
from bridge.show.presets import master_values
from bridge.show.structure_looks import track_name

OscValue = int | float | str


@dataclass(frozen=True)
class LayerState:
    """One layer as controllers number and see it: ``number`` is 1-based, bottom first (as
    the HUD and keys 1…9 count); ``values`` follow :data:`LAYER_PROPS`' order."""

    number: int
    key: Hashable
    name: str
    uuid: str
    track_index: int
    values: tuple[OscValue, ...]
    motif: str = ""  # the motif of the last bar ("" silent or before the first bar)


@dataclass(frozen=True)
class ControlState:
    """The layers in draw order, the selected layer's number (0: none) and the master
    (values in :data:`MASTER_PROPS`' order; empty before the first capture)."""

    layers: tuple[LayerState, ...] = ()
    selected: int = 0
    master: tuple[OscValue, ...] = ()
    section: str = ""  # the music's section now ("" before the first bar)
    bar: int = 0  # the last complete bar, 1-based (0: none yet)

    @cached_property
    def values(self) -> dict[str, OscValue]:
        """Address → value for everything a controller is told (see the module doc)."""
        out: dict[str, OscValue] = {SPECS["layer_count"].address: len(self.layers)}
        number_template = SPECS["layer_number"].address
        for layer in self.layers:
            base = number_template.replace("{number}", str(layer.number))
            out[base.replace("{prop}", "name")] = layer.name
            out[base.replace("{prop}", "motif")] = layer.motif
            for prop, value in zip(LAYER_PROPS, layer.values, strict=True):
                out[base.replace("{prop}", prop)] = value
        out[SPECS["select"].address] = self.selected
        selected_template = SPECS["selected"].address
        chosen = self.layers[self.selected - 1] if self.selected else None
        out[selected_template.replace("{prop}", "name")] = chosen.name if chosen else ""
        if chosen is not None:
            for prop, value in zip(LAYER_PROPS, chosen.values, strict=True):
                out[selected_template.replace("{prop}", prop)] = value
        out[SPECS["section"].address] = self.section
        out[SPECS["bar"].address] = self.bar
        master_template = SPECS["master"].address
        for prop, value in zip(MASTER_PROPS, self.master, strict=bool(self.master)):
            out[master_template.replace("{prop}", prop)] = value
        return out


def osc_value(value: object) -> OscValue:
    """A property value as OSC carries it: bools as 0/1, the rest unchanged."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, str)):
        return value
    return str(value)


def capture_state(keyboard: LooksKeyboard) -> ControlState:
    """The show's state now (call on the show thread: it reads the looks)."""
    looks = keyboard.looks
    ids = keyboard.layer_ids()
    selected = keyboard.selected_layer()
    layers = tuple(
        LayerState(
            number=number,
            key=key,
            name=looks.layers[key].info.name,
            uuid=looks.layers[key].info.uuid,
            track_index=looks.layers[key].info.track_index,
            values=tuple(osc_value(looks.value(key, prop)) for prop in LAYER_PROPS),
            motif=_motif_label(looks, key),
        )
        for number, key in enumerate(ids, start=1)
    )
    master = master_values(looks)
    return ControlState(
        layers=layers,
        selected=ids.index(selected) + 1 if selected in ids else 0,
        master=tuple(osc_value(master[prop]) for prop in MASTER_PROPS),
        section=looks.structure.section,
        bar=looks.structure.bar + 1,
    )


def _motif_label(looks: Looks, key: Hashable) -> str:
    motif = looks.structure.motif_of(track_name(key))
    return "" if motif is None else motif.label
