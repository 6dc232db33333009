"""A techno loop synthesised in code: the built-in material of ``synaesthete demo``.

Four stems (kick, bass, hats, pad) at 124 BPM, deterministic to the sample, so the demo
needs no audio files and always shows the same picture. Eight bars with a change halfway
(the bass opens up, the pad moves), long enough to see the visuals follow the music.
"""

from __future__ import annotations

import numpy as np

DEMO_TEMPO = 124.0
DEMO_RATE = 22050
DEMO_BARS = 8


def _envelope(length: int, attack: int, decay: float) -> np.ndarray:
    n = np.arange(length, dtype=np.float64)
    env = np.exp(-n / max(decay, 1.0))
    if attack > 0:
        env[:attack] *= np.linspace(0.0, 1.0, attack)
    return env


def _place(out: np.ndarray, hit: np.ndarray, start: int) -> None:
    end = min(out.size, start + hit.size)
    if start < end:
        out[start:end] += hit[: end - start]


def kick(beats: int, rate: int, tempo: float) -> np.ndarray:
    step = int(rate * 60 / tempo)
    out = np.zeros(beats * step)
    n = int(0.35 * rate)
    t = np.arange(n) / rate
    sweep = 45.0 + 110.0 * np.exp(-t * 30.0)
    phase = 2 * np.pi * np.cumsum(sweep) / rate
    hit = np.sin(phase) * _envelope(n, 32, 0.12 * rate) * 0.8
    hit += 0.12 * np.sin(2 * np.pi * 1800 * t) * np.exp(-t * 400)  # click
    for beat in range(beats):
        _place(out, hit, beat * step)
    return out


def bass(beats: int, rate: int, tempo: float) -> np.ndarray:
    step = int(rate * 60 / tempo) // 4  # sixteenths
    out = np.zeros(beats * 4 * step)
    notes = [0, 0, 12, 0, 0, 7, 0, 10]
    for i in range(beats * 4):
        if i % 4 == 0:
            continue  # leave room for the kick
        semitone = notes[i % len(notes)]
        freq = 41.2 * 2 ** (semitone / 12)  # E1
        n = int(step * 0.9)
        t = np.arange(n) / rate
        opened = i >= beats * 2  # second half: brighter, more distorted
        drive = 4.0 if opened else 1.5
        saw = 2 * ((freq * t) % 1.0) - 1
        tone = np.tanh(drive * (0.6 * saw + 0.4 * np.sin(2 * np.pi * freq * t)))
        env = _envelope(n, 40, (0.09 if opened else 0.05) * rate)
        _place(out, 0.45 * tone * env, i * step)
    return out


def hats(beats: int, rate: int, tempo: float, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    step = int(rate * 60 / tempo) // 4
    out = np.zeros(beats * 4 * step)
    n = int(0.06 * rate)
    for i in range(beats * 4):
        accent = 1.0 if i % 4 == 2 else 0.45
        noise = rng.standard_normal(n)
        bright = noise - np.concatenate([[0.0], noise[:-1]])  # crude high-pass
        _place(out, 0.08 * accent * bright * _envelope(n, 4, 0.012 * rate), i * step)
    return out


def pad(beats: int, rate: int, tempo: float) -> np.ndarray:
    length = beats * int(rate * 60 / tempo)
    t = np.arange(length) / rate
    bar_seconds = 4 * 60 / tempo
    chords = [(164.8, 196.0, 246.9), (146.8, 174.6, 220.0)]  # Em, Dm-ish
    out = np.zeros(length)
    for k, start in enumerate(np.arange(0, t[-1], 2 * bar_seconds)):
        chord = chords[k % 2]
        lo, hi = int(start * rate), min(length, int((start + 2 * bar_seconds) * rate))
        seg = t[lo:hi] - start
        swell = np.sin(np.pi * seg / (2 * bar_seconds)) ** 2
        voice = sum(
            np.sin(2 * np.pi * f * seg + 0.3 * np.sin(2 * np.pi * 0.5 * seg)) for f in chord
        )
        out[lo:hi] += 0.12 * swell * voice
    return out


def demo_stems(
    bars: int = DEMO_BARS, rate: int = DEMO_RATE, tempo: float = DEMO_TEMPO
) -> list[tuple[str, np.ndarray]]:
    """The demo's stems as ``(name, mono float32 at rate)``, all the same length."""
    beats = bars * 4
    stems = [
        ("Kick", kick(beats, rate, tempo)),
        ("Bass", bass(beats, rate, tempo)),
        ("Hats", hats(beats, rate, tempo)),
        ("Pad", pad(beats, rate, tempo)),
    ]
    length = min(s.size for _, s in stems)
    return [(name, np.clip(s[:length], -1.0, 1.0).astype(np.float32)) for name, s in stems]
