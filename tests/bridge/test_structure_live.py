"""Structure live and offline through the real show: bars, motifs and sections reach the
looks, the HUD and the form strip, from UDP on loopback or from stems on injected time."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from bridge.control.state import capture_state
from bridge.generate.feeds import Stem
from bridge.ingest.service import BridgeService
from bridge.ingest.transport import BeatState
from bridge.show.live import LiveOptions, LiveShow
from bridge.show.structure_feed import FileStructureFeed, LiveStructureFeed, transport_of
from bridge.simulate.demo_audio import demo_stems
from bridge.simulate.simulator import Simulator, devices_from_arrays
from renderer.headless import HeadlessRenderer
from tests.bridge.conftest import wait_for
from tests.bridge.test_live_e2e import SolidInk

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
