"""The W3C Compositing and Blending Level 1 maths in NumPy: the reference the shader must match.

The compositor's fragment shader implements exactly these formulas; the GL tests render tiny
framebuffers and compare them with this module within 1/255. Keeping the reference here, in
plain array code with the spec's own names (Cb backdrop colour, Cs source colour, αb, αs),
lets anyone check a mode against the spec without reading GLSL.

Colours are non-premultiplied in blend functions (as in the spec) and premultiplied in the
compositing functions (as stored in the framebuffer).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from renderer.modes import BLEND_MODES

ArrayLike = np.ndarray | float | Sequence[float]
BlendFn = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: The additive Porter-Duff operator; it is not a "mix then source-over" blend mode.
PLUS_LIGHTER = "plus-lighter"


def _multiply(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    return cb * cs


def _screen(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    return cb + cs - cb * cs


def _hard_light(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    return np.where(cs <= 0.5, _multiply(cb, 2.0 * cs), _screen(cb, 2.0 * cs - 1.0))


def _overlay(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    return _hard_light(cs, cb)  # the spec defines overlay as hard-light with swapped inputs


def _color_dodge(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = np.minimum(1.0, cb / (1.0 - cs))
    return np.where(cb == 0.0, 0.0, np.where(cs == 1.0, 1.0, quotient))


def _color_burn(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = 1.0 - np.minimum(1.0, (1.0 - cb) / cs)
    return np.where(cb == 1.0, 1.0, np.where(cs == 0.0, 0.0, quotient))


def _soft_light(cb: np.ndarray, cs: np.ndarray) -> np.ndarray:
    d = np.where(cb <= 0.25, ((16.0 * cb - 12.0) * cb + 4.0) * cb, np.sqrt(cb))
    darker = cb - (1.0 - 2.0 * cs) * cb * (1.0 - cb)
    lighter = cb + (2.0 * cs - 1.0) * (d - cb)
    return np.where(cs <= 0.5, darker, lighter)


BLEND_FUNCTIONS: dict[str, BlendFn] = {
    "normal": lambda cb, cs: cs,
    "multiply": _multiply,
    "screen": _screen,
    "overlay": _overlay,
    "darken": np.minimum,
    "lighten": np.maximum,
    "color-dodge": _color_dodge,
    "color-burn": _color_burn,
    "hard-light": _hard_light,
    "soft-light": _soft_light,
    "difference": lambda cb, cs: np.abs(cb - cs),
    "exclusion": lambda cb, cs: cb + cs - 2.0 * cb * cs,
}
"""B(Cb, Cs) for every separable blend mode, keyed by the names in ``BLEND_MODES``."""

assert set(BLEND_FUNCTIONS) | {PLUS_LIGHTER} == set(BLEND_MODES), "modes.py and blend maths differ"


def blend(mode: str, cb: ArrayLike, cs: ArrayLike) -> np.ndarray:
    """The blend function B(Cb, Cs) of a separable mode, element-wise, in float64.

    Raises:
        ValueError: ``mode`` is plus-lighter (a compositing operator) or unknown.
    """
    if mode not in BLEND_FUNCTIONS:
        raise ValueError(
            f"no blend function for {mode!r}; separable modes are {', '.join(BLEND_FUNCTIONS)}"
        )
    return BLEND_FUNCTIONS[mode](np.asarray(cb, np.float64), np.asarray(cs, np.float64))


def composite(backdrop: ArrayLike, source_rgb: ArrayLike, alpha_s: float, mode: str) -> np.ndarray:
    """Draw one source over a premultiplied RGBA backdrop; return the premultiplied result.

    For a blend mode the spec first mixes, Cs' = (1 - αb)·Cs + αb·B(Cb, Cs), then composites
    source-over: co = αs·Cs' + (1 - αs)·cb and αo = αs + (1 - αs)·αb. plus-lighter adds the
    premultiplied colours and alphas, each clamped to 1.

    Args:
        backdrop: premultiplied (r, g, b, a), shape (..., 4).
        source_rgb: the source's non-premultiplied colour, shape (..., 3).
        alpha_s: the source's alpha (coverage × opacity), 0..1.
        mode: a name from ``BLEND_MODES``.
    """
    dst = np.asarray(backdrop, np.float64)
    cs = np.asarray(source_rgb, np.float64)
    alpha_s = float(alpha_s)
    alpha_b = dst[..., 3:4]
    if mode == PLUS_LIGHTER:
        added = np.concatenate([dst[..., :3] + cs * alpha_s, alpha_b + alpha_s], axis=-1)
        return np.minimum(added, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cb = np.where(alpha_b > 0.0, np.clip(dst[..., :3] / alpha_b, 0.0, 1.0), 0.0)
    mixed = (1.0 - alpha_b) * cs + alpha_b * blend(mode, cb, cs)
    rgb = alpha_s * mixed + (1.0 - alpha_s) * dst[..., :3]
    alpha = alpha_s + (1.0 - alpha_s) * alpha_b
    return np.concatenate([rgb, alpha], axis=-1)


def composite_stack(
    background: ArrayLike, layers: Sequence[tuple[ArrayLike, float, str]]
) -> np.ndarray:
    """Composite ``layers`` (rgb, alpha, mode), bottom first, over a premultiplied background."""
    out = np.asarray(background, np.float64)
    for rgb, alpha, mode in layers:
        out = composite(out, rgb, alpha, mode)
    return out
