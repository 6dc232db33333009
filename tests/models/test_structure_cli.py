"""``synaesthete structure``: real WAV files in, the form printed, JSON and PNG out."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image

from cli import structure as command
from models.structure.motifs import MotifResult
from models.structure.offline import SteadyTransport, analyse_signals
from models.structure.picture import (
    BACKGROUND,
    LETTER_DARK,
    LETTER_LIGHT,
    PAD,
    contrast,
    draw,
    layout,
    motif_colour,
)
from models.structure.results import BarResult, Section, Structure
from tests.models.structure_helpers import KICKS, RATE, RIFF_A, RIFF_B, stem

FORM = [RIFF_A] * 4 + [RIFF_B] * 4 + [RIFF_A] * 4


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["structure", *argv])
    return args.func(args)


@pytest.fixture()
def stems(tmp_path: Path) -> list[Path]:
    riff = tmp_path / "riff.wav"
    kick = tmp_path / "kick.flac"
    soundfile.write(riff, stem(FORM, 120.0, seed=1), RATE)
    soundfile.write(kick, stem([KICKS] * 8 + [None] * 4, 120.0, noise=True, seed=2), RATE)
    return [riff, kick]


def test_writes_exactly_the_documented_json_and_a_png(stems, tmp_path, capsys):
    out, png = tmp_path / "form.json", tmp_path / "form.png"
    code = run(
        [
            *map(str, stems),
            "--tempo",
            "120",
            "--meter",
            "4/4",
            "--json",
            str(out),
            "--png",
            str(png),
        ]
    )
    assert code == 0
    data = json.loads(out.read_text())
    assert set(data) == {"tempo", "bars", "sections"}
    assert data["tempo"] == pytest.approx(120.0)
    assert all(set(bar) == {"index", "start_s", "section", "motifs"} for bar in data["bars"])
    assert all(set(bar["motifs"]) == {"riff", "kick"} for bar in data["bars"])
    assert [bar["motifs"]["riff"] for bar in data["bars"]] == ["a"] * 4 + ["b"] * 4 + ["a"] * 4
    assert [bar["motifs"]["kick"] for bar in data["bars"]][8:] == [None] * 4
    assert [s["label"] for s in data["sections"]][:2] == ["A", "B"]
    assert all(set(s) == {"label", "start_bar", "end_bar"} for s in data["sections"])
    assert data["bars"][4]["start_s"] == pytest.approx(8.0, abs=1e-3)
    picture = Image.open(png)
    assert picture.mode == "RGB" and picture.width > 100
    printed = capsys.readouterr().out
    assert "sections: A 0-3  B 4-7" in printed and "riff" in printed


def test_a_mix_without_transport_is_analysed_by_the_tracker(stems, tmp_path, capsys):
    mixed = tmp_path / "mix.wav"
    a, _ = soundfile.read(stems[0])
    b, _ = soundfile.read(stems[1])
    soundfile.write(mixed, np.stack([a, b], axis=1), RATE)  # stereo: averaged to mono
    assert run([str(mixed), "--tempo", "120"]) == 0
    assert "tempo 120.0 BPM" in capsys.readouterr().out


def test_bad_files_and_options_are_clear_errors(stems, tmp_path, caplog):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all")
    assert run([str(junk)]) == 2
    assert "junk.wav" in caplog.text
    assert run([str(tmp_path / "missing.wav")]) == 2
    assert run([str(stems[0]), "--meter", "4/4"]) == 2  # a meter needs a tempo
    assert run([str(stems[0]), "--png", str(tmp_path / "x.jpg")]) == 2
    assert run([str(stems[0]), str(stems[0])]) == 2  # two tracks, one name
    with pytest.raises(SystemExit):
        run([str(stems[0]), "--meter", "4:4", "--tempo", "120"])
    with pytest.raises(SystemExit):
        run([str(stems[0]), "--tempo", "-3"])


def test_picture_colours_families_alike():
    assert motif_colour(None) == (236, 236, 232)
    assert motif_colour("a") != motif_colour("b")
    assert motif_colour("a'") != motif_colour("a")
    with pytest.raises(ValueError):
        from models.structure.results import Structure

        draw(Structure(0.0, (), (), (), (), np.zeros((0, 0))))


def test_every_caption_fits_inside_the_picture():
    """Long track names, a few wide bars and many narrow ones: every caption's measured
    box lies inside the picture, names stop short of the cells, and no ink touches the
    picture's edge (a cut caption would)."""
    names = {"riff": "a stem with a rather long file name indeed", "kick": "kick"}
    signals = {
        "riff": (stem(FORM, 120.0, seed=1), float(RATE)),
        "kick": (stem([KICKS] * 8 + [None] * 4, 120.0, noise=True, seed=2), float(RATE)),
    }
    structure = analyse_signals(signals, transport=SteadyTransport(120.0), tempo=120.0)
    for cell in (None, 4, 24):
        at = layout(structure, names, cell=cell)
        image = np.asarray(draw(structure, names, cell=cell))
        assert image.shape == (at.height, at.width, 3)
        for caption in at.captions:
            left, top, right, bottom = caption.box
            assert 0 <= left < right <= at.width and 0 <= top < bottom <= at.height, caption
            if caption.background is None and caption.xy[0] == PAD:  # track names, legend
                assert right <= at.left or top >= at.rows_top + at.row * len(names)
        legend = " ".join(c.text for c in at.captions if c.box[1] >= at.rows_top + 2 * at.row)
        assert legend.startswith("12 bars") and legend.endswith("motifs per track")
        sides = (image[:2], image[-2:], image[:, :2], image[:, -2:])
        edge = np.concatenate([side.reshape(-1, 3) for side in sides])
        assert (edge == BACKGROUND).all(), f"ink on the edge with cell {cell}"


def test_motif_letters_contrast_with_their_cells():
    """Letters are light on dark cells and dark on light ones: the colour chosen and the
    pixels drawn both stand out from the cell by at least 4.5:1 (WCAG AA)."""
    labels = [chr(ord("a") + k) + "'" * (k % 4) for k in range(20)]
    tracks = ("drums", "bass", "keys")

    def motifs(i: int) -> dict[str, MotifResult]:
        return {
            t: MotifResult(labels[(i + 7 * j) % 20], "new", None, 0.0) for j, t in enumerate(tracks)
        }

    bars = tuple(
        BarResult(i, 2.0 * i, 4.0 * i, 4.0, 120.0, True, motifs(i), "A") for i in range(20)
    )
    structure = Structure(120.0, tracks, bars, (Section("A", 0, 20),), (), np.eye(20))
    at = layout(structure, cell=24)
    image = np.asarray(draw(structure, cell=24)).astype(int)
    letters = [c for c in at.captions if c.background is not None]
    assert len(letters) == 60
    assert {c.fill for c in letters} == {LETTER_DARK, LETTER_LIGHT}
    for caption in letters:
        assert contrast(caption.fill, caption.background) >= 4.5, caption
        left, top, right, bottom = caption.box
        drawn = image[top:bottom, left:right].reshape(-1, 3)
        assert (drawn == caption.background).any(axis=1).any()  # inside its cell
        best = max(contrast(tuple(p), caption.background) for p in drawn)
        assert best >= 4.5, caption
