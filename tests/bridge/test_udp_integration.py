"""Real UDP on 127.0.0.1: simulator → bridge, bad datagrams, allow lists, oscsend."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading

import numpy as np
import pytest
import soundfile

from bridge.generate.analysis_feed import TrackAnalyser
from bridge.ingest.osc_codec import encode_message
from bridge.ingest.service import BridgeService
from bridge.simulate import device_messages as dm
from bridge.simulate.simulator import Simulator, devices_from_arrays, devices_from_files
from models.analysis import analyse, sliding_windows, to_unit
from models.audio_io import read_audio
from models.resample import StreamingResampler, resample
from tests.bridge.conftest import wait_for

UUID = "3c3c3c3c-aaaa-4bbb-8ccc-dddddddddddd"


def test_simulated_file_arrives_with_the_offline_features(tmp_path, bridge) -> None:
    """A 48 kHz stereo file streamed like Live at 48 kHz (÷2 = 24 kHz) gives the bridge
    the very analysis window the file gives offline."""
    rate = 48000
    t = np.arange(int(rate * 1.0)) / rate
    left = 0.5 * np.sin(2 * np.pi * 220 * t) * np.exp(-((t % 0.5) * 6))
    right = 0.2 * np.sign(np.sin(2 * np.pi * 55 * t))
    path = tmp_path / "stem.wav"
    soundfile.write(path, np.stack([left, right], axis=1), rate, subtype="FLOAT")

    devices = devices_from_files([path], stream_rate=24000.0, seed=1)
    simulator = Simulator(devices, port=bridge.address[1], sample_rate=48000.0, decimation=2)
    result: list = []
    runner = threading.Thread(target=lambda: result.append(simulator.run()))
    runner.start()
    # Hold the live track (the registry keeps only a summary once the device says bye).
    assert wait_for(lambda: len(bridge.registry.tracks) == 1)
    (live,) = bridge.registry.tracks.values()
    runner.join(10.0)
    simulator.close()
    (stats,) = result
    assert wait_for(lambda: bridge.registry.stream_totals().get("samples", 0) >= stats.samples)
    assert wait_for(lambda: len(bridge.registry.retired) > 0)
    (track,) = bridge.registry.take_removed()  # the simulator said bye at the end
    assert track.meta.name == "stem" and track.stream_rate == 24000.0 and track.uuid == live.uuid
    c = track.counters
    assert (c.packets, c.lost, c.late, c.duplicate) == (stats.pcm_messages, 0, 0, 0)

    analyser = TrackAnalyser()
    frames = analyser.pull(live.stream)
    audio, file_rate = read_audio(path)
    offline = analyse(
        StreamingResampler(24000.0, 22050.0).process(resample(audio, file_rate, 24000.0))
    )
    assert frames == len(offline)
    expected = sliding_windows(to_unit(offline.mel_db), pad_start=True)[-1]
    np.testing.assert_allclose(analyser.window(), expected, atol=1e-4)


def test_bad_datagrams_are_counted_and_good_ones_still_flow(bridge, sender) -> None:
    port = bridge.address[1]
    target = ("127.0.0.1", port)
    sender.sendto(b"\x00garbage", target)
    sender.sendto(b"x" * 5000, target)
    sender.sendto(encode_message("/syn/layer/opacity", ["Bass", "loud"]), target)
    sender.sendto(encode_message("/unknown", [1]), target)
    sender.sendto(dm.pcm(UUID, 4, 0, np.full(64, np.nan, np.float32)), target)
    sender.sendto(encode_message(f"/syn/{UUID}/pcm", [4, 1]), target)  # no samples
    sender.sendto(dm.pcm(UUID, 4, 1, np.zeros(64, np.float32)), target)
    expected = {"malformed": 1, "oversize": 1, "bad_types": 2, "unknown_address": 1}
    assert wait_for(
        lambda: (
            all(bridge.counters().get(k) == v for k, v in expected.items())
            and bridge.registry.stream_totals().get("packets") == 2
        )
    )
    (track,) = bridge.registry.tracks.values()
    assert track.stream.counters.nonfinite == 64
    assert track.stream.counters.malformed == 1


def test_control_messages_wait_for_the_show_in_arrival_order(sender) -> None:
    with BridgeService(port=0) as service:
        sender.sendto(encode_message("/syn/master/trails", [0.5]), service.address)
        sender.sendto(encode_message("/syn/master/freeze", [1]), service.address)
        assert wait_for(lambda: len(service.ingest.controls) == 2)
    assert [event.prop for event in service.ingest.controls] == ["trails", "freeze"]


def test_allow_list_drops_other_senders(sender) -> None:
    with pytest.raises(ValueError, match="--allow"):
        BridgeService(host="0.0.0.0", port=0)
    with BridgeService(host="127.0.0.1", port=0, allow=["127.0.0.2"]) as service:
        sender.sendto(dm.transport(120.0, True, 0.0, 4, 4), service.address)
        assert wait_for(lambda: service.counters().get("not_allowed") == 1)
        assert not service.clock.has_transport


def test_simulator_restart_with_new_nonce_makes_a_new_stream(bridge) -> None:
    sources = [("a", np.zeros(22050 // 4, np.float32), 22050.0)]
    for seed in (1, 2):
        devices = devices_from_arrays(sources, stream_rate=22050.0, seed=seed)
        sim = Simulator(devices, port=bridge.address[1])
        sim.run()
        sim.close()
    assert wait_for(
        lambda: (
            bridge.registry.stream_totals().get("packets", 0) >= 22 and len(bridge.registry) == 0
        )
    )
    removed = bridge.registry.take_removed()
    assert len({t.nonce for t in removed}) == 2 and len({t.uuid for t in removed}) == 1


def test_simulator_stops_on_request_and_says_bye(bridge) -> None:
    sources = [("long", np.zeros(22050 * 30, np.float32), 22050.0)]
    sim = Simulator(devices_from_arrays(sources, stream_rate=22050.0), port=bridge.address[1])
    stop = threading.Event()
    runner = threading.Thread(target=sim.run, args=(stop,))
    runner.start()
    assert wait_for(lambda: len(bridge.registry) == 1)
    stop.set()
    runner.join(timeout=5)
    sim.close()
    assert wait_for(lambda: len(bridge.registry) == 0)


@pytest.mark.skipif(
    shutil.which("oscsend") is None,
    reason="liblo's oscsend not installed (Debian package liblo-tools; `make test` installs "
    "it where it runs as root with apt)",
)
def test_liblo_oscsend_max_style_messages_are_accepted(bridge) -> None:
    port = str(bridge.address[1])

    def oscsend(address: str, types: str, *values: object) -> None:
        subprocess.run(
            ["oscsend", "127.0.0.1", port, address, types, *map(str, values)],
            check=True,
            timeout=10,
        )

    oscsend("/syn/hello", "siifi", UUID, 77, 1, 48000.0, 2)
    oscsend(f"/syn/{UUID}/meta", "isii", 77, "Keys", 0x3366FF, 5)
    samples = [round(0.5 * np.sin(i / 3), 4) for i in range(100)]
    oscsend(f"/syn/{UUID}/pcm", "ii" + "f" * len(samples), 77, 0, *samples)
    oscsend("/syn/transport", "fifii", 126.5, 1, 12.25, 4, 4)
    oscsend("/syn/layer/opacity", "sf", "Keys", 0.5)
    # The bridge handles datagrams in order on its own thread: once the last one (the control)
    # is counted, every earlier one has been handled too.
    assert wait_for(lambda: bridge.ingest.counters["controls"] == 1)
    assert bridge.registry.stream_totals().get("samples") == 100
    assert bridge.clock.has_transport
    (track,) = bridge.registry.tracks.values()
    assert track.meta.name == "Keys" and track.stream.stream_rate == 24000.0
    np.testing.assert_allclose(track.stream.ring.latest(100), samples, atol=1e-6)
    assert not any(bridge.counters().get(k) for k in ("malformed", "bad_types", "bad_value"))


def test_port_in_use_is_reported(bridge) -> None:
    with pytest.raises(OSError):
        BridgeService(port=bridge.address[1])


def test_a_hello_with_a_reply_port_gets_a_status_back(bridge) -> None:
    """Protocol v2: the elected device listens on its reply port; the bridge answers its
    hello there with its protocol version and track count, over real UDP."""
    from bridge.ingest.osc_codec import decode_message

    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(5.0)
    try:
        port = listener.getsockname()[1]
        listener.sendto(dm.hello(UUID, 5, 48000.0, 2, reply_port=port), bridge.address)
        reply = decode_message(listener.recv(4096))
        assert (reply.address, reply.arguments()) == ("/syn/status", [2, 1])
        # A hello without a reply port is never answered.
        listener.sendto(dm.hello(UUID, 5, 48000.0, 2), bridge.address)
        listener.settimeout(0.5)
        with pytest.raises(TimeoutError):
            listener.recv(4096)
    finally:
        listener.close()
    assert bridge.counters()["replies"] == 1


def test_an_upper_case_uuid_is_announced_and_analysed_at_its_rate(bridge, sender) -> None:
    """The shared case: a device announces itself with an upper-case uuid at 48 kHz ÷ 2
    and sends 40 pcm messages; it is one track, streaming at 24 kHz."""
    from pathlib import Path

    case = Path(__file__).resolve().parents[1] / "data" / "cases" / "uuid-upper-case"
    datagrams = sorted(case.glob("*.bin"))
    assert datagrams, f"the case folder {case} is missing"
    for path in datagrams:
        sender.sendto(path.read_bytes(), bridge.address)
    assert wait_for(lambda: bridge.registry.stream_totals().get("packets", 0) >= 40)
    (track,) = bridge.registry.tracks.values()
    assert track.has_hello and track.stream.stream_rate == 24000.0
    assert track.uuid == track.uuid.lower()
    assert bridge.counters().get("bad_value", 0) == 0


def test_the_silence_gate_holds_silent_blocks_and_replays_the_last_few() -> None:
    """As the Max device: after ``silence_gate`` seconds of silence nothing is sent; when the
    track sounds again its last silent blocks go first, then the sound."""
    from bridge.simulate.simulator import GATE_REPLAY_BLOCKS

    tone = np.full(256, 0.1, np.float32)
    silence = np.zeros(256, np.float32)
    devices = devices_from_arrays([("t", tone, 22050.0)], stream_rate=22050.0)
    gated = Simulator(devices, sample_rate=44100.0, silence_gate=0.05)  # 4.3 blocks
    plain = Simulator(devices, sample_rate=44100.0)
    try:
        assert [len(gated._gated("t", silence)) for _ in range(4)] == [1, 1, 1, 1]
        assert [len(gated._gated("t", silence)) for _ in range(6)] == [0] * 6
        replay = gated._gated("t", tone)
        assert len(replay) == GATE_REPLAY_BLOCKS + 1 and replay[-1] is tone
        assert all(not b.any() for b in replay[:-1])
        assert gated._gated("t", silence) == [silence]  # the gate opened again
        assert [len(plain._gated("t", silence)) for _ in range(20)] == [1] * 20
    finally:
        gated.close()
        plain.close()
