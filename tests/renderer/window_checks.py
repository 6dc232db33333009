"""Window checks run in a fresh process by ``test_window.py``.

Mesa hangs creating a GLX (glfw) window in a process that already holds a headless EGL
context, and the rest of the test session holds one. So the window is exercised here, in a
child process that never touches EGL, and each check's outcome comes back as JSON.
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np

CHECKS: dict[str, Callable[[Path], None]] = {}


def check(fn: Callable[[Path], None]) -> Callable[[Path], None]:
    CHECKS[fn.__name__] = fn
    return fn


def open_window(tmp: Path):
    from renderer.window import Window

    win = Window((96, 64), vsync=False, screenshot_dir=tmp, internal_height=None)
    assert win.ctx.error == "GL_NO_ERROR", win.ctx.error
    return win


def close_window(win) -> None:
    error = win.ctx.error
    win.close()
    assert error == "GL_NO_ERROR", f"GL error left behind: {error}"


def full_frame_layer(tint):
    from renderer.settings import LayerSettings, ReactiveSettings

    return LayerSettings(tint=tint, blend="normal", fit="stretch", reactive=ReactiveSettings.off())


@check
def renders_a_frame_and_reads_it_back(tmp: Path) -> None:
    win = open_window(tmp)
    win.hud_visible = False
    win.compositor.set_layer("x", full_frame_layer((0, 1, 0)))
    win.compositor.push_image("x", np.full((4, 4), 255, np.uint8), 0.0)
    win.draw(0.0)
    frame = win.read_screen()
    win.show()
    assert frame.shape == (64, 96, 3), frame.shape
    assert np.all(frame == [0, 255, 0]), np.unique(frame.reshape(-1, 3), axis=0)
    close_window(win)


@check
def hud_shows_owner_status_lines_and_toggles(tmp: Path) -> None:
    win = open_window(tmp)
    win.add_status_provider(lambda: ["generation 18/30 fps"])
    win.draw(0.0)
    assert win.read_screen()[4:40, 4:90].max() > 200, "no white HUD text"
    win.press("h")
    win.draw(0.0)
    assert win.read_screen().max() == 0, "HUD still drawn after H"
    close_window(win)


@check
def keys_edit_the_scene_and_owner_handlers_come_first(tmp: Path) -> None:
    from renderer.settings import LayerSettings

    win = open_window(tmp)
    seen: list[str] = []
    win.add_key_handler(lambda key, shift: seen.append(key) or key == "m")
    win.compositor.set_layer("a", LayerSettings(blend="screen"))
    win.press("b")
    assert win.scene.layer("a").blend == "overlay"
    win.press("m")  # consumed by the owner's handler
    assert not win.scene.layer("a").muted and seen == ["b", "m"], seen
    win.press("escape")
    assert win.should_close
    close_window(win)


@check
def screenshot_key_saves_a_png(tmp: Path) -> None:
    from PIL import Image

    win = open_window(tmp)
    win.hud_visible = False
    win.compositor.set_layer("x", full_frame_layer((1, 0, 0)))
    win.compositor.push_image("x", np.full((4, 4), 255, np.uint8), 0.0)
    win.press("p")
    win.frame(0.0)
    assert win.last_screenshot is not None and win.last_screenshot.exists()
    image = np.asarray(Image.open(win.last_screenshot))
    assert image.shape == (64, 96, 3) and np.all(image == [255, 0, 0])
    close_window(win)


@check
def resizing_follows_the_framebuffer(tmp: Path) -> None:
    import glfw

    win = open_window(tmp)
    glfw.set_window_size(win._handle, 120, 80)
    for _ in range(20):  # the X server applies the resize asynchronously
        win.frame(0.0)
        if win.framebuffer_size() == (120, 80):
            break
    win.frame(0.0)
    assert win.compositor.size == win.framebuffer_size() == (120, 80), win.framebuffer_size()
    close_window(win)


@check
def run_loop_calls_update_with_increasing_time(tmp: Path) -> None:
    win = open_window(tmp)
    times: list[float] = []

    def update(t: float):
        times.append(t)
        win.compositor.push_image("x", np.full((4, 4), 255, np.uint8), t)
        return None, (t * 2.0) % 1.0

    ticks = itertools.count()
    # An injected clock, 1/8 s per reading: the loop's timing, not the machine's speed.
    frames = win.run(update, clock=lambda: next(ticks) / 8, max_seconds=0.5)
    assert frames == len(times) == 3 and times == [0.125, 0.25, 0.375], (frames, times)
    close_window(win)


def main() -> int:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in CHECKS.items():
            try:
                fn(Path(tmp))
                results[name] = "ok"
            except Exception:
                results[name] = traceback.format_exc()
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
