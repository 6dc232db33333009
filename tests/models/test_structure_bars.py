"""Bars from a transport: the beat map and the bar splitter."""

from __future__ import annotations

import numpy as np
import pytest

from models.structure.clock import BarSplitter, BeatMap, Transport
from models.structure.frames import Frames


def frames_at(times: np.ndarray) -> Frames:
    n = len(times)
    return Frames(
        index=np.arange(n),
        time=np.asarray(times, dtype=float),
        level=np.full(n, -20.0),
        bands=np.full((n, 8), -30.0),
        chroma=np.zeros((n, 12)),
        onset=np.zeros(n),
        low_onset=np.zeros(n),
        band_onset=np.zeros((n, 8)),
    )


def test_transport_checks_its_fields():
    assert Transport(120, 0, 7, 8).bar_length == 3.5
    for bad in (
        {"tempo": 0},
        {"tempo": float("nan")},
        {"beat": float("inf")},
        {"numerator": 0},
        {"denominator": 3},
    ):
        args = {"tempo": 120.0, "beat": 0.0, "numerator": 4, "denominator": 4} | bad
        with pytest.raises(ValueError):
            Transport(**args)


def test_beat_map_runs_on_between_stamps_and_follows_tempo_changes():
    beats = BeatMap()
    beats.add(0.0, Transport(120, 0.0))
    beats.add(2.0, Transport(60, 4.0))
    out, used = beats.beats(np.array([0.5, 1.5, 2.0, 3.0]))
    np.testing.assert_allclose(out, [1.0, 3.0, 4.0, 5.0])
    assert [t.tempo for t in used] == [120, 120, 60, 60]
    with pytest.raises(ValueError):
        beats.add(1.0, Transport(120, 0.0))


def split(times: np.ndarray, beats: np.ndarray, transports: list[Transport], chunk: int = 7):
    splitter = BarSplitter(lead=0.125, bands=8)
    frames = frames_at(times)
    bars = []
    for first in range(0, len(times), chunk):
        rows = slice(first, first + chunk)
        bars += splitter.push(frames.take(rows), beats[rows], transports[rows])
    return bars, splitter


def test_bars_follow_the_song_position_at_any_chunking():
    times = np.arange(0, 10, 0.01)
    beats = times * 2.0  # 120 BPM
    transports = [Transport(120, float(b)) for b in beats]
    for chunk in (1, 7, 64, 5000):
        bars, _ = split(times, beats, transports, chunk)
        # the last bar closes a slot-lead before its end (16 … 20 ends at 10 s)
        assert [b.start_beat for b in bars] == [0.0, 4.0, 8.0, 12.0, 16.0]
        assert all(b.complete for b in bars)
        np.testing.assert_allclose([b.start_s for b in bars], [0.0, 2.0, 4.0, 6.0, 8.0], atol=1e-9)
        # each bar holds the frames from a slot-lead before its start
        assert bars[1].beats.min() >= 4.0 - 0.125 - 1e-9 and bars[1].beats.max() < 8.0 - 0.125


def test_a_jump_back_cuts_the_bar_short():
    times = np.arange(0, 6, 0.01)
    beats = times * 2.0
    beats[times >= 3.0] -= 4.0  # Live loops back one bar at 3 s (mid-bar)
    transports = [Transport(120, float(b)) for b in beats]
    bars, _ = split(times, beats, transports)
    assert [b.start_beat for b in bars] == [0.0, 4.0, 0.0, 4.0]
    assert [b.complete for b in bars] == [True, False, True, True]


def test_tempo_and_meter_changes_make_bars_of_the_new_length():
    times = np.arange(0, 12, 0.01)
    beats = np.where(times < 4, times * 2.0, 8.0 + (times - 4) * 1.0)  # 120 then 60 BPM
    transports = [
        Transport(120, float(b)) if t < 4 else Transport(60, float(b), 7, 8)
        for t, b in zip(times, beats, strict=True)
    ]
    bars, splitter = split(times, beats, transports)
    # 8 s of 7/8 at 60 BPM: bars of 3.5 quarters from beat 8
    assert [b.start_beat for b in bars] == [0.0, 4.0, 8.0, 11.5]
    assert [b.length for b in bars] == [4.0, 4.0, 3.5, 3.5]
    last = splitter.flush()
    assert last is not None and not last.complete and last.start_beat == 15.0
