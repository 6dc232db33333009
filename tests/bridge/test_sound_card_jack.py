"""Sound-card input through a real PortAudio host: a JACK dummy server started by the test.

``jack_metro`` (a JACK client from jackd2) plays an 880 Hz beep into the capture client
PortAudio opened for the bridge; the test checks the beep arrives in the virtual track's
ring through the real ingest, at the decimated rate, with nothing lost.
"""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

from bridge.ingest.service import BridgeService
from bridge.rig.channels import parse_input
from bridge.show.live import LiveOptions, LiveShow
from tests.bridge.conftest import wait_for
from tests.bridge.jack_server import JACK_RATE, dummy_server, jack, jack_tool, wait_for_port
from tests.renderer import fake_camera

pytestmark = pytest.mark.slow

BEEP_HZ = 880.0
REPO = Path(__file__).resolve().parents[2]


def beep() -> subprocess.Popen:
    """jack_metro: an 880 Hz beep 10 times a second on the port ``metro:600_bpm``."""
    return subprocess.Popen(
        [
            jack_tool("jack_metro"),
            *("-n", "metro", "-b", "600", "-f", str(BEEP_HZ)),
            *("-A", "0.5", "-D", "80"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def connect_beep_to(client: str) -> None:
    """Connect the beep to the first input port of the JACK client named like ``client``."""
    source, ours = wait_for_port("metro:"), wait_for_port(client)
    assert source and ours, jack("jack_lsp").stdout
    connected = jack("jack_connect", source[0], ours[0])
    assert connected.returncode == 0, connected.stderr


@pytest.fixture(scope="module")
def portaudio_jack(tmp_path_factory):
    """A dummy JACK server PortAudio sees as a host API (PortAudio restarted around it)."""
    try:
        from bridge.rig import sound_card
    except OSError as exc:
        pytest.skip(f"PortAudio cannot be loaded: {exc}")
    try:
        sound_card.host_api_names()
    except sound_card.SoundCardError as exc:
        pytest.skip(str(exc))
    import sounddevice

    jack_tool("jack_metro")
    try:
        with dummy_server(tmp_path_factory.mktemp("jack")) as name:
            sound_card.rescan()
            try:
                if not any("JACK" in api for api in sound_card.host_api_names()):
                    pytest.skip(
                        "this PortAudio has no JACK host API (built without JACK): "
                        f"{sound_card.host_api_names()}"
                    )
                yield name
            finally:
                # PortAudio's JACK client must close while the server still runs (closing
                # it later aborts the process in pa_jack.c's Terminate).
                sounddevice._terminate()
    finally:
        sounddevice._initialize()  # PortAudio without the server, as before the test


def dominant_hz(samples: np.ndarray, rate: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1.0 / rate)[spectrum.argmax()])


def test_jack_capture_reaches_the_track_ring(portaudio_jack):
    from bridge.rig.sound_card import SoundCardInput, list_inputs

    devices = list_inputs()
    jack_inputs = [d for d in devices if "JACK" in d.host_api]
    assert jack_inputs, devices
    assert jack_inputs[0].channels == 2 and jack_inputs[0].default_rate == JACK_RATE
    metro = subprocess.Popen(
        [
            jack_tool("jack_metro"),
            "-n",
            "metro",
            "-b",
            "600",
            "-f",
            str(BEEP_HZ),
            "-A",
            "0.5",
            "-D",
            "80",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    service = BridgeService(port=0)
    capture = SoundCardInput(parse_input(f"{jack_inputs[0].index}:1"), service.queue)
    try:
        with service, capture:
            connect_beep_to("PortAudio")
            # 0.6 s of beeps (one every 100 ms) after the connection.
            start = capture.handoff.offered
            blocks = int(0.6 * JACK_RATE / capture.blocksize)
            assert wait_for(lambda: capture.handoff.offered - start >= blocks, 10.0)
            assert wait_for(lambda: len(service.registry) == 1, 2.0)
            with service.lock:
                track = service.registry.ordered()[0]
                rate = track.stream.stream_rate
                audio = track.stream.ring.latest(int(0.5 * rate))
                counters = track.stream.counters
                name = track.meta.name
    finally:
        metro.terminate()
        metro.wait(timeout=5.0)
    assert name == "system 1"
    assert rate == JACK_RATE / 2  # 48 kHz decimated by 2, as a device at 48 kHz streams
    assert counters.lost == 0 and counters.resets == 0
    assert capture.status()["handoff_dropped"] == 0
    assert float(np.abs(audio).max()) > 0.1  # jack_metro's beep, not the dummy's silence
    assert abs(dominant_hz(audio, rate) - BEEP_HZ) < 10.0


class SolidInk:
    """A stand-in style inking the whole field, so the track shows as its colour."""

    def audio_to_image(self, windows: np.ndarray) -> np.ndarray:
        return np.full((len(windows), 64, 64), 255, np.uint8)


def test_sound_card_to_the_headless_show_and_a_virtual_camera(portaudio_jack):
    """The whole rig without Live: JACK capture → ingest → analysis → show → camera."""
    pytest.importorskip("pyvirtualcam", reason="pyvirtualcam (the 'vcam' extra) is missing")
    from bridge.rig.session import RigInputs

    metro = beep()
    service = BridgeService(port=0)
    rig = RigInputs(service, inputs=["system:1+2"], style="x")
    options = LiveOptions(
        style="x", size=(160, 90), fps=20.0, headless=True, seconds=2.0, virtual_camera=""
    )
    show = LiveShow(service, options, loader=lambda name: SolidInk())
    try:
        with fake_camera.registered() as sent, service, rig:
            connect_beep_to("PortAudio")
            ran = threading.Thread(target=show.run)
            ran.start()
            ran.join(30.0)
            assert not ran.is_alive()
    finally:
        metro.terminate()
        metro.wait(timeout=5.0)
    summary = show.summary()
    assert summary["images_shown"] > 0, summary
    assert len(sent) >= 10 and sent[-1].shape == (90, 160, 3)
    lit = [frame for frame in sent if frame.max() > 0]
    assert lit, "the track never showed"
    track = rig.captures[0].tracks.tracks[0]
    assert track.name == "system 1/2"
    assert show.show is not None and [s.name for s in show.show.snapshots] == [track.name]


def test_bridge_command_captures_the_card(portaudio_jack, tmp_path):
    """``synaesthete bridge --input system --no-render``: the track streams, per
    --stats-json (the command run in this process, where PortAudio sees the server)."""
    from cli.main import main

    stats = tmp_path / "stats.json"
    args = ["bridge", "--port", "0", "--input", "system", "--no-render", "--analyse-hz", "0"]
    assert main([*args, "--duration", "1.0", "--refresh", "0.5", "--stats-json", str(stats)]) == 0
    tracks = json.loads(stats.read_text())["tracks"]
    assert len(tracks) == 1, tracks
    ((name, counters),) = tracks.items()
    assert name.startswith("system 1/2:") and counters["packets"] > 50, tracks
    assert counters["lost"] == 0 and counters["resets"] == 0


def test_bridge_command_refuses_an_unknown_device(portaudio_jack, caplog):
    from cli.main import main

    code = main(["bridge", "--port", "0", "--input", "nosuchcard", "--no-render"])
    assert code == 2
    assert "no input device named like 'nosuchcard'" in caplog.text


def test_devices_lists_the_jack_input(portaudio_jack, capsys):
    import argparse

    from cli.rig import run_devices

    assert run_devices(argparse.Namespace(json=False)) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["index", "name", "host", "API", "channels", "rate"]
    row = next(line for line in table if "JACK" in line)
    assert row.startswith("*") and row.split()[-2:] == ["2", str(JACK_RATE)]
    assert run_devices(argparse.Namespace(json=True)) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {"name": "system", "channels": 2, "default_rate": JACK_RATE}.items() <= next(
        d for d in listed if "JACK" in d["host_api"]
    ).items()
