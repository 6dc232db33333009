"""End to end on loopback: simulator → bridge → inference → headless compositor → frames.

A stand-in generator (solid ink, so colours can be measured exactly) keeps these tests
about the pipeline; the shipped styles are exercised in tests/bridge/test_render_offline.py
and by the models' own tests.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from bridge.generate.generator_api import GeneratorLostError
from bridge.generate.generator_process import RemoteStyle
from bridge.ingest.osc_codec import encode_message
from bridge.ingest.service import BridgeService
from bridge.show.live import LiveOptions, LiveShow
from bridge.simulate import device_messages as dm
from bridge.simulate.simulator import Simulator, devices_from_arrays, synthetic_sources
from renderer.headless import HeadlessRenderer
from renderer.hud import hud_lines
from tests.bridge.conftest import wait_for

SIZE = (320, 180)


class SolidInk:
    """A 'style' that inks the whole field: every layer shows as its tint."""

    def __init__(self) -> None:
        self.calls = 0

    def audio_to_image(self, windows: np.ndarray) -> np.ndarray:
        self.calls += 1
        return np.full((len(windows), 64, 64), 255, np.uint8)


class Harness:
    """The live assembly (:class:`LiveShow`) with a headless compositor, stepped by the test."""

    def __init__(
        self,
        stale_seconds: float = 2.0,
        remove_seconds: float = 10.0,
        loader: Callable[[str], object] | None = None,
    ) -> None:
        self.service = BridgeService(
            port=0, stale_seconds=stale_seconds, remove_seconds=remove_seconds
        ).start()
        self.style = SolidInk()
        self.live = LiveShow(
            self.service,
            LiveOptions(style="x", headless=True),
            loader=loader or (lambda name: self.style),
        )
        self.worker = self.live.worker
        self.renderer = HeadlessRenderer(SIZE, internal_height=90)
        self.show = self.live.assemble(self.renderer.compositor)
        self.worker.start()
        self.port = self.service.address[1]

    def frame(self) -> np.ndarray:
        def draw(t: float, features: dict, beat: float | None) -> np.ndarray:
            self.renderer.compositor.render(t, features, beat)
            return self.renderer.compositor.read()

        return self.show.frame(time.monotonic(), draw)  # type: ignore[return-value]

    def until(self, condition, timeout: float = 5.0) -> np.ndarray:
        end = time.monotonic() + timeout
        image = self.frame()
        while not condition(image) and time.monotonic() < end:
            time.sleep(1 / 60)
            image = self.frame()
        return image

    def close(self) -> None:
        self.worker.stop()
        self.renderer.close()
        self.service.stop()


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness()
    yield h
    h.close()


@pytest.fixture
def quick_expiry_harness() -> Iterator[Harness]:
    """Tracks go stale after 0.5 s of silence and are removed after 1.5 s."""
    h = Harness(stale_seconds=0.5, remove_seconds=1.5)
    yield h
    h.close()


def streaming(harness: Harness, count: int) -> bool:
    """Wait until ``count`` tracks stream audio. PCM comes after a device's hello, meta and
    params, and the bridge handles datagrams in order, so its whole announce is in by then."""

    def ready() -> bool:
        with harness.service.lock:
            tracks = list(harness.service.registry.tracks.values())
        return len(tracks) == count and all(t.last_pcm is not None for t in tracks)

    return wait_for(ready, timeout=10.0)


class Feed:
    """Synthetic devices streaming in the background; a context manager that stops them."""

    def __init__(
        self, port: int, count: int, seconds: float, seed: int, styles: list[str] | None = None
    ) -> None:
        sources = synthetic_sources(count, seconds)
        self.devices = devices_from_arrays(sources, stream_rate=22050.0, seed=seed)
        for device, style in zip(self.devices, styles or ["x"] * count, strict=True):
            device.gain = 0.0  # no audio-reactive brightness: colours measure exactly
            device.style = style  # "x": the harness's default style
        self.simulator = Simulator(self.devices, port=port, seconds=seconds, loop=True)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self.simulator.run, args=(self._stop,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop sending (the devices say bye, as a closed simulator does)."""
        self._stop.set()
        self.thread.join(5)

    def cut(self) -> None:
        """Stop sending without a bye, like a crashed laptop or a pulled cable."""
        for device in self.devices:
            device.finished = True  # the simulator only says bye for unfinished devices
        self.stop()

    def __enter__(self) -> Feed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.simulator.close()


def pixel(image: np.ndarray, x: float, y: float) -> np.ndarray:
    """The colour at frame position (x, y) in -1..1 (y up)."""
    h, w = image.shape[:2]
    return image[int((1 - y) / 2 * (h - 1)), int((x + 1) / 2 * (w - 1))].astype(int)


def expected_rgb(color: int, opacity: float = 1.0) -> np.ndarray:
    rgb = np.array([(color >> 16) & 255, (color >> 8) & 255, color & 255], float)
    return rgb * opacity


def send(harness: Harness, address: str, *args: object) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(encode_message(address, list(args)), ("127.0.0.1", harness.port))


def place_layers(harness: Harness, xs: list[float]) -> None:
    """Stack the layers (frame coordinates, no regions), then move track i's layer to
    x = xs[i] and shrink it, by OSC (index in the address)."""
    send(harness, "/syn/master/composition", "stack")
    for index, x in enumerate(xs):
        send(harness, f"/syn/layer/{index}/x", float(x))
        send(harness, f"/syn/layer/{index}/scale", 0.3)


def test_four_tracks_show_in_their_colours_and_follow_osc(harness: Harness) -> None:
    with Feed(harness.port, 4, 20.0, seed=3) as feed:
        devices = feed.devices
        assert streaming(harness, 4)
        xs = [-0.75, -0.25, 0.25, 0.75]
        place_layers(harness, xs)
        harness.until(lambda im: harness.show.stats.controls_applied >= 9, 10.0)
        assert harness.show.stats.controls_applied == 9
        assert harness.show.looks.composition == "stack"

        def all_coloured(image: np.ndarray) -> bool:
            return all(
                np.abs(pixel(image, x, 0.0) - expected_rgb(d.color)).max() <= 3
                for x, d in zip(xs, devices, strict=True)
            )

        image = harness.until(all_coloured, timeout=10.0)
        for x, device in zip(xs, devices, strict=True):
            np.testing.assert_allclose(pixel(image, x, 0.0), expected_rgb(device.color), atol=3)
        assert (pixel(image, 0.0, 0.9) == 0).all()  # background between/above layers

        # An OSC opacity change shows in the next frames.
        send(harness, "/syn/layer/opacity", devices[1].name, 0.5)
        half = expected_rgb(devices[1].color, 0.5)
        image = harness.until(lambda im: np.abs(pixel(im, xs[1], 0.0) - half).max() <= 3, 10.0)
        np.testing.assert_allclose(pixel(image, xs[1], 0.0), half, atol=3)
        np.testing.assert_allclose(pixel(image, xs[0], 0.0), expected_rgb(devices[0].color), atol=3)
        assert harness.show.stats.images_shown > 0
        p50, p95 = harness.show.latency.percentiles("packet_to_frame")
        assert 0 < p50 <= p95 < 1.0

        # What a performer reads: the tracks' names from Live, in Live's order, on every line
        # that lists layers (the window's HUD and the status lines), never a Python tuple.
        names = [d.name for d in sorted(devices, key=lambda d: d.track_index)]
        assert [snapshot.label for snapshot in harness.show.snapshots] == names
        hud = hud_lines(harness.renderer.compositor.scene.snapshot(), fps=60.0, selected=None)
        assert [line.split()[1] for line in hud[1:5]] == names
        assert not any("('" in line for line in hud + harness.show.status_lines())
        assert ", ".join(names) in harness.show.status_lines()[1]


def test_a_silent_track_fades_out_and_is_removed(quick_expiry_harness: Harness) -> None:
    harness = quick_expiry_harness
    with Feed(harness.port, 1, 20.0, seed=4) as feed:
        devices = feed.devices
        assert wait_for(lambda: len(harness.service.registry) == 1)
        colour = expected_rgb(devices[0].color)
        image = harness.until(lambda im: np.abs(pixel(im, 0, 0) - colour).max() <= 3, 10.0)
        np.testing.assert_allclose(pixel(image, 0, 0), colour, atol=3)
        (key,) = harness.service.registry.tracks
        # The device goes quiet without a bye: stale after 0.5 s, so the layer fades over
        # 1 s; removed after 1.5 s of silence, and then from the picture.
        feed.cut()
        image = harness.until(lambda im: pixel(im, 0, 0).max() == 0, 10.0)
        assert pixel(image, 0, 0).max() == 0
        harness.until(lambda im: key not in harness.renderer.compositor.scene, 10.0)
        assert key not in harness.renderer.compositor.scene
        assert key not in harness.show.looks.layers


def test_bridge_survives_the_simulator_restarting(harness: Harness) -> None:
    with Feed(harness.port, 1, 1.0, seed=5) as first:
        first.thread.join(5)  # runs out by itself after 1 s
    devices = first.devices
    assert wait_for(lambda: harness.service.stream_totals().get("packets", 0) > 10)
    with Feed(harness.port, 1, 20.0, seed=6) as second:
        devices2 = second.devices
        assert devices2[0].nonce != devices[0].nonce and devices2[0].uuid == devices[0].uuid
        colour = expected_rgb(devices2[0].color)
        image = harness.until(lambda im: np.abs(pixel(im, 0, 0) - colour).max() <= 3, 10.0)
        np.testing.assert_allclose(pixel(image, 0, 0), colour, atol=3)
        keys = list(harness.show.looks.layers)
        assert (devices2[0].uuid, devices2[0].nonce) in keys


def test_bad_control_messages_are_counted_and_ignored(harness: Harness) -> None:
    with Feed(harness.port, 1, 20.0, seed=7) as feed:
        devices = feed.devices
        assert streaming(harness, 1)
        colour = expected_rgb(devices[0].color)
        harness.until(lambda im: np.abs(pixel(im, 0, 0) - colour).max() <= 3, 10.0)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            target = ("127.0.0.1", harness.port)
            sock.sendto(encode_message("/syn/layer/opacity", [devices[0].name, 7.0]), target)
            sock.sendto(encode_message("/syn/layer/blend", [devices[0].name, "sparkle"]), target)
            sock.sendto(encode_message("/syn/master/volume", [1.0]), target)
            sock.sendto(encode_message("/syn/layer/opacity", ["Nobody", 0.0]), target)
            sock.sendto(b"/syn/layer\x00\x00,f", target)
        counters = harness.service.counters
        assert wait_for(
            lambda: (
                counters().get("bad_value") == 2
                and counters().get("unknown_address") == 1
                and counters().get("malformed") == 1
            )
        )
        image = harness.until(lambda im: harness.show.stats.controls_unmatched == 1, 10.0)
        np.testing.assert_allclose(pixel(image, 0, 0), colour, atol=3)  # unchanged


def test_presets_over_osc_save_and_restore_the_look(harness: Harness, tmp_path) -> None:
    harness.show.presets_dir = tmp_path
    with Feed(harness.port, 1, 20.0, seed=8) as feed:
        devices = feed.devices
        assert streaming(harness, 1)
        target = ("127.0.0.1", harness.port)
        name = devices[0].name
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(encode_message("/syn/layer/blend", [name, "difference"]), target)
            sock.sendto(encode_message("/syn/preset/save", ["look-a"]), target)
            harness.until(lambda im: (tmp_path / "look-a.json").exists(), 10.0)
            sock.sendto(encode_message("/syn/layer/reset", [name]), target)
            sock.sendto(encode_message("/syn/preset/load", ["look-a"]), target)
            sock.sendto(encode_message("/syn/preset/load", ["missing"]), target)
        (key,) = harness.service.registry.tracks
        harness.until(lambda im: harness.show.stats.preset_errors == 1, 10.0)
        assert harness.show.looks.settings(key).blend == "difference"


class InkByExpression(SolidInk):
    """Solid ink while a layer's expression is above one half, none below: a layer's
    expression can be read off the frame. Records what each call was given."""

    def __init__(self) -> None:
        super().__init__()
        self.given: list[np.ndarray | None] = []

    def audio_to_image(  # type: ignore[override]
        self, windows: np.ndarray, expression: np.ndarray | None = None
    ) -> np.ndarray:
        self.given.append(None if expression is None else np.array(expression))
        amounts = np.ones(len(windows)) if expression is None else np.asarray(expression)
        ink = np.where(amounts > 0.5, 255, 0).astype(np.uint8)
        return np.broadcast_to(ink[:, None, None], (len(windows), 64, 64)).copy()


def test_a_layers_expression_over_osc_reaches_its_pictures_only(harness: Harness) -> None:
    harness.style = style = InkByExpression()
    with Feed(harness.port, 2, 20.0, seed=9) as feed:
        devices = feed.devices
        assert streaming(harness, 2)
        xs = [-0.5, 0.5]
        place_layers(harness, xs)

        def shows(image: np.ndarray, inked: list[bool]) -> bool:
            return all(
                np.abs(pixel(image, x, 0.0) - (expected_rgb(d.color) if on else 0)).max() <= 3
                for x, d, on in zip(xs, devices, inked, strict=True)
            )

        harness.until(lambda im: shows(im, [True, True]), 10.0)
        assert style.given and all(given is None for given in style.given)  # as trained
        send(harness, "/syn/layer/expression", devices[1].name, 0.25)
        image = harness.until(lambda im: shows(im, [True, False]), 10.0)
        assert shows(image, [True, False])
        assert any(g is not None and sorted(g.tolist()) == [0.25, 1.0] for g in style.given)
        assert f"expression: {devices[1].name[:8]} 0.25" in harness.show.status_lines()
        # back to the style's own (a reset would also drop the places set above; the looks'
        # test covers it)
        send(harness, "/syn/layer/expression", devices[1].name, 1.0)
        image = harness.until(lambda im: shows(im, [True, True]), 10.0)
        assert shows(image, [True, True])
        assert not any(line.startswith("expression") for line in harness.show.status_lines())


def test_device_params_set_blend_and_opacity(harness: Harness) -> None:
    uuid = "abcdefab-1234-4321-8888-abcdefabcdef"
    target = ("127.0.0.1", harness.port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(dm.hello(uuid, 9, 44100.0, 2), target)
        sock.sendto(dm.meta(uuid, 9, "Lead", 0x00FF00, 0), target)
        sock.sendto(dm.params(uuid, 9, opacity=0.25, blend="multiply", gain=0.0), target)
        for seq in range(40):
            sock.sendto(dm.pcm(uuid, 9, seq, np.zeros(512, np.float32)), target)
    assert wait_for(lambda: len(harness.service.registry) == 1)
    looks = harness.show.looks

    def applied(image: np.ndarray) -> bool:
        # the layer may appear (with the default blend) a frame before its params arrive
        return (uuid, 9) in looks.layers and looks.settings((uuid, 9)).blend == "multiply"

    harness.until(applied, 10.0)
    settings = looks.settings((uuid, 9))
    assert settings.blend == "multiply" and settings.tint == (0.0, 1.0, 0.0)


@pytest.mark.skipif(
    not os.environ.get("DISPLAY"),
    reason="needs an X display; `make test` starts Xvfb where it can install it (as root)",
)
def test_demo_runs_in_a_real_window(tmp_path) -> None:
    """The window path end to end, in a child process (one GL stack per process)."""
    env = dict(os.environ, SYNAESTHETE_HOME=str(tmp_path))
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "demo",
            "--window",
            "--seconds",
            "3",
            "--size",
            "640x360",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "pictures generated" in completed.stderr
    summary = next(line for line in completed.stderr.splitlines() if "pictures generated" in line)
    frames = int(summary.split("demo: ")[1].split(" frames")[0])
    assert frames >= 3  # the window loop ran (its rate on a loaded 2-core machine varies)


def test_digital_silence_draws_no_ink_and_skips_the_generator(harness: Harness) -> None:
    uuid = "feedface-0000-4000-8000-000000000001"
    target = ("127.0.0.1", harness.port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(dm.hello(uuid, 3, 44100.0, 2), target)
        sock.sendto(dm.meta(uuid, 3, "Silent", 0xFFFFFF, 0), target)
        sock.sendto(dm.params(uuid, 3, gain=0.0), target)
        for seq in range(60):
            sock.sendto(dm.pcm(uuid, 3, seq, np.zeros(512, np.float32)), target)
    assert wait_for(lambda: harness.service.stream_totals().get("packets") == 60)
    image = harness.until(lambda im: harness.show.stats.images_shown > 0, 10.0)
    assert harness.show.stats.images_shown > 0  # blank pictures were shown...
    assert harness.style.calls == 0  # ...without running the generator
    assert image.max() == 0


def test_a_failing_generator_call_is_counted_and_the_show_goes_on(harness: Harness) -> None:
    calls = {"n": 0}
    solid = harness.style.audio_to_image

    def flaky(windows: np.ndarray) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the model tripped")
        return solid(windows)

    harness.style.audio_to_image = flaky  # type: ignore[method-assign]
    with Feed(harness.port, count=1, seconds=10.0, seed=11):
        harness.until(lambda im: harness.show.stats.images_shown >= 3)
    assert harness.worker.errors == 1
    assert calls["n"] > 3 and harness.show.stats.images_shown >= 3


def test_a_style_loading_does_not_hold_up_the_other_tracks() -> None:
    release = threading.Event()
    styles: dict[str, SolidInk] = {}

    def loader(name: str) -> object:
        if name == "slow":
            release.wait(20)  # a generator process starting up
        return styles.setdefault(name, SolidInk())

    harness = Harness(loader=loader)
    harness.worker.styles.get("x")  # loaded before the show, as LiveShow.prepare does
    try:
        with Feed(harness.port, count=2, seconds=20.0, seed=14, styles=["x", "slow"]):
            harness.until(lambda im: "style slow loading" in harness.show.status_lines(), 10)
            assert wait_for(lambda: styles["x"].calls >= 5, timeout=10.0)  # x goes on meanwhile
            assert "slow" not in styles
            release.set()
            harness.until(lambda im: "slow" in styles and styles["slow"].calls >= 2, 10)
            assert styles["slow"].calls >= 2
            assert not harness.worker.trouble(time.monotonic())
    finally:
        release.set()
        harness.close()


class LosesItsGenerator(SolidInk):
    """A style whose generator is lost on its first call, as a crashed child is."""

    def audio_to_image(self, windows: np.ndarray) -> np.ndarray:
        if self.calls == 0:
            self.calls += 1
            raise GeneratorLostError("the child died")
        return super().audio_to_image(windows)


def test_a_lost_generator_is_started_again_after_a_pause() -> None:
    loaded: list[float] = []
    release = threading.Event()

    def loader(name: str) -> object:
        loaded.append(time.monotonic())
        if len(loaded) == 1:
            return LosesItsGenerator()
        release.wait(20)  # the new generator process starting up
        return SolidInk()

    harness = Harness(loader=loader)
    try:
        with Feed(harness.port, count=1, seconds=20.0, seed=12) as feed:
            colour = expected_rgb(feed.devices[0].color)
            assert wait_for(lambda: harness.worker.generators_lost == 1, timeout=10.0)
            # Paused, then restarting: the HUD says so until the new one answers.
            assert any("generator x lost (1×)" in line for line in harness.worker.trouble(0.0))
            assert wait_for(lambda: len(loaded) == 2, timeout=10.0)
            assert any("generator x lost" in line for line in harness.show.status_lines())
            release.set()
            image = harness.until(lambda im: np.abs(pixel(im, 0, 0) - colour).max() <= 3, 15.0)
            np.testing.assert_allclose(pixel(image, 0, 0), colour, atol=3)
        assert len(loaded) == 2  # one new generator, not one per step
        assert loaded[1] - loaded[0] >= 1.0  # after the pause (RESTART_FIRST = 1 s)
        assert harness.worker.errors == 0 and harness.worker.generators_lost == 1
        assert not harness.worker.trouble(time.monotonic())  # well again: the HUD is clear
    finally:
        release.set()
        harness.close()


def test_an_unknown_style_falls_back_to_the_default_without_restarts() -> None:
    asked: list[str] = []

    def loader(name: str) -> object:
        asked.append(name)
        if name == "missing":
            raise ValueError("no style called 'missing'")
        return SolidInk()

    harness = Harness(loader=loader)
    try:
        with Feed(harness.port, count=1, seconds=20.0, seed=15, styles=["missing"]) as feed:
            colour = expected_rgb(feed.devices[0].color)
            image = harness.until(lambda im: np.abs(pixel(im, 0, 0) - colour).max() <= 3, 15.0)
            np.testing.assert_allclose(pixel(image, 0, 0), colour, atol=3)  # drawn by "x"
        assert asked.count("missing") == 1 and harness.worker.generators_lost == 0
        assert harness.worker.styles.name_for("missing") == "x"
    finally:
        harness.close()


@pytest.mark.parametrize("how", ["killed", "hung"])
def test_a_generator_process_that_dies_or_hangs_is_replaced(how: str) -> None:
    """Real child processes: the show goes on with a new one."""
    children: list[RemoteStyle] = []

    def loader(name: str) -> object:
        children.append(RemoteStyle("squiggle", reply_timeout=0.5))
        return children[-1]

    harness = Harness(loader=loader)
    try:
        with Feed(harness.port, count=2, seconds=30.0, seed=13):
            assert wait_for(lambda: harness.worker.calls >= 3, timeout=30.0)
            first = children[0]._process
            if how == "killed":
                first.kill()
            else:
                os.kill(first.pid, signal.SIGSTOP)  # alive, answering nothing
            assert wait_for(lambda: harness.worker.generators_lost == 1, timeout=10.0)
            assert not first.is_alive()  # the lost one was closed, even when stopped
            calls = harness.worker.calls
            assert wait_for(lambda: harness.worker.calls >= calls + 3, timeout=30.0)
        assert len(children) == 2 and children[1].alive
        assert harness.worker.generators_lost == 1 and harness.worker.errors == 0
    finally:
        harness.close()
        for child in children:
            child.close()
