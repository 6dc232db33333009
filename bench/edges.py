"""How crisp a stroke's edge is on the read-back frame: the 10–90 % coverage rise, in pixels.

Renders a known field — a 64² disc of ink (radius 20 texels), white, normal blend, on
black, centred at full height — with the same compositor settings as
``bench/compositor.py`` (internal size "auto", tiles 64×48), reads the frame back and
measures, along rays from the disc's centre at many angles, how far apart the points are
where the edge profile crosses 90 % and 10 % of the way from the inside level to the
outside level. Both ink modes, several output sizes, one table.

    .venv/bin/python bench/edges.py
    .venv/bin/python bench/edges.py --sizes 1920x1080 --ink stroke field
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

if TYPE_CHECKING:
    from renderer.compositor import Compositor

#: The test field: side, disc radius (texels) and centre (texel units, numpy order).
DISC_SIDE = 64
DISC_RADIUS = 20.0


def disc_field(side: int = DISC_SIDE, radius: float = DISC_RADIUS) -> np.ndarray:
    """A side×side uint8 ink field holding one hard-edged disc centred on the field."""
    yy, xx = np.mgrid[0:side, 0:side]
    centre = (side - 1) / 2.0
    return ((np.hypot(yy - centre, xx - centre) < radius) * 255).astype(np.uint8)


def bilinear(channel: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``channel`` (H, W) sampled at pixel-centre coordinates (x, y) (pixel i spans i..i+1)."""
    px, py = x - 0.5, y - 0.5
    x0 = np.clip(np.floor(px).astype(int), 0, channel.shape[1] - 2)
    y0 = np.clip(np.floor(py).astype(int), 0, channel.shape[0] - 2)
    fx, fy = np.clip(px - x0, 0.0, 1.0), np.clip(py - y0, 0.0, 1.0)
    c = channel.astype(np.float64)
    top = c[y0, x0] * (1 - fx) + c[y0, x0 + 1] * fx
    bottom = c[y0 + 1, x0] * (1 - fx) + c[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def rise_widths(
    channel: np.ndarray,
    centre: tuple[float, float],
    radius: float,
    angles: int = 64,
    reach: float = 24.0,
    step: float = 0.05,
) -> np.ndarray:
    """10–90 % rise of a disc's edge along ``angles`` rays, in output pixels.

    Args:
        channel: one colour channel of the frame, (H, W), row 0 at the top.
        centre: the disc's centre (x, y) in pixels (x right, y down, pixel i spans i..i+1).
        radius: the disc's radius in pixels; each ray is sampled from radius − reach to
            radius + reach every ``step`` pixels.
        angles: how many rays, evenly spaced over the full turn.

    Returns:
        (angles,) widths: distance between the last crossing of 90 % and the first of 10 %
        of the inside→outside drop along each ray (so any ringing or a wobbly ramp counts).
    """
    r = np.arange(radius - reach, radius + reach, step)
    widths = []
    for theta in np.linspace(0.0, 2 * np.pi, angles, endpoint=False):
        profile = bilinear(channel, centre[0] + r * np.cos(theta), centre[1] + r * np.sin(theta))
        inside, outside = profile[:10].mean(), profile[-10:].mean()
        level = (profile - outside) / max(inside - outside, 1e-9)  # 1 inside .. 0 outside
        above_90 = np.nonzero(level >= 0.9)[0]
        below_10 = np.nonzero(level <= 0.1)[0]
        r90 = r[above_90.max()] if above_90.size else r[0]
        r10 = r[below_10.min()] if below_10.size else r[-1]
        widths.append(max(r10 - r90, 0.0) + step)  # crossings lie within a step
    return np.array(widths)


def measure_disc(compositor: Compositor, angles: int = 64) -> np.ndarray:
    """Draw the disc (alone, white on black) on ``compositor``, read the frame back and
    return its 10–90 % rise widths along ``angles`` rays (see :func:`rise_widths`)."""
    from renderer.settings import LayerSettings, ReactiveSettings

    for layer_id in list(compositor.scene.snapshot().layers):
        compositor.remove_layer(layer_id[0])
    compositor.set_layer(
        "disc", LayerSettings(blend="normal", reactive=ReactiveSettings.off(), opacity=1.0)
    )
    compositor.push_image("disc", disc_field(), 0.0)
    compositor.render(0.0)
    frame = compositor.read()
    width, height = compositor.size
    pixels_per_texel = height / DISC_SIDE
    return rise_widths(
        frame[..., 0], (width / 2.0, height / 2.0), DISC_RADIUS * pixels_per_texel, angles
    )


def disc_edge_widths(
    size: tuple[int, int], ink: str, angles: int = 64, **options: Any
) -> np.ndarray:
    """Render the disc at ``size`` in ink mode ``ink`` with the benchmark's compositor
    settings (plus ``options``) on a headless context and measure its edge."""
    from renderer.headless import HeadlessRenderer

    with HeadlessRenderer(size, field_size=64, ink=ink, **options) as renderer:
        return measure_disc(renderer.compositor, angles)


#: Crops for the docs: (name, output size, layers, crop box x0, y0, x1, y1, zoom).
PICTURES = (
    ("strokes_1080p_4_layers", (1920, 1080), 4, (560, 300, 860, 500), 2),
    ("strokes_4k_4_layers", (3840, 2160), 4, (1120, 600, 1420, 800), 2),
    ("strokes_1080p_16_layers", (1920, 1080), 16, (700, 380, 1000, 580), 2),
)


def write_pictures(folder: Path) -> list[Path]:
    """Render synthetic layers in both ink modes and write side-by-side crops (field left,
    stroke right, enlarged with nearest-neighbour so pixels stay visible) as PNGs."""
    from PIL import Image

    from renderer.headless import HeadlessRenderer
    from renderer.synthetic import SyntheticSet

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, size, layers, box, zoom in PICTURES:
        synthetic = SyntheticSet(layers, seed=1, field_size=64)
        crops = []
        for ink in ("field", "stroke"):
            with HeadlessRenderer(size, field_size=64, max_layers=32, ink=ink) as renderer:
                comp = renderer.compositor
                for i in range(layers):
                    comp.set_layer(i, synthetic.settings(i))
                    comp.push_image(i, synthetic.field(i, 0.0), 0.0)
                features = {i: synthetic.features(i, 0.0) for i in range(layers)}
                frame = renderer.render(0.0, features, 0.0)
            x0, y0, x1, y1 = box
            crop = Image.fromarray(frame[y0:y1, x0:x1])
            crops.append(crop.resize((crop.width * zoom, crop.height * zoom), Image.NEAREST))
        gap = 8
        sheet = Image.new("RGB", (crops[0].width * 2 + gap, crops[0].height), (255, 255, 255))
        sheet.paste(crops[0], (0, 0))
        sheet.paste(crops[1], (crops[0].width + gap, 0))
        path = folder / f"{name}.png"
        sheet.save(path, optimize=True)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    from cli.arguments import parse_size

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=parse_size,
        nargs="+",
        default=[(1280, 720), (1920, 1080), (3840, 2160)],
    )
    parser.add_argument(
        "--ink", nargs="+", default=["field", "stroke"], choices=["field", "stroke"]
    )
    parser.add_argument("--angles", type=int, default=64)
    parser.add_argument(
        "--pictures",
        type=Path,
        default=None,
        help="also write before/after crops (field vs stroke) as PNGs into this folder",
    )
    args = parser.parse_args(argv)
    if args.pictures is not None:
        for path in write_pictures(args.pictures):
            print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
    print("| output | ink | 10–90 % rise median px | max px |")
    print("|---|---|---|---|")
    for size in args.sizes:
        for ink in args.ink:
            widths = disc_edge_widths(size, ink, args.angles)
            print(
                f"| {size[0]}×{size[1]} | {ink} | {np.median(widths):.2f} | {widths.max():.2f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
