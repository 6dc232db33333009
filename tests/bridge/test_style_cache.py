"""StyleCache: each style loaded once, unknown ones fall back, lost ones load afresh."""

from __future__ import annotations

import threading

import pytest

from bridge.generate.generator_api import GeneratorLostError
from bridge.generate.style_cache import StyleCache, StyleCacheClosedError


class Loaded:
    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = False

    def close(self) -> None:
        self.closed = True


class Loader:
    """Loads any name but ``missing`` (a ValueError, as an unknown style is); the names in
    ``flaky`` fail like a child process that did not start, once each."""

    def __init__(self, flaky: tuple[str, ...] = ()) -> None:
        self.calls: list[str] = []
        self.flaky = set(flaky)

    def __call__(self, name: str) -> Loaded:
        self.calls.append(name)
        if name == "missing":
            raise ValueError("no style called 'missing'")
        if name in self.flaky:
            self.flaky.discard(name)
            raise GeneratorLostError("exited at start")
        return Loaded(name)


def test_each_style_is_loaded_once() -> None:
    loader = Loader()
    cache = StyleCache(loader, "squiggle")
    name, first = cache.get("glyphs")
    assert name == "glyphs" and cache.get("glyphs")[1] is first
    assert loader.calls == ["glyphs"]


def test_an_unknown_style_falls_back_to_the_default_without_retrying() -> None:
    loader = Loader()
    cache = StyleCache(loader, "squiggle")
    assert cache.name_for("missing") == "missing"  # not tried yet
    assert cache.get("missing")[0] == "squiggle"
    assert cache.get("missing")[0] == "squiggle"
    assert loader.calls == ["missing", "squiggle"]
    assert cache.fallbacks == 2 and cache.name_for("missing") == "squiggle"


def test_a_default_that_cannot_load_is_an_error_with_the_reason() -> None:
    cache = StyleCache(Loader(), "missing")
    with pytest.raises(RuntimeError, match="default style 'missing' cannot be loaded: no style"):
        cache.get("missing")


def test_a_discarded_style_is_closed_and_loaded_afresh() -> None:
    loader = Loader()
    cache = StyleCache(loader, "squiggle")
    _, first = cache.get("squiggle")
    cache.discard("squiggle")
    assert first.closed
    _, second = cache.get("squiggle")
    assert second is not first and loader.calls == ["squiggle", "squiggle"]
    cache.discard("never-loaded")  # nothing to do


def test_a_generator_lost_while_loading_is_not_remembered_as_a_bad_style() -> None:
    loader = Loader(flaky=("glyphs",))
    cache = StyleCache(loader, "squiggle")
    with pytest.raises(GeneratorLostError):
        cache.get("glyphs")
    assert cache.name_for("glyphs") == "glyphs"  # no fallback: the next try may work
    assert cache.get("glyphs")[0] == "glyphs" and cache.fallbacks == 0


def test_close_releases_every_loaded_style() -> None:
    cache = StyleCache(Loader(), "squiggle")
    styles = [cache.get(name)[1] for name in ("squiggle", "glyphs")]
    cache.close()
    assert all(style.closed for style in styles)


def test_load_gives_the_style_itself_and_remembers_what_cannot_be_had() -> None:
    loader = Loader()
    cache = StyleCache(loader, "squiggle")
    assert cache.load("glyphs").name == "glyphs" and cache.is_loaded("glyphs")
    with pytest.raises(ValueError, match="no style"):
        cache.load("missing")  # no fallback here
    assert cache.has_failed("missing")
    with pytest.raises(RuntimeError, match="'missing' is unavailable"):
        cache.load("missing")
    assert loader.calls == ["glyphs", "missing"]  # not tried twice


def test_a_load_that_ends_after_close_closes_its_own_style() -> None:
    started, finish = threading.Event(), threading.Event()
    made: list[Loaded] = []

    def slow(name: str) -> Loaded:
        started.set()
        finish.wait(5)
        made.append(Loaded(name))
        return made[-1]

    cache = StyleCache(slow, "squiggle")
    errors: list[BaseException] = []

    def load() -> None:
        try:
            cache.load("glyphs")
        except StyleCacheClosedError as exc:
            errors.append(exc)

    loading = threading.Thread(target=load)
    loading.start()
    assert started.wait(5)
    cache.close()
    finish.set()
    loading.join(5)
    assert made[0].closed and len(errors) == 1 and not cache.is_loaded("glyphs")


def test_two_loads_of_one_style_keep_one_and_close_the_other() -> None:
    both = threading.Barrier(2)
    made: list[Loaded] = []

    def loader(name: str) -> Loaded:
        both.wait(5)  # both loads are under way at once
        made.append(Loaded(name))
        return made[-1]

    cache = StyleCache(loader, "squiggle")
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(cache.load("glyphs"))) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert results[0] is results[1]
    assert sorted(style.closed for style in made) == [False, True]


def test_junk_style_names_cost_no_process_and_bounded_memory() -> None:
    """A device or controller may name any well-formed style: an unknown one is refused before
    any generator process starts, and remembering refusals never grows without bound."""
    import multiprocessing

    from bridge.generate.style_cache import MAX_FAILED
    from bridge.show.live import style_loader
    from models.paths import StyleNotFoundError

    before = len(multiprocessing.active_children())
    load = style_loader(threads=1)
    cache = StyleCache(load, "squiggle")
    for i in range(MAX_FAILED + 40):
        with pytest.raises(StyleNotFoundError):
            cache.load(f"junk-{i}")
    assert len(multiprocessing.active_children()) == before
    assert len(cache._failed) == MAX_FAILED
    assert cache.name_for(f"junk-{MAX_FAILED + 39}") == "squiggle"  # the newest still known
