"""Procedural synth clips: the default audio domain.

The seed trained on 256 synth clips: sines, FM "wobbles", bass "phwooms" and the like. We
render a deterministic family of such sounds with the variety the model must learn to tell
apart — pitch, loudness, attack, decay, where in the clip the note starts, and how noisy or
distorted it is. Each clip keeps its :class:`SynthParams`, because evaluation relates those
(loudness, attack, noisiness) to the pictures the generator draws.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

#: The sound families, in the order the parameter sampler cycles through them.
KINDS: tuple[str, ...] = ("sine", "wobble", "phwoom", "pluck", "hat", "lead")

#: Clip length in seconds: two 64-frame analysis windows (≈0.74 s each) fit comfortably.
CLIP_SECONDS = 1.5


@dataclass(frozen=True)
class SynthParams:
    """Everything one clip was rendered from.

    Attributes:
        index: position in its set (with the seed, identifies the clip).
        kind: one of :data:`KINDS`.
        freq: fundamental in Hz (the hat's noise colour ignores it).
        gain_db: peak level in dBFS.
        attack: seconds from onset to peak.
        decay: seconds for the level to fall by 60 dB after the note is released.
        onset: seconds into the clip where the note starts.
        hold: seconds the note is held at full level before release.
        mod_rate: wobble rate in Hz (FM and filter sweeps).
        mod_depth: modulation depth, 0..1.
        drive: distortion drive (1 = clean).
        noise: share of white noise mixed into the tone, 0..1.
    """

    index: int
    kind: str
    freq: float
    gain_db: float
    attack: float
    decay: float
    onset: float
    hold: float
    mod_rate: float
    mod_depth: float
    drive: float
    noise: float

    def to_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def synth_params(index: int, *, seed: int = 0) -> SynthParams:
    """Draw the parameters of clip ``index`` of ``seed``; kinds cycle so every set is mixed."""
    rng = np.random.default_rng([seed, index, 0xA0])
    kind = KINDS[index % len(KINDS)]
    log_uniform = lambda lo, hi: float(np.exp(rng.uniform(np.log(lo), np.log(hi))))  # noqa: E731
    freq = {
        "sine": log_uniform(110, 1760),
        "wobble": log_uniform(55, 440),
        "phwoom": log_uniform(35, 110),
        "pluck": log_uniform(110, 1320),
        "hat": log_uniform(3000, 9000),
        "lead": log_uniform(110, 880),
    }[kind]
    short = kind in ("pluck", "hat")
    return SynthParams(
        index=index,
        kind=kind,
        freq=freq,
        gain_db=float(rng.uniform(-36.0, -3.0)),
        attack=log_uniform(0.001, 0.02) if short else log_uniform(0.002, 0.4),
        decay=log_uniform(0.05, 0.4) if short else log_uniform(0.1, 1.2),
        onset=float(rng.uniform(0.0, 0.7)),
        hold=0.0 if short else float(rng.uniform(0.05, 0.6)),
        mod_rate=log_uniform(1.0, 12.0),
        mod_depth=float(rng.uniform(0.2, 1.0)),
        drive=log_uniform(3.0, 20.0) if kind == "lead" else 1.0,
        noise=float(rng.uniform(0.0, 0.15)) if kind != "hat" else 1.0,
    )


def envelope(params: SynthParams, t: np.ndarray) -> np.ndarray:
    """Linear attack, hold, then exponential release reaching -60 dB after ``decay`` s."""
    local = t - params.onset
    rise = np.clip(local / max(params.attack, 1e-4), 0.0, 1.0)
    after = np.maximum(local - params.attack - params.hold, 0.0)
    fall = 10.0 ** (-3.0 * after / params.decay)
    return np.where(local < 0.0, 0.0, rise * fall)


def _one_pole_lowpass(x: np.ndarray, cutoff_hz: np.ndarray, sample_rate: int) -> np.ndarray:
    """Time-varying one-pole low-pass: the "phwoom" filter sweep. Pure numpy loop-free
    approximation is not exact, so this small loop runs once per clip at data-build time."""
    alpha = 1.0 - np.exp(-2.0 * np.pi * np.clip(cutoff_hz, 10.0, sample_rate / 2.5) / sample_rate)
    y = np.empty_like(x)
    state = 0.0
    for i in range(x.size):
        state += alpha[i] * (x[i] - state)
        y[i] = state
    return y


def render_clip(params: SynthParams, *, sample_rate: int = 22050, seed: int = 0) -> np.ndarray:
    """Render one clip, float32 mono at ``sample_rate``, peak level ``gain_db`` dBFS."""
    rng = np.random.default_rng([seed, params.index, 0xB1])
    n = round(CLIP_SECONDS * sample_rate)
    t = np.arange(n) / sample_rate
    local = np.maximum(t - params.onset, 0.0)
    env = envelope(params, t)
    wobble = np.sin(2.0 * np.pi * params.mod_rate * local)
    if params.kind == "sine":
        tone = np.sin(2.0 * np.pi * params.freq * local)
    elif params.kind == "wobble":
        index = 1.0 + 6.0 * params.mod_depth * (0.5 + 0.5 * wobble)
        modulator = np.sin(2.0 * np.pi * params.freq * 2.0 * local)
        tone = np.sin(2.0 * np.pi * params.freq * local + index * modulator)
    elif params.kind == "phwoom":
        sweep = params.freq * (1.0 + 3.0 * np.exp(-local / 0.08))
        phase = 2.0 * np.pi * np.cumsum(sweep) / sample_rate
        saw = 2.0 * ((phase / (2.0 * np.pi)) % 1.0) - 1.0
        cutoff = params.freq * (2.0 + 30.0 * params.mod_depth * np.exp(-local / 0.15))
        tone = _one_pole_lowpass(saw, cutoff, sample_rate) * 2.0
    elif params.kind == "pluck":
        harmonics = np.arange(1, 9)
        fade = np.exp(-local[:, None] * harmonics[None, :] * 4.0 / params.decay)
        tone = np.sin(2.0 * np.pi * params.freq * local[:, None] * harmonics) / harmonics * fade
        tone = tone.sum(axis=1)
    elif params.kind == "hat":
        tone = np.diff(rng.standard_normal(n + 1)) * 0.5  # differentiated noise: bright
    elif params.kind == "lead":
        vibrato = 1.0 + 0.01 * params.mod_depth * wobble
        phase = 2.0 * np.pi * np.cumsum(params.freq * vibrato) / sample_rate
        saw = 2.0 * ((phase / (2.0 * np.pi)) % 1.0) - 1.0
        tone = np.tanh(params.drive * saw)
    else:
        raise ValueError(f"unknown synth kind {params.kind!r}; expected one of {KINDS}")
    if params.kind != "hat" and params.noise > 0.0:
        tone = (1.0 - params.noise) * tone + params.noise * rng.standard_normal(n)
    signal = tone * env
    peak = float(np.max(np.abs(signal)))
    if peak > 0.0:
        signal = signal / peak * 10.0 ** (params.gain_db / 20.0)
    return signal.astype(np.float32)


def synth_set(
    count: int, *, seed: int = 0, start: int = 0, sample_rate: int = 22050
) -> tuple[list[np.ndarray], list[SynthParams]]:
    """Render clips ``start .. start+count-1`` and their parameters. Disjoint ``start``
    ranges give disjoint training and held-out sets."""
    params = [synth_params(start + i, seed=seed) for i in range(count)]
    clips = [render_clip(p, sample_rate=sample_rate, seed=seed) for p in params]
    return clips, params
