"""A glfw window handing its frames to live sinks (run in a child process under a display,
as ``window_checks.py`` is); prints one JSON line describing what the sink received: the
picture without the HUD, even while the HUD is on screen."""

from __future__ import annotations

import json
import sys

import numpy as np


class KeepAll:
    def __init__(self, size, fps):
        self.size, self.fps = size, fps
        self.frames_written = 0
        self.frames: list[np.ndarray] = []

    def write(self, frame):
        self.frames.append(np.array(frame))
        self.frames_written += 1

    def close(self):
        pass


def main() -> int:
    from renderer.settings import LayerSettings, ReactiveSettings
    from renderer.sinks.fanout import SinkSet
    from renderer.sinks.screen import frame_with_sinks
    from renderer.window import Window

    made: list[KeepAll] = []
    sinks = SinkSet(30.0)
    sinks.add("keep", lambda size, fps: made.append(KeepAll(size, fps)) or made[-1])
    win = Window((96, 64), vsync=False, internal_height=None)
    win.hud_visible = True  # the sinks must get the picture without it
    layer = LayerSettings(
        tint=(0, 1, 0), blend="normal", fit="stretch", reactive=ReactiveSettings.off()
    )
    win.compositor.set_layer("x", layer)
    win.compositor.push_image("x", np.full((4, 4), 255, np.uint8), 0.0)
    frame = frame_with_sinks(win, sinks)
    frame(0.0)
    frame(0.1)
    with_hud = win.read_screen()
    win.hud_visible = False
    win.draw(0.2)  # the same still picture, now without the HUD on screen
    screen = win.read_screen()
    win.show()
    error = win.ctx.error
    win.close()
    got = made[-1].frames[1]  # drawn while the HUD was on screen
    print(
        json.dumps(
            {
                "frames": made[-1].frames_written,
                "shape": list(got.shape),
                "rgb_matches_screen": bool(np.array_equal(got[..., :3], screen)),
                "hud_was_on_screen": not bool(np.array_equal(with_hud, screen)),
                "colours": np.unique(got.reshape(-1, 4), axis=0).tolist()[:4],
                "gl_error": error,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
