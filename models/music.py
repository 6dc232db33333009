"""Procedural clips that vary the way music does: the ``music`` training source.

:mod:`models.synth` draws a handful of synth families over 33 dB. This module adds what a
track at a show sounds like — plucks, pads, bells, noise hits, kick/snare/hat drums,
distorted bass, formant voices and chords — each with its own attack (1 ms plucks to
0.8 s pads), spectrum (pure to noise) and pitch, at peak levels spread over
:data:`LEVEL_RANGE_DB` (45 dB). Every clip is a deterministic function of ``(seed, index)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

#: The sound families, in the order the sampler cycles through them.
KINDS: tuple[str, ...] = (
    "pluck",
    "pad",
    "bell",
    "noise_hit",
    "kick",
    "snare",
    "hat",
    "dist_bass",
    "voice",
    "chord",
)

#: Clip length in seconds (two 0.74 s windows and some).
CLIP_SECONDS = 1.6

#: Peak levels are drawn uniformly from this range, dBFS.
LEVEL_RANGE_DB = (-48.0, -3.0)

#: Formant centres (F1, F2, F3, Hz) of five vowels (Peterson & Barney 1952, male averages).
VOWELS: dict[str, tuple[float, float, float]] = {
    "a": (730.0, 1090.0, 2440.0),
    "e": (530.0, 1840.0, 2480.0),
    "i": (270.0, 2290.0, 3010.0),
    "o": (570.0, 840.0, 2410.0),
    "u": (300.0, 870.0, 2240.0),
}

#: Partial ratios of a struck bar/bell (free-free beam modes, relative to the first).
BELL_PARTIALS = (1.0, 2.756, 5.404, 8.933, 13.344)


@dataclass(frozen=True)
class MusicParams:
    """What one clip was rendered from.

    Attributes:
        index: position in its set.
        kind: one of :data:`KINDS`.
        freq: fundamental (or lowest note) in Hz; the noise colour's centre for noise hits.
        gain_db: peak level, dBFS.
        attack: seconds from onset to full level.
        decay: seconds to fall by 60 dB after the hold.
        hold: seconds held at full level.
        onset: seconds into the clip where the sound starts.
        brightness: 0..1, how much high-frequency content (harmonic roll-off, filter).
        drive: distortion drive (1 = clean).
        variant: a kind-specific choice (vowel, chord shape, ...), an integer.
    """

    index: int
    kind: str
    freq: float
    gain_db: float
    attack: float
    decay: float
    hold: float
    onset: float
    brightness: float
    drive: float
    variant: int

    def to_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def music_params(index: int, *, seed: int = 0) -> MusicParams:
    """The parameters of clip ``index`` of ``seed``; kinds cycle so every set is mixed."""
    rng = np.random.default_rng([seed, index, 0x30C])
    kind = KINDS[index % len(KINDS)]

    def log_uniform(lo: float, hi: float) -> float:
        return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))

    freq = {
        "pluck": log_uniform(82, 1320),
        "pad": log_uniform(65, 660),
        "bell": log_uniform(220, 1760),
        "noise_hit": log_uniform(300, 8000),
        "kick": log_uniform(40, 70),
        "snare": log_uniform(150, 260),
        "hat": log_uniform(5000, 10000),
        "dist_bass": log_uniform(35, 130),
        "voice": log_uniform(90, 440),
        "chord": log_uniform(110, 520),
    }[kind]
    attack = {
        "pluck": log_uniform(0.001, 0.008),
        "pad": log_uniform(0.12, 0.8),
        "bell": log_uniform(0.001, 0.004),
        "noise_hit": log_uniform(0.001, 0.05),
        "kick": 0.002,
        "snare": 0.001,
        "hat": 0.001,
        "dist_bass": log_uniform(0.003, 0.06),
        "voice": log_uniform(0.02, 0.25),
        "chord": log_uniform(0.002, 0.5),
    }[kind]
    decay = {
        "pluck": log_uniform(0.3, 1.5),
        "pad": log_uniform(0.4, 1.5),
        "bell": log_uniform(0.8, 3.0),
        "noise_hit": log_uniform(0.05, 0.8),
        "kick": log_uniform(0.2, 0.6),
        "snare": log_uniform(0.1, 0.35),
        "hat": log_uniform(0.03, 0.25),
        "dist_bass": log_uniform(0.2, 1.0),
        "voice": log_uniform(0.15, 0.6),
        "chord": log_uniform(0.3, 1.5),
    }[kind]
    sustained = kind in ("pad", "dist_bass", "voice") or (kind == "chord" and attack > 0.05)
    return MusicParams(
        index=index,
        kind=kind,
        freq=freq,
        gain_db=float(rng.uniform(*LEVEL_RANGE_DB)),
        attack=attack,
        decay=decay,
        hold=float(rng.uniform(0.2, 1.0)) if sustained else 0.0,
        onset=float(rng.uniform(0.0, 0.5)),
        brightness=float(rng.uniform(0.0, 1.0)),
        drive=log_uniform(2.0, 30.0) if kind == "dist_bass" else 1.0,
        variant=int(rng.integers(0, 5)),
    )


def _envelope(p: MusicParams, t: np.ndarray) -> np.ndarray:
    """Linear attack, hold, then an exponential fall of 60 dB over ``decay`` seconds."""
    local = t - p.onset
    rise = np.clip(local / max(p.attack, 1e-4), 0.0, 1.0)
    after = np.maximum(local - p.attack - p.hold, 0.0)
    return np.where(local < 0.0, 0.0, rise * 10.0 ** (-3.0 * after / p.decay))


def _harmonics(freq: float, local: np.ndarray, amps: np.ndarray, nyquist: float) -> np.ndarray:
    """Sum of harmonics ``k·freq`` (k = 1..len(amps)) below ``nyquist`` with amplitudes ``amps``."""
    k = np.arange(1, len(amps) + 1)
    keep = k * freq < nyquist * 0.9
    if not keep.any():
        return np.zeros_like(local)
    phases = 2.0 * np.pi * freq * np.outer(local, k[keep])
    return np.sin(phases) @ amps[keep]


def _coloured_noise(
    rng: np.random.Generator, n: int, centre: float, width: float, rate: int
) -> np.ndarray:
    """White noise shaped in the frequency domain by a Gaussian bump on a log-frequency axis
    (``width`` in octaves) around ``centre`` Hz."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    octaves = np.log2(np.maximum(freqs, 1.0) / centre)
    spectrum *= np.exp(-0.5 * (octaves / width) ** 2)
    return np.fft.irfft(spectrum, n)


def _lowpass(x: np.ndarray, cutoff: float, rate: int) -> np.ndarray:
    """A gentle (second-order-like) low-pass applied in the frequency domain."""
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    spectrum /= 1.0 + (freqs / cutoff) ** 2
    return np.fft.irfft(spectrum, len(x))


def _tone(p: MusicParams, freq: float, local: np.ndarray, rate: int) -> np.ndarray:
    """A harmonic tone whose roll-off follows ``brightness`` (1/k² dull … 1/k bright)."""
    n_harm = 40
    k = np.arange(1, n_harm + 1)
    amps = 1.0 / k ** (2.0 - p.brightness)
    return _harmonics(freq, local, amps, rate / 2)


def render_music_clip(p: MusicParams, *, sample_rate: int = 22050, seed: int = 0) -> np.ndarray:
    """Render one clip, float32 mono at ``sample_rate``, peak level ``p.gain_db`` dBFS."""
    rng = np.random.default_rng([seed, p.index, 0x30D])
    n = round(CLIP_SECONDS * sample_rate)
    t = np.arange(n) / sample_rate
    local = np.maximum(t - p.onset, 0.0)
    env = _envelope(p, t)
    nyquist = sample_rate / 2
    if p.kind == "pluck":
        k = np.arange(1, 25)
        keep = k * p.freq < nyquist * 0.9
        fade = np.exp(-np.outer(local, k[keep]) * (2.0 + 6.0 * (1 - p.brightness)) / p.decay)
        parts = np.sin(2.0 * np.pi * p.freq * np.outer(local, k[keep])) / k[keep] * fade
        tone = parts.sum(axis=1)
    elif p.kind == "pad":
        detune = (1.0, 1.006, 0.994)
        tone = sum(_tone(p, p.freq * d, local, sample_rate) for d in detune)
        tone = _lowpass(tone, p.freq * (2.0 + 10.0 * p.brightness), sample_rate)
    elif p.kind == "bell":
        tone = np.zeros(n)
        for j, ratio in enumerate(BELL_PARTIALS):
            f = p.freq * ratio
            if f < nyquist * 0.9:
                tone += (
                    np.sin(2.0 * np.pi * f * local)
                    * np.exp(-local * (1.0 + j) / p.decay)
                    / (1.0 + j)
                )
    elif p.kind == "noise_hit":
        tone = _coloured_noise(rng, n, p.freq, 0.3 + 1.5 * p.brightness, sample_rate)
    elif p.kind == "kick":
        sweep = p.freq * (1.0 + 3.0 * np.exp(-local / 0.03))
        tone = np.sin(2.0 * np.pi * np.cumsum(sweep) / sample_rate)
        tone += 0.3 * _coloured_noise(rng, n, 3000.0, 1.0, sample_rate) * np.exp(-local / 0.005)
    elif p.kind == "snare":
        body = np.sin(2.0 * np.pi * p.freq * local) * np.exp(-local / 0.05)
        tone = body + _coloured_noise(rng, n, 4000.0, 1.2, sample_rate) * 3.0
    elif p.kind == "hat":
        tone = _coloured_noise(rng, n, p.freq, 0.5, sample_rate)
    elif p.kind == "dist_bass":
        phase = 2.0 * np.pi * p.freq * local
        saw = 2.0 * ((phase / (2.0 * np.pi)) % 1.0) - 1.0
        tone = np.tanh(p.drive * _lowpass(saw, p.freq * 8.0, sample_rate))
    elif p.kind == "voice":
        f1, f2, f3 = list(VOWELS.values())[p.variant % len(VOWELS)]
        vibrato = 1.0 + 0.008 * np.sin(2.0 * np.pi * 5.5 * local)
        f0 = p.freq * vibrato
        k = np.arange(1, 60)
        keep = k * p.freq < nyquist * 0.9
        amps = np.zeros(int(keep.sum()))
        for centre, bw in ((f1, 80.0), (f2, 100.0), (f3, 150.0)):
            amps += 1.0 / (1.0 + ((k[keep] * p.freq - centre) / bw) ** 2)
        amps /= k[keep] ** 0.5
        phase = 2.0 * np.pi * np.cumsum(f0) / sample_rate
        tone = np.sin(np.outer(phase, k[keep])) @ amps
        tone += 0.02 * p.brightness * rng.standard_normal(n)  # breath
    elif p.kind == "chord":
        shapes = ((0, 4, 7), (0, 3, 7), (0, 4, 7, 11), (0, 3, 7, 10), (0, 5, 7))
        tone = sum(
            _tone(p, p.freq * 2.0 ** (s / 12.0), local, sample_rate)
            for s in shapes[p.variant % len(shapes)]
        )
    else:
        raise ValueError(f"unknown kind {p.kind!r}; expected one of {KINDS}")
    signal = tone * env
    peak = float(np.max(np.abs(signal)))
    if peak > 0.0:
        signal = signal / peak * 10.0 ** (p.gain_db / 20.0)
    return signal.astype(np.float32)


def music_set(
    count: int, *, seed: int = 0, start: int = 0, sample_rate: int = 22050
) -> list[tuple[np.ndarray, dict[str, object]]]:
    """Clips ``start .. start+count-1`` with their parameters as dicts."""
    out = []
    for index in range(start, start + count):
        p = music_params(index, seed=seed)
        out.append((render_music_clip(p, sample_rate=sample_rate, seed=seed), p.to_dict()))
    return out
