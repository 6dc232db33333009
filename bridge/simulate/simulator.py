"""Virtual Max for Live devices: stream audio into a bridge over real UDP, in real time.

The simulator sends exactly the device's messages (see :mod:`bridge.simulate.device_messages`):
hello + meta + params at start and every second, pcm lists of 512 floats at the
device's decimated rate, transport about 30 times a second, and bye at the end. It is the
device's test double and a tool for anyone without Live.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bridge.ingest.protocol import DEFAULT_HOST, DEFAULT_PORT, DEVICE_FRAME, MAX_PCM_SAMPLES
from bridge.simulate import device_messages as dm
from models.audio_io import read_audio
from models.paths import DEFAULT_STYLE
from models.resample import resample

log = logging.getLogger(__name__)

#: Distinct track colours (0xRRGGBB) in the spirit of Live's palette.
PALETTE = (
    0xFF6B5B,
    0xFFB340,
    0xF5E663,
    0x8BE05C,
    0x3FD6A8,
    0x45C4F0,
    0x6E8BFF,
    0xB07CFF,
    0xF277C6,
    0xE0E0E0,
    0xC08A5B,
    0x9ACD32,
    0x20B2AA,
    0xFF8C69,
    0x7B68EE,
    0xDB7093,
)
HELLO_INTERVAL = 1.0
TRANSPORT_INTERVAL = 1.0 / 30.0


def stable_uuid(label: str) -> str:
    """A uuid that stays the same for the same label, as a device's stored uuid does."""
    return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"synaesthete-sim:{label}"))


@dataclass
class VirtualDevice:
    """One simulated device on one track."""

    name: str
    audio: np.ndarray  # mono float32 at the stream rate
    color: int
    track_index: int
    uuid: str
    nonce: int
    blend: str = "screen"
    style: str = DEFAULT_STYLE
    opacity: float = 1.0
    gain: float = 1.0
    seq: int = 0
    position: int = 0
    finished: bool = False

    def next_block(self, size: int, loop: bool) -> np.ndarray | None:
        """The next ``size`` samples, or None when the audio has ended."""
        if self.position >= self.audio.size:
            if not loop or self.audio.size == 0:
                return None
            self.position = 0
        block = self.audio[self.position : self.position + size]
        self.position += block.size
        return block


@dataclass
class SimulatorStats:
    messages: int = 0
    pcm_messages: int = 0
    samples: int = 0
    late_blocks: int = 0  # blocks sent more than one period behind schedule
    seconds: float = 0.0
    send_errors: int = 0
    per_device: dict[str, int] = field(default_factory=dict)


#: Peak below which a block counts as silent for the silence gate (about −80 dBFS).
GATE_SILENT_PEAK = 1e-4
#: Silent blocks a gated device sends first when it sounds again (the device's last
#: silent messages, already in flight when its gate closed).
GATE_REPLAY_BLOCKS = 3


class Simulator:
    """Streams :class:`VirtualDevice` audio to a bridge, paced by the wall clock.

    ``silence_gate`` (seconds) imitates the Max device: a track silent that long sends no
    ``pcm`` until it sounds again, and then sends its last :data:`GATE_REPLAY_BLOCKS`
    silent blocks first (docs/max_device.md: "nothing while the track has been silent for
    1.5 s"). None, the default, sends every block.
    """

    def __init__(
        self,
        devices: list[VirtualDevice],
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        sample_rate: float = 44100.0,
        decimation: int = 2,
        block: int = DEVICE_FRAME,
        tempo: float = 120.0,
        loop: bool = False,
        seconds: float | None = None,
        silence_gate: float | None = None,
    ) -> None:
        if not 1 <= block <= MAX_PCM_SAMPLES:
            raise ValueError(f"block must be 1-{MAX_PCM_SAMPLES} samples, got {block}")
        if not devices:
            raise ValueError("nothing to simulate: give at least one audio file or source")
        self.devices = devices
        self.target = (host, port)
        self.sample_rate = float(sample_rate)
        self.decimation = int(decimation)
        self.stream_rate = self.sample_rate / self.decimation
        self.block = block
        self.tempo = tempo
        self.loop = loop
        self.seconds = seconds
        self.silence_gate = silence_gate
        self._quiet: dict[str, int] = {}  # samples of silence so far, per device
        self._held: dict[str, list[np.ndarray]] = {}  # gated silent blocks, per device
        self.stats = SimulatorStats()
        #: ``time.monotonic()`` when :meth:`run` sent its first block (None before).
        self.started: float | None = None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def close(self) -> None:
        self._sock.close()

    def _send(self, data: bytes) -> None:
        try:
            self._sock.sendto(data, self.target)
            self.stats.messages += 1
        except OSError:
            self.stats.send_errors += 1  # nobody listening is fine; the device is silent too

    def announce(self, device: VirtualDevice) -> None:
        """hello + meta + params, as the device sends at load and every second."""
        self._send(dm.hello(device.uuid, device.nonce, self.sample_rate, self.decimation))
        self._send(
            dm.meta(device.uuid, device.nonce, device.name, device.color, device.track_index)
        )
        self._send(
            dm.params(
                device.uuid,
                device.nonce,
                opacity=device.opacity,
                blend=device.blend,
                style=device.style,
                gain=device.gain,
            )
        )

    def say_bye(self) -> None:
        for device in self.devices:
            if not device.finished:
                self._send(dm.bye(device.uuid, device.nonce))
                device.finished = True

    def run(self, stop: threading.Event | None = None) -> SimulatorStats:
        """Stream until every device's audio ends (or ``seconds`` pass, or ``stop``)."""
        stop = stop or threading.Event()
        period = self.block / self.stream_rate
        start = time.perf_counter()
        self.started = time.monotonic()
        next_hello = start
        next_transport = start
        blocks_sent = 0
        try:
            while not stop.is_set():
                now = time.perf_counter()
                elapsed = now - start
                if self.seconds is not None and elapsed >= self.seconds:
                    break
                if now >= next_hello:
                    for device in self.devices:
                        if not device.finished:
                            self.announce(device)
                    next_hello += HELLO_INTERVAL
                if now >= next_transport:
                    beat = elapsed * self.tempo / 60.0
                    self._send(dm.transport(self.tempo, True, beat, 4, 4))
                    next_transport += TRANSPORT_INTERVAL
                block_due = start + blocks_sent * period
                if now >= block_due:
                    if now - block_due > period:
                        self.stats.late_blocks += 1
                    if not self._send_blocks():
                        break
                    blocks_sent += 1
                wake = min(next_hello, next_transport, start + blocks_sent * period)
                delay = wake - time.perf_counter()
                if delay > 0:
                    stop.wait(delay)
        finally:
            self.say_bye()
            self.stats.seconds = time.perf_counter() - start
        return self.stats

    def _send_blocks(self) -> bool:
        """Send every device's next block; False once all devices have finished."""
        active = 0
        for device in self.devices:
            if device.finished:
                continue
            block = device.next_block(self.block, self.loop)
            if block is None:
                self._send(dm.bye(device.uuid, device.nonce))
                device.finished = True
                continue
            active += 1
            for sent in self._gated(device.name, block):
                self._send(dm.pcm(device.uuid, device.nonce, device.seq, sent))
                device.seq = (device.seq + 1) % 2**31
                self.stats.pcm_messages += 1
                self.stats.samples += sent.size
                self.stats.per_device[device.name] = self.stats.per_device.get(device.name, 0) + 1
        return active > 0

    def _gated(self, name: str, block: np.ndarray) -> list[np.ndarray]:
        """The blocks to send now for ``block`` under the silence gate (see the class)."""
        if self.silence_gate is None:
            return [block]
        silent = block.size == 0 or float(np.abs(block).max()) < GATE_SILENT_PEAK
        quiet = self._quiet.get(name, 0) + block.size if silent else 0
        self._quiet[name] = quiet
        held = self._held.setdefault(name, [])
        if quiet > self.silence_gate * self.stream_rate:
            held[:] = [*held[-(GATE_REPLAY_BLOCKS - 1) :], block]
            return []
        out = [*held, block]
        held.clear()
        return out


def devices_from_arrays(
    sources: list[tuple[str, np.ndarray, float]],
    *,
    stream_rate: float,
    seed: int | None = None,
    first_index: int = 0,
) -> list[VirtualDevice]:
    """Make one device per ``(name, mono audio, its rate)``; audio resampled to the stream.

    Uuids are stable per name (a device keeps its uuid across reloads); nonces and the
    first sequence numbers are random per run (or fixed by ``seed``).
    """
    rng = random.Random(seed)
    devices = []
    for i, (name, audio, rate) in enumerate(sources):
        devices.append(
            VirtualDevice(
                name=name,
                audio=resample(audio, rate, stream_rate),
                color=PALETTE[(first_index + i) % len(PALETTE)],
                track_index=first_index + i,
                uuid=stable_uuid(f"{i}:{name}"),
                nonce=rng.randint(1, 2**31 - 1),
                seq=rng.randint(0, 2**31 - 1),
            )
        )
    return devices


def devices_from_files(
    paths: list[str | Path], *, stream_rate: float, seed: int | None = None
) -> list[VirtualDevice]:
    """One device per audio file, named after the file (raises AudioFileError)."""
    sources = []
    for path in paths:
        audio, rate = read_audio(path)
        sources.append((Path(path).stem, audio, float(rate)))
    return devices_from_arrays(sources, stream_rate=stream_rate, seed=seed)


def synthetic_sources(count: int, seconds: float, rate: float = 22050.0):
    """``count`` deterministic test voices: tones at distinct pitches, pulsing at
    different rates, with a little noise (for benchmarks and quick checks)."""
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(1234)
    sources = []
    for i in range(count):
        pitch = 55.0 * 2 ** (i * 5 / 12 % 5)
        pulse = 0.5 + 0.5 * np.sin(2 * np.pi * (0.5 + 0.25 * i) * t) ** 2
        tone = np.sin(2 * np.pi * pitch * t) * 0.4 * pulse
        tone += 0.02 * rng.standard_normal(t.size)
        sources.append((f"voice{i + 1:02d}", tone.astype(np.float32), rate))
    return sources
