"""Bar fingerprints and motif memory on synthetic stems with a transport."""

from __future__ import annotations

import numpy as np
import pytest

from models.structure import StructureConfig, StructureStream, Transport
from models.structure.fingerprint import (
    ATTACK_FLOOR,
    Fingerprint,
    Stack,
    _attack_similarity,
    mix,
    similarity,
    slot_similarity,
    slot_similarity_many,
)
from models.structure.motifs import NEW, REPEAT, VARIATION, MotifMemory, letters
from tests.models.structure_helpers import RATE, RIFF_A, RIFF_A_VAR, RIFF_B, sounding_print, stem

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


def test_a_faint_rise_in_one_band_barely_counts_as_an_attack():
    # attack activations (halves × bands); the floor is ATTACK_FLOOR
    none = np.zeros((1, 2, 8))
    beating = none.copy()
    beating[0, 0, 3] = ATTACK_FLOOR + 0.2  # a held chord's partials beating in one band
    strike = np.full((1, 2, 8), 0.0)
    strike[0, 0, :7] = ATTACK_FLOOR + 0.42  # a chord struck: every band rises
    hat = none.copy()
    hat[0, 0, 5:] = ATTACK_FLOOR + 0.4  # a hi-hat: the top three bands
    assert _attack_similarity(beating, none)[0] > 0.6
    assert _attack_similarity(strike, none)[0] == 0.0
    assert _attack_similarity(hat, none)[0] == 0.0
    assert _attack_similarity(strike, strike * 0.98)[0] > 0.99


def _print(pitches: list[int]) -> Fingerprint:
    """A bar of active, tonal slots with one pitch class each and no attacks: two slots
    compare as (1 + chroma cosine) / 2."""
    chroma = np.zeros((len(pitches), 12))
    chroma[np.arange(len(pitches)), pitches] = 1.0
    return sounding_print(chroma)


def test_a_motif_is_also_matched_by_its_latest_hearing():
    cfg = StructureConfig()
    first = _print([0, 4, 7, 4, 0, 4, 7, 4])
    later = _print([2, 9, 7, 4, 0, 4, 7, 4])  # 2 slots off the first: mean 0.875
    again = _print([2, 9, 7, 4, 0, 4, 5, 11])  # 2 off the latest, 4 off the first: 0.75
    assert float(slot_similarity(again, first).mean()) < cfg.repeat_mean
    assert float(slot_similarity(again, later).mean()) >= cfg.repeat_mean
    memory = MotifMemory(cfg)
    results = [memory.match(p) for p in (first, later, again, again)]
    assert [(r.label, r.kind) for r in results] == [
        ("a", NEW),
        ("a", REPEAT),
        ("a", REPEAT),
        ("a", REPEAT),
    ]
    # without the latest hearing (the first repeat only) it would have been a variation
    fresh = MotifMemory(cfg)
    assert [fresh.match(p).kind for p in (first, again)] == [NEW, VARIATION]


def test_a_stack_row_replaced_in_place_compares_like_a_new_stack():
    a, b, c = _print([0, 4, 7, 4]), _print([0, 4, 7, 5]), _print([1, 4, 7, 4])
    stack = Stack.of([a, b])
    stack.put(1, c)
    np.testing.assert_allclose(
        slot_similarity_many(a, stack), slot_similarity_many(a, Stack.of([a, c]))
    )
    with pytest.raises(ValueError):
        stack.put(0, _print([0, 4, 7]))


def test_the_first_slot_counts_for_less_in_the_match():
    # the loop first heard after a rest, then after itself: its first slot now also holds
    # the ring of the bar before (sounding where the first hearing was silent)
    loop = _print([0, 4, 7, 4, 0, 4, 7, 4])
    after_rest = Fingerprint(**{**loop.__dict__, "activity": np.r_[0.0, np.ones(7)]})
    assert slot_similarity(loop, after_rest)[0] == 0.0
    memory = MotifMemory(StructureConfig(first_slot_weight=0.5))
    assert [memory.match(p).kind for p in (after_rest, loop)] == [NEW, REPEAT]
    strict = MotifMemory(StructureConfig())  # the default counts the first slot in full
    assert [strict.match(p).kind for p in (after_rest, loop)] == [NEW, VARIATION]
    with pytest.raises(ValueError):
        StructureConfig(first_slot_weight=1.5)
