"""GLSL sources of the compositor's two passes, generated so mode numbers match ``BLEND_MODES``.

Pass 1, *composite*, runs at the small internal resolution: for every pixel it starts from
the background (or the decayed previous frame, for trails) and draws every visible layer in
one loop — sample the ink field, crossfade, smooth-threshold to a crisp stroke, then blend
with the W3C formula and composite source-over in premultiplied alpha. Doing the blend in
the shader (not with fixed-function blending) is what makes modes that read the backdrop,
like overlay or soft-light, possible.

Pass 2, *present*, runs once per output pixel: it upscales the internal picture and applies
the master gain. Only this cheap pass scales with the output size, which is what lets many
layers at 1080p keep up on a CPU rasteriser. Edges stay crisp through an edge-sharpening
upscale, run either straight to the output ("crisp") or to twice the internal size followed
by a plain bilinear stretch ("balanced": about a third of the cost at 1080p).

*Stroke mode* (the default ink mode) keeps the layer loop at the internal resolution but
draws stroke edges at the output resolution, like a bilinearly sampled signed-distance
field (Green, "Improved alpha-tested magnification for vector textures", SIGGRAPH 2007).
For each internal pixel the composite pass picks the one layer whose stroke edge is nearest
(its ink value closest to the threshold, in edge half-widths, among the layers that cover
the pixel partly or have their edge within reach; only failing those, the nearest edge in
pixels) and writes, besides the picture C, how much the picture changes when that layer's
coverage goes from 0 to 1 (D, signed) and an edge record: the layer's signed distance to
its edge (from the ink value and its screen-space derivatives), a code for the layer and
the coverage C was made with. The
*stroke present* pass samples all three bilinearly at every output pixel, turns the
interpolated distance into coverage with a ramp one output pixel wide, and shows
``C + D·(coverage − c)``. The layer codes are points on a circle: a mix of different codes
lands inside it, so where the 2×2 internal pixels around an output pixel do not all name
the same layer (two layers' edges within about an internal pixel) the present shows C
unchanged there. Every record is RGBA8 — llvmpipe filters 8-bit textures fastest — so the
present costs three bilinear fetches per output pixel and none per layer.

With trails, the edge records travel with the picture: the previous frame's edge record and
its D (kept at half-float precision, so a fading edge fades with its picture instead of
sticking at one 8-bit step) are read at the same whole-pixel shift as the picture, and the
trail's edge enters the layer loop as the first edge hypothesis — the picture without it and
with it, both faded like the picture. A current layer's nearer edge replaces it, as any
nearer edge does. So pictures laid down earlier and scrolled (``score``) keep edges one
output pixel wide, not the internal picture's bilinear blur.

Features that can be off (trails, transparency, sharpening) are compile-time variants, not
uniform branches: Mesa's llvmpipe runs both sides of a branch under a mask, so a switched-off
feature would still cost its full price. For the same reason the compositor asks, on a CPU
rasteriser, for a composite pass with only the blend modes its layers use
(:func:`blend_functions`).
"""

from __future__ import annotations

from collections.abc import Collection

from renderer.modes import BLEND_MODES


def _mode_constants() -> str:
    names = (name.upper().replace("-", "_") for name in BLEND_MODES)
    return "\n".join(f"#define MODE_{name} {i}" for i, name in enumerate(names))


FULLSCREEN_VERTEX = """
#version 330
// One triangle covering the viewport; no vertex buffer needed.
void main() {
    vec2 corner = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
"""

_BLEND_HELPERS = """
// Branch-free per-channel forms of the spec's piecewise functions (see the module docstring).
vec3 color_dodge(vec3 cb, vec3 cs) {
    vec3 quotient = min(vec3(1.0), cb / max(1.0 - cs, vec3(1e-6)));
    vec3 b = mix(quotient, vec3(1.0), greaterThanEqual(cs, vec3(1.0)));
    return mix(b, vec3(0.0), lessThanEqual(cb, vec3(0.0)));
}

vec3 color_burn(vec3 cb, vec3 cs) {
    vec3 quotient = 1.0 - min(vec3(1.0), (1.0 - cb) / max(cs, vec3(1e-6)));
    vec3 b = mix(quotient, vec3(0.0), lessThanEqual(cs, vec3(0.0)));
    return mix(b, vec3(1.0), greaterThanEqual(cb, vec3(1.0)));
}

vec3 soft_light(vec3 cb, vec3 cs) {
    vec3 d = mix(sqrt(cb), ((16.0 * cb - 12.0) * cb + 4.0) * cb, lessThanEqual(cb, vec3(0.25)));
    vec3 darker = cb - (1.0 - 2.0 * cs) * cb * (1.0 - cb);
    vec3 lighter = cb + (2.0 * cs - 1.0) * (d - cb);
    return mix(lighter, darker, lessThanEqual(cs, vec3(0.5)));
}

vec3 hard_light(vec3 cb, vec3 cs) {
    vec3 multiplied = cb * 2.0 * cs;
    vec3 s = 2.0 * cs - 1.0;
    vec3 screened = cb + s - cb * s;
    return mix(multiplied, screened, greaterThan(cs, vec3(0.5)));
}

"""

#: Each mode's case in ``blend`` (normal is the default case, always present).
_BLEND_CASES = {
    "multiply": "case MODE_MULTIPLY: return cb * cs;",
    "screen": "case MODE_SCREEN: return cb + cs - cb * cs;",
    "overlay": "case MODE_OVERLAY: return hard_light(cs, cb);",
    "darken": "case MODE_DARKEN: return min(cb, cs);",
    "lighten": "case MODE_LIGHTEN: return max(cb, cs);",
    "color-dodge": "case MODE_COLOR_DODGE: return color_dodge(cb, cs);",
    "color-burn": "case MODE_COLOR_BURN: return color_burn(cb, cs);",
    "hard-light": "case MODE_HARD_LIGHT: return hard_light(cb, cs);",
    "soft-light": "case MODE_SOFT_LIGHT: return soft_light(cb, cs);",
    "difference": "case MODE_DIFFERENCE: return abs(cb - cs);",
    "exclusion": "case MODE_EXCLUSION: return cb + cs - 2.0 * cb * cs;",
}


def blend_functions(modes: Collection[str] | None = None) -> str:
    """GLSL ``blend`` (W3C B(Cb, Cs)) and ``composite`` (source-over) for ``modes`` (None:
    all of ``BLEND_MODES``).

    llvmpipe runs every case of a switch under a mask, used or not, so a pass given only the
    modes its layers use skips the others' maths (a third of the eight-layer composite); the
    cases it keeps are the same code, so they give the same bits.
    """
    wanted = set(BLEND_MODES if modes is None else modes)
    unknown = wanted - set(BLEND_MODES)
    if unknown:
        raise ValueError(f"unknown blend modes {sorted(unknown)}; known: {BLEND_MODES}")
    cases = "\n    ".join(case for name, case in _BLEND_CASES.items() if name in wanted)
    plus_lighter = (
        """
    if (mode == MODE_PLUS_LIGHTER) {
        return min(dst + vec4(cs * a, a), vec4(1.0));
    }"""
        if "plus-lighter" in wanted
        else ""
    )
    return f"""{_BLEND_HELPERS}
// B(Cb, Cs) of W3C Compositing and Blending Level 1, non-premultiplied colours.
vec3 blend(int mode, vec3 cb, vec3 cs) {{
    switch (mode) {{
    {cases}
    default: return cs;  // normal
    }}
}}

// Draw source colour cs with alpha a over the premultiplied backdrop dst.
vec4 composite(vec4 dst, vec3 cs, float a, int mode) {{{plus_lighter}
#ifdef OPAQUE_BACKDROP
    // Over an opaque background αb stays 1, so Cs' = B(Cb, Cs) and Cb is the stored colour.
    return vec4(a * blend(mode, dst.rgb, cs) + (1.0 - a) * dst.rgb, 1.0);
#else
    vec3 cb = dst.a > 0.0 ? clamp(dst.rgb / dst.a, 0.0, 1.0) : vec3(0.0);
    vec3 mixed = (1.0 - dst.a) * cs + dst.a * blend(mode, cb, cs);
    return vec4(a * mixed + (1.0 - a) * dst.rgb, a + (1.0 - a) * dst.a);
#endif
}}
"""


#: How close, in edge half-widths (about half an internal pixel each at the field's steepest
#: slope), a layer's ink value must be to its threshold for the layer to count as an edge.
EDGE_BAND = 4.0
#: Stored signed distances are clamped to this many internal pixels either way (8 bits
#: across ±2: 1/64 internal pixel steps; neighbours are at most 1.5 pixels apart).
MAX_DISTANCE = 2.0
#: A layer whose coverage at an internal pixel is further than this from 0 and 1 covers it
#: partly (C shows it soft there); nearer, C differs from full or no ink by under one 8-bit
#: level, and the layer may claim the pixel's edge record only if its edge is within reach.
PARTIAL_COVERAGE = 1.0 / 255.0
#: Layers are told apart by ``index mod LAYER_CODES``: points evenly spaced on a circle.
LAYER_CODES = 8
#: A filtered code this far (in 8-bit levels) inside the circle means the texels disagree.
CODE_TOLERANCE = 1.5


def stroke_location(trails: bool) -> int:
    """Colour attachment index of the first stroke-mode output (after display and feedback);
    the delta picture D goes there, the edge record right after it, and with trails the
    half-float D that the next frame's trails carry after that."""
    return 2 if trails else 1


#: The composite pass's texture units: fields, previous picture, previous edge record and
#: previous half-float D (the last two with trails in stroke mode).
PREVIOUS_EDGE_UNIT = 5
PREVIOUS_DELTA_UNIT = 6


def composite_fragment(
    max_layers: int,
    *,
    trails: bool,
    opaque: bool,
    strokes: bool = False,
    modes: Collection[str] | None = None,
) -> str:
    """The composite pass: background (or decayed trails), then every layer in one loop.

    Args:
        max_layers: size of the layer uniform block.
        trails: start from the previous frame faded towards the background.
        opaque: the background is opaque, so backdrop alpha is always 1 (cheaper maths).
        strokes: also write stroke mode's delta picture D and edge record (distance, layer
            code, coverage), both RGBA8, for :data:`STROKE_PRESENT_FRAGMENT`.
        modes: the blend modes the layers use (None: all); see :func:`blend_functions`.
    """
    flags = (("TRAILS", trails), ("OPAQUE_BACKDROP", opaque), ("STROKES", strokes))
    defines = "".join(f"#define {name}\n" for name, on in flags if on)
    defines += f"#define STROKE_LOCATION {stroke_location(trails)}\n"
    defines += f"#define EDGE_LOCATION {stroke_location(trails) + 1}\n"
    defines += f"#define CARRY_LOCATION {stroke_location(trails) + 2}\n"
    defines += f"#define EDGE_BAND {EDGE_BAND:.1f}\n#define MAX_DISTANCE {MAX_DISTANCE:.1f}\n"
    defines += f"#define LAYER_CODES {LAYER_CODES}\n"
    defines += f"#define PARTIAL_COVERAGE {PARTIAL_COVERAGE!r}\n"
    return f"""
#version 330
#define MAX_LAYERS {max_layers}
{defines}{_mode_constants()}

struct Layer {{
    vec4 row0;    // texture s = dot(row0.xy, uv) + row0.z; row0.w = s at the image's right edge
    vec4 row1;    // texture t = dot(row1.xy, uv) + row1.z; row1.w = t at the image's bottom edge
    vec4 color;   // ink rgb, opacity
    vec4 params;  // crossfade mix, threshold, edge half-width, softness half-width
    ivec4 ints;   // slot, blend mode, index in the frame's whole layer list, edge fade ‱
}};

layout(std140) uniform LayerBlock {{
    Layer layers[MAX_LAYERS];
}};

uniform sampler2DArray u_fields;
uniform sampler2D u_previous;
uniform sampler2D u_previous_edge;   // trails in stroke mode: last frame's edge record
uniform sampler2D u_previous_delta;  // trails in stroke mode: last frame's D, half-float
uniform vec4 u_background;  // premultiplied
uniform float u_keep;       // trails: fraction of the previous frame kept
uniform ivec2 u_shift;      // trails: where the previous frame is read, in whole pixels
uniform int u_count;
uniform vec2 u_size;
uniform float u_half_texel;  // half a texel of the field texture array, in texture units
uniform float u_out_scale;   // stroke mode: output pixels per internal pixel

layout(location = 0) out vec4 f_color;     // what the present pass shows (RGBA8)
#ifdef TRAILS
layout(location = 1) out vec4 f_feedback;  // the same at half-float precision, for trails
#endif
#ifdef STROKES
// D: the picture with the edge layer fully covering minus without it (premultiplied),
// stored as (128 + 127 D) / 255 so that "no change" is exact in 8 bits
layout(location = STROKE_LOCATION) out vec4 f_delta;
// r: the edge layer's signed distance to its edge in internal px (+ inside; in ramp widths
// when softness asks for a ramp wider than a pixel) as (128 + 127 r / MAX_DISTANCE) / 255;
// g, b: the layer's code on a circle of radius 0.5 about (0.5, 0.5); a: its coverage here
layout(location = EDGE_LOCATION) out vec4 f_edge;
#ifdef TRAILS
layout(location = CARRY_LOCATION) out vec4 f_carry;  // D at half-float, for the next trails
#endif
#endif
{blend_functions(modes)}
void main() {{
    vec2 uv = gl_FragCoord.xy / u_size;
#ifdef TRAILS
    // Scrolling reads the previous frame whole pixels away (exact: nothing blurs however
    // long it scrolls); what scrolls in from outside is background.
    ivec2 from_px = ivec2(gl_FragCoord.xy) + u_shift;
    bool held = all(greaterThanEqual(from_px, ivec2(0)))
        && all(lessThan(from_px, textureSize(u_previous, 0))) && u_keep > 0.0;
    vec4 previous = held ? texelFetch(u_previous, from_px, 0) : u_background;
    vec4 dst = mix(u_background, previous, u_keep);
#else
    vec4 dst = u_background;
#endif
#ifdef STROKES
    vec4 dst_b = dst;        // dst is the picture without the edge layer from here on
    float best = 1e9;        // the edge layer's rank so far (see rank below)
    float edge_index = -1.0; // the layer's index in the frame; -1: none; -2: the trail's
    float edge_coverage = 0.0;
    float edge_distance = 0.0;
    float carried_px = 1e9;  // a layer's edge must be nearer than the trail's to replace it
#ifdef TRAILS
    // the trail's own edge, if it has one that still changes the picture: the first
    // hypothesis pair, faded with the picture; any current layer's edge is nearer
    vec4 carried_edge = held ? texelFetch(u_previous_edge, from_px, 0) : vec4(0.5);
    vec4 carried = held ? texelFetch(u_previous_delta, from_px, 0) : vec4(0.0);
    bool has_edge = length(carried_edge.gb - 0.5) > 0.25
        && any(greaterThan(abs(carried), vec4(1.0 / 1024.0)));
    carried = has_edge ? carried : vec4(0.0);
    dst = mix(u_background, previous - carried * carried_edge.a, u_keep);
    dst_b = mix(u_background, previous + carried * (1.0 - carried_edge.a), u_keep);
    edge_index = has_edge ? -2.0 : -1.0;
    edge_coverage = has_edge ? carried_edge.a : 0.0;
    carried_px = has_edge ? abs(carried_edge.r * 255.0 - 128.0) / 127.0 * MAX_DISTANCE : 1e9;
#endif
#endif
    for (int k = 0; k < u_count; ++k) {{
        vec4 row0 = layers[k].row0;
        vec4 row1 = layers[k].row1;
        vec2 st = vec2(dot(row0.xy, uv) + row0.z, dot(row1.xy, uv) + row1.z);
        vec2 inside = step(vec2(0.0), st) * step(st, vec2(row0.w, row1.w));
        vec4 params = layers[k].params;
        // (previous, latest) fields in one bilinear fetch of the cubic-upsampled pair; clamped
        // half a texel inside the image so its edge texels extend to the layer's border
        vec2 at = clamp(st, vec2(u_half_texel), vec2(row0.w, row1.w) - u_half_texel);
        vec2 pair = texture(u_fields, vec3(at, float(layers[k].ints.x))).rg;
        float ink = mix(pair.r, pair.g, params.x);
        // the ink fades out over the last edge_fade of the image's side at its border, so
        // a shape running off the picture closes instead of being cut straight
        float fade = float(layers[k].ints.w) * 1e-4;
        // (a product of the two sides' ramps: corners round off)
        vec2 across = st / vec2(row0.w, row1.w);
        vec2 ramp2 = smoothstep(vec2(0.0), vec2(fade), min(across, 1.0 - across));
        ink *= fade > 0.0 ? ramp2.x * ramp2.y : 1.0;
        float coverage = smoothstep(params.y - params.z, params.y + params.z, ink);
        float full = layers[k].color.a * inside.x * inside.y;
        float alpha = coverage * full;
#ifdef STROKES
        // the nearer edge becomes the one drawn at output resolution: both hypotheses
        // restart from the picture so far (the previous edge at its coverage here)
        float distance = abs(ink - params.y) / max(params.z, 1e-4);
        // ink change per output pixel, or the softness ramp's width if that is wider
        float ramp = max(length(vec2(dFdx(ink), dFdy(ink))) / u_out_scale, 2.0 * params.w);
        float signed_px = (ink - params.y) / max(ramp * u_out_scale, 1e-5);  // internal px
        // rank: a layer covering this pixel partly, or whose edge is within the record's
        // reach, by its ink value's distance to the threshold in half-widths; any other
        // after all of those, by its edge's distance in pixels. Where a layer has few
        // pixels per texel its half-width spans most of 0..1, so all its paper and ink lie
        // "within the band": ranked by half-widths alone, its flat paper far from any edge
        // took the pixels just inside another layer's real edge, and the present showed C's
        // soft ramp there (dark dashes along wide shapes)
        bool partial = coverage > PARTIAL_COVERAGE && coverage < 1.0 - PARTIAL_COVERAGE;
        bool reach = partial || abs(signed_px) < MAX_DISTANCE;
        float rank = reach ? distance : EDGE_BAND + abs(signed_px);
        bool take = distance <= EDGE_BAND && rank <= best && full > 0.0
            && abs(signed_px) < carried_px;
        vec4 so_far = mix(dst, dst_b, edge_coverage);
        vec4 from_a = take ? so_far : dst;
        vec4 from_b = take ? so_far : dst_b;
        dst = composite(from_a, layers[k].color.rgb, take ? 0.0 : alpha, layers[k].ints.y);
        dst_b = composite(from_b, layers[k].color.rgb, take ? full : alpha, layers[k].ints.y);
        best = take ? rank : best;
        edge_index = take ? float(layers[k].ints.z) : edge_index;
        edge_coverage = take ? coverage : edge_coverage;
        edge_distance = take ? signed_px : edge_distance;
#else
        dst = composite(dst, layers[k].color.rgb, alpha, layers[k].ints.y);
#endif
    }}
#ifdef STROKES
    f_delta = (128.0 + 127.0 * (dst_b - dst)) / 255.0;
    float angle = 6.2831853 * mod(edge_index, float(LAYER_CODES)) / float(LAYER_CODES);
    vec2 code = edge_index < 0.0 ? vec2(0.5) : 0.5 + 0.5 * vec2(cos(angle), sin(angle));
    float stored = (128.0 + 127.0 * clamp(edge_distance / MAX_DISTANCE, -1.0, 1.0)) / 255.0;
    f_edge = vec4(stored, code, edge_coverage);
#ifdef TRAILS
    // a carried edge keeps its stored distance and code exactly (whole-pixel shifts)
    f_edge = edge_index == -2.0 ? vec4(carried_edge.rgb, edge_coverage) : f_edge;
    f_carry = dst_b - dst;
#endif
    dst = mix(dst, dst_b, edge_coverage);
#endif
    f_color = dst;
#ifdef TRAILS
    f_feedback = dst;
#endif
}}
"""


BACKGROUND_FRAGMENT = """
#version 330
// No layer to draw: the background alone (the layer loop would still cost one masked pass).
uniform vec4 u_background;
out vec4 f_color;
void main() {
    f_color = u_background;
}
"""

BACKGROUND_STROKE_FRAGMENT = f"""
#version 330
// The background alone, with stroke mode's records saying "no edge here".
uniform vec4 u_background;
layout(location = 0) out vec4 f_color;
layout(location = {stroke_location(False)}) out vec4 f_delta;
layout(location = {stroke_location(False) + 1}) out vec4 f_edge;
void main() {{
    f_color = u_background;
    f_delta = vec4(128.0 / 255.0);                 // no change
    f_edge = vec4(128.0 / 255.0, 0.5, 0.5, 0.0);  // no layer: the circle's centre
}}
"""

PRESENT_VERTEX = """
#version 330
// Fullscreen triangle with texture coordinates as a varying: llvmpipe samples faster from
// interpolated coordinates than from ones computed out of gl_FragCoord.
uniform bool u_flip;  // write rows top-down, for read-back without a flip
out vec2 v_uv;
void main() {
    vec2 corner = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
    v_uv = u_flip ? vec2(corner.x, 1.0 - corner.y) : corner;
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
"""

_PRESENT_HEAD = """
#version 330
uniform sampler2D u_image;    // premultiplied internal picture
uniform float u_steepness;    // edge sharpening: 1 = bilinear, n = n times steeper
uniform float u_gain;         // master brightness × opacity on colour
uniform float u_alpha_gain;   // master opacity on alpha
in vec2 v_uv;
out vec4 f_color;
"""

PRESENT_COPY_FRAGMENT = (
    _PRESENT_HEAD
    + """
// Output size equals the internal size: copy texels exactly.
void main() {
    vec4 c = texelFetch(u_image, ivec2(v_uv * vec2(textureSize(u_image, 0))), 0);
    f_color = vec4(c.rgb * u_gain, c.a * u_alpha_gain);
}
"""
)

PRESENT_BILINEAR_FRAGMENT = (
    _PRESENT_HEAD
    + """
// Plain bilinear upscale: the cheapest, softest path (sharpness 0).
void main() {
    vec4 c = texture(u_image, v_uv);
    f_color = vec4(c.rgb * u_gain, c.a * u_alpha_gain);
}
"""
)

PRESENT_SHARP_FRAGMENT = (
    _PRESENT_HEAD
    + """
// Edge-sharpening upscale: within each 2×2 texel cell, steepen the bilinear value around the
// middle of the cell's min..max (clamped to that range), so an edge between two colours stays
// about one output pixel wide however far we magnify. Cells with little contrast (gradients,
// fading trails) stay bilinear. A linear ramp instead of a smoothstep keeps it cheap.
void main() {
    ivec2 size = textureSize(u_image, 0);
    vec2 p = v_uv * vec2(size) - 0.5;
    vec2 cell = floor(p);
    vec2 f = p - cell;
    ivec2 i0 = clamp(ivec2(cell), ivec2(0), size - 1);
    ivec2 i1 = min(ivec2(cell) + 1, size - 1);
    vec4 a = texelFetch(u_image, i0, 0);
    vec4 b = texelFetch(u_image, ivec2(i1.x, i0.y), 0);
    vec4 d = texelFetch(u_image, ivec2(i0.x, i1.y), 0);
    vec4 e = texelFetch(u_image, i1, 0);
    vec4 smooth_ = mix(mix(a, b, f.x), mix(d, e, f.x), f.y);
    vec4 lo = min(min(a, b), min(d, e));
    vec4 hi = max(max(a, b), max(d, e));
    vec4 mid = 0.5 * (lo + hi);
    vec4 sharp = clamp(mid + (smooth_ - mid) * u_steepness, lo, hi);
    vec4 c = mix(smooth_, sharp, clamp((hi - lo) * 8.0 - 0.16, 0.0, 1.0));
    c.rgb = min(c.rgb, vec3(c.a));  // stay a valid premultiplied colour
    f_color = vec4(c.rgb * u_gain, c.a * u_alpha_gain);
}
"""
)


STROKE_PRESENT_FRAGMENT = (
    _PRESENT_HEAD
    + """
// Stroke mode's present: the picture C, plus the nearest edge redrawn at this pixel.
uniform sampler2D u_delta;  // (128 + 127 D) / 255: change as the edge layer goes 0 -> 1
uniform sampler2D u_edge;   // distance, layer code (g, b), coverage; see the composite pass
uniform float u_distance_gain;  // stored distance -> output px: 255 / 127 MAX_DISTANCE × px/texel
uniform float u_code_radius;    // below this radius the code is a mix of different layers
void main() {
    vec4 c = texture(u_image, v_uv);
    vec4 delta = (texture(u_delta, v_uv) * 255.0 - 128.0) / 127.0;
    vec4 edge = texture(u_edge, v_uv);
    float agree = step(u_code_radius, length(edge.gb - 0.5));
    // smoothstep over the ramp, as in the composite pass: one pixel wide, or the softness
    float coverage = smoothstep(0.0, 1.0, 0.5 + (edge.r - 128.0 / 255.0) * u_distance_gain);
    c += delta * ((coverage - edge.w) * agree);
    c = clamp(c, 0.0, 1.0);
    c.rgb = min(c.rgb, vec3(c.a));  // stay a valid premultiplied colour
    f_color = vec4(c.rgb * u_gain, c.a * u_alpha_gain);
}
"""
)


# Stroke mode's present over several rectangles in one draw (renderer/gl_arrays.py): the
# vertex shader above, its output renamed for the geometry shader, which sends the one
# full-screen triangle to viewport i (scissor box i) for each of the first u_rects.
STROKE_TILES_VERTEX = PRESENT_VERTEX.replace("out vec2 v_uv;", "out vec2 g_uv;").replace(
    "v_uv = ", "g_uv = "
)

#: Rectangles per draw of the tiled stroke present: the viewports every GL 4.1 context has.
STROKE_TILES_RECTS = 16

STROKE_TILES_GEOMETRY = f"""
#version 410
layout(triangles, invocations = {STROKE_TILES_RECTS}) in;
layout(triangle_strip, max_vertices = 3) out;
uniform int u_rects;  // how many scissor boxes hold a rectangle this draw
in vec2 g_uv[];
out vec2 v_uv;
void main() {{
    if (gl_InvocationID >= u_rects) {{
        return;
    }}
    for (int i = 0; i < 3; ++i) {{
        gl_ViewportIndex = gl_InvocationID;  // every viewport is the whole frame
        gl_Position = gl_in[i].gl_Position;
        v_uv = g_uv[i];
        EmitVertex();
    }}
    EndPrimitive();
}}
"""


OVERLAY_VERTEX = """
#version 330
// A screen-space rectangle for the HUD: u_rect = (x0, y0, x1, y1) in clip space.
uniform vec4 u_rect;
out vec2 v_uv;
void main() {
    vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
    v_uv = vec2(corner.x, 1.0 - corner.y);
    gl_Position = vec4(mix(u_rect.xy, u_rect.zw, corner), 0.0, 1.0);
}
"""

IMAGE_OVERLAY_VERTEX = """
#version 330
// An image drawn over the finished frame (the form strip): u_rect = (x0, y0, x1, y1) in
// clip space; u_flip when the frame's rows are written top-down for read-back.
uniform vec4 u_rect;
uniform bool u_flip;
out vec2 v_uv;
void main() {
    vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
    v_uv = u_flip ? corner : vec2(corner.x, 1.0 - corner.y);
    gl_Position = vec4(mix(u_rect.xy, u_rect.zw, corner), 0.0, 1.0);
}
"""

OVERLAY_FRAGMENT = """
#version 330
uniform sampler2D u_text;  // premultiplied RGBA, row 0 at the top
in vec2 v_uv;
out vec4 f_color;
void main() {
    f_color = texture(u_text, v_uv);
}
"""
