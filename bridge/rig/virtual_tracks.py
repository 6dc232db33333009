"""A sound card's channels as virtual devices: the protocol events a Max device would send.

Pure logic: given the channel groups and a block of captured audio, make the
:mod:`bridge.ingest.protocol` events (hello, meta, params, pcm, bye) of one virtual track
per group. The ingest then treats them exactly like a device's (sequence, ring, analysis).

Rates follow the device: the card's rate is divided by an integer ``decimation`` (a box
average of that many samples, as ``jit.catch~ @downsample`` does in the device) so each
track streams at 22.05–44.1 kHz whatever the card runs at; the analysis resamples from there.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

from bridge.ingest.protocol import PROTOCOL_VERSION, Bye, Hello, Meta, Params, Pcm
from bridge.ingest.sequence import SEQ_MODULUS
from bridge.rig.channels import group_label, short_device_name
from bridge.simulate.simulator import PALETTE, stable_uuid
from models.paths import DEFAULT_STYLE
from renderer.modes import DEFAULT_BLEND_MODE

#: The lowest stream rate decimation aims for (Live at 44.1 kHz ÷ 2, the device's default).
TARGET_STREAM_RATE = 22050.0


def decimation_for(sample_rate: float) -> int:
    """The largest integer divisor keeping the stream at or above 22.05 kHz (1 below it).

    48 kHz → 2 (24 kHz), 44.1 kHz → 2, 96 kHz → 4, 32 kHz → 1.

    Raises:
        ValueError: a rate that is not a positive finite number.
    """
    if not np.isfinite(sample_rate) or sample_rate <= 0:
        raise ValueError(f"sample rate must be a positive number, got {sample_rate}")
    return max(1, int(sample_rate // TARGET_STREAM_RATE))


def decimate(block: np.ndarray, factor: int) -> np.ndarray:
    """Average each run of ``factor`` frames: (frames, channels) → (frames/factor, channels).

    Raises:
        ValueError: ``frames`` is not a multiple of ``factor``.
    """
    if factor == 1:
        return block
    frames, channels = block.shape
    if frames % factor:
        raise ValueError(f"{frames} frames do not divide by the decimation {factor}")
    return block.reshape(frames // factor, factor, channels).mean(axis=1, dtype=np.float32)


@dataclass(frozen=True)
class VirtualTrack:
    """One group of channels as a device: its identity and what it is called."""

    uuid: str
    nonce: int
    name: str
    color: int
    track_index: int
    channels: tuple[int, ...]


class VirtualTracks:
    """The virtual tracks of one capture device and the events that describe them.

    Args:
        device_name: the device's name as PortAudio gives it (part of each track's name
            and of its uuid, so a track keeps its uuid across runs, as a device does).
        groups: 0-based channel indices per track (:meth:`InputSpec.resolve`).
        sample_rate: the card's rate in Hz.
        decimation: rate divisor (default :func:`decimation_for`).
        style: the style each track asks for (the bridge's ``--style``).
        first_index: track index of the first group (after any other input's tracks).
        nonce: the streams' nonce (default random, as a device picks one per load).
    """

    def __init__(
        self,
        device_name: str,
        groups: tuple[tuple[int, ...], ...],
        sample_rate: float,
        *,
        decimation: int | None = None,
        style: str = DEFAULT_STYLE,
        first_index: int = 0,
        nonce: int | None = None,
    ) -> None:
        if not groups:
            raise ValueError("at least one channel group is needed")
        self.sample_rate = float(sample_rate)
        self.decimation = decimation or decimation_for(sample_rate)
        self.style = style
        nonce = nonce if nonce is not None else 1 + secrets.randbelow(2**31 - 2)
        short = short_device_name(device_name)
        self.tracks = tuple(
            VirtualTrack(
                uuid=stable_uuid(f"sound-card:{device_name}:{group_label(group)}"),
                nonce=nonce,
                name=f"{short} {group_label(group)}",
                color=PALETTE[(first_index + i) % len(PALETTE)],
                track_index=first_index + i,
                channels=group,
            )
            for i, group in enumerate(groups)
        )
        # A fancy index per track picks its channels out of a block in one numpy call.
        self._pick = [np.asarray(t.channels) for t in self.tracks]

    @property
    def stream_rate(self) -> float:
        """Each track's rate in Hz after decimation."""
        return self.sample_rate / self.decimation

    def announce(self) -> list[Hello | Meta | Params]:
        """Hello, meta and params for every track (sent at start and every second, as the
        device does, so a track the registry dropped after a long silence comes back)."""
        events: list[Hello | Meta | Params] = []
        for t in self.tracks:
            events.append(
                Hello(t.uuid, t.nonce, PROTOCOL_VERSION, self.sample_rate, self.decimation)
            )
            events.append(Meta(t.uuid, t.nonce, t.name, t.color, t.track_index))
            events.append(Params(t.uuid, t.nonce, 1.0, DEFAULT_BLEND_MODE, self.style, 1.0, True))
        return events

    def pcm(self, number: int, block: np.ndarray) -> list[Pcm]:
        """One pcm event per track from block ``number`` of (frames, channels) capture.

        A group's channels are averaged to one (mono) signal, then decimated.
        """
        reduced = decimate(np.asarray(block, np.float32), self.decimation)
        seq = number % SEQ_MODULUS
        events = []
        for track, pick in zip(self.tracks, self._pick, strict=True):
            if pick.size == 1:
                samples = np.ascontiguousarray(reduced[:, pick[0]])
            else:
                samples = reduced[:, pick].mean(axis=1, dtype=np.float32)
            events.append(Pcm(track.uuid, track.nonce, seq, samples))
        return events

    def bye(self) -> list[Bye]:
        """A bye per track: the tracks leave the show at once instead of timing out."""
        return [Bye(t.uuid, t.nonce) for t in self.tracks]
