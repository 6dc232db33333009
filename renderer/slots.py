"""Mapping arbitrary layer ids onto the fixed texture slots the GPU holds.

Textures are allocated once for ``capacity`` layers and reused, so a track appearing or
disappearing mid-set costs no GL allocation. Freed slots are handed out lowest first, which
keeps slot numbers (and so test expectations) deterministic.
"""

from __future__ import annotations

from collections.abc import Hashable


class SlotsFullError(RuntimeError):
    """Every texture slot already belongs to a layer."""


class SlotTable:
    """Assigns each layer id a slot index in ``range(capacity)``."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._slot_of: dict[Hashable, int] = {}
        self._free = list(range(capacity))

    def acquire(self, layer_id: Hashable) -> int:
        """The layer's slot, assigning the lowest free one if it has none yet.

        Raises:
            SlotsFullError: all slots are taken; the message says how to make room.
        """
        slot = self._slot_of.get(layer_id)
        if slot is not None:
            return slot
        if not self._free:
            raise SlotsFullError(
                f"all {self.capacity} layer slots are in use, so layer {layer_id!r} cannot be "
                f"drawn; remove an unused layer or create the Compositor with a larger max_layers"
            )
        slot = min(self._free)
        self._free.remove(slot)
        self._slot_of[layer_id] = slot
        return slot

    def release(self, layer_id: Hashable) -> int | None:
        """Free the layer's slot; return it, or None if the layer had none."""
        slot = self._slot_of.pop(layer_id, None)
        if slot is not None:
            self._free.append(slot)
        return slot

    def slot_of(self, layer_id: Hashable) -> int | None:
        """The layer's slot, or None."""
        return self._slot_of.get(layer_id)

    def assignments(self) -> dict[Hashable, int]:
        """A copy of the layer id → slot mapping."""
        return dict(self._slot_of)

    def layer_ids(self) -> list[Hashable]:
        """Ids currently holding a slot."""
        return list(self._slot_of)

    def __len__(self) -> int:
        return len(self._slot_of)
