"""Pure stream logic: sequence decisions, the ring buffer, the streaming resampler."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import resample_poly

from bridge.ingest.ring import RingBuffer
from bridge.ingest.sequence import MAX_GAP_MESSAGES, REORDER_WINDOW, Action, SequenceTracker
from models.resample import StreamingResampler, rational_ratio


def decisions(seqs: list[int]) -> list[tuple[str, int]]:
    tracker = SequenceTracker()
    return [(d.action.value, d.missing) for d in map(tracker.decide, seqs)]


def test_in_order_stream_is_accepted() -> None:
    assert decisions([10, 11, 12]) == [("accept", 0)] * 3


def test_gap_is_filled_and_late_arrival_dropped() -> None:
    assert decisions([1, 2, 5, 3, 4, 6]) == [
        ("accept", 0),
        ("accept", 0),
        ("accept", 2),
        ("late", 0),
        ("late", 0),
        ("accept", 0),
    ]


def test_duplicates_are_told_apart_from_late_packets() -> None:
    assert decisions([1, 2, 2, 1, 3]) == [
        ("accept", 0),
        ("accept", 0),
        ("duplicate", 0),
        ("duplicate", 0),
        ("accept", 0),
    ]


def test_big_jumps_either_way_reset() -> None:
    ahead = decisions([1, 2 + MAX_GAP_MESSAGES + 1])
    assert ahead[1] == ("reset", 0)
    behind = decisions([1000, 1000 - REORDER_WINDOW - 2])
    assert behind[1] == ("reset", 0)
    assert decisions([1, 2 + MAX_GAP_MESSAGES])[1] == ("accept", MAX_GAP_MESSAGES)


def test_sequence_wraps_around() -> None:
    top = 2**31 - 1
    assert decisions([top - 1, top, 0, 1]) == [("accept", 0)] * 4
    assert decisions([top, 1]) == [("accept", 0), ("accept", 1)]


def test_ring_keeps_the_newest_samples_across_wraparound() -> None:
    ring = RingBuffer(10)
    np.testing.assert_array_equal(ring.latest(4), np.zeros(4))
    ring.write(np.arange(7))
    np.testing.assert_array_equal(ring.latest(3), [4, 5, 6])
    ring.write(np.arange(7, 15))  # wraps
    assert len(ring) == 10 and ring.total == 15
    np.testing.assert_array_equal(ring.latest(10), np.arange(5, 15))
    ring.write(np.arange(100, 125))  # longer than the ring
    np.testing.assert_array_equal(ring.latest(10), np.arange(115, 125))
    with pytest.raises(ValueError):
        ring.latest(11)


def test_ring_pads_with_zeros_before_it_fills() -> None:
    ring = RingBuffer(8)
    ring.write(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(ring.latest(4), [0, 0, 1, 2])


def test_ratio_is_exact_for_live_rates() -> None:
    assert rational_ratio(24000, 22050) == pytest.approx(147 / 160)
    assert (rational_ratio(24000, 22050).numerator, rational_ratio(24000, 22050).denominator) == (
        147,
        160,
    )


@pytest.mark.parametrize("in_rate", [24000.0, 22050.0, 44100.0, 48000.0, 11025.0])
@pytest.mark.parametrize("block", [1, 37, 512, 4096])
def test_resampling_block_by_block_equals_all_at_once(in_rate: float, block: int) -> None:
    rng = np.random.default_rng(1)
    signal = rng.standard_normal(int(in_rate * 0.3)).astype(np.float32)
    whole = StreamingResampler(in_rate, 22050.0).process(signal)
    streaming = StreamingResampler(in_rate, 22050.0)
    parts = [streaming.process(signal[i : i + block]) for i in range(0, signal.size, block)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)  # bit for bit
    ratio = rational_ratio(in_rate, 22050.0)
    # Output n lands at input time n / ratio; every one before the last input exists.
    assert whole.size == (signal.size * ratio.numerator - 1) // ratio.denominator + 1


def test_resampled_tone_keeps_its_pitch_and_level() -> None:
    rate_in = 24000.0
    t = np.arange(int(rate_in)) / rate_in
    tone = np.sin(2 * np.pi * 1000.0 * t)
    resampler = StreamingResampler(rate_in, 22050.0)
    out = resampler.process(tone)
    t_out = np.arange(out.size) / 22050.0 - resampler.delay_seconds
    expected = np.sin(2 * np.pi * 1000.0 * t_out)
    steady = slice(200, -200)
    np.testing.assert_allclose(out[steady], expected[steady], atol=2e-3)
    # And agrees with scipy's independent polyphase implementation on the same signal.
    reference = resample_poly(tone, 147, 160)
    n = min(reference.size, out.size)
    lag = round(resampler.delay_seconds * 22050)
    diff = out[lag + 200 : n - 200] - reference[200 : n - 200 - lag]
    assert np.abs(diff).max() < 0.05


def test_anti_alias_filter_removes_tones_above_the_new_nyquist() -> None:
    rate_in = 24000.0
    t = np.arange(int(rate_in)) / rate_in
    alias_prone = np.sin(2 * np.pi * 11800.0 * t)  # above 11025 Hz
    out = StreamingResampler(rate_in, 22050.0).process(alias_prone)
    assert np.sqrt(np.mean(out[500:-500] ** 2)) < 10 ** (-60 / 20)


def test_equal_rates_pass_through_untouched() -> None:
    resampler = StreamingResampler(22050, 22050)
    signal = np.arange(10, dtype=np.float32)
    np.testing.assert_array_equal(resampler.process(signal), signal)
    assert resampler.delay_seconds == 0.0


def test_decision_enum_values_are_stable() -> None:
    assert {a.value for a in Action} == {"accept", "duplicate", "late", "reset"}
