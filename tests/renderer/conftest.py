"""Shared fixtures for renderer tests: one headless GL context, checked for errors per test.

Like moderngl's own suite, every GL test asserts ``ctx.error == "GL_NO_ERROR"`` before and
after it runs, so a test that leaves a GL error behind fails itself instead of a later one.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest


@pytest.fixture(scope="session")
def gl_context():
    """A standalone EGL context for the whole session (EGL needs no display)."""
    moderngl = pytest.importorskip("moderngl")
    try:
        ctx = moderngl.create_context(standalone=True, backend="egl")
    except Exception as exc:  # no EGL driver on this machine
        pytest.skip(f"no headless EGL OpenGL context available: {exc}")
    yield ctx
    ctx.release()


@pytest.fixture
def ctx(gl_context) -> Iterator:
    """The session context, with no GL error allowed before or after the test."""
    assert gl_context.error == "GL_NO_ERROR"
    yield gl_context
    assert gl_context.error == "GL_NO_ERROR"


def full_ink(rows: int = 4, cols: int = 4) -> np.ndarray:
    """An ink field that is ink everywhere."""
    return np.full((rows, cols), 255, np.uint8)
