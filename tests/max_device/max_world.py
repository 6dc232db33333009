"""A small Max: the patch of every device instance, the real script, and Max's queues.

:class:`MaxWorld` runs the device script under node (``max_js_harness.js --interactive``,
one process for all instances, so they share one ``Global`` and one clock) and plays the
patcher file around it (:class:`~tests.max_device.patch_sim.PatchSimulator`): UI objects
output what they really output, ``deferlow`` appends to Max's one low-priority queue
(first in, first out), ``live.thisdevice`` bangs through the patch's ``trigger``, the
catch buffers a limited time of audio, and the elected device's ``udpreceive`` (made by
patcher scripting) hears the bridge. Nothing calls a script function directly: every
message reaches the script through the patch.
"""

from __future__ import annotations

import json
import subprocess
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from max_device.patcher import Patcher
from tests.max_device.js_runner import (
    DEVICE_SCRIPT,
    HARNESS,
    NODE,
    NODE_MISSING,
    counter_cell,
    default_lom,
)
from tests.max_device.patch_sim import Atom, PatchSimulator, SimulationError, js_atom

FRAME = 256
#: jit.catch~'s internal buffer (Cycling '74's reference: "the entire internal data
#: buffer (100 ms)"); audio older than this is lost when nobody polls.
CATCH_BUFFER_MS = 100
QMETRO_MS = 10
TICK_MS = 5


@dataclass
class Listener:
    """A udpreceive the script made: its port and where its outlet goes."""

    port: int
    target: str | None = None  # scripting name of the box it is connected to


class MaxWorld:
    """Every device instance of one Live set in one Max, driven step by step."""

    def __init__(
        self,
        patcher: Patcher,
        tmp_path: Path,
        *,
        instances: int = 1,
        lom: dict[str, Any] | None = None,
        seed: int = 1,
        sample_rate: float = 44100.0,
        script: Path = DEVICE_SCRIPT,
    ) -> None:
        if NODE is None:  # pragma: no cover - guarded by the fixture
            raise RuntimeError(NODE_MISSING)
        spec = tmp_path / f"world-{seed}-{instances}.json"
        spec.write_text(
            json.dumps(
                {"seed": seed, "instances": instances, "lom": lom or default_lom(), "steps": []}
            )
        )
        self._node = subprocess.Popen(
            [NODE, str(HARNESS), str(script), str(spec), "--interactive"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.sample_rate = sample_rate
        self.now = 0
        self.devices = [PatchSimulator(patcher, world=self, instance=k) for k in range(instances)]
        self.deferred: deque[tuple[PatchSimulator, Any, list[Atom]]] = deque()
        self.errors: list[str] = []
        self.posts: list[str] = []
        self.listeners: dict[tuple[int, str], Listener] = {}
        self.loudness = [0.0] * instances  # peak level of each track's audio
        self.running = [False] * instances  # audio reaches the device (not frozen)
        self.caught = [0] * instances  # stream samples produced since the audio started
        self.read = [0] * instances  # stream samples the catch has output or lost
        self.lost = [0] * instances  # stream samples the catch overwrote unread
        self.started_ms = [0] * instances
        self.deleted = [False] * instances
        self._matrices = 0
        self._next_level_ms = 0

    # ------------------------------------------------------------------ node

    def _step(self, step: dict[str, Any]) -> Any:
        assert self._node.stdin is not None and self._node.stdout is not None
        self._node.stdin.write(json.dumps(step) + "\n")
        self._node.stdin.flush()
        line = self._node.stdout.readline()
        if not line:
            raise AssertionError("the harness stopped:\n" + self._node.stderr.read())
        answer = json.loads(line)
        self.errors += answer["errors"]
        self.posts += answer["posts"]
        for record in answer["emitted"]:
            self._route(record)
        return answer["value"]

    def close(self) -> None:
        if self._node.poll() is None:
            self._node.stdin.close()
            self._node.wait(timeout=10)

    def eval(self, instance: int, expression: str) -> Any:
        return self._step({"eval": expression, "instance": instance})

    def _route(self, record: dict[str, Any]) -> None:
        device = self.devices[record["instance"]]
        if "script" in record:
            self._scripting(record["instance"], record["script"])
            return
        atoms = [js_atom(value, device.numbers) for value in record["atoms"]]
        device._send(device.js, record["outlet"], atoms, record.get("matrix"))

    def _scripting(self, instance: int, call: list[Any]) -> None:
        kind, name, *rest = call
        if kind == "newdefault":
            if rest[0] != "udpreceive":
                raise SimulationError(f"the script made {rest[0]!r}, which is not modelled")
            port = int(rest[1])
            taken = [k for (k, _), item in self.listeners.items() if item.port == port]
            if taken:
                raise SimulationError(f"two udpreceive on port {port} (instances {taken})")
            self.listeners[(instance, name)] = Listener(port)
        elif kind == "connect":
            source, _outlet, target, _inlet = name, *rest
            self.listeners[(instance, source)].target = target
        elif kind == "remove":
            del self.listeners[(instance, name)]

    def call_script(self, device: PatchSimulator, atoms: list[Atom]) -> None:
        """A message reached the js box: call the function Max would call."""
        head, *args = atoms
        if head.kind != "s":
            raise SimulationError(f"a number reached the script: {atoms}")
        self._step(
            {"call": head.value, "args": [a.python() for a in args], "instance": device.instance}
        )

    # ------------------------------------------------------------------ time

    def drain(self, limit: int = 200) -> None:
        """Run Max's low-priority queue until it is empty, first in first out.

        Raises:
            SimulationError: more than ``limit`` messages in a row: values going round
                between the script and the patch forever (issue #11's ping-pong).
        """
        handled = 0
        while self.deferred:
            handled += 1
            if handled > limit:
                last = [atom.value for atom in self.deferred[0][2]]
                raise SimulationError(f"deferlow never empties: still passing {last}")
            device, box, atoms = self.deferred.popleft()
            device._send(box, 0, atoms)

    def run(self, ms: int, *, stalled: bool = False) -> None:
        """Let ``ms`` pass. ``stalled``: Live's main thread is busy (saving, browsing), so
        nothing low-priority runs (no qmetro poll, no script, no deferlow); audio goes on."""
        if stalled:
            self.now += ms
            self._produce()
            return
        end = self.now + ms
        while self.now < end:
            step = min(TICK_MS, end - self.now)
            self.now += step
            self._step({"advance": step})
            self._produce()
            if self.now % QMETRO_MS == 0:
                for device in self.devices:
                    if device.qmetro_on and not self.deleted[device.instance]:
                        poller = device.patcher.only("qmetro")
                        device._send(poller, 0, [Atom("s", "bang")])
            if self.now >= self._next_level_ms:
                self._next_level_ms = self.now + 50  # peakamp~ 50
                for device in self.devices:
                    if not self.deleted[device.instance]:
                        level = (
                            self.loudness[device.instance] if self.running[device.instance] else 0.0
                        )
                        device.send_from("peakamp~", 0, [Atom("f", level)])
            self.drain()

    # ------------------------------------------------------------------ audio and the catch

    def play(self, instance: int, loudness: float = 0.5) -> None:
        """Audio reaches the device from now on (``loudness`` 0 is digital silence)."""
        if not self.running[instance]:
            self.running[instance] = True
            self.started_ms[instance] = self.now
            self.caught[instance] = self.read[instance] = 0
        self.loudness[instance] = loudness

    def freeze(self, instance: int) -> None:
        """A frozen track: Live no longer runs the device's audio."""
        self.running[instance] = False

    def _stream_rate(self, device: PatchSimulator) -> float:
        catch = device.patcher.only("jit.catch~")
        config = device.dsp.get(catch.id)
        decimation = int(config[1].value) if config else int(catch.attribute("downsample")[0])
        return self.sample_rate / decimation, decimation

    def _produce(self) -> None:
        for device in self.devices:
            k = device.instance
            if self.running[k]:
                rate, _ = self._stream_rate(device)
                self.caught[k] = int((self.now - self.started_ms[k]) * rate / 1000)

    def poll_catch(self, device: PatchSimulator, box: Any) -> None:
        """jit.catch~ @mode 1 banged: whole frames of what it holds, oldest first."""
        k = device.instance
        rate, decimation = self._stream_rate(device)
        capacity = int(rate * CATCH_BUFFER_MS / 1000)
        if self.caught[k] - self.read[k] > capacity:  # overwritten before anyone read it
            self.lost[k] += self.caught[k] - self.read[k] - capacity
            self.read[k] = self.caught[k] - capacity
        rows = (self.caught[k] - self.read[k]) // FRAME
        if rows == 0:
            return
        planes = int(box.args[0]) if box.args else 1  # jit.catch~ <channels>
        data: list[float] = []
        for index in range(self.read[k], self.read[k] + rows * FRAME):
            data.append(self.sample(k, index))
            if planes == 2:  # the patch feeds count~ into the second channel
                data.append(counter_cell(index, decimation))
        self.read[k] += rows * FRAME
        self._matrices += 1
        name = f"catch{k}_{self._matrices}"
        spec = {"name": name, "dim": [FRAME, rows], "planecount": planes, "data": data}
        self._step({"matrix": spec, "instance": k})
        device._send(box, 0, [Atom("s", "jit_matrix"), Atom("s", name)])

    def sample(self, instance: int, index: int) -> float:
        """Stream sample ``index`` of a track: a ramp, distinct and exact in float32."""
        return self.loudness[instance] * ((index % 512) - 256) / 256.0

    # ------------------------------------------------------------------ Live

    def load(
        self,
        instance: int,
        stored: dict[str, Any] | None = None,
        *,
        restore_first: bool = True,
    ) -> None:
        """Live loads the device: it restores the stored values and live.thisdevice bangs,
        in either order (both are seen); then the queue runs."""
        device = self.devices[instance]
        if restore_first:
            self._restore(device, stored or {})
            device.bang_from("live.thisdevice")
        else:
            device.bang_from("live.thisdevice")
            self._restore(device, stored or {})
        self.drain()

    def _restore(self, device: PatchSimulator, stored: dict[str, Any]) -> None:
        for longname, value in stored.items():
            device.live_restores(longname, value)

    def load_preset(self, instance: int, stored: dict[str, Any]) -> None:
        """A device preset: Live restores its values, then live.thisdevice bangs again."""
        self.load(instance, stored)

    def delete(self, instance: int) -> None:
        """The device is deleted: freebang, and its objects (and listener) are freed."""
        device = self.devices[instance]
        device.bang_from("freebang")
        self.deleted[instance] = True
        self.running[instance] = False
        for key in [key for key in self.listeners if key[0] == instance]:
            del self.listeners[key]
        self.drain()

    def bridge_replies(self, port: int, tracks: int = 1, proto: int = 2) -> bool:
        """The bridge sends ``/syn/status proto tracks`` to ``port``; True if heard."""
        for (instance, _), listener in self.listeners.items():
            if listener.port == port and listener.target is not None:
                device = self.devices[instance]
                target = next(
                    box
                    for box in device.patcher.boxes.values()
                    if box.raw.get("varname") == listener.target
                )
                atoms = [Atom("s", "/syn/status"), Atom("i", proto), Atom("i", tracks)]
                device._receive(target, 0, atoms, None)
                self.drain()
                return True
        return False

    def stored(self, instance: int, longname: str) -> list[Any]:
        return [atom.value for atom in self.devices[instance].stored.get(longname, [])]
