"""A compositor without a window: an EGL context plus the compositor's own framebuffer.

Used for offline video, tests and benchmarks, and on machines with no display at all (EGL
needs no X server). It is deliberately thin: everything visual lives in the Compositor.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from types import TracebackType
from typing import Any

import numpy as np

from renderer.compositor import Compositor
from renderer.scene import Scene
from renderer.settings import LayerFeatures


class HeadlessRenderer:
    """Owns a standalone EGL moderngl context and a :class:`Compositor` drawing into it.

    Args:
        size: output (width, height).
        **compositor_options: passed to :class:`Compositor` (scene, max_layers,
            field_size, internal_height, upscale, tile_size, ink).

    Raises:
        RuntimeError: no EGL/OpenGL 3.3 context could be created; the message says what
            to install.
    """

    def __init__(self, size: tuple[int, int], **compositor_options: Any) -> None:
        import moderngl

        try:
            self.ctx = moderngl.create_context(standalone=True, backend="egl")
        except Exception as exc:  # moderngl/glcontext raise plain Exceptions here
            raise RuntimeError(
                f"could not create a headless OpenGL context through EGL ({exc}); install "
                f"Mesa's EGL and GL drivers (Debian: libegl1 libgl1-mesa-dri)"
            ) from exc
        if self.ctx.version_code < 330:
            version = self.ctx.version_code
            self.ctx.release()
            raise RuntimeError(f"OpenGL 3.3 is needed, this context offers {version}")
        self.compositor = Compositor(self.ctx, size, **compositor_options)

    @property
    def scene(self) -> Scene:
        """The compositor's scene (share it with whatever controls the picture)."""
        return self.compositor.scene

    @property
    def size(self) -> tuple[int, int]:
        """Output (width, height)."""
        return self.compositor.size

    def render(
        self,
        t: float,
        features: Mapping[Hashable, LayerFeatures] | None = None,
        beat_phase: float | None = None,
    ) -> np.ndarray:
        """Render the frame at time ``t`` and return it as H×W×3 uint8, row 0 on top."""
        self.compositor.render(t, features, beat_phase)
        return self.compositor.read()

    def close(self) -> None:
        """Release the compositor and the context."""
        self.compositor.release()
        self.ctx.release()

    def __enter__(self) -> HeadlessRenderer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
