"""Bar fingerprints and motif memory on synthetic stems with a transport."""

from __future__ import annotations

import numpy as np
import pytest

from models.structure import StructureConfig, StructureStream, Transport
from models.structure.fingerprint import mix, similarity, slot_similarity
from models.structure.motifs import NEW, REPEAT, VARIATION, MotifMemory, letters
from tests.models.structure_helpers import RATE, RIFF_A, RIFF_A_VAR, RIFF_B, stem

TEMPO = 120.0


def prints_of(audio: np.ndarray):
    """Each bar's fingerprint of one stem (fed with a steady transport)."""
    stream = StructureStream()
    block = 1024
    for first in range(0, len(audio), block):
        stream.push(
            "t", audio[first : first + block], RATE, Transport(TEMPO, first / RATE * TEMPO / 60)
        )
    stream.finish()
    return [p.tracks["t"] for p in stream._prints], stream.structure()


def test_letters_count_like_spreadsheet_columns():
    assert [letters(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "a",
        "b",
        "z",
        "aa",
        "ab",
        "zz",
        "aaa",
    ]
    with pytest.raises(ValueError):
        letters(-1)


def test_a_repeat_is_alike_despite_humanised_timing_and_level():
    audio = stem([RIFF_A] * 4 + [RIFF_B, RIFF_A_VAR], TEMPO, jitter_s=0.01, level_db=6.0, seed=3)
    prints, _ = prints_of(audio)
    repeat = similarity(prints[1], prints[2])
    other = similarity(prints[1], prints[4])
    varied = slot_similarity(prints[1], prints[5])
    assert repeat > 0.9
    assert other < 0.8
    # the changed last note shows in its slot only
    assert varied[:6].min() > 0.6 and varied[6:].min() < 0.5


def test_fingerprints_ignore_the_level_of_the_whole_bar():
    loud = stem([RIFF_A] * 2, TEMPO)
    bar = round(4 * 60 / TEMPO * RATE)
    prints, _ = prints_of(np.concatenate([loud[:bar], 0.5 * loud[bar:]]))  # -6 dB
    assert similarity(prints[0], prints[1]) > StructureConfig().repeat_mean


def test_silence_and_a_fading_tail_are_silent_bars():
    audio = stem([RIFF_A, None, None, RIFF_A], TEMPO)
    prints, structure = prints_of(audio)
    assert [p.silent for p in prints[:4]] == [False, True, True, False]
    assert structure.bar_labels("t")[:4] == ["a", None, None, "a"]


def test_memory_classifies_repeat_variation_and_new_and_stays_bounded():
    audio = stem(
        [RIFF_A, RIFF_A, RIFF_A_VAR, RIFF_B, RIFF_A_VAR, RIFF_A],
        TEMPO,
        jitter_s=0.005,
        level_db=3,
        seed=1,
    )
    prints, _ = prints_of(audio)
    memory = MotifMemory(StructureConfig())
    results = [memory.match(p) for p in prints[:6]]
    assert [r.kind for r in results] == [NEW, REPEAT, VARIATION, NEW, REPEAT, REPEAT]
    assert [r.label for r in results] == ["a", "a", "a'", "b", "a'", "a"]
    assert results[2].parent == "a" and results[4].parent == "a'"
    assert memory.match(prints[0].__class__(**{**prints[0].__dict__, "silent": True})) is None
    small = MotifMemory(StructureConfig(memory=1))
    assert [small.match(p).label for p in (prints[0], prints[3], prints[0])] == ["a", "b", "c"]


def test_mix_of_tracks_adds_power_and_needs_equal_slots():
    a, _ = prints_of(stem([RIFF_A], TEMPO))
    b, _ = prints_of(stem([RIFF_B], TEMPO))
    mixed = mix([a[0], b[0]], StructureConfig())
    np.testing.assert_allclose(mixed.power, a[0].power + b[0].power)
    assert not mixed.silent and mix([], StructureConfig()).silent
    odd = a[0].__class__(**{**a[0].__dict__, "slots": 7})
    with pytest.raises(ValueError):
        mix([a[0], odd], StructureConfig())
    assert similarity(a[0], odd) == 0.0 or slot_similarity(a[0], odd).max() == 0.0
