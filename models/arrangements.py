"""Arrangements with a known form, for measuring the structure analysis.

:func:`generate` writes a short piece from a seed: four stems (drums, bass, keys, lead) in
4/4, 3/4 or 7/8 at a given tempo, built of one-bar patterns. The form is a sequence of
sections (intro, verse, chorus, breakdown …) of 4 or 8 bars in which sections return; each
section type fixes which stems play and what. The stems hold:

- **repeats**: a pattern played again (a loop), humanised anew each time;
- **variations**: a pattern with a changed note or an added fill, labelled as its own motif
  with the pattern it varies as ``parent``;
- **question/answer**: two lead patterns alternating bar by bar;
- **fills**: the drums' last bar before a section change;
- **breakdowns and returns**: a section without drums, then the chorus again.

Every bar's pattern per stem is the ground truth (``None`` where a stem rests), and so are
the sections. :func:`render_arrangement` plays the notes with real sampled instruments
(fluidsynth and a General MIDI soundfont, via :mod:`models.instruments`) or, where
fluidsynth is missing, with the project's synth (:mod:`models.synth`); both humanise each
note's timing (uniform ±``timing_ms``) and level (uniform ±``level_db``) from the seed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from models import instruments as gm

#: Section types: stems that play, and the lead's kind (None, "qa" question/answer, "hook").
SECTION_TYPES: dict[str, dict] = {
    "intro": {"stems": ("drums", "bass"), "lead": None, "keys": None},
    "verse": {"stems": ("drums", "bass", "keys", "lead"), "lead": "qa", "keys": "stab"},
    "chorus": {"stems": ("drums", "bass", "keys", "lead"), "lead": "hook", "keys": "pad"},
    "breakdown": {"stems": ("keys", "lead"), "lead": "qa2", "keys": "pad2"},
}
#: Forms (section type, bars); a type's later sections return as the same section.
FORMS: tuple[tuple[tuple[str, int], ...], ...] = (
    (("intro", 4), ("verse", 8), ("chorus", 8), ("breakdown", 4), ("chorus", 8), ("intro", 4)),
    (("intro", 4), ("chorus", 8), ("verse", 8), ("chorus", 4), ("breakdown", 4), ("verse", 8)),
    (("verse", 8), ("breakdown", 4), ("chorus", 8), ("verse", 4), ("chorus", 8)),
)
#: The stems, their GM program on each side (evaluation = held-out MuseScore voices,
#: tuning = TimGM6mb training programs) and register.
STEM_PROGRAMS: dict[str, dict[str, int]] = {
    "drums": {"eval": gm.EVAL_DRUM_KIT, "tune": gm.TRAIN_DRUM_KITS[0]},
    "bass": {"eval": 33, "tune": 34},
    "keys": {"eval": 0, "tune": 4},
    "lead": {"eval": 81, "tune": 80},
}
STEMS: tuple[str, ...] = ("drums", "bass", "keys", "lead")
#: Beat groups (in eighths) of each meter; a group starts on a stressed eighth.
GROUPS: dict[tuple[int, int], tuple[int, ...]] = {
    (4, 4): (2, 2, 2, 2),
    (3, 4): (2, 2, 2),
    (7, 8): (2, 2, 3),
}
MAJOR = (0, 2, 4, 5, 7, 9, 11)


@dataclass(frozen=True)
class Note:
    """A note within its bar: start and length in eighths, MIDI pitch and velocity."""

    start: float
    length: float
    pitch: int
    velocity: int


@dataclass(frozen=True)
class Pattern:
    """One bar of one stem: its ``label``, the label it varies (``parent``) and notes."""

    label: str
    parent: str | None
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class Arrangement:
    """A piece with known form.

    Attributes:
        seed, tempo (quarter BPM), numerator, denominator: as generated.
        bars: number of bars.
        stems: stem → the pattern label of each bar (None = rests).
        patterns: stem → label → :class:`Pattern`.
        sections: ``(label, start_bar, end_bar)`` with end exclusive.
    """

    seed: int
    tempo: float
    numerator: int
    denominator: int
    bars: int
    stems: dict[str, tuple[str | None, ...]]
    patterns: dict[str, dict[str, Pattern]]
    sections: tuple[tuple[str, int, int], ...]

    @property
    def eighths(self) -> int:
        """Eighth notes per bar."""
        return self.numerator * 8 // self.denominator

    @property
    def bar_seconds(self) -> float:
        return self.eighths * 30.0 / self.tempo

    @property
    def seconds(self) -> float:
        return self.bars * self.bar_seconds

    def beat_times(self) -> np.ndarray:
        """Reference beats (s): quarter notes in x/4, eighths in 7/8."""
        step = 60.0 / self.tempo if self.denominator == 4 else 30.0 / self.tempo
        per_bar = round(self.bar_seconds / step)
        return np.array(
            [b * self.bar_seconds + k * step for b in range(self.bars) for k in range(per_bar)]
        )

    def downbeat_times(self) -> np.ndarray:
        return np.arange(self.bars) * self.bar_seconds


def _drum_patterns(groups: tuple[int, ...], rng: np.random.Generator) -> dict[str, Pattern]:
    eighths = sum(groups)
    starts = np.cumsum((0, *groups[:-1]))
    kick, snare, hat, open_hat, tom = 36, 38, 42, 46, 45
    notes = [Note(0, 1, kick, 112)]
    for i, s in enumerate(starts[1:], start=1):
        notes.append(Note(float(s), 1, snare if i % 2 else kick, 100))
    extra = int(rng.integers(1, eighths))
    if extra not in starts:
        notes.append(Note(float(extra), 1, kick, 90))
    notes += [Note(float(e), 0.5, hat, 70 if e in starts else 50) for e in range(eighths)]
    main = Pattern("main", None, tuple(notes))
    # a fill: the last group's hats and hits become a snare/tom run
    last = int(starts[-1])
    body = [n for n in notes if n.start < last]
    run = [
        Note(last + 0.5 * k, 0.5, snare if k % 2 else tom, 90 + 5 * k)
        for k in range(2 * (eighths - last))
    ]
    fill = Pattern("fill", "main", tuple(body + run))
    # the chorus groove: an open hat on the off-beats
    lift = Pattern(
        "lift",
        None,
        tuple(
            [n for n in notes if n.pitch != hat]
            + [Note(e + 0.5, 0.5, open_hat, 75) for e in range(eighths)]
        ),
    )
    return {"main": main, "fill": fill, "lift": lift}


def _bass_pattern(
    label: str,
    root: int,
    eighths: int,
    rhythm: list[int],
    parent: str | None = None,
    last: int | None = None,
) -> Pattern:
    notes = [
        Note(float(e), 0.9, root + (7 if i % 3 == 2 else 0), 100) for i, e in enumerate(rhythm)
    ]
    if last is not None:
        notes[-1] = Note(notes[-1].start, 0.9, root + last, 100)
    return Pattern(label, parent, tuple(notes))


def _chord(root: int, degree: int, key: int) -> list[int]:
    scale = [key + MAJOR[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]
    return [root + p for p in scale]


def _melody(
    rng: np.random.Generator, key: int, eighths: int, count: int, centre: int
) -> list[tuple[int, int]]:
    slots = sorted(rng.choice(eighths, size=min(count, eighths), replace=False).tolist())
    degrees = rng.integers(0, 8, size=len(slots))
    return [
        (s, centre + key + MAJOR[d % 7] + 12 * (d // 7))
        for s, d in zip(slots, degrees, strict=True)
    ]


def generate(
    seed: int, tempo: float, numerator: int, denominator: int, *, form: int | None = None
) -> Arrangement:
    """A piece of known form from ``seed`` (see the module docstring).

    Raises:
        ValueError: for a meter other than 4/4, 3/4 and 7/8, or a tempo outside 60 … 200.
    """
    if (numerator, denominator) not in GROUPS:
        raise ValueError(f"meter {numerator}/{denominator} not supported (4/4, 3/4, 7/8)")
    if not 60.0 <= tempo <= 200.0:
        raise ValueError(f"tempo must be 60 … 200 BPM, got {tempo}")
    rng = np.random.default_rng([seed, 0x5EC7])
    groups = GROUPS[(numerator, denominator)]
    eighths = sum(groups)
    starts = [int(s) for s in np.cumsum((0, *groups[:-1]))]
    key = int(rng.integers(0, 12))
    plan = FORMS[seed % len(FORMS) if form is None else form]
    patterns: dict[str, dict[str, Pattern]] = {s: {} for s in STEMS}
    patterns["drums"] = _drum_patterns(groups, rng)
    # per section type: a progression of 4 chord degrees (one per bar)
    progressions = {
        "intro": [0, 0, 3, 4],
        "verse": [int(d) for d in rng.choice([0, 5, 3, 4, 1], size=4, replace=False)],
        "chorus": [3, 4, 0, 0],
        "breakdown": [5, 3, 5, 4],
    }
    bass_rhythm = sorted({*starts, *rng.choice(eighths, size=2).tolist()})

    def bass(degree: int) -> str:
        label = f"root{degree}"
        if label not in patterns["bass"]:
            root = 36 + key + MAJOR[degree % 7]
            patterns["bass"][label] = _bass_pattern(label, root, eighths, bass_rhythm)
        return label

    def keys(kind: str, degree: int) -> str:
        label = f"{kind}{degree}"
        if label not in patterns["keys"]:
            chord = _chord(60, degree, key)
            if kind in ("stab", "stab2"):
                notes = [Note(float(s), 0.8, p, 85) for s in starts for p in chord]
            elif kind == "pad":  # a chord held for most of the bar, re-struck at the last group
                notes = [Note(0.0, starts[-1] - 0.2, p, 80) for p in chord]
                notes += [Note(float(starts[-1]), eighths - starts[-1] - 0.3, p, 70) for p in chord]
            else:  # the breakdown's: an octave lower, held over the whole bar
                notes = [Note(0.0, eighths - 0.3, p - 12, 80) for p in chord]
            patterns["keys"][label] = Pattern(label, None, tuple(notes))
        return label

    lead_parts: dict[str, list[tuple[int, int]]] = {
        "q": _melody(rng, key, eighths, 4, 72),
        "a": _melody(rng, key, eighths, 4, 72),
        "hook": _melody(rng, key, eighths, 5, 76),
        "q2": _melody(rng, key, eighths, 3, 67),
        "a2": _melody(rng, key, eighths, 3, 67),
    }
    for name, mel in lead_parts.items():
        patterns["lead"][name] = Pattern(
            name, None, tuple(Note(float(s), 0.9, p, 95) for s, p in mel)
        )

    def lead_variation(parent: str) -> str:
        label = parent + "~"
        if label not in patterns["lead"]:
            base = patterns["lead"][parent].notes
            changed = base[-1]
            step = 2 if rng.random() < 0.5 else -3
            notes = (
                *base[:-1],
                Note(changed.start, changed.length, changed.pitch + step, changed.velocity),
            )
            patterns["lead"][label] = Pattern(label, parent, notes)
        return label

    stems: dict[str, list[str | None]] = {s: [] for s in STEMS}
    sections: list[tuple[str, int, int]] = []
    labels: dict[str, str] = {}
    bar = 0
    for si, (kind, length) in enumerate(plan):
        spec = SECTION_TYPES[kind]
        label = labels.setdefault(kind, chr(ord("A") + len(labels)))
        sections.append((label, bar, bar + length))
        returning = any(k == kind for k, _ in plan[:si])
        for i in range(length):
            degree = progressions[kind][i % 4]
            last_bar = i == length - 1
            for stem in STEMS:
                if stem not in spec["stems"]:
                    stems[stem].append(None)
                    continue
                if stem == "drums":
                    groove = "lift" if kind == "chorus" else "main"
                    fill = last_bar and si + 1 < len(plan) and groove == "main"
                    stems[stem].append("fill" if fill else groove)
                elif stem == "bass":
                    stems[stem].append(bass(degree))
                elif stem == "keys":
                    stems[stem].append(keys(spec["keys"], degree))
                else:
                    lead = spec["lead"]
                    if lead == "hook":
                        part = "hook"
                    elif lead == "qa":
                        part = "q" if i % 2 == 0 else "a"
                    else:
                        part = "q2" if i % 2 == 0 else "a2"
                    if returning and last_bar and part != "hook":
                        part = lead_variation(part)
                    stems[stem].append(part)
        bar += length
    return Arrangement(
        seed=seed,
        tempo=float(tempo),
        numerator=numerator,
        denominator=denominator,
        bars=bar,
        stems={s: tuple(v) for s, v in stems.items()},
        patterns=patterns,
        sections=tuple(sections),
    )


# ----- rendering -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Humanise:
    """Per-note random timing (uniform ±``timing_ms``) and level (uniform ±``level_db``)."""

    timing_ms: float = 10.0
    level_db: float = 6.0


def note_events(
    arr: Arrangement, stem: str, humanise: Humanise, seed: int
) -> list[tuple[float, float, int, int]]:
    """``(start s, length s, pitch, velocity)`` of every note of ``stem``, humanised from
    ``seed`` (velocity scaled by the level change: MIDI velocity maps to amplitude as
    ``(v/127)²`` in fluidsynth's default curve, so dB = 40·log10 of the velocity ratio)."""
    rng = np.random.default_rng([seed, STEMS.index(stem), 0x4D])
    eighth = 30.0 / arr.tempo
    events = []
    for b, label in enumerate(arr.stems[stem]):
        if label is None:
            continue
        for note in arr.patterns[stem][label].notes:
            jitter = rng.uniform(-humanise.timing_ms, humanise.timing_ms) / 1000.0
            gain = rng.uniform(-humanise.level_db, humanise.level_db)
            velocity = int(np.clip(round(note.velocity * 10 ** (gain / 40.0)), 1, 127))
            start = max(0.0, b * arr.bar_seconds + note.start * eighth + jitter)
            events.append((start, note.length * eighth, note.pitch, velocity))
    return events


def render_arrangement(
    arr: Arrangement,
    *,
    side: str = "eval",
    sample_rate: int = 22050,
    humanise: Humanise = Humanise(),
    cache: Path | None = None,
) -> tuple[dict[str, np.ndarray], str]:
    """Each stem rendered to mono float32 at ``sample_rate``, and how (``"fluidsynth
    <soundfont>"`` or ``"synth"``). ``side`` picks the soundfont and programs: ``"eval"``
    (MuseScore General Lite, held-out programs) or ``"tune"`` (TimGM6mb). Falls back to the
    project's synth when fluidsynth or the soundfont is missing. With ``cache`` (a folder),
    renders are kept there keyed by everything they depend on."""
    if side not in ("eval", "tune"):
        raise ValueError(f"side must be 'eval' or 'tune', got {side!r}")
    font = gm.EVAL_SOUNDFONT if side == "eval" else gm.TRAIN_SOUNDFONT
    how = "synth" if gm.missing_reason(font) else f"fluidsynth {font.name}"
    key = hashlib.sha256(
        json.dumps(
            [asdict(arr), side, sample_rate, asdict(humanise), how], default=str, sort_keys=True
        ).encode()
    ).hexdigest()[:16]
    path = None if cache is None else Path(cache) / f"arrangement-{key}.npz"
    if path is not None and path.is_file():
        with np.load(path) as z:
            return {s: z[s] for s in STEMS}, how
    total = arr.seconds + 1.0
    out: dict[str, np.ndarray] = {}
    for stem in STEMS:
        events = note_events(arr, stem, humanise, arr.seed)
        if how == "synth":
            audio = _synth_stem(stem, events, sample_rate, total)
        else:
            song = gm.MidiSong()
            channel = 9 if stem == "drums" else 0
            program = STEM_PROGRAMS[stem][side]
            song.program(0.0, channel, program, bank=128 if stem == "drums" else 0)
            for start, length, pitch, velocity in events:
                song.note(start + 0.01, length, channel, pitch, velocity)
            audio = gm.render_midi(song, font, sample_rate, total + 0.01)[
                round(0.01 * sample_rate) :
            ]
        out[stem] = np.asarray(audio[: round(total * sample_rate)], np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, **out)
        tmp.replace(path)
    return out, how


def _synth_stem(
    stem: str, events: list[tuple[float, float, int, int]], rate: int, seconds: float
) -> np.ndarray:
    """The stem with :func:`models.synth.render_clip` voices (hat noise for cymbals, plucks
    for drums and keys, sines for bass, saw leads)."""
    from models.synth import SynthParams, render_clip

    out = np.zeros(round(seconds * rate) + 2 * rate, np.float32)
    for i, (start, length, pitch, velocity) in enumerate(events):
        freq = 440.0 * 2 ** ((pitch - 69) / 12)
        kind = {"bass": "sine", "keys": "pluck", "lead": "lead"}.get(stem, "pluck")
        if stem == "drums":
            kind = "hat" if pitch in (42, 46) else "pluck"
            freq = {36: 55.0, 38: 190.0, 45: 110.0}.get(pitch, freq)
        params = SynthParams(
            index=i,
            kind=kind,
            freq=freq,
            gain_db=40.0 * np.log10(velocity / 127.0) - 6.0,
            attack=0.005,
            decay=0.15 if kind in ("hat", "pluck") else 0.3,
            onset=0.0,
            hold=0.0 if kind in ("hat",) else min(length, 1.0),
            mod_rate=5.0,
            mod_depth=0.3,
            drive=3.0,
            noise=1.0 if kind == "hat" else 0.0,
        )
        clip = render_clip(params, sample_rate=rate, seed=i)
        first = round(start * rate)
        out[first : first + len(clip)] += clip[: len(out) - first]
    return out[: round(seconds * rate)]
