"""The live output: a glfw window around the same Compositor the headless path uses.

glfw must run on the main thread (macOS insists, and GL contexts are per thread anyway), so
the owner — the bridge or ``synaesthete preview`` — calls :meth:`Window.frame` or
:meth:`Window.run` from its main loop and does generation and OSC elsewhere. The window adds
only what a screen needs: vsync, fullscreen on a chosen monitor, resizing, the HUD and the
keyboard. Two hooks let the owner extend it without subclassing:

- :meth:`Window.add_status_provider`: a callable returning extra HUD lines each refresh.
- :meth:`Window.add_key_handler`: sees every key press first and may consume it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from renderer import shaders
from renderer.compositor import Compositor, check_size
from renderer.controls import WINDOW_ACTIONS, action_for_key, scene_controls
from renderer.hud import hud_lines, rasterize_lines
from renderer.scene import Scene
from renderer.settings import LayerFeatures

log = logging.getLogger(__name__)

StatusProvider = Callable[[], Iterable[str]]
KeyHandler = Callable[[str, bool], bool]
FrameInputs = tuple[Mapping[Hashable, LayerFeatures] | None, float | None]

HUD_REFRESH_SECONDS = 0.25
HUD_MARGIN = 8


class WindowError(RuntimeError):
    """The window could not be created (no display, no GL 3.3, no such monitor)."""


def _glfw():
    import glfw

    return glfw


def _key_names() -> dict[int, str]:
    """glfw key codes → the names :func:`renderer.controls.action_for_key` understands."""
    glfw = _glfw()
    names = {getattr(glfw, f"KEY_{c}"): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    names.update({getattr(glfw, f"KEY_{d}"): d for d in "0123456789"})
    names.update(
        {
            glfw.KEY_TAB: "tab",
            glfw.KEY_UP: "up",
            glfw.KEY_DOWN: "down",
            glfw.KEY_LEFT: "left",
            glfw.KEY_RIGHT: "right",
            glfw.KEY_ESCAPE: "escape",
            glfw.KEY_SPACE: "space",
            glfw.KEY_ENTER: "enter",
            glfw.KEY_F11: "f11",
            glfw.KEY_LEFT_BRACKET: "[",
            glfw.KEY_RIGHT_BRACKET: "]",
        }
    )
    return names


def list_monitors() -> list[str]:
    """Names of the connected monitors, in the order ``--monitor N`` counts them."""
    glfw = _glfw()
    if not glfw.init():
        raise WindowError(_init_failure_message())
    return [f"{i}: {_monitor_name(m)}" for i, m in enumerate(glfw.get_monitors() or [])]


def _monitor_name(monitor) -> str:
    name = _glfw().get_monitor_name(monitor)
    return name.decode(errors="replace") if isinstance(name, bytes) else str(name)


def _init_failure_message() -> str:
    glfw = _glfw()
    code, description = glfw.get_error()
    detail = description.decode() if isinstance(description, bytes) else description
    return (
        f"glfw could not start ({code}: {detail}); a window needs a display — set DISPLAY, "
        f"run under Xvfb (.ci/with-display.sh), or render offline with --out FILE.mp4"
    )


class Window:
    """A glfw window showing a :class:`Compositor`, with HUD and keyboard controls.

    Args:
        size: initial window size (ignored in fullscreen, which uses the monitor's mode).
        title: window title.
        fullscreen: open fullscreen on ``monitor`` (e.g. the projector).
        monitor: index into :func:`list_monitors`.
        vsync: wait for the display's refresh (no tearing, no wasted frames).
        screenshot_dir: where P saves PNGs.
        **compositor_options: passed to :class:`Compositor` (scene, max_layers, …).

    Raises:
        WindowError: no display, no OpenGL 3.3, or no such monitor.
    """

    def __init__(
        self,
        size: tuple[int, int] = (1280, 720),
        *,
        title: str = "synaesthete",
        fullscreen: bool = False,
        monitor: int = 0,
        vsync: bool = True,
        screenshot_dir: str | Path = ".",
        **compositor_options: Any,
    ) -> None:
        import moderngl

        glfw = _glfw()
        size = check_size(size, "window size")
        if not glfw.init():
            raise WindowError(_init_failure_message())
        monitors = glfw.get_monitors() or []
        if fullscreen and not 0 <= monitor < len(monitors):
            raise WindowError(
                f"no monitor {monitor}; connected: {', '.join(list_monitors()) or 'none'}"
            )
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        glfw.window_hint(glfw.RESIZABLE, True)
        self._windowed_size = size
        self._monitor_index = monitor
        target = monitors[monitor] if fullscreen else None
        width, height = size
        if target is not None:
            mode = glfw.get_video_mode(target)
            width, height = mode.size.width, mode.size.height
        self._handle = glfw.create_window(width, height, title, target, None)
        if not self._handle:
            raise WindowError(f"glfw could not open an OpenGL 3.3 core window: {glfw.get_error()}")
        glfw.make_context_current(self._handle)
        glfw.swap_interval(1 if vsync else 0)
        try:
            self.ctx = moderngl.create_context()
        except Exception as exc:  # glcontext raises plain Exceptions
            glfw.destroy_window(self._handle)
            raise WindowError(
                f"no OpenGL 3.3 context in the window ({exc}); note that a window cannot be "
                f"opened in a process that already made a headless EGL context"
            ) from exc
        self.compositor = Compositor(self.ctx, self.framebuffer_size(), **compositor_options)
        self.controls = scene_controls(self.compositor.scene)
        self.screenshot_dir = Path(screenshot_dir)
        self.hud_visible = True
        self.last_screenshot: Path | None = None
        self._status_providers: list[StatusProvider] = []
        self._key_handlers: list[KeyHandler] = []
        self._frame_taps: list[Callable[[tuple[int, int]], None]] = []
        self._key_names = _key_names()
        self._message = ""
        self._screenshot_requested = False
        self._fps: float | None = None
        self._last_frame: float | None = None
        self._hud_refreshed = -1.0
        self._hud_texture: moderngl.Texture | None = None
        self._hud_program = self.ctx.program(
            vertex_shader=shaders.OVERLAY_VERTEX, fragment_shader=shaders.OVERLAY_FRAGMENT
        )
        self._hud_vao = self.ctx.vertex_array(self._hud_program, [])
        glfw.set_key_callback(self._handle, self._on_key)

    # -- hooks -----------------------------------------------------------------------------
    @property
    def scene(self) -> Scene:
        """The scene the window draws and its keys edit (share it with the bridge)."""
        return self.compositor.scene

    def add_status_provider(self, provider: StatusProvider) -> None:
        """Add a callable whose lines appear in the HUD, e.g. ``"generation 18/30 fps"``."""
        self._status_providers.append(provider)

    def add_frame_tap(self, tap: Callable[[tuple[int, int]], None]) -> None:
        """Call ``tap(framebuffer size)`` every frame once the picture is in the back buffer
        and before the HUD is drawn over it, so what it reads is the show alone."""
        self._frame_taps.append(tap)

    def add_key_handler(self, handler: KeyHandler) -> None:
        """Add ``handler(key_name, shift) -> consumed`` called before the built-in keys."""
        self._key_handlers.append(handler)

    # -- state -----------------------------------------------------------------------------
    @property
    def should_close(self) -> bool:
        """Whether the user closed the window (or pressed Esc / Q)."""
        return bool(_glfw().window_should_close(self._handle))

    def framebuffer_size(self) -> tuple[int, int]:
        """The drawable size in pixels (differs from the window size on HiDPI screens)."""
        width, height = _glfw().get_framebuffer_size(self._handle)
        return int(width), int(height)

    @property
    def fps(self) -> float | None:
        """Smoothed display frame rate."""
        return self._fps

    # -- drawing ---------------------------------------------------------------------------
    def frame(
        self,
        t: float,
        features: Mapping[Hashable, LayerFeatures] | None = None,
        beat_phase: float | None = None,
    ) -> None:
        """Process input, draw one frame at time ``t`` with the HUD, and show it (vsync)."""
        _glfw().poll_events()
        self.draw(t, features, beat_phase)
        self.show()

    def draw(
        self,
        t: float,
        features: Mapping[Hashable, LayerFeatures] | None = None,
        beat_phase: float | None = None,
    ) -> None:
        """Draw the frame and HUD into the back buffer without showing it yet."""
        self._tick_fps()
        size = self.framebuffer_size()
        if size[0] <= 0 or size[1] <= 0:  # minimised
            return
        self.compositor.resize(size)
        self.compositor.render(t, features, beat_phase, target=self.ctx.screen)
        for tap in self._frame_taps:  # the picture without the HUD (e.g. live video out)
            tap(size)
        if self._screenshot_requested:
            self._screenshot_requested = False
            self._save_screenshot()
        if self.hud_visible:
            self._draw_hud(size)

    def show(self) -> None:
        """Swap the drawn frame onto the screen (waits for vsync when enabled)."""
        _glfw().swap_buffers(self._handle)

    def run(
        self,
        update: Callable[[float], FrameInputs | None] | None = None,
        *,
        clock: Callable[[], float] = time.perf_counter,
        max_seconds: float | None = None,
    ) -> int:
        """Show frames until the window closes; return the number of frames shown.

        ``update(t)`` is called before each frame (push images there) and may return this
        frame's (features, beat_phase).
        """
        start = clock()
        frames = 0
        while not self.should_close:
            t = clock() - start
            if max_seconds is not None and t >= max_seconds:
                break
            inputs = update(t) if update is not None else None
            features, beat_phase = inputs if inputs is not None else (None, None)
            self.frame(t, features, beat_phase)
            frames += 1
        return frames

    def request_screenshot(self) -> None:
        """Save the next frame (without HUD) as a PNG in ``screenshot_dir``."""
        self._screenshot_requested = True

    def read_screen(self) -> np.ndarray:
        """The back buffer as drawn so far (call between :meth:`draw` and :meth:`show`).

        Returns H×W×3 uint8, row 0 on top. The default framebuffer is blitted into an
        offscreen one first: reading it directly makes moderngl select a colour attachment
        the default framebuffer does not have, which raises a GL error.
        """
        width, height = self.framebuffer_size()
        buffer = self.ctx.renderbuffer((width, height), 4)
        copy = self.ctx.framebuffer(color_attachments=[buffer])
        try:
            self.ctx.copy_framebuffer(copy, self.ctx.screen)
            data = copy.read(components=3, alignment=1)
        finally:
            self.ctx.screen.use()
            copy.release()
            buffer.release()
        return np.flipud(np.frombuffer(data, np.uint8).reshape(height, width, 3))

    def close(self) -> None:
        """Destroy the window and its GL objects (glfw itself stays initialised)."""
        glfw = _glfw()
        if self._handle is None:
            return
        self.compositor.release()
        if self._hud_texture is not None:
            self._hud_texture.release()
        self._hud_vao.release()
        self._hud_program.release()
        self.ctx.release()
        glfw.destroy_window(self._handle)
        self._handle = None

    def __enter__(self) -> Window:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- keyboard --------------------------------------------------------------------------
    def press(self, key: str, shift: bool = False) -> None:
        """Handle a key press by name, as if typed (also used by tests and remote control)."""
        for handler in self._key_handlers:
            try:
                if handler(key, shift):
                    return
            except Exception:  # an owner's handler must never take the show down
                log.exception("key handler %r failed on %r", handler, key)
        action = action_for_key(key, shift)
        if action is None:
            return
        if action in WINDOW_ACTIONS:
            self._window_action(action)
        else:
            self._message = self.controls.apply(action)
        self._hud_refreshed = -1.0  # show the change at once

    def _on_key(self, _window, key: int, _scancode: int, action: int, mods: int) -> None:
        glfw = _glfw()
        if action not in (glfw.PRESS, glfw.REPEAT):
            return
        name = self._key_names.get(key)
        if name is not None:
            self.press(name, bool(mods & glfw.MOD_SHIFT))

    def _window_action(self, action: str) -> None:
        glfw = _glfw()
        if action == "quit":
            glfw.set_window_should_close(self._handle, True)
        elif action == "toggle-hud":
            self.hud_visible = not self.hud_visible
        elif action == "screenshot":
            self.request_screenshot()
        elif action == "toggle-fullscreen":
            self._toggle_fullscreen()

    def _toggle_fullscreen(self) -> None:
        glfw = _glfw()
        if glfw.get_window_monitor(self._handle):
            width, height = self._windowed_size
            glfw.set_window_monitor(self._handle, None, 64, 64, width, height, 0)
            self._message = "windowed"
            return
        monitors = glfw.get_monitors() or []
        if not monitors:
            self._message = "no monitor to go fullscreen on"
            return
        monitor = monitors[min(self._monitor_index, len(monitors) - 1)]
        mode = glfw.get_video_mode(monitor)
        glfw.set_window_monitor(
            self._handle, monitor, 0, 0, mode.size.width, mode.size.height, mode.refresh_rate
        )
        self._message = f"fullscreen on {_monitor_name(monitor)}"

    # -- HUD and screenshots ---------------------------------------------------------------
    def _tick_fps(self) -> None:
        now = time.perf_counter()
        if self._last_frame is not None:
            dt = now - self._last_frame
            if dt > 0:
                rate = 1.0 / dt
                self._fps = rate if self._fps is None else self._fps + 0.1 * (rate - self._fps)
        self._last_frame = now

    def _status_lines(self) -> list[str]:
        lines: list[str] = []
        for provider in self._status_providers:
            try:
                lines.extend(str(line) for line in provider())
            except Exception as exc:  # show the problem instead of crashing the show
                lines.append(f"status error: {exc}")
        return lines

    def _draw_hud(self, size: tuple[int, int]) -> None:
        import moderngl

        now = time.perf_counter()
        if now - self._hud_refreshed >= HUD_REFRESH_SECONDS or self._hud_texture is None:
            self._hud_refreshed = now
            lines = hud_lines(
                self.scene.snapshot(),
                fps=self._fps,
                selected=self.controls.selected_layer(),
                message=self._message,
                extra=self._status_lines(),
            )
            image = rasterize_lines(lines)
            height, width = image.shape[:2]
            if self._hud_texture is None or self._hud_texture.size != (width, height):
                if self._hud_texture is not None:
                    self._hud_texture.release()
                self._hud_texture = self.ctx.texture((width, height), 4)
            self._hud_texture.write(image.tobytes())
        texture = self._hud_texture
        tex_w, tex_h = texture.size
        out_w, out_h = size
        x0 = -1.0 + 2.0 * HUD_MARGIN / out_w
        y1 = 1.0 - 2.0 * HUD_MARGIN / out_h
        self._hud_program["u_rect"].value = (
            x0,
            y1 - 2.0 * tex_h / out_h,
            x0 + 2.0 * tex_w / out_w,
            y1,
        )
        self.ctx.enable(moderngl.BLEND)
        self.ctx.blend_func = moderngl.ONE, moderngl.ONE_MINUS_SRC_ALPHA  # premultiplied over
        texture.use(0)
        self._hud_vao.render(moderngl.TRIANGLE_STRIP, vertices=4)
        self.ctx.disable(moderngl.BLEND)

    def _save_screenshot(self) -> None:
        from PIL import Image

        self.screenshot_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]
        path = self.screenshot_dir / f"synaesthete-{stamp}.png"
        Image.fromarray(self.read_screen()).save(path)
        self.last_screenshot = path
        self._message = f"saved {path.name}"
        log.info("screenshot saved to %s", path)
