"""The one place layer and master settings live, shared by whoever controls the picture.

The bridge (OSC from Live), the window's keyboard and the compositor all hold the same
:class:`Scene`. Controllers replace whole frozen settings objects under a lock; the render
loop takes a :class:`SceneSnapshot` once per frame, so it always draws one consistent state
even when OSC arrives on another thread mid-frame.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any

from renderer.settings import LayerSettings, MasterSettings

LayerId = Hashable


@dataclass(frozen=True)
class SceneSnapshot:
    """An immutable view of the scene: the master and the layers in draw order (bottom first)."""

    master: MasterSettings
    layers: tuple[tuple[LayerId, LayerSettings], ...]
    version: int

    def visible(self) -> tuple[tuple[LayerId, LayerSettings], ...]:
        """The layers that draw, bottom first: never muted ones; only soloed ones if any is."""
        return visible_layers(self.layers)


def visible_layers(
    layers: tuple[tuple[LayerId, LayerSettings], ...],
) -> tuple[tuple[LayerId, LayerSettings], ...]:
    """Apply mute and solo like a mixer: mute always hides; any solo hides the unsoloed."""
    any_solo = any(s.solo for _, s in layers)
    return tuple((lid, s) for lid, s in layers if not s.muted and (s.solo or not any_solo))


class Scene:
    """Thread-safe table of layer settings keyed by arbitrary hashable ids, plus the master.

    Layer ids are whatever the owner uses (a track index, a LOM id, a name). Draw order is
    by ``LayerSettings.order`` and then by when the layer was first added.
    """

    def __init__(self, master: MasterSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._master = master or MasterSettings()
        self._layers: dict[LayerId, LayerSettings] = {}
        self._added: dict[LayerId, int] = {}
        self._next_added = 0
        self._version = 0

    # -- master ----------------------------------------------------------------------------
    @property
    def master(self) -> MasterSettings:
        """The current master settings."""
        return self._master

    def set_master(self, master: MasterSettings) -> None:
        """Replace the master settings."""
        if not isinstance(master, MasterSettings):
            raise TypeError(f"set_master needs a MasterSettings, got {type(master).__name__}")
        with self._lock:
            self._master = master
            self._version += 1

    def update_master(self, **changes: Any) -> MasterSettings:
        """Change some master fields (validated) and return the new master settings."""
        with self._lock:
            self._master = replace(self._master, **changes)
            self._version += 1
            return self._master

    # -- layers ----------------------------------------------------------------------------
    def set_layer(self, layer_id: LayerId, settings: LayerSettings) -> None:
        """Add a layer or replace its settings."""
        if not isinstance(settings, LayerSettings):
            raise TypeError(f"set_layer needs a LayerSettings, got {type(settings).__name__}")
        hash(layer_id)  # unhashable ids fail here, with Python's own clear TypeError
        with self._lock:
            self._store(layer_id, settings)

    def ensure_layer(self, layer_id: LayerId) -> LayerSettings:
        """Return a layer's settings, adding it with defaults first if it is new."""
        hash(layer_id)
        with self._lock:
            if layer_id not in self._layers:
                self._store(layer_id, LayerSettings())
            return self._layers[layer_id]

    def _store(self, layer_id: LayerId, settings: LayerSettings) -> None:
        """Insert or replace one layer; the caller holds the lock."""
        if layer_id not in self._layers:
            self._added[layer_id] = self._next_added
            self._next_added += 1
        self._layers[layer_id] = settings
        self._version += 1

    def update_layer(self, layer_id: LayerId, **changes: Any) -> LayerSettings:
        """Change some fields of an existing layer (validated) and return its new settings.

        Raises:
            KeyError: no layer has this id; add it with :meth:`set_layer` first.
        """
        with self._lock:
            if layer_id not in self._layers:
                raise KeyError(f"no layer {layer_id!r} in the scene; add it with set_layer()")
            new = replace(self._layers[layer_id], **changes)
            self._layers[layer_id] = new
            self._version += 1
            return new

    def remove_layer(self, layer_id: LayerId) -> bool:
        """Remove a layer; return whether it existed."""
        with self._lock:
            existed = self._layers.pop(layer_id, None) is not None
            self._added.pop(layer_id, None)
            if existed:
                self._version += 1
            return existed

    def layer(self, layer_id: LayerId) -> LayerSettings | None:
        """A layer's settings, or None if there is no such layer."""
        with self._lock:
            return self._layers.get(layer_id)

    def __contains__(self, layer_id: object) -> bool:
        with self._lock:
            return layer_id in self._layers

    def __len__(self) -> int:
        with self._lock:
            return len(self._layers)

    def snapshot(self) -> SceneSnapshot:
        """The master and all layers in draw order, taken atomically."""
        with self._lock:
            items = sorted(self._layers.items(), key=lambda kv: (kv[1].order, self._added[kv[0]]))
            return SceneSnapshot(self._master, tuple(items), self._version)
