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

Features that can be off (trails, transparency, sharpening) are compile-time variants, not
uniform branches: Mesa's llvmpipe runs both sides of a branch under a mask, so a switched-off
feature would still cost its full price.
"""

from __future__ import annotations

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

_BLEND_FUNCTIONS = """
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

// B(Cb, Cs) of W3C Compositing and Blending Level 1, non-premultiplied colours.
vec3 blend(int mode, vec3 cb, vec3 cs) {
    switch (mode) {
    case MODE_MULTIPLY: return cb * cs;
    case MODE_SCREEN: return cb + cs - cb * cs;
    case MODE_OVERLAY: return hard_light(cs, cb);
    case MODE_DARKEN: return min(cb, cs);
    case MODE_LIGHTEN: return max(cb, cs);
    case MODE_COLOR_DODGE: return color_dodge(cb, cs);
    case MODE_COLOR_BURN: return color_burn(cb, cs);
    case MODE_HARD_LIGHT: return hard_light(cb, cs);
    case MODE_SOFT_LIGHT: return soft_light(cb, cs);
    case MODE_DIFFERENCE: return abs(cb - cs);
    case MODE_EXCLUSION: return cb + cs - 2.0 * cb * cs;
    default: return cs;  // normal
    }
}

// Draw source colour cs with alpha a over the premultiplied backdrop dst.
vec4 composite(vec4 dst, vec3 cs, float a, int mode) {
    if (mode == MODE_PLUS_LIGHTER) {
        return min(dst + vec4(cs * a, a), vec4(1.0));
    }
#ifdef OPAQUE_BACKDROP
    // Over an opaque background αb stays 1, so Cs' = B(Cb, Cs) and Cb is the stored colour.
    return vec4(a * blend(mode, dst.rgb, cs) + (1.0 - a) * dst.rgb, 1.0);
#else
    vec3 cb = dst.a > 0.0 ? clamp(dst.rgb / dst.a, 0.0, 1.0) : vec3(0.0);
    vec3 mixed = (1.0 - dst.a) * cs + dst.a * blend(mode, cb, cs);
    return vec4(a * mixed + (1.0 - a) * dst.rgb, a + (1.0 - a) * dst.a);
#endif
}
"""


def composite_fragment(max_layers: int, *, trails: bool, opaque: bool) -> str:
    """The composite pass: background (or decayed trails), then every layer in one loop.

    Args:
        max_layers: size of the layer uniform block.
        trails: start from the previous frame faded towards the background.
        opaque: the background is opaque, so backdrop alpha is always 1 (cheaper maths).
    """
    flags = (("TRAILS", trails), ("OPAQUE_BACKDROP", opaque))
    defines = "".join(f"#define {name}\n" for name, on in flags if on)
    return f"""
#version 330
#define MAX_LAYERS {max_layers}
{defines}{_mode_constants()}

struct Layer {{
    vec4 row0;    // texture s = dot(row0.xy, uv) + row0.z; row0.w = s at the image's right edge
    vec4 row1;    // texture t = dot(row1.xy, uv) + row1.z; row1.w = t at the image's bottom edge
    vec4 color;   // ink rgb, opacity
    vec4 params;  // crossfade mix, threshold, edge half-width, -
    ivec4 ints;   // slot, blend mode, -, -
}};

layout(std140) uniform LayerBlock {{
    Layer layers[MAX_LAYERS];
}};

uniform sampler2DArray u_fields;
uniform sampler2D u_previous;
uniform vec4 u_background;  // premultiplied
uniform float u_keep;       // trails: fraction of the previous frame kept
uniform int u_count;
uniform vec2 u_size;
uniform float u_half_texel;  // half a texel of the field texture array, in texture units

layout(location = 0) out vec4 f_color;     // what the present pass shows (RGBA8)
#ifdef TRAILS
layout(location = 1) out vec4 f_feedback;  // the same at half-float precision, for trails
#endif
{_BLEND_FUNCTIONS}
void main() {{
    vec2 uv = gl_FragCoord.xy / u_size;
#ifdef TRAILS
    vec4 dst = mix(u_background, texelFetch(u_previous, ivec2(gl_FragCoord.xy), 0), u_keep);
#else
    vec4 dst = u_background;
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
        float coverage = smoothstep(params.y - params.z, params.y + params.z, ink);
        float alpha = coverage * layers[k].color.a * inside.x * inside.y;
        dst = composite(dst, layers[k].color.rgb, alpha, layers[k].ints.y);
    }}
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

OVERLAY_FRAGMENT = """
#version 330
uniform sampler2D u_text;  // premultiplied RGBA, row 0 at the top
in vec2 v_uv;
out vec4 f_color;
void main() {
    f_color = texture(u_text, v_uv);
}
"""
