"""OSC feedback end to end on loopback: devices → bridge → show (headless compositor) → a
controller's UDP port, and the controller's messages back; layer numbers as the HUD shows."""

from __future__ import annotations

import socket
import time
from collections.abc import Hashable, Iterator, Mapping

import pytest

from bridge.control.feedback import FeedbackRegistry, FeedbackSender
from bridge.control.show_controls import ControlIO
from bridge.generate.analysis_feed import FeatureRecord
from bridge.ingest.applier import Ingest
from bridge.ingest.osc_codec import decode_message, encode_message
from bridge.ingest.protocol import FeedbackRegister, SelectLayer
from bridge.ingest.receiver import Arrival
from bridge.ingest.service import BridgeService
from bridge.show.show import Show
from bridge.show.sources import StreamSource
from bridge.simulate import device_messages as dm
from renderer.headless import HeadlessRenderer
from renderer.hud import hud_lines

TRACKS = (  # uuid, name, Live's track index
    ("00000000-0000-4000-8000-00000000000a", "Kick", 0),
    ("00000000-0000-4000-8000-00000000000b", "Bass", 3),
)


class NoPictures:
    """A picture feed with nothing to show: these tests are about controls."""

    def follow(
        self, styles: Mapping[Hashable, str], expressions: Mapping[Hashable, float] | None = None
    ) -> None:
        pass

    def want_chroma(self, on: bool) -> None:
        pass

    def take(self, t: float, keys: list[Hashable]) -> tuple[dict, dict[Hashable, FeatureRecord]]:
        return {}, {}

    def status_lines(self, now: float) -> list[str]:
        return []


class Rig:
    """A bridge, a show drawing headless, a device sender and a controller socket."""

    def __init__(self) -> None:
        self.service = BridgeService(port=0).start()
        self.controller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.controller.bind(("127.0.0.1", 0))
        self.controller.settimeout(0.02)
        self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.other.bind(("127.0.0.2", 0))
        self.registry = FeedbackRegistry(static=[self.controller.getsockname()])
        self.renderer = HeadlessRenderer((160, 90), internal_height=90)
        self.show = Show(
            StreamSource(self.service),
            NoPictures(),
            self.renderer.compositor,
            control=ControlIO(feedback=FeedbackSender(self.registry, self.service.replier)),
        )
        self.bridge = self.service.address
        self.seen: dict[str, object] = {}

    def send(self, data: bytes) -> None:
        self.controller.sendto(data, self.bridge)

    def send_from_another_host(self, data: bytes) -> None:
        """As a second surface would (127.0.0.2): the controller is then sent the value it
        did not set itself."""
        self.other.sendto(data, self.bridge)

    def frames(self, condition, timeout: float = 5.0) -> bool:
        """Run frames (and read feedback) until ``condition(seen)`` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.show.frame(time.monotonic(), self.renderer.compositor.render)
            try:
                while True:
                    message = decode_message(self.controller.recv(4096))
                    self.seen[message.address] = message.arguments()[0]
            except TimeoutError:
                pass
            if condition(self.seen):
                return True
        return False

    def close(self) -> None:
        self.renderer.close()
        self.service.stop()
        self.controller.close()
        self.other.close()


@pytest.fixture
def rig() -> Iterator[Rig]:
    r = Rig()
    for uuid, name, index in TRACKS:
        r.send(dm.hello(uuid, 1, 48000.0, 2))
        r.send(dm.meta(uuid, 1, name, 0x3366CC, index))
        r.send(dm.params(uuid, 1))
    yield r
    r.close()


def test_the_controller_is_told_the_layers_and_follows_every_change(rig: Rig) -> None:
    assert rig.frames(lambda s: s.get("/syn/layers/count") == 2)
    assert rig.frames(lambda s: s.get("/syn/layers/2/name") == "Bass")
    assert rig.seen["/syn/layers/1/name"] == "Kick" and rig.seen["/syn/select"] == 1
    # The HUD numbers the layers the same way feedback and /syn/layers/N do.
    scene = rig.renderer.compositor.scene.snapshot()
    lines = hud_lines(scene, fps=60.0, selected=rig.show.keyboard.selected_layer())
    assert lines[1].startswith("> 1") and "Kick" in lines[1]
    assert lines[2].startswith("  2") and "Bass" in lines[2]
    # Another surface's change by layer number, and a key press, come back as feedback.
    rig.send_from_another_host(encode_message("/syn/layers/2/opacity", [0.25]))
    assert rig.frames(lambda s: s.get("/syn/layers/2/opacity") == 0.25)
    rig.show.keyboard.handle("2")  # key 2: the same layer
    assert rig.frames(lambda s: s.get("/syn/select") == 2)
    assert rig.seen["/syn/selected/name"] == "Bass" and rig.seen["/syn/selected/opacity"] == 0.25
    rig.send(encode_message("/syn/selected/opacity", ["+", 0.5]))
    assert rig.frames(lambda s: s.get("/syn/selected/opacity") == 0.75)
    rig.send(encode_message("/syn/layer/0/mute", [1]))  # Live's track 0: layer 1
    assert rig.frames(lambda s: s.get("/syn/layers/1/mute") == 1)
    assert rig.service.replier.counters["feedback_errors"] == 0


def ingest_forwards(event: object) -> bool:
    """Whether the ingest thread hands ``event`` to the show (and fills in the sender)."""
    import queue

    from bridge.ingest.registry import TrackRegistry
    from bridge.ingest.transport import TransportClock

    ingest = Ingest(queue.SimpleQueue(), TrackRegistry(), TransportClock())
    ingest.apply(Arrival(0.0, event=event, sender="127.0.0.1"))  # type: ignore[arg-type]
    return bool(ingest.controls) and getattr(ingest.controls[0], "host", "x") != ""


def test_a_controller_registers_itself_and_steps_the_selection(rig: Rig) -> None:
    assert ingest_forwards(FeedbackRegister(9000)) and ingest_forwards(SelectLayer(1))
    rig.registry.controllers.clear()
    rig.seen.clear()
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:  # frames run, but no one is registered
        rig.frames(lambda s: True)
    assert rig.seen == {}, "feedback went to a controller that had not registered"
    rig.seen.clear()
    rig.send(encode_message("/syn/feedback/register", [rig.controller.getsockname()[1]]))
    assert rig.frames(lambda s: s.get("/syn/layers/count") == 2)
    rig.send(encode_message("/syn/select", ["+", 1]))
    assert rig.frames(lambda s: s.get("/syn/select") == 2)
    rig.send(encode_message("/syn/feedback/unregister", [rig.controller.getsockname()[1]]))
    assert rig.frames(lambda s: not rig.registry.controllers)


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_the_bridge_without_a_picture_serves_oscquery_and_feedback(tmp_path) -> None:
    """``synaesthete bridge --no-render --oscquery --feedback localhost:PORT``: the controls
    run on the bridge's tracks without a show (they used to be ignored silently)."""
    import json
    import threading
    import urllib.request

    from cli.main import main

    osc_port, http_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    controller = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    controller.bind(("127.0.0.1", 0))
    controller.settimeout(0.1)
    stats = tmp_path / "stats.json"
    argv = ["-q", "bridge", "--no-render", "--port", str(osc_port), "--duration", "3"]
    argv += ["--refresh", "0.2", "--oscquery", str(http_port), "--presets", str(tmp_path)]
    argv += ["--feedback", f"localhost:{controller.getsockname()[1]}"]  # a host name
    argv += ["--stats-json", str(stats)]
    codes: list[int] = []
    runner = threading.Thread(target=lambda: codes.append(main(argv)))
    runner.start()
    seen: dict[str, object] = {}

    def until(condition, timeout: float = 3.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = decode_message(controller.recv(4096))
                seen[message.address] = message.arguments()[0]
            except TimeoutError:
                pass
            if condition():
                return True
        return False

    def node(path: str) -> object:
        url = f"http://127.0.0.1:{http_port}{path}?VALUE"
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read())["VALUE"][0]

    try:
        uuid, name, index = TRACKS[1]
        device = [dm.hello(uuid, 1, 48000.0, 2), dm.meta(uuid, 1, name, 0x3366CC, index)]
        device.append(dm.params(uuid, 1))
        for _ in range(20):  # the bridge starts listening on its own thread: say it again
            for data in device:
                controller.sendto(data, ("127.0.0.1", osc_port))
            if until(lambda: seen.get("/syn/layers/1/name") == "Bass", timeout=0.5):
                break
        assert until(lambda: seen.get("/syn/layers/1/name") == "Bass"), seen
        assert node("/syn/layers/1/name") == "Bass"  # OSCQuery knows the layer too
        controller.sendto(encode_message("/syn/layers/1/opacity", [0.25]), ("127.0.0.1", osc_port))
        assert until(lambda: node("/syn/layers/1/opacity") == 0.25)
        controller.sendto(encode_message("/syn/selected/style", ["+", 1]), ("127.0.0.1", osc_port))
    finally:
        runner.join(timeout=15.0)
        controller.close()
    assert codes == [0]
    counters = json.loads(stats.read_text())["controls"]
    assert counters["not_steppable"] == 1  # the show's counters reach --stats-json


def test_a_controller_is_not_sent_back_the_value_it_just_set(rig) -> None:
    """A fader being dragged must not be pushed back to an older value: the ingest tags a
    control with its sender, and feedback stays quiet to that host for that value."""
    assert rig.frames(lambda s: s.get("/syn/layers/count") == 2)
    rig.send(encode_message("/syn/layers/2/opacity", [0.3]))

    def applied(_seen: Mapping) -> bool:
        key = rig.show.keyboard.layer_ids()[1]
        return abs(float(rig.show.looks.value(key, "opacity")) - 0.3) < 1e-6

    assert rig.frames(applied)
    time.sleep(0.3)
    rig.frames(applied, timeout=0.2)  # a few more frames, with feedback published
    assert abs(float(rig.seen.get("/syn/layers/2/opacity", 1.0)) - 0.3) > 0.01
    assert rig.registry.counters["feedback_quiet"] >= 1
