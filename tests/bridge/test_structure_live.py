"""Structure live and offline through the real show: bars, motifs and sections reach the
looks, the HUD and the form strip, from UDP on loopback or from stems on injected time."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from bridge.control.state import capture_state
from bridge.generate.feeds import Stem
from bridge.ingest.protocol import Bye, Hello, Pcm
from bridge.ingest.protocol import Transport as ProtocolTransport
from bridge.ingest.receiver import Arrival
from bridge.ingest.service import BridgeService
from bridge.ingest.transport import BeatState
from bridge.show.live import LiveOptions, LiveShow
from bridge.show.structure_feed import FileStructureFeed, LiveStructureFeed, transport_of
from bridge.show.structure_looks import StructureLooks
from bridge.simulate.demo_audio import demo_stems
from bridge.simulate.simulator import Simulator, devices_from_arrays
from renderer.headless import HeadlessRenderer
from tests.bridge.conftest import wait_for
from tests.bridge.test_live_e2e import SolidInk
from tests.models.structure_helpers import KICKS, RIFF_A, RIFF_B, stem

TEMPO = 240.0  # one bar a second, so a few bars take a few seconds
RATE = 22050


def loop_stems(bars: int = 2):
    return demo_stems(bars=bars, rate=RATE, tempo=TEMPO)


def test_the_transport_is_moved_back_to_the_start_of_a_block() -> None:
    t = transport_of(BeatState(120.0, True, 10.0, 7, 8), seconds_before=0.5)
    assert (t.tempo, t.beat, t.numerator, t.denominator) == (120.0, 9.0, 7, 8)


@pytest.mark.slow
def test_live_bars_reach_the_show_from_udp_with_lives_transport() -> None:
    service = BridgeService(port=0).start()
    live = LiveShow(service, LiveOptions(style="x", headless=True, form=True),
                    loader=lambda name: SolidInk())  # fmt: skip
    assert isinstance(live.structure, LiveStructureFeed)
    renderer = HeadlessRenderer((320, 180), internal_height=90)
    show = live.assemble(renderer.compositor)
    sources = [(name, audio, float(RATE)) for name, audio in loop_stems()]
    devices = devices_from_arrays(sources, stream_rate=float(RATE), seed=5)
    simulator = Simulator(devices, port=service.address[1], seconds=30.0, loop=True, tempo=TEMPO)
    stop = threading.Event()
    thread = threading.Thread(target=simulator.run, args=(stop,), daemon=True)
    thread.start()
    try:
        feed = live.structure
        seen: list = []

        def enough_bars() -> bool:
            feed.pull()
            show.update(time.monotonic())
            seen.extend(show.bars)
            return len(seen) >= 4

        assert wait_for(enough_bars, timeout=20.0)
        assert feed.mode is True  # bars from Live's transport, not the tracker
        with service.lock:
            names = {str(key) for key in service.registry.tracks}
        assert set(seen[-1].motifs) == names and len(names) == 4
        assert [b.index for b in seen] == list(range(seen[0].index, seen[0].index + len(seen)))
        bar_seconds = 60.0 / TEMPO * 4
        steps = np.diff([b.start_s for b in seen])
        assert np.allclose(steps, bar_seconds, atol=0.05)
        # the demo loops exactly: after the first hearing, bars are repeats
        later = [m for b in seen[2:] for m in b.motifs.values() if m is not None]
        assert later and sum(m.kind == "repeat" for m in later) >= len(later) / 2
        assert show.looks.structure.bar == seen[-1].index
        assert show.structure_line().startswith("section ")
        told = capture_state(show.keyboard).values  # what OSC feedback sends controllers
        assert told["/syn/structure/section"] == seen[-1].section
        assert told["/syn/structure/bar"] == seen[-1].index + 1
        labels = {m.label for m in seen[-1].motifs.values() if m is not None}
        assert {told[f"/syn/layers/{n}/motif"] for n in (1, 2, 3, 4)} <= labels
        frame = renderer.render(time.monotonic(), {}, None)
        strip = frame[-10:, : 320 // 48 * len(seen) // 2]
        assert strip.max() > 40  # the form strip shows the bars heard
    finally:
        stop.set()
        thread.join(5)
        simulator.close()
        renderer.close()
        service.stop()


def test_offline_bars_arrive_on_their_downbeat_with_look_ahead_sections() -> None:
    """A render knows the whole set: each bar reaches the show on the frame it starts (not
    a bar late, as live), labelled with the offline sections, the same every run."""
    stems = [Stem(name, audio, 0xFF0000, rate=float(RATE)) for name, audio in loop_stems(4)]
    feed = FileStructureFeed(stems, tempo=TEMPO)
    bars = []
    for i in range(30 * 5):
        t = i / 30
        got = feed.bars(t)
        for bar in got:  # on the first frame at or after its downbeat
            assert bar.start_s <= t + 1e-9 and t - bar.start_s < 1 / 30
        bars += got
    complete = [b for b in bars if b.complete]
    assert [b.index for b in complete] == [0, 1, 2, 3]
    assert set(bars[0].motifs) == {"0", "1", "2", "3"}
    sections = {b.index: b.section for b in bars}
    for section in feed.structure.sections:  # the look-ahead sections, bar by bar
        for index in range(section.start_bar, min(section.end_bar, len(bars))):
            assert sections[index] == section.label
    starts = {s.start_bar for s in feed.structure.sections if s.start_bar > 0}
    assert {b.index for b in bars if b.boundary} == starts
    again = FileStructureFeed(stems, tempo=TEMPO)
    same = [b for i in range(30 * 5) for b in again.bars(i / 30)]
    assert same == bars  # injected time: the same bars every run


@pytest.mark.slow
def test_a_track_that_stops_sending_does_not_hold_back_the_bars_or_the_section() -> None:
    """A section that begins as a track drops out (a breakdown): the track's device stops
    sending, yet every bar reaches the show as soon as it is over, the track reads silent
    (not late), and the new section's colours arrive with the bar after its first — the one
    bar the analysis needs — not two bars later, when the others would be 2 bars ahead.
    The track then comes back and its bars join the others'."""
    bars_a, bars_b = 6, 6
    riff = stem([RIFF_A] * bars_a + [RIFF_B] * bars_b, TEMPO, seed=1)
    kick = stem([KICKS] * bars_a + [None] * 3 + [KICKS] * 3, TEMPO, noise=True, seed=2)
    n = min(riff.size, kick.size)
    service = BridgeService(port=0).start()
    feed = LiveStructureFeed(service).start()
    looks = StructureLooks()
    devices = devices_from_arrays(
        [("riff", riff[:n], float(RATE)), ("kick", kick[:n], float(RATE))],
        stream_rate=float(RATE),
        seed=3,
    )
    simulator = Simulator(
        devices, port=service.address[1], tempo=TEMPO, seconds=n / RATE, silence_gate=1.5
    )
    stop = threading.Event()
    thread = threading.Thread(target=simulator.run, args=(stop,), daemon=True)
    thread.start()
    arrived: list[tuple[float, object]] = []
    try:
        while thread.is_alive():
            now = time.monotonic()
            arrived += [(now, bar) for bar in looks.take(feed.bars(now), now)]
            time.sleep(1 / 60)
    finally:
        stop.set()
        thread.join(5)
        feed.close()
        simulator.close()
        service.stop()
    assert simulator.started is not None and feed.mode is True
    bar_s = 4 * 60.0 / TEMPO
    indices = [bar.index for _t, bar in arrived]
    assert indices == list(range(len(indices))) and len(indices) >= bars_a + bars_b - 1
    for t, bar in arrived:
        after_end = t - simulator.started - (bar.start_beat + bar.length) * 60.0 / TEMPO
        assert after_end < 0.6 * bar_s, (bar.index, after_end)  # was 2 bars (the gate)
        assert bar.late == ()
    motifs = {bar.index: bar.motifs for _t, bar in arrived}
    kick_name = next(name for name in motifs[0] if motifs[bars_a + 2][name] is None)
    assert motifs[bars_a - 1][kick_name] is not None  # heard, then silent, then back
    assert motifs[bars_a + 4][kick_name] is not None
    changes = [(t, bar) for t, bar in arrived if bar.section != arrived[0][1].section]
    assert changes, "the riff's change should start a section"
    t, first = changes[0]
    began = first.boundary_bar if first.boundary_bar is not None else first.index
    assert began in (bars_a, bars_a + 1) and first.index == began + 1
    since = t - simulator.started - began * bar_s  # the section's bar and one more
    assert since < 2.6 * bar_s, since  # was 4.2 bars: the gate held every bar 2 more
    assert first.section in looks.sections_seen()  # the looks took it (its colours turn)


def test_silence_fed_for_a_quiet_or_departed_track_keeps_its_bars_in_time() -> None:
    """The live feed on an injected clock: a track that stops sending is fed silence after
    0.3 s (``SILENT_AFTER``), so bars come out on time and it reads silent (not late); when it
    sends again (its last silent messages first) nothing is fed twice, so its pattern lands
    on the same beats (a repeat of its motif); after its bye it stays silent, on time."""
    now = [1000.0]
    service = BridgeService(port=0)
    feed = LiveStructureFeed(service, clock=lambda: now[0])
    apply = service.ingest.apply
    apply(Arrival(now[0], event=ProtocolTransport(TEMPO, True, 0.0, 4, 4)))
    riff = stem([RIFF_A] * 12, TEMPO, seed=1)
    kick = stem([KICKS] * 4 + [None] * 3 + [KICKS] * 3 + [None] * 2, TEMPO, noise=True, seed=2)
    step = 1024  # samples per 46 ms pull, sent as 4 messages of 256
    for uuid in ("riff", "kick"):
        apply(Arrival(now[0], event=Hello(uuid, 1, 2, 2.0 * RATE, 2)))
    seq = {"riff": 0, "kick": 0}
    held: list[np.ndarray] = []
    arrived: list[tuple[float, object]] = []
    bar_s = 4 * 60.0 / TEMPO
    for first in range(0, 12 * int(bar_s * RATE) - step, step):
        now[0] += step / RATE
        beat = (now[0] - 1000.0) * TEMPO / 60.0  # Live's transport, ~20 times a second
        apply(Arrival(now[0], event=ProtocolTransport(TEMPO, True, beat, 4, 4)))
        for uuid, audio in (("riff", riff), ("kick", kick)):
            block = audio[first : first + step]
            gated = uuid == "kick" and 5.5 * bar_s <= first / RATE < 7.0 * bar_s
            if uuid == "kick" and first / RATE >= 10.0 * bar_s:
                if seq["kick"] >= 0:
                    apply(Arrival(now[0], event=Bye("kick", 1)))
                    seq["kick"] = -1
                continue
            if gated:
                held[:] = [*held[-11:], block]  # half a second sent on return
                continue
            for part in [*held, block] if uuid == "kick" else [block]:
                for k in range(0, part.size, 256):
                    apply(Arrival(now[0], event=Pcm(uuid, 1, seq[uuid], part[k : k + 256])))
                    seq[uuid] += 1
            if uuid == "kick":
                held.clear()
        feed.pull()
        arrived += [(now[0], bar) for bar in feed.bars(now[0])]
    indices = [bar.index for _t, bar in arrived]
    assert indices == list(range(11)), indices
    for t, bar in arrived:
        after_end = t - 1000.0 - (bar.start_beat + bar.length) * 60.0 / TEMPO
        assert after_end < 0.6, (bar.index, after_end)  # SILENT_AFTER, a batch, a pull
        assert bar.late == ()
    kick_labels = [bar.motifs["('kick', 1)"] for _t, bar in arrived]
    assert [m is None for m in kick_labels] == [False] * 4 + [True] * 3 + [False] * 3 + [True]
    back = [m for m in kick_labels[7:10] if m is not None]
    assert back and all(m.label == kick_labels[0].label for m in back)  # on the same beats
