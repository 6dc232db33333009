"""How well a composition separates the voices: overlap and width span on the demo stems.

The four built-in demo stems (Kick, Bass, Hats, Pad) are rendered offline exactly as
``synaesthete render --composition C`` renders them (the same show on injected time, the
real style), at 1280×720. On every ``--every``-th frame after ``--skip`` seconds each layer
is drawn again *alone* at the same instant — white, blend "normal", opacity 1, its colour
hooks off, its geometry (position, scale, audio-driven growth) unchanged — over black, so a
pixel's value is that layer's own coverage. Then, per frame:

- an *ink pixel* is one where at least one voice's coverage is ≥ 0.1;
- *overlap* = ink pixels where two or more voices have coverage ≥ 0.1, as a fraction of the
  ink pixels;
- *width span* = (rightmost − leftmost ink column + 1) / frame width.

It prints the medians over the measured frames (targets for ``stage``: overlap ≤ 15 %, span
≥ 70 %), and the same for any other composition given.

    .venv/bin/python bench/stage_layout.py                     # stage
    .venv/bin/python bench/stage_layout.py --composition stage stack grid
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.generate.feeds import Stem
from bridge.show.render import ShowLook, offline_show
from bridge.show.render_generators import style_processes
from bridge.simulate.demo_audio import DEMO_RATE, DEMO_TEMPO, demo_stems
from bridge.simulate.simulator import PALETTE
from cli.show import DEMO_BLENDS
from models.paths import DEFAULT_STYLE
from renderer.settings import ReactiveSettings

#: A voice's pixel counts as ink from this coverage on.
INK_COVERAGE = 0.1


def frame_measures(coverages: np.ndarray) -> tuple[float, float, float]:
    """``(overlap, span, ink)`` of one frame from per-voice coverage, shape (voices, H, W),
    values 0..1: overlap fraction of ink pixels, width span fraction, ink fraction of the
    frame. A frame without ink gives (0, 0, 0)."""
    inked = coverages >= INK_COVERAGE
    count = inked.sum(axis=0)
    ink = count >= 1
    total = int(ink.sum())
    if total == 0:
        return 0.0, 0.0, 0.0
    columns = np.flatnonzero(ink.any(axis=0))
    span = (columns[-1] - columns[0] + 1) / ink.shape[1]
    return float((count >= 2).sum() / total), float(span), total / ink.size


def measure(
    composition: str,
    *,
    size: tuple[int, int] = (1280, 720),
    fps: float = 15.0,
    every: int = 3,
    skip: float = 1.5,
    style: str = DEFAULT_STYLE,
) -> dict[str, float]:
    """Medians (and 10th/90th percentiles) of the per-frame measures for ``composition``."""
    from renderer.headless import HeadlessRenderer

    stems = [
        Stem(name, audio, PALETTE[i], blend=DEMO_BLENDS[i], style=style, rate=DEMO_RATE)
        for i, (name, audio) in enumerate(demo_stems())
    ]
    n_frames = int(stems[0].audio.size / DEMO_RATE * fps)
    rows = []
    alone = ReactiveSettings(level_brightness=0.0, onset_flash=0.0)
    styles = [stem.style for stem in stems]
    with style_processes(styles, 1) as generator_for, HeadlessRenderer(size) as renderer:
        compositor = renderer.compositor
        scene = compositor.scene
        show, feed = offline_show(
            stems,
            compositor,
            generator_for,
            fps=fps,
            n_frames=n_frames,
            tempo=DEMO_TEMPO,
            look=ShowLook(composition=composition),
        )
        for index in range(n_frames):
            t = index / fps
            features, beat = show.update(t)
            compositor.render(t, features, beat)
            if t < skip or index % every:
                continue
            real = dict(scene.snapshot().layers)
            coverages = []
            for key, settings in real.items():
                reactive = replace(
                    settings.reactive,
                    level_brightness=alone.level_brightness,
                    onset_flash=alone.onset_flash,
                )
                scene.set_layer(
                    key,
                    replace(
                        settings,
                        tint=(1.0, 1.0, 1.0),
                        blend="normal",
                        opacity=1.0,
                        solo=True,
                        muted=False,
                        reactive=reactive,
                    ),
                )
                compositor.render(t, features, beat)  # same instant: nothing advances
                coverages.append(compositor.read()[..., 0].astype(np.float32) / 255.0)
                scene.set_layer(key, settings)
            rows.append(frame_measures(np.stack(coverages)))
        feed.finish()
    values = np.array(rows)
    return {
        "frames": float(len(rows)),
        "overlap_median": float(np.median(values[:, 0])),
        "overlap_p90": float(np.percentile(values[:, 0], 90)),
        "span_median": float(np.median(values[:, 1])),
        "span_p10": float(np.percentile(values[:, 1], 10)),
        "ink_median": float(np.median(values[:, 2])),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--composition", nargs="+", default=["stage"])
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--every", type=int, default=3, help="measure every Nth frame (3)")
    parser.add_argument("--skip", type=float, default=1.5, help="seconds not measured (1.5)")
    parser.add_argument("--style", default=DEFAULT_STYLE)
    args = parser.parse_args()
    print("composition | frames | overlap median (p90) | width span median (p10) | ink median")
    for composition in args.composition:
        r = measure(composition, fps=args.fps, every=args.every, skip=args.skip, style=args.style)
        print(
            f"{composition} | {r['frames']:.0f} | {r['overlap_median']:.1%} "
            f"({r['overlap_p90']:.1%}) | {r['span_median']:.1%} ({r['span_p10']:.1%}) | "
            f"{r['ink_median']:.1%}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
