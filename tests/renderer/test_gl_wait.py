"""Waiting for the GL with the GIL released, and the fallback where that is impossible."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

from renderer import gl_wait


@pytest.fixture
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gl_wait, "_LOADED", False)
    monkeypatch.setattr(gl_wait, "_GL_FINISH", None)


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


def test_compositor_finish_completes_the_frame(ctx) -> None:
    from renderer.compositor import Compositor
    from tests.renderer.test_compositor_gl import plain

    compositor = Compositor(ctx, (32, 18), internal_height=None)
    compositor.set_layer("a", plain(tint=(1.0, 0.0, 0.0)))
    compositor.push_image("a", np.full((64, 64), 255, np.uint8), 0.0)
    compositor.render(1.0)
    compositor.finish()
    assert compositor.read()[9, 16].tolist() == [255, 0, 0]
    compositor.release()
