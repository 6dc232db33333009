"""Draw the structure pictures of docs/structure.md from report-set arrangements.

    python bench/structure_pictures.py docs/images

Renders (or reads from the bench's cache) seed 200 (90 BPM, 4/4) and seed 208 (140 BPM, 7/8)
of ``bench/structure.py``'s report set with MuseScore General Lite, analyses the stems with
a steady transport and the mix with the tracker (tempo given), and draws each with
:func:`models.structure.picture.draw`, as ``synaesthete structure --png`` does:

- ``structure-stems-transport.png``: seed 200, four stems, transport;
- ``structure-mix-tracker.png``: seed 200 mixed to one file, tracker with the tempo;
- ``structure-stems-7-8.png``: seed 208, four stems, transport.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.arrangements import generate, render_arrangement
from models.paths import user_data_dir
from models.structure import picture
from models.structure.offline import SteadyTransport, analyse_signals

RATE = 22050


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    cache = user_data_dir() / "structure-bench"
    for seed, tempo, num, den, name in (
        (200, 90.0, 4, 4, "structure-stems-transport.png"),
        (208, 140.0, 7, 8, "structure-stems-7-8.png"),
    ):
        arrangement = generate(seed, tempo, num, den)
        stems, _ = render_arrangement(arrangement, side="eval", sample_rate=RATE, cache=cache)
        signals = {k: (v, float(RATE)) for k, v in stems.items()}
        result = analyse_signals(signals, transport=SteadyTransport(tempo, num, den), tempo=tempo)
        picture.draw(result, {k: k for k in result.tracks}).save(out / name)
        print(f"{out / name}: seed {seed}, {len(result.bars)} bars", flush=True)
        if seed == 200:
            mixed = np.sum(list(stems.values()), axis=0)
            mix = analyse_signals({"mix": (mixed, float(RATE))}, tempo=tempo)
            path = out / "structure-mix-tracker.png"
            picture.draw(mix, {"mix": "mix"}).save(path)
            print(f"{path}: seed {seed} mixed, {len(mix.bars)} bars", flush=True)


if __name__ == "__main__":
    main()
