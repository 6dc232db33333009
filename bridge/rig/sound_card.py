"""Capture a sound card (PortAudio through ``sounddevice``) into the bridge's ingest.

Three threads touch a capture:

- PortAudio's callback thread calls :meth:`SoundCardInput._callback` once per block; it
  only copies the block into the :class:`~bridge.rig.handoff.BlockHandoff` (never waits);
- the ``sound-card`` pump thread takes blocks in order, turns each into one pcm event per
  virtual track (:class:`~bridge.rig.virtual_tracks.VirtualTracks`) and queues them for the
  ingest as the UDP receiver queues a device's, re-announcing the tracks every second;
- the ingest thread applies them (sequence, ring) like any device's.

Bars and tempo: a sound card brings no transport; the show runs without one (or with Link,
:mod:`bridge.rig.link`), and a tempo tracker can feed the same clock later.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from bridge.ingest.protocol import DEVICE_FRAME
from bridge.ingest.receiver import QUEUE_LIMIT, Arrival
from bridge.rig.channels import InputSpec
from bridge.rig.handoff import BlockHandoff
from bridge.rig.virtual_tracks import VirtualTracks, decimation_for
from models.paths import DEFAULT_STYLE

log = logging.getLogger(__name__)

#: Seconds of audio the hand-off holds before the callback must drop blocks.
HANDOFF_SECONDS = 0.5
#: How often the tracks are announced again (the device says hello every second).
ANNOUNCE_INTERVAL = 1.0


class SoundCardError(RuntimeError):
    """PortAudio is missing, or the device cannot be found or opened; says what to do."""


@dataclass(frozen=True)
class InputDevice:
    """One capture device as PortAudio lists it."""

    index: int
    name: str
    host_api: str
    channels: int
    default_rate: float
    is_default: bool = False


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as exc:  # the module loads, the PortAudio library does not
        raise SoundCardError(
            f"PortAudio is not available ({exc}); install it (Debian/Ubuntu: apt install "
            f"libportaudio2; macOS and Windows wheels bundle it)"
        ) from exc
    return sounddevice


def list_inputs() -> list[InputDevice]:
    """Every device with input channels, in PortAudio's order.

    Raises:
        SoundCardError: PortAudio cannot be loaded.
    """
    sd = _sounddevice()
    apis = sd.query_hostapis()
    try:
        default_in = int(sd.default.device[0])
    except (TypeError, ValueError):
        default_in = -1
    devices = []
    for info in sd.query_devices():
        if int(info["max_input_channels"]) < 1:
            continue
        devices.append(
            InputDevice(
                index=int(info["index"]),
                name=str(info["name"]),
                host_api=str(apis[int(info["hostapi"])]["name"]),
                channels=int(info["max_input_channels"]),
                default_rate=float(info["default_samplerate"]),
                is_default=int(info["index"]) == default_in,
            )
        )
    return devices


def rescan() -> None:
    """Restart PortAudio so it lists the devices (and host APIs, e.g. a JACK server) that
    appeared since it started; no stream may be open. sounddevice starts PortAudio once at
    import and offers only these two private calls to restart it."""
    sd = _sounddevice()
    sd._terminate()
    sd._initialize()


def host_api_names() -> list[str]:
    """The PortAudio host APIs compiled in and running (e.g. ALSA, JACK)."""
    return [str(api["name"]) for api in _sounddevice().query_hostapis()]


def find_input(device: str, devices: list[InputDevice]) -> InputDevice:
    """The device ``--input`` means: an index, ``default``, or a unique piece of a name.

    Raises:
        SoundCardError: no such device, or a name piece matching several (listed).
    """
    if not devices:
        raise SoundCardError(
            "no input devices found (PortAudio host APIs: "
            f"{', '.join(host_api_names()) or 'none'}); run `synaesthete devices`"
        )
    if device.lower() == "default":
        for d in devices:
            if d.is_default:
                return d
        return devices[0]
    if device.isdigit():
        for d in devices:
            if d.index == int(device):
                return d
        raise SoundCardError(f"no input device with index {device}; run `synaesthete devices`")
    exact = [d for d in devices if d.name.lower() == device.lower()]
    matches = exact or [d for d in devices if device.lower() in d.name.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise SoundCardError(f"no input device named like {device!r}; run `synaesthete devices`")
    names = "; ".join(f"{d.index}: {d.name} ({d.host_api})" for d in matches)
    raise SoundCardError(f"{device!r} matches several input devices, give the index: {names}")


class SoundCardInput:
    """One capture device feeding the bridge's ingest queue as virtual tracks.

    Args:
        spec: the parsed ``--input``.
        out: the ingest's arrival queue (``BridgeService.queue``).
        style: the style each track asks for.
        sample_rate: capture rate in Hz (default: the device's default rate).
        first_index: track index of the first virtual track.
        devices: the device list to resolve ``spec`` against (default :func:`list_inputs`).

    Raises:
        SoundCardError: PortAudio missing, no such device.
        InputSpecError: channels the device does not have.
    """

    def __init__(
        self,
        spec: InputSpec,
        out: queue.SimpleQueue[Arrival],
        *,
        style: str = DEFAULT_STYLE,
        sample_rate: float | None = None,
        first_index: int = 0,
        devices: list[InputDevice] | None = None,
    ) -> None:
        self.device = find_input(spec.device, list_inputs() if devices is None else devices)
        groups = spec.resolve(self.device.channels)
        self.channels = max(c for group in groups for c in group) + 1
        rate = float(sample_rate or self.device.default_rate)
        decimation = decimation_for(rate)
        self.tracks = VirtualTracks(
            self.device.name,
            groups,
            rate,
            decimation=decimation,
            style=style,
            first_index=first_index,
        )
        #: Frames per block: one device frame (256 samples) per track after decimation.
        self.blocksize = DEVICE_FRAME * decimation
        slots = max(4, round(HANDOFF_SECONDS * rate / self.blocksize))
        self.handoff = BlockHandoff(slots, self.blocksize, self.channels)
        self.out = out
        self.counters: Counter[str] = Counter()
        self._stream: Any = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="sound-card", daemon=True)
        self._last_announce = -1.0

    @property
    def sample_rate(self) -> float:
        return self.tracks.sample_rate

    def start(self) -> SoundCardInput:
        """Open the device and start capturing.

        Raises:
            SoundCardError: PortAudio could not open the device as asked.
        """
        sd = _sounddevice()
        try:
            self._stream = sd.InputStream(
                device=self.device.index,
                channels=self.channels,
                samplerate=self.sample_rate,
                blocksize=self.blocksize,
                dtype="float32",
                callback=self._callback,
            )
            self._stream.start()
        except sd.PortAudioError as exc:
            self._stream = None
            raise SoundCardError(
                f"could not capture {self.channels} channel(s) at {self.sample_rate:g} Hz "
                f"from {self.device.name!r} ({self.device.host_api}): {exc}"
            ) from exc
        self._announce(time.monotonic())
        self._thread.start()
        names = ", ".join(t.name for t in self.tracks.tracks)
        log.info(
            "capturing %s (%s) at %g Hz, %d-sample blocks: %s",
            self.device.name,
            self.device.host_api,
            self.sample_rate,
            self.blocksize,
            names,
        )
        return self

    def stop(self) -> None:
        """Stop capturing, let the tracks say bye, and close the device."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception as exc:  # closing must not mask why we are stopping
                log.warning("closing %s: %s", self.device.name, exc)
            self._stream = None
            self._queue_events(self.tracks.bye(), time.monotonic())

    def __enter__(self) -> SoundCardInput:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def status(self) -> dict[str, int]:
        """Counters: blocks captured, dropped by the hand-off, PortAudio overflows, …"""
        return {
            "blocks": self.handoff.offered,
            "handoff_dropped": self.handoff.dropped,
            "misshapen": self.handoff.misshapen,
            **self.counters,
        }

    # -- PortAudio's real-time thread: copy and return ------------------------------------
    def _callback(self, indata: np.ndarray, frames: int, _time: Any, status: Any) -> None:
        if status:
            if status.input_overflow:
                self.counters["input_overflow"] += 1
            if status.input_underflow:
                self.counters["input_underflow"] += 1
        self.handoff.put(indata)

    # -- the pump thread -------------------------------------------------------------------
    def _pump(self) -> None:
        period = self.blocksize / self.sample_rate
        while not self._stop.is_set():
            taken = self.handoff.take()
            now = time.monotonic()
            if now - self._last_announce >= ANNOUNCE_INTERVAL:
                self._announce(now)
            if taken is None:
                time.sleep(period / 4)
                continue
            number, block = taken
            try:
                events = self.tracks.pcm(number, block)
            except Exception:  # a bug here must not end the capture: count and go on
                self.counters["internal_error"] += 1
                log.exception("could not turn block %d into pcm", number)
                continue
            self._queue_events(events, now)

    def _announce(self, now: float) -> None:
        self._last_announce = now
        self._queue_events(self.tracks.announce(), now)

    def _queue_events(self, events: list, now: float) -> None:
        for event in events:
            if self.out.qsize() >= QUEUE_LIMIT:
                self.counters["overrun"] += 1  # the ingest is behind: the gap shows as lost
                continue
            self.out.put(Arrival(now, event=event, sender="sound-card"))
