"""Synthetic stems for the structure tests: decaying tones and noise hits on a bar grid."""

from __future__ import annotations

import numpy as np

from models.structure.fingerprint import Fingerprint

RATE = 22050


def tone(
    freq: float,
    seconds: float,
    rate: int = RATE,
    *,
    decay: float = 6.0,
    noise: bool = False,
    seed: int = 0,
    beat_hz: float = 0.0,
    release_s: float = 0.0,
    attack_s: float = 0.0,
    saw: bool = False,
) -> np.ndarray:
    """A decaying tone (or noise burst) ``seconds`` long, peak 0.3. With ``beat_hz`` each
    partial has a twin that far above it, so the tone beats (as a piano's unison strings
    or a detuned synth do); with ``release_s`` it fades out over its last that many
    seconds (else it stops dead, a click); with ``attack_s`` it rises over its first that
    many seconds; ``saw``: a sawtooth's partials up to 8 kHz (a synth lead) instead of
    two."""
    n = max(1, round(seconds * rate))
    t = np.arange(n) / rate
    if noise:
        wave = np.random.default_rng(seed).standard_normal(n) * 0.5
    elif saw:
        count = max(1, int(8000.0 // freq))
        wave = sum(np.sin(2 * np.pi * k * freq * t) / k for k in range(1, count + 1))
        wave = wave / max(float(np.abs(wave).max()), 1e-9)
    else:
        wave = np.sin(2 * np.pi * freq * t) + 0.3 * np.sin(4 * np.pi * freq * t)
        if beat_hz:
            twin = freq + beat_hz
            wave = 0.5 * (wave + np.sin(2 * np.pi * twin * t) + 0.3 * np.sin(4 * np.pi * twin * t))
    wave = wave * np.exp(-t * decay)
    if attack_s > 0:
        wave = wave * np.minimum(1.0, t / attack_s)
    fade = min(n, round(release_s * rate))
    if fade:
        wave[n - fade :] *= 0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, fade))
    return (0.3 * wave).astype(np.float32)


def stem(
    bars: list[list[tuple[float, float]] | None],
    tempo: float,
    *,
    beats_per_bar: float = 4.0,
    rate: int = RATE,
    jitter_s: float = 0.0,
    level_db: float = 0.0,
    seed: int = 0,
    noise: bool = False,
    note_s: float | None = None,
    decay: float = 6.0,
    beat_hz: float = 0.0,
    release_s: float = 0.0,
    attack_s: float = 0.0,
    saw: bool = False,
) -> np.ndarray:
    """A stem from bars of notes ``(beat in the bar, frequency)`` (None: a silent bar),
    each note humanised by up to ``jitter_s`` and ``level_db``. Notes last ``note_s``
    seconds (default: 0.9 beat, at most 0.4 s), decay at ``decay`` per second, fade out
    over their last ``release_s`` seconds and rise over their first ``attack_s`` (``saw``:
    sawtooth partials, see :func:`tone`)."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / tempo
    bar_s = beats_per_bar * beat
    out = np.zeros(round((len(bars) * bar_s + 1.0) * rate), np.float32)
    for b, notes in enumerate(bars):
        for at, freq in notes or []:
            start = b * bar_s + at * beat + rng.uniform(-jitter_s, jitter_s)
            gain = 10 ** (rng.uniform(-level_db, level_db) / 20)
            # a noise hit is one sample played again (as a drum machine does)
            length = min(0.9 * beat, 0.4) if note_s is None else note_s
            clip = tone(
                freq,
                length,
                rate,
                noise=noise,
                seed=seed,
                decay=decay,
                beat_hz=beat_hz,
                release_s=release_s,
                attack_s=attack_s,
                saw=saw,
            )
            clip = clip * gain
            first = max(0, round(start * rate))
            out[first : first + len(clip)] += clip[: len(out) - first]
    return out


#: Bar patterns: four notes a bar.
RIFF_A = [(0, 220.0), (1, 277.2), (2, 329.6), (3, 277.2)]
RIFF_B = [(0, 196.0), (1.5, 246.9), (2, 293.7), (3, 392.0)]
RIFF_A_VAR = [(0, 220.0), (1, 277.2), (2, 329.6), (3, 370.0)]  # last note changed
KICKS = [(0, 60.0), (1, 60.0), (2, 60.0), (3, 60.0)]


def steady_step(tempo: float, rate: int = RATE) -> int:
    """Samples per beat of the demo loop at ``tempo`` (its beats fall on whole samples)."""
    return int(rate * 60 / tempo)


def tiled(one_bar: np.ndarray, bars: int) -> np.ndarray:
    """``one_bar`` played ``bars`` times back to back: a sample-exact loop."""
    return np.tile(np.asarray(one_bar, np.float32), bars)


def folded(render: np.ndarray, bar_samples: int) -> np.ndarray:
    """One bar of a loop from a render of one bar plus its ringing tail: the tail is added
    onto the bar's start (overlap-add), as it sounds when the bar repeats."""
    out = np.zeros(bar_samples, np.float64)
    for first in range(0, len(render), bar_samples):
        piece = render[first : first + bar_samples]
        out[: len(piece)] += piece
    return out.astype(np.float32)


def sounding_print(
    chroma: np.ndarray, *, attack: np.ndarray | None = None, broad: float = 1.0
) -> Fingerprint:
    """A fingerprint of a bar whose every slot is heard, active and tonal at one level,
    with flat spectral shape and sustain: one slot per row of ``chroma`` (``(slots, 12)``),
    no attacks unless ``attack`` (``(slots, 2, 8)``) is given, each slot struck as broadly
    as ``broad``."""
    slots = chroma.shape[0]
    ones = np.ones(slots)
    return Fingerprint(
        slots=slots,
        activity=ones,
        shape=np.zeros((slots, 8)),
        chroma=chroma,
        attack=np.zeros((slots, 2, 8)) if attack is None else attack,
        power=np.ones((slots, 8)),
        level=-20.0,
        covered=np.ones(slots, bool),
        silent=False,
        pitched=ones,
        sustain=np.zeros(slots),
        broad=np.full(slots, broad),
    )
