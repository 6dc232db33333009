"""Benchmark: the structure analysis measured on arrangements of known form.

Nine arrangements per set (90, 120 and 140 BPM × 4/4, 3/4 and 7/8; four stems each, with
repeats, variations, question/answer, fills, a breakdown and returns; every note humanised
by ±10 ms and ±6 dB), rendered by fluidsynth: the *tuning* set with TimGM6mb and training
programs (seeds 100 …), the *report* set with MuseScore General Lite and held-out programs
(seeds 200 …). Without fluidsynth both fall back to the project's synth (said so).

Figures (``mir_eval``): section boundaries F within one bar, offline and live (one bar of
delay); section labels pairwise F per bar, offline and live; motif labels pairwise F per
stem; motif changes within pure repetition; the tracker's beat F, downbeat F, CMLt and AMLt
(no transport, with and without the tempo); the mix as one file; and the cost per bar and
per second of audio.

    python bench/structure.py                  # the report set
    python bench/structure.py --set tune       # the tuning set
    python bench/structure.py --set tune --grid   # search the motif/section thresholds
    python bench/structure.py --quick          # three arrangements, transport only
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.analysis import DEFAULT_ANALYSIS, AnalysisStream
from models.arrangements import STEMS, Arrangement, generate, render_arrangement
from models.paths import user_data_dir
from models.structure import StructureStream
from models.structure.config import DEFAULT_STRUCTURE, StructureConfig
from models.structure.evaluation import Figures, evaluate
from models.structure.offline import SteadyTransport, analyse_signals

TEMPI = (90.0, 120.0, 140.0)
METERS = ((4, 4), (3, 4), (7, 8))
SEED_BASE = {"tune": 100, "eval": 200}
RATE = 22050
BLOCK = 512  # samples per pushed block, as a live bridge would


def arrangements(which: str, quick: bool) -> list[Arrangement]:
    combos = list(enumerate(itertools.product(TEMPI, METERS)))
    if quick:
        combos = [combos[0], combos[4], combos[8]]
    return [generate(SEED_BASE[which] + i, tempo, num, den) for i, (tempo, (num, den)) in combos]


def stream_transport(
    arr: Arrangement, stems: dict[str, np.ndarray], cfg: StructureConfig
) -> tuple[StructureStream, float, float, int]:
    """Feed the stems block by block with a transport; returns the stream, the seconds
    spent in push (features + bars), in bar processing alone, and the bar count."""
    stream = StructureStream(cfg)
    transport = SteadyTransport(arr.tempo, arr.numerator, arr.denominator)
    n = max(len(v) for v in stems.values())
    spent = 0.0
    for first in range(0, n, BLOCK):
        for name, audio in stems.items():
            block = audio[first : first + BLOCK]
            if len(block) == 0:
                continue
            began = time.perf_counter()
            stream.push(name, block, RATE, transport.at(first / RATE))
            spent += time.perf_counter() - began
    stream.finish()
    began = time.perf_counter()
    again = stream.reclassify(cfg)  # motifs + live sections again, bar by bar, no audio
    bar_time = time.perf_counter() - began
    return stream, spent, bar_time, len(again.structure().bars)


def reference_seconds(stems: dict[str, np.ndarray]) -> float:
    """Seconds the project's own analysis (``AnalysisStream`` with chroma, the structure's
    first stage) takes over the same stems and blocks: the reference the feature cost is
    given against, so runs on machines of other speed or load compare."""
    spent = 0.0
    for audio in stems.values():
        stream = AnalysisStream(DEFAULT_ANALYSIS, chroma=True)
        began = time.perf_counter()
        for first in range(0, len(audio), BLOCK):
            stream.push(audio[first : first + BLOCK])
        spent += time.perf_counter() - began
    return spent


def line(name: str, values: list[float]) -> str:
    arr = np.array(values, dtype=float)
    return f"{name:34s} mean {arr.mean():.3f}  min {arr.min():.3f}  ({len(arr)})"


def report(title: str, figures: list[Figures]) -> None:
    print(f"\n== {title}")
    print(line("boundaries F offline", [f.boundary_f for f in figures]))
    print(line("boundaries F live (1 bar delay)", [f.live_f for f in figures]))
    print(line("section labels F offline", [f.section_label_f for f in figures]))
    print(line("section labels F live", [f.live_section_label_f for f in figures]))
    for stem in STEMS:
        print(line(f"motif pairwise F {stem}", [f.motif_f[stem] for f in figures]))
    changes = sum(f.repeat_changes for f in figures)
    bars = sum(f.repeat_bars for f in figures)
    if bars:
        per_stem = ", ".join(
            f"{stem} {sum(f.repeats_by_stem[stem][0] for f in figures)} of "
            f"{sum(f.repeats_by_stem[stem][1] for f in figures)}"
            for stem in STEMS
        )
        print(
            f"{'motif changes in pure repetition':34s} {changes} of {bars} bars "
            f"({changes / bars:.1%}): {per_stem}"
        )
    if figures[0].beat_f is not None:
        print(line("beat F (±70 ms)", [f.beat_f for f in figures]))
        print(line("downbeat F (±70 ms)", [f.downbeat_f for f in figures]))
        print(line("CMLt", [f.cmlt for f in figures]))
        print(line("AMLt", [f.amlt for f in figures]))


def grid(streams: list[tuple[Arrangement, StructureStream]]) -> None:
    """Search the motif and section thresholds on already analysed bars."""
    base = DEFAULT_STRUCTURE
    best = None
    for rm, rs, vm in itertools.product(
        (0.84, 0.86, 0.88, 0.9, 0.92), (0.4, 0.5, 0.6, 0.7), (0.5, 0.6, 0.7)
    ):
        cfg = replace(base, repeat_mean=rm, repeat_slot=rs, variation_mean=min(vm, rm))
        figs = [evaluate(a, s.replay(cfg)) for a, s in streams]
        score = np.mean([np.mean(list(f.motif_f.values())) for f in figs])
        worst = np.min([min(f.motif_f.values()) for f in figs])
        if best is None or score > best[0]:
            best = (score, worst, rm, rs, vm)
        print(
            f"repeat_mean {rm} repeat_slot {rs} variation_mean {vm}: "
            f"motif F mean {score:.3f} worst {worst:.3f}"
        )
    print("best motif:", best)
    best = None
    for k, no, nl, same in itertools.product(
        (3, 4, 6), (0.08, 0.12, 0.16, 0.2), (0.08, 0.12, 0.16, 0.2), (0.6, 0.7, 0.8)
    ):
        cfg = replace(base, kernel_bars=k, novelty_offline=no, novelty_live=nl, section_same=same)
        figs = [evaluate(a, s.replay(cfg)) for a, s in streams]
        off = np.mean([f.boundary_f for f in figs])
        live = np.mean([f.live_f for f in figs])
        if best is None or off + live > best[0]:
            best = (off + live, off, live, k, no, nl, same)
    print("best sections (sum, offline F, live F, kernel, novelty offline, live, same):", best)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("tune", "eval"), default="eval")
    parser.add_argument("--quick", action="store_true", help="three arrangements, transport only")
    parser.add_argument("--grid", action="store_true", help="search thresholds (tuning set)")
    parser.add_argument("--no-tracker", action="store_true", help="skip the tracker runs")
    args = parser.parse_args()
    cache = user_data_dir() / "structure-bench"
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
        f"set {args.set} (seeds from {SEED_BASE[args.set]})"
    )
    pieces = arrangements(args.set, args.quick)
    streams = []
    transport_figs, tracker_figs, free_figs, mix_figs = [], [], [], []
    push_s = bar_s = audio_s = reference_s = 0.0
    bars = 0
    how = ""
    for arr in pieces:
        stems, how = render_arrangement(arr, side=args.set, sample_rate=RATE, cache=cache)
        stream, spent, bar_time, count = stream_transport(arr, stems, DEFAULT_STRUCTURE)
        push_s += spent
        bar_s += bar_time
        bars += count
        audio_s += sum(len(v) for v in stems.values()) / RATE
        reference_s += reference_seconds(stems)
        streams.append((arr, stream))
        fig = evaluate(arr, stream.structure())
        transport_figs.append(fig)
        print(
            f"seed {arr.seed} {arr.tempo:g} BPM {arr.numerator}/{arr.denominator}, "
            f"{arr.bars} bars: "
            f"boundaries F {fig.boundary_f:.2f} live {fig.live_f:.2f}; motif F "
            + " ".join(f"{s} {v:.2f}" for s, v in fig.motif_f.items())
        )
        if args.quick or args.no_tracker:
            continue
        signals = {name: (audio, RATE) for name, audio in stems.items()}
        tracker_figs.append(evaluate(arr, analyse_signals(signals, tempo=arr.tempo), tracker=True))
        free_figs.append(evaluate(arr, analyse_signals(signals), tracker=True))
        mixed = np.sum(list(stems.values()), axis=0)
        mix_figs.append(
            evaluate(arr, analyse_signals({"mix": (mixed, RATE)}, tempo=arr.tempo), tracker=True)
        )
    print(f"\nrendered with {how}")
    report("stems with Live's transport", transport_figs)
    if tracker_figs:
        report("stems, no transport, tempo given (tracker)", tracker_figs)
        report("stems, no transport, no tempo (tracker)", free_figs)
        print("\n== the mix as one file, tempo given (tracker)")
        print(line("boundaries F offline", [f.boundary_f for f in mix_figs]))
        print(line("boundaries F live (1 bar delay)", [f.live_f for f in mix_figs]))
        print(line("section labels F offline", [f.section_label_f for f in mix_figs]))
        print(line("section labels F live", [f.live_section_label_f for f in mix_figs]))
        print(line("beat F", [f.beat_f for f in mix_figs]))
        print(line("downbeat F", [f.downbeat_f for f in mix_figs]))
    tracks = len(STEMS) * bars
    features = push_s - bar_s  # push also classified each bar once
    print(
        f"\ncost: features + bar cutting {features / audio_s * 1000:.2f} ms per second of audio "
        f"per track ({audio_s / features:.0f}× real time per track); motifs + live sections "
        f"{bar_s / tracks * 1000:.3f} ms per track per bar ({bars} bars × {len(STEMS)} "
        f"tracks); load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"features + bar cutting / the project's analysis alone (AnalysisStream with chroma, "
        f"same blocks, same run): {features / reference_s:.2f}×"
    )
    if args.grid:
        grid(streams)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
