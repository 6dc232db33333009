"""Styles by name, each loaded once; a style that cannot be had falls back to the default.

The live worker loads styles on background threads (a generator process takes ~1.5 s to
start) while it generates with the ones already loaded, so every method here is safe to
call from several threads. Loading itself runs outside the lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bridge.generate.generator_api import GeneratorLostError

log = logging.getLogger(__name__)


#: Unavailable style names remembered (the oldest are forgotten first; one asked for again
#: is simply tried again, which fails fast for a name no style folder has).
MAX_FAILED = 256


class StyleCacheClosedError(RuntimeError):
    """A load finished after :meth:`StyleCache.close`; its style was closed at once."""


def _close(style: object) -> None:
    close = getattr(style, "close", None)
    if close is not None:
        close()


class StyleCache:
    """``loader`` turns a name into an object with ``audio_to_image(windows)`` (a
    :class:`bridge.generate.generator_process.RemoteStyle` or :class:`models.style.Style` in the
    bridge, anything alike in tests)."""

    def __init__(self, loader: Callable[[str], object], default: str) -> None:
        self._loader = loader
        self.default = default
        self._styles: dict[str, object] = {}
        self._failed: dict[str, str] = {}  # name → why it cannot be had
        self._lock = threading.Lock()
        self._closed = False
        self.fallbacks = 0

    def load(self, name: str) -> object:
        """The style called ``name`` itself, loading it unless it is loaded already.

        Raises:
            GeneratorLostError: its process failed to start; not remembered, as a later
                try may work.
            OSError, ValueError, RuntimeError: it cannot be had (unknown name, bad files);
                remembered, so :meth:`name_for` answers the default from then on.
        """
        with self._lock:
            if name in self._styles:
                return self._styles[name]
            if name in self._failed:
                raise RuntimeError(f"style {name!r} is unavailable: {self._failed[name]}")
        try:
            style = self._loader(name)
        except GeneratorLostError:
            raise
        except (OSError, ValueError, RuntimeError) as exc:
            with self._lock:
                self._failed[name] = str(exc)
                while len(self._failed) > MAX_FAILED:  # junk names cannot grow it for ever
                    del self._failed[next(iter(self._failed))]
            if name != self.default:
                log.warning("style %r unavailable (%s); using %r", name, exc, self.default)
            raise
        with self._lock:
            spare = self._closed or name in self._styles  # closed meanwhile, or loaded twice
            if not spare:
                self._styles[name] = style
            kept = self._styles.get(name)
        if spare:
            _close(style)
            if kept is None:
                raise StyleCacheClosedError(f"style {name!r} loaded after the cache closed")
            return kept
        log.info("style %s loaded", name)
        return style

    def get(self, wanted: str) -> tuple[str, object]:
        """``(name, style)`` for ``wanted``, or for the default if ``wanted`` cannot be had.

        Raises:
            GeneratorLostError: the style's process failed to start (try again later).
            RuntimeError: the default style itself cannot be loaded (with the reason).
        """
        name = self.name_for(wanted)
        if name != wanted:
            self.fallbacks += 1
        try:
            return name, self.load(name)
        except GeneratorLostError:
            raise
        except (OSError, ValueError, RuntimeError) as exc:
            if name == self.default:
                raise RuntimeError(f"the default style {name!r} cannot be loaded: {exc}") from exc
            self.fallbacks += 1
            return self.get(self.default)

    def peek(self, name: str) -> object | None:
        """The style if it is loaded now, else None; never loads anything."""
        with self._lock:
            return self._styles.get(name)

    def is_loaded(self, name: str) -> bool:
        with self._lock:
            return name in self._styles

    def has_failed(self, name: str) -> bool:
        """Whether ``name`` was found impossible to load (and is not being tried again)."""
        with self._lock:
            return name in self._failed

    def name_for(self, wanted: str) -> str:
        """The name :meth:`get` would answer for ``wanted``, without loading anything."""
        with self._lock:
            if wanted in self._failed and wanted != self.default:
                return self.default
            return wanted

    def discard(self, name: str) -> None:
        """Close and forget a style (its generator was lost, or it failed to load); the next
        load starts it afresh."""
        with self._lock:
            self._failed.pop(name, None)
            style = self._styles.pop(name, None)
        if style is not None:
            _close(style)

    def close(self) -> None:
        """Release every loaded style (stops generator processes); loads still under way
        close their own style when they finish."""
        with self._lock:
            self._closed = True
            styles = list(self._styles.values())
            self._styles.clear()
        for style in styles:
            _close(style)
