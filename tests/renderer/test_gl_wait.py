"""Waiting for the GL with the GIL released, and the fallback where that is impossible."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator

import pytest

from renderer import gl_wait


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    gl_wait._load_gl_finish.cache_clear()
    yield
    gl_wait._load_gl_finish.cache_clear()


def test_the_system_gl_finish_is_called_through_ctypes(fresh_cache) -> None:
    wait = gl_wait.gil_free_finish(lambda: None)
    # A foreign function without the PYTHONAPI flag: ctypes releases the GIL for the call
    # (a PyDLL function, or moderngl's own finish, would keep it).
    assert isinstance(wait, ctypes._CFuncPtr)
    assert not wait._flags_ & ctypes._FUNCFLAG_PYTHONAPI
    wait()  # with or without a current context here, the call returns


def test_without_a_gl_library_the_fallback_is_used(fresh_cache, monkeypatch) -> None:
    monkeypatch.setattr(gl_wait, "_candidates", lambda: ["libno-such-gl.so.9"])
    fallback_calls = []
    wait = gl_wait.gil_free_finish(lambda: fallback_calls.append(1))
    wait()
    assert fallback_calls == [1]


def test_software_rasterisers_are_recognised() -> None:
    assert gl_wait.is_software_renderer("llvmpipe (LLVM 15.0.6, 256 bits)")
    assert gl_wait.is_software_renderer("Google SwiftShader")
    assert not gl_wait.is_software_renderer("NVIDIA GeForce RTX 3060/PCIe/SSE2")
    assert not gl_wait.is_software_renderer("Apple M2")


def test_this_machines_compositor_waits_between_passes(ctx) -> None:
    from renderer.compositor import Compositor

    compositor = Compositor(ctx, (32, 18))
    assert compositor._wait_between_passes == gl_wait.is_software_renderer(ctx.info["GL_RENDERER"])
    compositor.release()
