"""The `synaesthete` command line and the bridge's terminal view."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading

import numpy as np
import pytest
import soundfile

from bridge.ingest.service import BridgeService, Snapshot, TrackView
from bridge.ingest.transport import BeatState
from bridge.show.terminal_view import TerminalView, format_view, level_meter
from cli.main import build_parser, main
from tests.bridge.conftest import wait_for


def track_view(packets: int, **overrides: object) -> TrackView:
    fields = dict(
        uuid="u",
        nonce=1,
        name="Kick",
        color=0xFF0000,
        track_index=0,
        state="live",
        level_db=-6.0,
        counters=dict(
            packets=packets, lost=2, late=1, duplicate=0, malformed=0, nonfinite=0, samples=0
        ),
        blend="screen",
        opacity=1.0,
        style="squiggle",
        stream_rate=22050.0,
    )
    fields.update(overrides)
    return TrackView(**fields)


def snapshot(time: float, packets: int, **extra: object) -> Snapshot:
    return Snapshot(
        time=time,
        address=("127.0.0.1", 9000),
        tracks=[track_view(packets)],
        counters={"malformed": 3, "controls": 5},
        datagrams=100,
        transport=BeatState(124.0, True, 9.5, 4, 4),
        max_tracks=64,
        **extra,
    )


def test_level_meter_spans_minus_60_to_0_dbfs() -> None:
    assert level_meter(-80.0) == " " * 20
    assert level_meter(0.0) == "█" * 20
    assert level_meter(-30.0).rstrip() == "█" * 10
    assert len(level_meter(-13.3)) == 20


def test_view_shows_tracks_rates_and_drops() -> None:
    text = format_view(snapshot(11.0, 143), snapshot(10.0, 100))
    assert "127.0.0.1:9000" in text and "tracks 1/64" in text
    assert "124.0 BPM playing  bar 3 beat 2" in text
    row = next(line for line in text.splitlines() if "Kick" in line)
    assert "43.0" in row and row.rstrip().endswith("live")
    assert "malformed 3" in text and "controls" not in text


def test_view_without_tracks_says_how_to_get_some() -> None:
    empty = Snapshot(0.0, ("127.0.0.1", 9000), [], {}, 0, None, 64)
    assert "no devices yet" in format_view(empty)
    out = io.StringIO()
    TerminalView(out).show(empty)
    assert "no transport" in out.getvalue()


def test_every_subcommand_has_help() -> None:
    parser = build_parser()
    choices = parser._subparsers._group_actions[0].choices
    assert {"bridge", "simulate", "demo"} <= set(choices)
    for name in choices:
        with pytest.raises(SystemExit) as exit_info:
            parser.parse_args([name, "--help"])
        assert exit_info.value.code == 0


def test_bad_arguments_fail_with_exit_code_2(tmp_path, capsys) -> None:
    assert main(["simulate", str(tmp_path / "missing.wav")]) == 2
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("not audio")
    assert main(["simulate", str(not_audio)]) == 2
    assert main(["simulate"]) == 2
    assert main(["bridge", "--host", "0.0.0.0", "--duration", "0.1"]) == 2
    assert main([]) == 2


def test_bridge_command_writes_its_statistics(tmp_path) -> None:
    stats = tmp_path / "stats.json"
    code = main(
        [
            "-q",
            "bridge",
            "--no-render",
            "--port",
            "0",
            "--duration",
            "0.3",
            "--refresh",
            "0.1",
            "--stats",
            "--stats-json",
            str(stats),
        ]
    )
    assert code == 0
    data = json.loads(stats.read_text())
    assert data["datagrams"] == 0 and data["analysis_updates"] > 0


def test_bridge_command_runs_the_live_show_headless(tmp_path) -> None:
    stats = tmp_path / "live.json"
    out = tmp_path / "show.mp4"
    args = [
        "-q",
        "bridge",
        "--port",
        "0",
        "--headless",
        "--out",
        str(out),
        "--seconds",
        "2.5",  # a loaded machine (load 10 measured) drew 1 frame in the first second
        "--size",
        "160x96",
        "--fps",
        "20",
        "--stats-json",
        str(stats),
    ]
    assert main(args) == 0
    live = json.loads(stats.read_text())["live"]
    assert live["frames"] >= 2 and live["worker_errors"] == 0  # the loop ran, not one frame
    import av

    with av.open(str(out)) as container:
        written = sum(1 for _ in container.decode(video=0))
    # Paced on the wall clock: a late frame is written more than once, none is dropped.
    assert written >= live["frames"]


def test_simulate_command_streams_a_file_into_a_bridge(tmp_path) -> None:
    path = tmp_path / "kick.flac"
    soundfile.write(path, np.sin(np.arange(11025) / 5.0) * 0.5, 44100)
    with BridgeService(port=0) as service:
        args = ["simulate", str(path), "--port", str(service.address[1]), "--tempo", "130"]
        done = threading.Event()
        result: list[int] = []

        def run() -> None:
            result.append(main(args))
            done.set()

        threading.Thread(target=run, daemon=True).start()
        assert wait_for(lambda: service.clock.has_transport)
        assert service.clock.state(0.0).tempo == 130.0
        assert done.wait(10)
        assert result == [0]
        assert wait_for(lambda: service.registry.stream_totals().get("samples", 0) >= 5500)


def test_console_script_entry_point_runs() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "cli.main", "--help"], capture_output=True, text=True, check=True
    )
    assert "simulate" in completed.stdout


def test_sigterm_stops_the_show_cleanly(tmp_path) -> None:
    """A service manager's SIGTERM closes the video properly and leaves no child behind."""
    import signal
    import time

    import av

    out = tmp_path / "show.mp4"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "-q",
            "bridge",
            "--headless",
            "--port",
            "0",
            "--out",
            str(out),
            "--size",
            "160x96",
        ],
    )
    try:
        deadline = time.monotonic() + 60
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.5)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    with av.open(str(out)) as container:
        assert sum(1 for _ in container.decode(video=0)) > 10


def test_demo_devices_carry_the_chosen_style_and_a_blend_each() -> None:
    from bridge.simulate.demo_audio import DEMO_RATE, demo_stems
    from cli.show import DEMO_BLENDS, demo_devices

    stems = [(name, audio, float(DEMO_RATE)) for name, audio in demo_stems(bars=1)]
    devices = demo_devices(stems, "glyphs")
    # The bridge follows each device's Style menu, so --style must reach the devices.
    assert [d.style for d in devices] == ["glyphs"] * len(stems)
    assert [d.blend for d in devices] == list(DEMO_BLENDS)


def test_demo_soundtrack_starts_where_the_simulator_was_and_ends_with_it() -> None:
    from types import SimpleNamespace

    from cli.show import demo_soundtrack

    rate = 8000
    ramp = (np.arange(2 * rate) / (4 * rate)).astype(np.float32)  # a 2-s loop, 0 .. 0.5
    simulator = SimpleNamespace(started=None)
    soundtrack = demo_soundtrack([("ramp", ramp, float(rate))], simulator, seconds=3.0)
    early = soundtrack(10.0)  # not streaming yet: the loop starts with the video
    assert early is not None
    np.testing.assert_allclose(early.samples[:3, 0], ramp[:3])
    simulator.started = 100.0
    track = soundtrack(100.5)  # the first frame came half a second after the first block
    samples = track.samples[:, 0]
    assert track.sample_rate == rate and samples.size == 4 * rate  # outlasts the video
    np.testing.assert_allclose(samples[:3], ramp[rate // 2 : rate // 2 + 3])
    np.testing.assert_allclose(samples[3 * rate // 2 : 3 * rate // 2 + 3], ramp[:3])  # wraps
    assert np.all(samples[5 * rate // 2 :] == 0)  # the simulator stopped 3 s after it began


def test_demo_recording_has_the_loop_as_its_sound(tmp_path) -> None:
    import av

    out = tmp_path / "demo.mp4"
    args = ["-q", "demo", "--seconds", "2", "--size", "160x96", "--out", str(out)]
    assert main(args) == 0
    with av.open(str(out)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        video_seconds = float(video.duration * video.time_base)
        audio_seconds = float(audio.duration * audio.time_base)
        peak = max(np.abs(frame.to_ndarray()).max() for frame in container.decode(audio=0))
    assert abs(video_seconds - audio_seconds) < 0.1
    assert peak > 0.05  # the loop is audible, not silence


@pytest.mark.parametrize(
    "argv",
    [
        ["bridge", "--port", "70000"],
        ["bridge", "--port", "-1"],
        ["bridge", "--max-tracks", "0"],
        ["bridge", "--fps", "nan"],
        ["bridge", "--fps", "0"],
        ["bridge", "--seconds", "-3"],
        ["bridge", "--seconds", "inf"],
        ["bridge", "--target-hz", "1e309"],
        ["bridge", "--threads", "0"],
        ["bridge", "--size", "0x0"],
        ["bridge", "--refresh", "abc"],
        ["demo", "--fps", "-30"],
        ["render", "a.wav", "-o", "x.mp4", "--tempo", "0"],
        ["render", "a.wav", "-o", "x.mp4", "--seconds", "nan"],
        ["simulate", "--decimation", "99"],
        ["simulate", "--block", "100000"],
        ["simulate", "--sample-rate", "-44100"],
        ["preview", "--layers", "100000"],
        ["preview", "--crf", "99"],
    ],
)
def test_every_number_typed_is_checked_with_a_clear_message(argv, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    option = next(a for a in argv if a.startswith("--"))
    assert f"argument {option}" in err and "Traceback" not in err


def test_output_into_a_closed_pipe_ends_the_command_quietly() -> None:
    """``synaesthete structure … | head``: the reader goes away, the command stops without a
    traceback and with the shell's SIGPIPE status."""
    import subprocess
    import sys

    script = (
        "import argparse, sys\n"
        "import cli.main as m\n"
        "parser = argparse.ArgumentParser()\n"
        "def lots(args):\n"
        "    for i in range(10**6):\n"
        "        print('bar', i, 'x' * 80)\n"
        "parser.set_defaults(func=lots, verbose=0, quiet=0)\n"
        "m.build_parser = lambda: parser\n"
        "sys.exit(m.main([]))\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline().startswith(b"bar 0")
    child.stdout.close()  # as head does after its lines
    errors = child.stderr.read().decode()
    assert child.wait(timeout=60) == 141
    assert "Traceback" not in errors and "BrokenPipe" not in errors
