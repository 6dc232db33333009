"""The compositor: every track's ink field layered into one picture, on any moderngl context.

It knows nothing about windows, OSC or models. A :class:`renderer.headless.HeadlessRenderer`
and a :class:`renderer.window.Window` are thin shells that create a context and hand it in.

Data flow per frame:

1. ``push_image`` (any thread, any rate) stores a layer's newest ink field on the CPU and
   starts its crossfade; GL is never touched outside the render thread.
2. ``render`` (the GL thread) uploads changed fields into a texture array allocated once,
   plans the frame (:mod:`renderer.frame_plan`), composites all layers at the internal
   resolution into a half-float texture — ping-ponged with the previous frame for trails —
   then upscales to the target with the master gain. In stroke mode (the default) the
   composite pass also keeps, per internal pixel, the picture with and without the nearest
   stroke edge, and the present pass draws that edge from the field itself at every output
   pixel, so strokes stay one output pixel sharp at any size (see renderer/shaders.py). On
   a CPU rasteriser the composite pass is compiled for the blend modes in use, and the
   stroke present runs only where the picture is not one flat colour (the rest is cleared;
   renderer/present_plan.py): the same bytes for about two thirds of the CPU time.
3. ``read`` returns the picture as top-down RGB bytes for video or tests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from renderer import shaders
from renderer.crossfade import CrossfadeClock
from renderer.frame_plan import (
    LAYER_DTYPE,
    DrawLayer,
    LayerState,
    ink_box,
    layer_records,
    pack_tiles,
    plan_frame,
    plan_tiles,
)
from renderer.gl_arrays import scissor_array_available, set_scissor_array
from renderer.gl_wait import gil_free_finish, is_software_renderer
from renderer.ink import InkFieldStore, as_ink_image
from renderer.modes import BLEND_MODES
from renderer.overlay import Box, ImageOverlay
from renderer.plan_choice import PlanChoice
from renderer.present_plan import PresentPlan, plan_present
from renderer.reactive import (
    decay_onset_envelope,
    sanitize_beat_phase,
    sanitize_features,
    trail_keep,
)
from renderer.scene import Scene, SceneSnapshot
from renderer.settings import INK_MODES, LayerFeatures, LayerSettings, MasterSettings
from renderer.slots import SlotTable
from renderer.transform import (
    auto_internal_height,
    device_internal_height,
    internal_size,
    present_steepness,
)

if TYPE_CHECKING:
    import moderngl

log = logging.getLogger(__name__)

DEFAULT_MAX_LAYERS = 32
#: "auto" internal height assumes images at least this large until larger ones arrive.
AUTO_BASIS_MIN = 64
#: Upscaling strategies from the internal picture to the output; see docs/renderer.md.
UPSCALE_MODES = ("crisp", "balanced", "soft")
DEFAULT_FIELD_SIZE = 128
MAX_OUTPUT_SIDE = 16384
#: ... and below this many output pixels the whole present costs less than reading back and
#: planning it (at 320×180 skipping plain tiles cost more CPU time than it saved).
PLAIN_MIN_PIXELS = 640 * 360
#: Compositing program variants kept compiled (one per ink mode, trails, opacity and, on a
#: software rasteriser, set of blend modes in use); the least recently used goes first.
MAX_COMPOSITE_PROGRAMS = 16


@dataclass
class RenderStats:
    """Counters of what the compositor drew and what bad input it dropped or fixed."""

    frames: int = 0
    frozen_frames: int = 0
    layers_drawn: int = 0
    images_pushed: int = 0
    features_fixed: int = 0
    beat_phases_dropped: int = 0


def check_size(size: tuple[int, int], what: str = "size") -> tuple[int, int]:
    """Return ``size`` as (width, height) ints, or raise ValueError naming the problem."""
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be (width, height), got {size!r}") from None
    if not (1 <= width <= MAX_OUTPUT_SIDE and 1 <= height <= MAX_OUTPUT_SIDE):
        raise ValueError(f"{what} must be within 1..{MAX_OUTPUT_SIDE} per side, got {size!r}")
    return width, height


class Compositor:
    """Layers ink fields with per-layer blend modes, tints, transforms and audio reactions.

    Args:
        ctx: a moderngl context (GL 3.3 core or later), current on the calling thread.
        size: output (width, height) in pixels.
        scene: the settings to draw; share one with the bridge and the window's keyboard.
            A new empty scene is made when omitted.
        max_layers: texture slots (layers that can hold an image at once).
        field_size: the largest ink image side accepted; smaller images are fine.
        internal_height: rows layers are composited at: "auto" (about 2.25 per texel of
            the largest ink image currently shown, at least 64 px images' worth: 144 rows
            for 64², 288 once a 128² image arrives; see
            :func:`renderer.transform.auto_internal_height`), a number, or None
            for the output height. Fewer rows run faster on a CPU rasteriser.
        tile_size: (width, height) of the tiles the composite pass is split into, in
            internal pixels; each tile loops only over the layers that overlap it. None
            draws the whole picture as one tile.
        upscale: field mode only: "crisp" sharpens edges straight to the output (edges
            ~1 px, slowest), "balanced" sharpens to twice the internal size and stretches
            bilinearly from there (edges a few px at 1080p, about a third of crisp's cost),
            "soft" is plain bilinear (fastest). ``MasterSettings.sharpness`` 0 also means
            plain bilinear.
        ink: "stroke" draws every stroke's edge at the output resolution from the smooth
            field (about one output pixel wide at any size); "field" upscales the internal
            picture as ``upscale`` says. Given, it is written into the scene's master
            (``MasterSettings.ink``); None takes the scene master's (default "stroke").
            Every :meth:`render` follows the master's ``ink``, so it switches live.
        skip_plain: stroke mode: read the composited picture back after the composite pass,
            clear the output tiles that show one flat colour and run the stroke present
            only over the rest (:mod:`renderer.present_plan`; the same picture, bit for
            bit). None: on a software rasteriser with GL 4.1 (where it took 40 % off the
            present's CPU time in the bridge's eight-track look), not on a GPU (where a
            read-back would stall it). Frames under :data:`PLAIN_MIN_PIXELS` draw the whole
            present, and so do all frames while trials find that planning costs more CPU
            time than it saves (:mod:`renderer.plan_choice`).

    The internal resolution follows the GL device: "auto" composites at the output size on
    a hardware GPU and at the reduced "auto" height only on a software rasteriser.
    """

    def __init__(
        self,
        ctx: moderngl.Context,
        size: tuple[int, int],
        *,
        scene: Scene | None = None,
        max_layers: int = DEFAULT_MAX_LAYERS,
        field_size: int = DEFAULT_FIELD_SIZE,
        internal_height: int | str | None = "auto",
        upscale: str = "balanced",
        tile_size: tuple[int, int] | None = (64, 48),
        ink: str | None = None,
        skip_plain: bool | None = None,
    ) -> None:
        import moderngl

        if not 1 <= max_layers <= 128:
            raise ValueError(f"max_layers must be within 1..128, got {max_layers}")
        if not 4 <= field_size <= 1024:
            raise ValueError(f"field_size must be within 4..1024, got {field_size}")
        if upscale not in UPSCALE_MODES:
            raise ValueError(f"upscale must be one of {UPSCALE_MODES}, got {upscale!r}")
        self.upscale = upscale
        if ink is not None and ink not in INK_MODES:
            raise ValueError(f"ink must be one of {INK_MODES}, got {ink!r}")
        #: Whether GL_RENDERER names a CPU rasteriser (llvmpipe and kin).
        self.software = is_software_renderer(ctx.info.get("GL_RENDERER", ""))
        if tile_size is not None and (tile_size[0] < 1 or tile_size[1] < 1):
            raise ValueError(f"tile_size must be positive (width, height) or None, got {tile_size}")
        self.tile_size = tile_size
        internal_height = device_internal_height(internal_height, self.software)
        self._auto_internal = internal_height == "auto"
        if self._auto_internal:
            internal_height = auto_internal_height(min(field_size, AUTO_BASIS_MIN))
        if internal_height is not None and (
            not isinstance(internal_height, int) or internal_height < 1
        ):
            raise ValueError(
                f'internal_height must be "auto", None or a positive int, got {internal_height!r}'
            )
        self.ctx = ctx
        #: Waits for the rasteriser with the GIL released (see renderer.gl_wait).
        self._wait = gil_free_finish(ctx.finish)
        #: On a software rasteriser the draws that sample an earlier pass wait for it while
        #: holding the GIL; waiting first, without it, lets other threads run. A GPU works
        #: asynchronously and must not be stalled between passes.
        self._wait_between_passes = self.software
        self.scene = scene if scene is not None else Scene()
        if ink is not None and self.scene.master.ink != ink:
            self.scene.set_master(replace(self.scene.master, ink=ink))
        #: The ink mode the GL targets are allocated for; follows ``MasterSettings.ink``.
        self.ink = self.scene.master.ink
        self.max_layers = max_layers
        self.field_size = field_size
        self.internal_height = internal_height
        self.stats = RenderStats()

        self._lock = threading.Lock()  # guards slots, fields and clocks across threads
        self._slots = SlotTable(max_layers)
        self._store = InkFieldStore(max_layers, field_size)
        self._clocks = [CrossfadeClock() for _ in range(max_layers)]
        self._envelopes: dict[Hashable, float] = {}
        self._last_t: float | None = None

        texture_size = self._store.texture_size
        self._fields = ctx.texture_array((texture_size, texture_size, max_layers), 2, dtype="f1")
        self._fields.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self._fields.repeat_x = False
        self._fields.repeat_y = False
        align = int(ctx.info.get("GL_UNIFORM_BUFFER_OFFSET_ALIGNMENT", 256))
        block_bytes = max_layers * LAYER_DTYPE.itemsize
        self._block_stride = -(-block_bytes // align) * align  # tile blocks, aligned
        self._layer_block = ctx.buffer(reserve=self._block_stride)
        self._composite_programs: dict[tuple, moderngl.Program] = {}  # oldest use first
        self._backgrounds = {
            "field": self._program(shaders.BACKGROUND_FRAGMENT),
            "stroke": self._program(shaders.BACKGROUND_STROKE_FRAGMENT),
        }
        self._stroke_present = ctx.program(
            vertex_shader=shaders.PRESENT_VERTEX, fragment_shader=shaders.STROKE_PRESENT_FRAGMENT
        )
        self._stroke_present["u_image"].value = 2
        self._stroke_present["u_delta"].value = 3
        self._stroke_present["u_edge"].value = 4
        self._present_programs = {
            name: ctx.program(vertex_shader=shaders.PRESENT_VERTEX, fragment_shader=source)
            for name, source in (
                ("copy", shaders.PRESENT_COPY_FRAGMENT),
                ("bilinear", shaders.PRESENT_BILINEAR_FRAGMENT),
                ("sharp", shaders.PRESENT_SHARP_FRAGMENT),
            )
        }
        self._vaos: dict[int, moderngl.VertexArray] = {}
        self._overlay = ImageOverlay(ctx)
        tiles_possible = ctx.version_code >= 410 and scissor_array_available()
        if skip_plain is None:
            skip_plain = self.software and tiles_possible
        if skip_plain and not tiles_possible:
            raise ValueError("skip_plain needs GL 4.1 and glScissorArrayv in the GL library")
        #: Whether stroke mode's present skips plain tiles (see ``skip_plain`` above).
        self.skip_plain = skip_plain
        #: Whether the composite pass is compiled for the blend modes its layers use (on a
        #: software rasteriser, which runs every mode's maths otherwise; a GPU branches).
        self.specialise_modes = self.software
        self._stroke_tiles: moderngl.Program | None = None
        if tiles_possible:
            self._stroke_tiles = ctx.program(
                vertex_shader=shaders.STROKE_TILES_VERTEX,
                geometry_shader=shaders.STROKE_TILES_GEOMETRY,
                fragment_shader=shaders.STROKE_PRESENT_FRAGMENT,
            )
            self._stroke_tiles["u_image"].value = 2
            self._stroke_tiles["u_delta"].value = 3
            self._stroke_tiles["u_edge"].value = 4
        #: The last frame's present plan (stroke mode with ``skip_plain``), for stats/tests.
        self.present_plan: PresentPlan | None = None
        self._readback: tuple[np.ndarray, np.ndarray] | None = None  # C and edge record
        #: Whether planning the present pays now, measured in trials (``skip_plain``).
        self.plan_choice = PlanChoice()

        self._size = (0, 0)
        self._internal = (0, 0)
        # the composited picture at internal size: RGBA8 for the present pass (cheap to
        # sample), plus a half-float ping-pong pair while trails are on (8 bits would leave
        # faint ghosts that never fade: 3/255 × 0.9 rounds back to 3/255)
        self._display: moderngl.Texture | None = None
        self._display_fbo: moderngl.Framebuffer | None = None
        self._feedback: list[moderngl.Texture] = []
        self._trail_fbos: list[moderngl.Framebuffer] = []
        # stroke mode, internal size: picture change D and edge record (see shaders.py);
        # with trails the edge record ping-pongs with the picture (the one written last is
        # ``_strokes[1]``) and D is also kept at half-float for the next frame to carry
        self._strokes: list[moderngl.Texture] = []
        self._edges: list[moderngl.Texture] = []
        self._carries: list[moderngl.Texture] = []
        self._ink_box: tuple[int, int, int, int] | None = None
        self._edge_written: moderngl.Texture | None = None  # the edge record drawn last
        self._stage: moderngl.Texture | None = None  # "balanced": 2× internal, sharpened
        self._stage_fbo: moderngl.Framebuffer | None = None
        self._current = 0
        self._scroll_carry = 0.0
        self._has_frame = False
        self._feedback_valid = False
        self._output: moderngl.Renderbuffer | None = None
        self._output_fbo: moderngl.Framebuffer | None = None
        self.resize(size)

    def _program(self, fragment_shader: str) -> moderngl.Program:
        return self.ctx.program(
            vertex_shader=shaders.FULLSCREEN_VERTEX, fragment_shader=fragment_shader
        )

    def _composite_program(
        self, trails: bool, opaque: bool, planned: list[DrawLayer]
    ) -> moderngl.Program:
        """The compositing program variant, compiled on first use (a few per session). On a
        software rasteriser each set of blend modes the frame's layers use gets its own
        variant without the other modes' maths (:func:`renderer.shaders.blend_functions`)."""
        modes = None
        if self.specialise_modes:
            modes = tuple(sorted({BLEND_MODES[layer.mode_index] for layer in planned}))
        key = (trails, opaque, self.ink == "stroke", modes)
        program = self._composite_programs.pop(key, None)
        if program is None:
            source = shaders.composite_fragment(
                self.max_layers, trails=trails, opaque=opaque, strokes=key[2], modes=modes
            )
            program = self._program(source)
            program["u_fields"].value = 0
            program["u_half_texel"].value = 0.5 / self._store.texture_size
            program["LayerBlock"].binding = 0
            if trails:
                program["u_previous"].value = 1
                if key[2]:
                    program["u_previous_edge"].value = shaders.PREVIOUS_EDGE_UNIT
                    program["u_previous_delta"].value = shaders.PREVIOUS_DELTA_UNIT
            while len(self._composite_programs) >= MAX_COMPOSITE_PROGRAMS:
                oldest = next(iter(self._composite_programs))  # the least recently used
                self._release_program(self._composite_programs.pop(oldest))
        self._composite_programs[key] = program  # (re)inserted last: the most recent
        return program

    def _release_program(self, program: moderngl.Program) -> None:
        vao = self._vaos.pop(id(program), None)
        if vao is not None:
            vao.release()
        program.release()

    def _draw_fullscreen(self, program: moderngl.Program) -> None:
        import moderngl

        vao = self._vaos.get(id(program))
        if vao is None:
            vao = self._vaos[id(program)] = self.ctx.vertex_array(program, [])
        vao.render(moderngl.TRIANGLES, vertices=3)

    # -- geometry --------------------------------------------------------------------------
    @property
    def size(self) -> tuple[int, int]:
        """Output (width, height)."""
        return self._size

    @property
    def internal_size(self) -> tuple[int, int]:
        """(width, height) the layers are composited at."""
        return self._internal

    @property
    def framebuffer(self) -> moderngl.Framebuffer:
        """The compositor's own output framebuffer (what :meth:`read` reads)."""
        assert self._output_fbo is not None
        return self._output_fbo

    def resize(self, size: tuple[int, int]) -> None:
        """Change the output size; internal textures follow. Trails restart."""
        size = check_size(size)
        if size != self._size:
            self._allocate_targets(size)

    def _allocate_targets(self, size: tuple[int, int]) -> None:
        """(Re)create every size-dependent texture and framebuffer."""
        import moderngl

        self._release_targets()
        self._size = size
        self._internal = internal_size(size, self.internal_height)
        self._display = self.ctx.texture(self._internal, 4)
        self._display.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self._display.repeat_x = self._display.repeat_y = False
        stroke = self.ink == "stroke"
        if stroke:
            # D and two edge records (ping-pong for trails), RGBA8: llvmpipe filters it fastest
            for _ in range(3):
                texture = self.ctx.texture(self._internal, 4)
                texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
                texture.repeat_x = texture.repeat_y = False
                self._strokes.append(texture)
            self._edges = self._strokes[1:]
            self._carries = [self.ctx.texture(self._internal, 4, dtype="f2") for _ in range(2)]
        extra = self._strokes[:2]
        self._display_fbo = self.ctx.framebuffer(color_attachments=[self._display, *extra])
        for index in range(2):
            feedback = self.ctx.texture(self._internal, 4, dtype="f2")
            self._feedback.append(feedback)
            records = [self._strokes[0], self._edges[index], self._carries[index]] if stroke else []
            self._trail_fbos.append(
                self.ctx.framebuffer(color_attachments=[self._display, feedback, *records])
            )
        self._has_frame = self._feedback_valid = False
        self._scroll_carry = 0.0
        stage_size = (self._internal[0] * 2, self._internal[1] * 2)
        if self.ink == "field" and self.upscale == "balanced" and stage_size[1] < size[1]:
            self._stage = self.ctx.texture(stage_size, 4)
            self._stage.filter = (moderngl.LINEAR, moderngl.LINEAR)
            self._stage.repeat_x = self._stage.repeat_y = False
            self._stage_fbo = self.ctx.framebuffer(color_attachments=[self._stage])
        self._output = self.ctx.renderbuffer(size, 4)
        self._output_fbo = self.ctx.framebuffer(color_attachments=[self._output])

    def set_ink(self, ink: str) -> None:
        """Switch between "stroke" and "field" ink while running (trails restart); the
        scene's master follows, so the next :meth:`render` keeps it."""
        if ink not in INK_MODES:
            raise ValueError(f"ink must be one of {INK_MODES}, got {ink!r}")
        master = self.scene.master
        if master.ink != ink:
            self.scene.set_master(replace(master, ink=ink))
        if ink != self.ink:
            self.ink = ink
            self._allocate_targets(self._size)

    # -- layers ----------------------------------------------------------------------------
    def set_layer(self, layer_id: Hashable, settings: LayerSettings) -> None:
        """Add or change a layer's settings (same as ``scene.set_layer``)."""
        self.scene.set_layer(layer_id, settings)

    def remove_layer(self, layer_id: Hashable) -> None:
        """Remove a layer and free its texture slot."""
        self.scene.remove_layer(layer_id)
        with self._lock:
            self._free_slot(layer_id)

    def push_image(self, layer_id: Hashable, ink: np.ndarray, t: float) -> None:
        """Give a layer its newest ink field (uint8 H×W, 0 paper .. 255 ink, row 0 on top).

        Safe to call from any thread; the upload happens in the next :meth:`render`. A layer
        not yet in the scene is added with default settings. ``t`` is the arrival time on
        the same clock as :meth:`render`'s ``t``; the crossfade from the picture shown now to
        this image starts then.

        Raises:
            InkImageError: the image is not 2-D uint8 within field_size².
            SlotsFullError: every slot is in use by another layer.
        """
        image = as_ink_image(ink, self.field_size)
        settings = self.scene.ensure_layer(layer_id)
        with self._lock:
            slot = self._slots.acquire(layer_id)
            clock = self._clocks[slot]
            self._store.put(slot, image, clock.mix(t))
            clock.push(t, settings.crossfade)
            self.stats.images_pushed += 1

    def layer_slots(self) -> dict[Hashable, int]:
        """Which slot each layer with an image occupies."""
        with self._lock:
            return self._slots.assignments()

    # -- drawing ---------------------------------------------------------------------------
    def render(
        self,
        t: float,
        features: Mapping[Hashable, LayerFeatures] | None = None,
        beat_phase: float | None = None,
        target: moderngl.Framebuffer | None = None,
    ) -> None:
        """Draw the frame at time ``t`` (seconds, any monotonic clock, e.g. injected).

        Args:
            t: the frame's time; drives crossfades, onset decay and trails.
            features: per-layer audio features for this frame; a layer without an entry is
                not audio-modulated; bad values are clamped or dropped and counted in
                :attr:`stats`.
            beat_phase: position within the current beat, 0..1, or None when stopped.
            target: where to draw; default the compositor's own framebuffer. A window
                passes ``ctx.screen``.
        """
        self.plan_choice.frame_began()
        snapshot = self.scene.snapshot()
        master = snapshot.master
        if master.ink != self.ink:
            self.set_ink(master.ink)
        dt = 0.0 if self._last_t is None else t - self._last_t
        self._last_t = t
        phase, dropped = sanitize_beat_phase(beat_phase)
        self.stats.beat_phases_dropped += dropped
        clean = self._clean_features(features)
        states = self._sync_layers(snapshot, t, dt, clean)
        if self._auto_internal:
            self._follow_image_size(states)

        if master.freeze and self._has_frame:
            self.stats.frozen_frames += 1
        else:
            planned = plan_frame(snapshot, states, clean, phase, self._internal)
            self._draw_layers(planned, master, dt)
            self.stats.layers_drawn = len(planned)
            if self._wait_between_passes:  # the present pass samples this
                self._wait()
        self._draw_present(master, target)
        self._overlay.draw(self._size, flip=target is None)
        self.stats.frames += 1

    def set_overlay(self, image: np.ndarray | None, box: Box | None = None) -> None:
        """Draw ``image`` (H×W×4 uint8, premultiplied, row 0 at the top) over every frame
        from the next one on, in ``box`` = (x, y, width, height) output pixels from the
        top-left (stretched to fit, nearest texel: make it the box's size); ``None``
        removes it. Raises :class:`renderer.overlay.OverlayError` for a bad image or box."""
        self._overlay.set(image, box)

    def finish(self) -> None:
        """Wait until the last :meth:`render` is complete, letting other Python threads
        run meanwhile (``ctx.finish()`` would hold the GIL)."""
        self._wait()

    def read(self) -> np.ndarray:
        """The last rendered frame from the own framebuffer, H×W×3 uint8, row 0 at the top."""
        return self._read(3)

    def read_rgba(self, out: np.ndarray | None = None) -> np.ndarray:
        """Like :meth:`read` with premultiplied alpha: H×W×4 uint8, read into ``out`` (a
        C-contiguous H×W×4 uint8 array, returned) when given."""
        if out is None:
            return self._read(4)
        width, height = self._size
        if out.shape != (height, width, 4) or out.dtype != np.uint8 or not out.flags.c_contiguous:
            raise ValueError(
                f"out must be a C-contiguous {height}×{width}×4 uint8 array, got "
                f"{out.dtype} {out.shape}"
            )
        assert self._output_fbo is not None
        self._output_fbo.read_into(out, components=4, alignment=1)
        return out

    def release(self) -> None:
        """Free every GL object the compositor made."""
        self._release_targets()
        programs = [
            *self._composite_programs.values(),
            *self._present_programs.values(),
            *self._backgrounds.values(),
            self._stroke_present,
            *([self._stroke_tiles] if self._stroke_tiles is not None else []),
        ]
        for obj in [*self._vaos.values(), *programs, self._layer_block, self._fields]:
            obj.release()
        self._overlay.release()
        self._vaos.clear()
        self._composite_programs.clear()

    # -- internals -------------------------------------------------------------------------
    def _clean_features(
        self, features: Mapping[Hashable, LayerFeatures] | None
    ) -> dict[Hashable, LayerFeatures]:
        clean: dict[Hashable, LayerFeatures] = {}
        for layer_id, value in (features or {}).items():
            clean[layer_id], fixed = sanitize_features(value)
            self.stats.features_fixed += fixed
        return clean

    def _sync_layers(
        self,
        snapshot: SceneSnapshot,
        t: float,
        dt: float,
        features: Mapping[Hashable, LayerFeatures],
    ) -> dict[Hashable, LayerState]:
        """Free slots of removed layers, upload changed fields, advance per-layer state."""
        present = {layer_id: settings for layer_id, settings in snapshot.layers}
        states: dict[Hashable, LayerState] = {}
        with self._lock:
            for layer_id in self._slots.layer_ids():
                if layer_id not in present:
                    self._free_slot(layer_id)
            side = self._store.texture_size
            for slot in self._store.take_dirty():
                self._fields.write(
                    self._store.pairs[slot].tobytes(), viewport=(0, 0, slot, side, side, 1)
                )
            for layer_id in self._slots.layer_ids():
                slot = self._slots.slot_of(layer_id)
                assert slot is not None
                reactive = present[layer_id].reactive
                onset = features[layer_id].onset if layer_id in features else 0.0
                envelope = decay_onset_envelope(
                    self._envelopes.get(layer_id, 0.0), onset, dt, reactive.onset_decay
                )
                self._envelopes[layer_id] = envelope
                states[layer_id] = LayerState(
                    slot=slot,
                    field_shape=self._store.shapes[slot],
                    extent=self._store.extent(slot) or (1.0, 1.0),
                    mix=self._clocks[slot].mix(t),
                    onset_envelope=envelope,
                )
        return states

    def _follow_image_size(self, states: Mapping[Hashable, LayerState]) -> None:
        """For "auto": composite at a height that keeps every texel of the largest image."""
        sides = [max(st.field_shape) for st in states.values() if st.field_shape is not None]
        basis = max([AUTO_BASIS_MIN, *sides]) if sides else AUTO_BASIS_MIN
        wanted = auto_internal_height(min(basis, self.field_size))
        if wanted != self.internal_height:
            log.info("compositing at %d rows for %d px ink images", wanted, basis)
            self.internal_height = wanted
            self._allocate_targets(self._size)

    def _free_slot(self, layer_id: Hashable) -> None:
        """Release a layer's slot and state; the caller holds the lock."""
        slot = self._slots.release(layer_id)
        if slot is not None:
            self._store.clear(slot)
            self._clocks[slot] = CrossfadeClock()
        self._envelopes.pop(layer_id, None)

    def _draw_layers(self, planned: list[DrawLayer], master: MasterSettings, dt: float) -> None:
        """Composite pass into the display texture (and the feedback pair, with trails)."""
        import moderngl

        trails = master.trails_on
        opaque = master.background_alpha >= 1.0
        r, g, b = master.background
        a = master.background_alpha
        background = (r * a, g * a, b * a, a)
        self.ctx.disable(moderngl.BLEND)
        if trails:
            previous = self._current
            self._current = 1 - self._current
            self._trail_fbos[self._current].use()
        else:
            self._display_fbo.use()
        if not planned and not trails:
            self._backgrounds[self.ink]["u_background"].value = background
            self._draw_fullscreen(self._backgrounds[self.ink])
        else:
            program = self._composite_program(trails, opaque, planned)
            self._fields.use(0)
            if trails:
                self._feedback[previous].use(1)
                if self.ink == "stroke":
                    self._edges[previous].use(shaders.PREVIOUS_EDGE_UNIT)
                    self._carries[previous].use(shaders.PREVIOUS_DELTA_UNIT)
                keep = trail_keep(master.trails, dt) if self._feedback_valid else 0.0
                program["u_keep"].value = keep
                program["u_shift"].value = (self._scroll_step(master.scroll, dt), 0)
            program["u_background"].value = background
            program["u_size"].value = self._internal
            if self.ink == "stroke":
                program["u_out_scale"].value = self._size[1] / self._internal[1]
            self._backgrounds[self.ink]["u_background"].value = background
            self._draw_tiles(program, planned, trails)

        # stroke mode: where the present must draw edges (output px, GL origin bottom-left):
        # around the layers, or everywhere while trails carry edges drawn earlier
        scale = self._size[1] / self._internal[1]
        if trails:
            self._ink_box = (0, 0, *self._size)
        else:
            self._ink_box = ink_box(planned, self._size, margin=2.0 * scale)
        self._edge_written = self._edges[self._current if trails else 0] if self._edges else None
        self._has_frame = True
        self._feedback_valid = trails

    def _scroll_step(self, scroll: float, dt: float) -> int:
        """Whole internal pixels the trails move this frame for ``scroll`` frame widths per
        second over ``dt`` seconds; the fraction left over is carried to the next frame, so
        the speed is exact on average and the pixels are never resampled."""
        if scroll == 0.0 or not self._feedback_valid:
            self._scroll_carry = 0.0
            return 0
        self._scroll_carry += scroll * max(dt, 0.0) * self._internal[0]
        step = int(np.floor(self._scroll_carry + 1e-6))  # 0.4999… + 0.5000… is one pixel
        self._scroll_carry -= step
        return step

    def _draw_tiles(
        self, program: moderngl.Program, planned: list[DrawLayer], trails: bool
    ) -> None:
        """Draw the composite pass tile by tile, each looping only over its own layers."""
        tiles = plan_tiles(planned, self._internal, self.tile_size or self._internal)
        blob = pack_tiles(layer_records(planned), tiles, self.max_layers, self._block_stride)
        if len(blob) > self._layer_block.size:
            self._layer_block.release()
            self._layer_block = self.ctx.buffer(reserve=len(blob))
        self._layer_block.write(blob)
        for index, tile in enumerate(tiles):
            self.ctx.scissor = (tile.x, tile.y, tile.width, tile.height)
            if not tile.layers and not trails:
                self._draw_fullscreen(self._backgrounds[self.ink])
                continue
            self._layer_block.bind_to_uniform_block(
                0, offset=index * self._block_stride, size=self._block_stride
            )
            program["u_count"].value = len(tile.layers)
            self._draw_fullscreen(program)
        self.ctx.scissor = None

    def _draw_present(self, master: MasterSettings, target: moderngl.Framebuffer | None) -> None:
        """Present pass(es): upscale the internal picture into ``target`` with the master gain."""
        import moderngl

        own = target is None
        fbo = self._output_fbo if own else target
        assert fbo is not None and self._display is not None
        self.ctx.disable(moderngl.BLEND)
        source, steepness = self._display, None
        if self.ink == "stroke":
            self._draw_stroke_present(fbo, master, own)
            return
        if self._size == self._internal:
            name = "copy"
        elif self.upscale == "soft" or master.sharpness <= 0.0:
            name = "bilinear"
        elif self._stage is not None and self._stage_fbo is not None:  # balanced: 2 steps
            self._stage_fbo.use()
            stage_steepness = present_steepness(
                self._stage.size[1], self._internal[1], master.sharpness
            )
            self._run_present("sharp", self._display, (1.0, 1.0), False, stage_steepness)
            if self._wait_between_passes:
                self._wait()
            source, name = self._stage, "bilinear"
        else:
            name = "sharp"
            steepness = present_steepness(self._size[1], self._internal[1], master.sharpness)
        fbo.viewport = (0, 0, *self._size)
        fbo.use()
        gains = (master.brightness * master.opacity, master.opacity)
        self._run_present(name, source, gains, own, steepness)

    def _draw_stroke_present(
        self, fbo: moderngl.Framebuffer, master: MasterSettings, flip: bool
    ) -> None:
        """Stroke mode's present: every output pixel redraws its nearest stroke edge; outside
        the layers' box, where there are none, the cheaper bilinear present runs instead.
        With ``skip_plain`` the flat parts are cleared and the present runs on the rest."""
        assert self._display is not None
        fbo.viewport = (0, 0, *self._size)
        fbo.use()
        width, height = self._size
        box = self._ink_box
        gains = (master.brightness * master.opacity, master.opacity)
        if box is None:
            self._run_present("bilinear", self._display, gains, flip)
            return
        scale = self._size[1] / self._internal[1]  # output px per internal px
        distance_gain = 255.0 / 127.0 * shaders.MAX_DISTANCE * scale
        program = self._stroke_present
        self._display.use(2)
        assert self._edge_written is not None
        self._strokes[0].use(3)
        self._edge_written.use(4)
        programs = [program] if self._stroke_tiles is None else [program, self._stroke_tiles]
        for each in programs:
            each["u_distance_gain"].value = distance_gain
            each["u_code_radius"].value = 0.5 - shaders.CODE_TOLERANCE / 255.0
            each["u_gain"].value = gains[0]
            each["u_alpha_gain"].value = gains[1]
            each["u_flip"].value = flip
        big = self._size[0] * self._size[1] >= PLAIN_MIN_PIXELS
        if self.skip_plain and big and self.plan_choice.plan():
            self._present_skipping_plain(fbo, distance_gain, gains, flip)
            return
        self.present_plan = None
        x, y, w, h = box
        if flip:  # rows are written top-down: frame v maps to framebuffer row height·(1 − v)
            y = height - y - h
        strips = [(0, 0, x, height), (x + w, 0, width - x - w, height)]
        strips += [(x, 0, w, y), (x, y + h, w, height - y - h)]
        for strip in strips:
            if strip[2] > 0 and strip[3] > 0:
                self.ctx.scissor = strip
                self._run_present("bilinear", self._display, gains, flip)
        self.ctx.scissor = (x, y, w, h)
        self._draw_fullscreen(program)
        self.ctx.scissor = None

    def _present_skipping_plain(
        self,
        fbo: moderngl.Framebuffer,
        distance_gain: float,
        gains: tuple[float, float],
        flip: bool,
    ) -> None:
        """The stroke present over the rectangles :func:`plan_present` leaves, after one
        clear with the colour the plain tiles show (:meth:`_plain_colour`)."""
        assert self._display is not None and self._edge_written is not None
        width, height = self._size
        colour, edge = self._read_records()
        plan = plan_present(colour, edge, self._size, distance_gain)
        self.present_plan = plan

        def to_fbo(rect: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
            x, y, w, h = rect
            return (x, height - y - h, w, h) if flip else rect  # rows top-down when flipped

        if plan.fill is not None:
            fbo.clear(*(value / 255.0 for value in self._plain_colour(plan, gains, fbo, flip)))
        rects = [to_fbo(rect) for rect in plan.rects]
        if not rects:
            return
        if rects == [(0, 0, width, height)]:
            self._draw_fullscreen(self._stroke_present)
            return
        assert self._stroke_tiles is not None
        self.ctx.scissor = (0, 0, width, height)  # scissor test on for every viewport
        step = shaders.STROKE_TILES_RECTS
        for start in range(0, len(rects), step):
            chunk = rects[start : start + step]
            set_scissor_array(chunk)
            self._stroke_tiles["u_rects"].value = len(chunk)
            self._draw_fullscreen(self._stroke_tiles)
        self.ctx.scissor = None  # glScissor: every viewport's box is the whole frame again

    def _plain_colour(
        self,
        plan: PresentPlan,
        gains: tuple[float, float],
        fbo: moderngl.Framebuffer,
        flip: bool,
    ) -> tuple[int, int, int, int]:
        """The RGBA8 bytes the stroke present writes on the plan's plain tiles.

        At unit gains that is the texel itself, with its colour capped at its alpha as the
        present caps it (8-bit to float and back is exact). Otherwise the present is drawn at
        the plan's probe pixel and read back, so the clear writes exactly its bytes.
        """
        assert plan.fill is not None and plan.probe is not None
        if gains == (1.0, 1.0):
            r, g, b, a = plan.fill.to_bytes(4, "little")
            return min(r, a), min(g, a), min(b, a), a
        x, y = plan.probe
        probe = (x, self._size[1] - y - 1 if flip else y, 1, 1)
        self.ctx.scissor = probe
        self._draw_fullscreen(self._stroke_present)
        self.ctx.scissor = None
        self._wait()  # the read would wait holding the interpreter lock
        r, g, b, a = fbo.read(viewport=probe, components=4, alignment=1)
        return r, g, b, a

    def _read_records(self) -> tuple[np.ndarray, np.ndarray]:
        """The internal picture C and the edge record drawn last, read back (GL row
        order) into arrays kept between frames."""
        assert self._display is not None and self._edge_written is not None
        width, height = self._internal
        if self._readback is None or self._readback[0].shape[:2] != (height, width):
            self._readback = (
                np.empty((height, width, 4), np.uint8),
                np.empty((height, width, 4), np.uint8),
            )
        colour, edge = self._readback
        self._display.read_into(colour, alignment=1)
        self._edge_written.read_into(edge, alignment=1)
        return colour, edge

    def _run_present(
        self,
        name: str,
        source: moderngl.Texture,
        gains: tuple[float, float],
        flip: bool,
        steepness: float | None = None,
    ) -> None:
        """Draw one present program from ``source`` into the bound framebuffer."""
        program = self._present_programs[name]
        source.use(2)
        program["u_image"].value = 2
        program["u_gain"].value = gains[0]
        program["u_alpha_gain"].value = gains[1]
        program["u_flip"].value = flip
        if steepness is not None:
            program["u_steepness"].value = steepness
        self._draw_fullscreen(program)

    def _read(self, components: int) -> np.ndarray:
        assert self._output_fbo is not None
        width, height = self._size
        data = self._output_fbo.read(components=components, alignment=1)
        return np.frombuffer(data, np.uint8).reshape(height, width, components)

    def _release_targets(self) -> None:
        # Bind the default framebuffer first: moderngl re-binds "the current framebuffer"
        # after some calls, and a deleted one would raise GL_INVALID_OPERATION later.
        if self._output_fbo is not None:
            self.ctx.detect_framebuffer(0).use()
        targets = [*self._trail_fbos, *self._feedback, self._display_fbo, self._display]
        targets += [self._stage_fbo, self._stage, *self._strokes, *self._carries]
        for obj in [*targets, self._output_fbo, self._output]:
            if obj is not None:
                obj.release()
        self._feedback, self._trail_fbos = [], []
        self._display = self._display_fbo = None
        self._stage = self._stage_fbo = None
        self._strokes, self._edges, self._carries = [], [], []
        self._edge_written = None
        self._output = self._output_fbo = None
