"""TrackStream (repair and count) and TrackAnalyser (windows): the audio path's logic."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bridge.generate.analysis_feed import SILENT_FEATURES, PendingAudio, TrackAnalyser
from bridge.ingest.stream import CLIP_LIMIT, TrackStream, sanitise
from models.analysis import analyse, sliding_windows, to_unit
from models.resample import StreamingResampler


def test_sanitise_counts_and_repairs() -> None:
    block, nonfinite, clipped = sanitise(np.array([0.5, np.nan, np.inf, -np.inf, 40.0, -40.0]))
    assert (nonfinite, clipped) == (3, 2)
    np.testing.assert_array_equal(block, [0.5, 0, 0, 0, CLIP_LIMIT, -CLIP_LIMIT])


def test_gap_is_zero_filled_and_counted() -> None:
    stream = TrackStream()
    stream.push_pcm(10, np.ones(4))
    stream.push_pcm(13, np.full(4, 2.0))  # 11 and 12 lost
    assert stream.counters.lost == 2
    np.testing.assert_array_equal(stream.ring.latest(16), [1] * 4 + [0] * 8 + [2] * 4)
    assert not stream.push_pcm(11, np.ones(4))  # late
    assert not stream.push_pcm(13, np.ones(4))  # duplicate
    c = stream.counters
    assert (c.packets, c.late, c.duplicate, c.samples) == (2, 1, 1, 8)


def test_reset_and_rate_change_start_a_new_epoch() -> None:
    stream = TrackStream()
    stream.push_pcm(1, np.ones(8))
    stream.push_pcm(500, np.ones(8))
    assert stream.counters.resets == 1 and stream.epoch == 1 and stream.epoch_start == 8
    stream.set_stream_rate(24000.0)
    assert stream.epoch == 2
    stream.set_stream_rate(24000.0)
    assert stream.epoch == 2


def test_level_meter_reads_dbfs() -> None:
    stream = TrackStream()
    assert stream.level_db() == -120.0
    stream.push_pcm(0, np.full(4096, 0.5, np.float32))
    assert stream.level_db() == pytest.approx(20 * np.log10(0.5), abs=0.01)


def feed(stream: TrackStream, signal: np.ndarray, block: int) -> None:
    for seq, start in enumerate(range(0, signal.size, block)):
        stream.push_pcm(seq, signal[start : start + block])


@pytest.mark.parametrize("rate", [22050.0, 24000.0])
@pytest.mark.parametrize("block, pull_every", [(1, 997), (37, 3), (512, 1), (512, 7), (333, 2)])
def test_windows_match_offline_analysis_whatever_the_blocks(
    rate: float, block: int, pull_every: int
) -> None:
    rng = np.random.default_rng(2)
    t = np.arange(int(rate * 1.2)) / rate
    signal = (0.4 * np.sin(2 * np.pi * 330 * t) * (t % 0.25 < 0.1)).astype(np.float32)
    signal += 0.01 * rng.standard_normal(signal.size).astype(np.float32)
    stream = TrackStream(rate)
    analyser = TrackAnalyser()
    frames = 0
    for seq, start in enumerate(range(0, signal.size, block)):
        stream.push_pcm(seq, signal[start : start + block])
        if seq % pull_every == 0:
            frames += analyser.pull(stream)
    frames += analyser.pull(stream)
    offline = analyse(StreamingResampler(rate, 22050.0).process(signal))
    assert frames == len(offline)
    expected = sliding_windows(to_unit(offline.mel_db), pad_start=True)[-1]
    np.testing.assert_allclose(analyser.window(), expected, atol=1e-4)
    assert analyser.features.level == pytest.approx(float(offline.rms[-1]), rel=1e-4)


def test_analyser_restarts_with_the_stream_and_counts_skipped_audio() -> None:
    stream = TrackStream()
    analyser = TrackAnalyser()
    tone = np.sin(np.arange(22050) * 2 * np.pi * 440 / 22050).astype(np.float32)
    feed(stream, tone, 512)
    analyser.pull(stream)
    assert analyser.window().max() > -1.0
    stream.push_pcm(10_000, np.zeros(16))  # far jump: a new epoch
    analyser.pull(stream)
    assert (analyser.window() == -1.0).all() and analyser.features == SILENT_FEATURES
    # Falling more than the ring behind skips audio and says so.
    big = np.zeros(stream.ring.capacity + 1000, np.float32)
    for seq, start in enumerate(range(0, big.size, 512), start=10_001):
        stream.push_pcm(seq, big[start : start + 512])
    analyser.pull(stream)
    assert analyser.skipped >= 1000


def test_track_analysers_follow_the_registry() -> None:
    from bridge.generate.analysis_feed import TrackAnalysers
    from bridge.ingest.protocol import Bye, Pcm
    from bridge.ingest.service import BridgeService

    uuid = "12345678-1234-4234-8234-123456789abc"
    tone = (0.3 * np.sin(np.arange(2048) * 0.1)).astype(np.float32)
    service = BridgeService(port=0)  # not started: the test applies events itself
    try:
        analysers = TrackAnalysers()
        service.registry.apply(Pcm(uuid, 1, 0, tone), now=0.0)
        ready, gone = analysers.pull(service)
        assert ready == [(uuid, 1)] and gone == [] and len(analysers) == 1
        assert analysers.pull(service) == ([], [])  # nothing new
        assert analysers.features()[(uuid, 1)].level > 0
        service.registry.apply(Bye(uuid, 1), now=0.1)
        assert analysers.pull(service) == ([], [(uuid, 1)]) and len(analysers) == 0
    finally:
        service.receiver.stop()


def chroma_after(signal: np.ndarray, block: int) -> list[tuple[tuple[float, ...], float]]:
    """The analyser's smoothed (chroma, tonalness) after each block of ``signal`` (22,050 Hz)."""
    analyser = TrackAnalyser(chroma=True)
    out = []
    for start in range(0, signal.size, block):
        analyser.update(PendingAudio(signal[start : start + block], 22050.0, 0, None))
        out.append((analyser.features.chroma, analyser.features.tonalness))
    return out


def test_smoothed_chroma_is_steady_on_a_note_moves_on_a_new_one_and_holds_in_silence() -> None:
    rate = 22050
    t = np.arange(rate // 2) / rate
    a4 = 0.3 * np.sin(2 * np.pi * 440.0 * t)
    e5 = 0.3 * np.sin(2 * np.pi * 659.26 * t)
    signal = np.concatenate([a4, e5, np.zeros(rate // 2)]).astype(np.float32)
    hop = 735  # 30 updates a second
    steps = chroma_after(signal, hop)
    a_steps = steps[2:15]  # update i ends at (i + 1) / 30 s: 0.1 … 0.5 s, A4 sounding
    assert all(max(c) == c[9] for c, _ in a_steps)  # A
    assert np.ptp([c[9] for c, _ in a_steps]) < 0.01  # steady: no flicker
    assert max(steps[15][0]) == steps[15][0][9]  # 0.03 s into E5 the colour is still A's …
    assert max(steps[26][0]) == steps[26][0][4]  # … and E's 0.4 s in
    held = steps[-1]
    assert max(held[0]) == held[0][4] and held[1] > 0.5  # silence keeps the last note
    assert sum(held[0]) == pytest.approx(1.0)


def test_smoothed_chroma_does_not_depend_on_how_audio_is_grouped() -> None:
    rng = np.random.default_rng(4)
    t = np.arange(22050) / 22050
    signal = (0.2 * np.sin(2 * np.pi * 261.63 * t) * (t < 0.6)).astype(np.float32)
    signal += 0.02 * rng.standard_normal(t.size).astype(np.float32)
    whole = chroma_after(signal, signal.size)[-1]
    for block in (64, 735, 4096):
        chroma, tonalness = chroma_after(signal, block)[-1]
        np.testing.assert_allclose(chroma, whole[0], atol=1e-6)
        assert tonalness == pytest.approx(whole[1], abs=1e-6)


def test_chroma_costs_nothing_until_a_colour_mode_asks_for_it() -> None:
    """Chroma is ~18× the rest of the analysis: a track's analyser computes it only while a
    colour mode follows tone, and starts from silence when turned on."""
    t = np.arange(22050) / 22050.0
    note = (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    analyser = TrackAnalyser()
    analyser.update(PendingAudio(note[:11025], 22050.0, 0, None))
    assert analyser.stream.last.chroma is None and max(analyser.features.chroma) == 0.0
    analyser.set_chroma(True)
    analyser.update(PendingAudio(note[11025:], 22050.0, 0, None))
    chroma = analyser.features.chroma
    assert analyser.stream.last.chroma is not None and max(chroma) == chroma[9]  # A


def test_a_packet_that_completes_no_frame_leaves_a_frame_pending_for_a_hop_and_a_half() -> None:
    """The device's 256 samples at 24 kHz are 235 at 22,050 Hz, short of a hop of 256: some
    packets complete no analysis frame. Until the next one does, the analyser says a frame
    is pending (a window taken now would miss that packet's audio), but never for longer
    than 1.5 hops after the packet (a stream that stopped)."""
    rate, block = 24000.0, 256
    period = block / rate
    hop_seconds = 256 / 22050
    tone = (0.3 * np.sin(np.arange(int(rate)) * 2 * np.pi * 440 / rate)).astype(np.float32)
    stream = TrackStream(rate)
    analyser = TrackAnalyser()
    assert not analyser.frame_pending(0.0)  # nothing yet
    outcomes = []
    for seq in range(60):
        arrival = 10.0 + seq * period
        stream.push_pcm(seq, tone[seq * block : (seq + 1) * block], arrival)
        frames = analyser.pull(stream)
        if analyser.frame_arrival is None:
            continue  # the first frame needs n_fft samples
        outcomes.append(frames)
        assert analyser.frame_pending(arrival) == (frames == 0)
        if frames == 0:
            assert analyser.frame_pending(arrival + 1.4 * hop_seconds)
            assert not analyser.frame_pending(arrival + 1.6 * hop_seconds)
        else:
            assert analyser.frame_arrival == arrival
    assert 0 in outcomes and outcomes.count(0) < len(outcomes) / 6  # about one in twelve
    assert not any(a == b == 0 for a, b in itertools.pairwise(outcomes))  # never two in a row


@pytest.mark.parametrize("rate, block", [(24000.0, 256), (48000.0, 128), (11025.0, 100)])
@pytest.mark.parametrize("pull_every", [2, 3, 7])
def test_a_frame_is_credited_to_the_packet_that_completed_it_however_many_are_pulled(
    rate: float, block: int, pull_every: int
) -> None:
    """``frame_arrival`` names the packet whose samples completed the newest frame: pulling
    several packets at once gives what pulling each as it came would have."""
    signal = (0.3 * np.sin(np.arange(int(rate * 0.8)) * 0.05)).astype(np.float32)
    packets = range(signal.size // block)

    def arrivals(every: int) -> dict[int, tuple[float | None, bool]]:
        stream, analyser, seen = TrackStream(rate), TrackAnalyser(), {}
        for seq in packets:
            stream.push_pcm(seq, signal[seq * block : (seq + 1) * block], 100.0 + seq)
            if seq % every == every - 1:
                analyser.pull(stream)
                seen[seq] = (analyser.frame_arrival, analyser.frame_pending(100.0 + seq))
        return seen

    one_by_one, together = arrivals(1), arrivals(pull_every)
    assert together == {seq: one_by_one[seq] for seq in together}
    assert any(pending for _, pending in one_by_one.values())  # packets short of a hop
