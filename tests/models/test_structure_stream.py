"""The streaming API: block sizes, rates, late tracks, bad input, offline == streaming."""

from __future__ import annotations

import numpy as np
import pytest

from models.resample import resample
from models.structure import StructureStream, Transport, analyse_signals
from models.structure.offline import SteadyTransport
from tests.models.structure_helpers import KICKS, RATE, RIFF_A, RIFF_B, stem

TEMPO = 120.0
FORM = [RIFF_A] * 4 + [RIFF_B] * 4 + [RIFF_A] * 4  # A B A, four bars each


def stems() -> dict[str, np.ndarray]:
    return {
        "riff": stem(FORM, TEMPO, jitter_s=0.005, level_db=3, seed=1),
        "kick": stem([KICKS] * 8 + [None] * 4, TEMPO, noise=True, seed=2),
    }


def feed(signals: dict[str, tuple[np.ndarray, float]], sizes: list[int], transport: bool = True):
    stream = StructureStream(tempo=None if transport else TEMPO)
    results = []
    position = {name: 0 for name in signals}
    k = 0
    while any(position[n] < len(s) for n, (s, _) in signals.items()):
        for name, (audio, rate) in signals.items():
            first = position[name]
            if first >= len(audio):
                continue
            size = sizes[k % len(sizes)]
            k += 1
            stamp = Transport(TEMPO, first / rate * TEMPO / 60) if transport else None
            results += stream.push(name, audio[first : first + size], rate, stamp)
            position[name] = first + size
    results += stream.finish()
    return stream, results


def summary(bars):
    return [
        (
            b.index,
            round(b.start_beat, 6),
            b.section,
            tuple(
                sorted(
                    (n, None if m is None else (m.label, m.kind, m.parent))
                    for n, m in b.motifs.items()
                )
            ),
        )
        for b in bars
    ]


def test_streaming_in_any_blocks_equals_offline():
    signals = {name: (audio, RATE) for name, audio in stems().items()}
    offline = analyse_signals(signals, transport=SteadyTransport(TEMPO))
    for sizes in ([1031], [1, 64, 65, 8192, 8193], [4410]):
        stream, results = feed(signals, sizes)
        assert summary(results) == summary(offline.bars)
        np.testing.assert_allclose(stream.structure().similarity, offline.similarity, atol=1e-6)
        assert stream.structure().sections == offline.sections


def test_the_form_is_found_with_a_transport():
    signals = {name: (audio, RATE) for name, audio in stems().items()}
    structure = analyse_signals(signals, transport=SteadyTransport(TEMPO))
    assert len(structure.bars) == 12
    assert structure.bar_labels("riff") == ["a"] * 4 + ["b"] * 4 + ["a"] * 4
    assert structure.bar_labels("kick") == ["a"] * 8 + [None] * 4
    assert [(s.label, s.start_bar, s.end_bar) for s in structure.sections] == [
        ("A", 0, 4),
        ("B", 4, 8),
        ("C", 8, 12),
    ]
    # live: each boundary is reported one bar late, at the right bar
    flagged = [(b.index, b.boundary_bar) for b in structure.bars if b.boundary]
    assert flagged == [(5, 4), (9, 8)]
    assert [(s.start_bar, s.end_bar) for s in structure.live_sections] == [(0, 4), (4, 8), (8, 12)]


def test_tracks_at_other_rates_give_the_same_motifs():
    audio = stems()
    signals = {
        "riff": (resample(audio["riff"], RATE, 48000), 48000.0),
        "kick": (resample(audio["kick"], RATE, 44100), 44100.0),
    }
    structure = analyse_signals(signals, transport=SteadyTransport(TEMPO))
    assert structure.bar_labels("riff") == ["a"] * 4 + ["b"] * 4 + ["a"] * 4


def test_a_late_track_reads_silent_and_is_named():
    audio = stems()
    stream = StructureStream()
    bar = round(2.0 * RATE)
    out = []
    for b in range(6):  # the kick stops sending after bar 1
        out += stream.push(
            "riff", audio["riff"][b * bar : (b + 1) * bar], RATE, Transport(TEMPO, 4.0 * b)
        )
        if b < 2:
            out += stream.push(
                "kick", audio["kick"][b * bar : (b + 1) * bar], RATE, Transport(TEMPO, 4.0 * b)
            )
    late = [b for b in out if b.late]
    assert late and all(b.late == ("kick",) and b.motifs["kick"] is None for b in late)
    assert stream.late_bars_total >= len(late)


def test_bad_input_is_refused_clearly():
    stream = StructureStream()
    with pytest.raises(ValueError, match="mono"):
        stream.push("a", np.zeros((10, 2), np.float32), RATE)
    with pytest.raises(ValueError, match="NaN"):
        stream.push("a", np.array([0.0, np.nan], np.float32), RATE)
    stream.push("a", np.zeros(100, np.float32), RATE)
    with pytest.raises(ValueError, match="rate"):
        stream.push("a", np.zeros(100, np.float32), 48000)
    with pytest.raises(ValueError, match="transport"):
        stream.push("a", np.zeros(100, np.float32), RATE, Transport(120, 0))
    with pytest.raises(ValueError, match="name"):
        stream.push("", np.zeros(100, np.float32), RATE)
    with pytest.raises(ValueError):
        StructureStream().push("a", np.zeros(10), 100.0)
    with pytest.raises(ValueError, match="no tracks"):
        analyse_signals({})


def test_silence_and_tiny_input_give_silent_bars_or_none():
    structure = analyse_signals(
        {"quiet": (np.zeros(RATE * 9, np.float32), RATE)}, transport=SteadyTransport(TEMPO)
    )
    assert len(structure.bars) == 4 and structure.bar_labels("quiet") == [None] * 4
    assert [s.label for s in structure.sections] == ["A"]
    assert analyse_signals({"blip": (np.zeros(100, np.float32), RATE)}).bars == ()


def test_a_tempo_change_and_a_locate_keep_bars_on_the_song_position():
    audio = stem([RIFF_A] * 6, TEMPO, seed=4)
    stream = StructureStream()
    bar = round(2.0 * RATE)
    out = []
    for b in range(6):
        beat = 4.0 * b if b < 3 else 4.0 * (b - 2) + 0.02  # Live jumps back two bars at bar 3
        out += stream.push("riff", audio[b * bar : (b + 1) * bar], RATE, Transport(TEMPO, beat))
    out += stream.finish()
    # the sliver of bar 12 heard before the jump is dropped
    assert [b.start_beat for b in out][:6] == [0.0, 4.0, 8.0, 4.0, 8.0, 12.0]
    assert stream.short_bars_dropped >= 1
    assert all(b.motifs["riff"].label == "a" for b in out if b.complete)


def test_without_transport_streaming_equals_offline_with_tracks_met_as_they_come():
    signals = {name: (audio, RATE) for name, audio in stems().items()}
    offline = analyse_signals(signals, tempo=TEMPO)
    _, results = feed(signals, [3000, 777], transport=False)  # no add_track: met in push
    assert summary(results) == summary(offline.bars)
    assert len(offline.bars) >= 10


def test_a_corrected_downbeat_does_not_depend_on_the_blocks():
    # 4/4 at 120 BPM, tempo given: for the tracker's first 8 s the bass is loudest on beat
    # 3 (and soft on the downbeat), afterwards only on the downbeat: at 16 s of audio the
    # tracker decides the downbeat again and the bars jump onto it, cutting one bar short,
    # at the same frame however the tracks were cut into blocks
    bars = 14
    hats = 0.3 * stem([[(h / 2, 0.0) for h in range(8)]] * bars, TEMPO, noise=True, seed=3)
    bass = stem([[(2, 55.0)]] * 4 + [[(0, 55.0)]] * (bars - 4), TEMPO, decay=3.0)
    bass += 0.4 * stem([[(0, 55.0)]] * 4 + [None] * (bars - 4), TEMPO, decay=3.0)
    signals = {"hats": (hats, RATE), "bass": (bass, RATE)}
    offline = analyse_signals(signals, tempo=TEMPO)
    starts = np.array([b.start_s for b in offline.bars])
    phase = np.abs(((starts + 1.0) % 2.0) - 1.0)  # 0 on the true downbeats
    assert np.all(phase[starts < 14.0] > 0.9)  # the lock's bars start on beat 3
    assert np.all(phase[starts > 15.0] < 0.05)  # from 16 s on, on the downbeat
    assert sum(not b.complete for b in offline.bars) == 1  # the bar cut short
    for sizes in ([1031], [1, 64, 65, 8192, 8193]):
        _, results = feed(signals, sizes, transport=False)
        assert summary(results) == summary(offline.bars)
        np.testing.assert_allclose([b.start_s for b in results], starts, atol=1e-9)
