"""Real sampled instruments rendered on this machine by fluidsynth, for training and evaluation.

Two General MIDI soundfonts from Debian packages play two *disjoint* sets of GM programs:

- training side: ``timgm6mb-soundfont`` (``TimGM6mb.sf2``) with :data:`TRAIN_PROGRAMS`;
- evaluation side: ``musescore-general-soundfont-small`` (``MuseScore_General_Lite.sf3``)
  with :data:`EVAL_VOICES` and :data:`EVAL_PAD` (and the Standard drum kit).

``FluidR3_GM`` (pulled in as a dependency of the ``fluidsynth`` package) is never used: it
is reserved for independent checks, so this module refuses any soundfont path naming it.

Rendering writes a small Standard MIDI File (written here, no ``mido`` needed) and runs
``fluidsynth -ni -F out.wav`` on it with reverb and chorus off. Nothing is downloaded; the
rendered set is cached under the user's data folder (``<data>/instruments/<key>.npz``),
keyed by soundfont size, program lists, fluidsynth version and render settings.

The evaluation set (:func:`evaluation_set`) is 12 voices × 5 pitches × 3 velocities
(30, 70, 110), 2 s per note, plus a sustained pad chord (6 s) and a drum pattern that
repeats exactly after 2 bars (120 BPM, 3 repeats). :func:`training_set` renders the same
layout from the training side (not yet wired into ``synaesthete train``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.paths import user_data_dir

#: Training-side soundfont (Debian ``timgm6mb-soundfont``).
TRAIN_SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
#: Evaluation-side soundfont (Debian ``musescore-general-soundfont-small``).
EVAL_SOUNDFONT = Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3")
#: Soundfont name fragments that must never be rendered (reserved for independent checks).
FORBIDDEN_SOUNDFONTS = ("fluidr3",)


@dataclass(frozen=True)
class Voice:
    """One held-out voice: a GM program (0-based) and the MIDI notes it plays.

    Attributes:
        program: General MIDI program number, 0-127 (0 = Acoustic Grand Piano).
        name: the GM name.
        centre: the MIDI note at the middle of its pitch range.
    """

    program: int
    name: str
    centre: int

    def pitches(self, offsets: tuple[int, ...]) -> list[int]:
        """MIDI notes ``centre + offset``."""
        return [self.centre + o for o in offsets]


#: The 12 evaluation voices (GM families: piano, chromatic percussion, organ, guitar, bass,
#: strings, ensemble, brass, reed, pipe, synth lead, ethnic/plucked; plus distortion).
EVAL_VOICES: tuple[Voice, ...] = (
    Voice(0, "Acoustic Grand Piano", 60),
    Voice(11, "Vibraphone", 72),
    Voice(19, "Church Organ", 60),
    Voice(25, "Acoustic Guitar (steel)", 55),
    Voice(30, "Distortion Guitar", 52),
    Voice(33, "Electric Bass (finger)", 40),
    Voice(40, "Violin", 72),
    Voice(48, "String Ensemble 1", 60),
    Voice(56, "Trumpet", 67),
    Voice(65, "Alto Sax", 63),
    Voice(73, "Flute", 77),
    Voice(81, "Lead 2 (sawtooth)", 60),
)
#: The sustained pad (GM Pad 2 "warm"), held out from training too.
EVAL_PAD = Voice(89, "Pad 2 (warm)", 60)
#: Evaluation-side drum kit (bank 128 program 0, "Standard").
EVAL_DRUM_KIT = 0

#: Every GM program the evaluation plays.
EVAL_PROGRAMS: tuple[int, ...] = tuple(
    sorted({v.program for v in EVAL_VOICES} | {EVAL_PAD.program})
)
#: GM programs the training side may play: all melodic programs 0-119 not held out
#: (sound effects 120-127 are left out). Disjoint from :data:`EVAL_PROGRAMS` by construction.
TRAIN_PROGRAMS: tuple[int, ...] = tuple(p for p in range(120) if p not in EVAL_PROGRAMS)
#: Training-side drum kits (Room 8, Power 16): never the evaluation's Standard kit.
TRAIN_DRUM_KITS: tuple[int, ...] = (8, 16)

#: Pitch offsets (semitones) around each voice's centre, and the three velocities.
PITCH_OFFSETS: tuple[int, ...] = (-12, -6, 0, 6, 12)
VELOCITIES: tuple[int, ...] = (30, 70, 110)
NOTE_SECONDS = 2.0  # length of each cut note clip
HELD_SECONDS = 1.5  # note-on to note-off
SLOT_SECONDS = 3.0  # note onsets are this far apart; "all sound off" ends each slot
PAD_SECONDS = 6.0
DRUM_TEMPO_BPM = 120.0
DRUM_REPEATS = 3  # the 2-bar pattern is played this many times


class FluidsynthMissingError(RuntimeError):
    """fluidsynth or the soundfont is not installed (see ``.ci/system-deps.sh``)."""


def check_soundfont(path: Path) -> Path:
    """``path`` if it exists and is not a reserved soundfont; else raise."""
    resolved = Path(path).resolve()
    for name in (str(path).lower(), str(resolved).lower()):
        if any(bad in name for bad in FORBIDDEN_SOUNDFONTS):
            raise ValueError(f"{path}: FluidR3_GM is reserved for independent checks")
    if not resolved.is_file():
        raise FluidsynthMissingError(
            f"soundfont {path} not found (Debian: apt-get install timgm6mb-soundfont "
            "musescore-general-soundfont-small)"
        )
    return resolved


def fluidsynth_binary() -> str:
    """Path of the ``fluidsynth`` program, or raise :class:`FluidsynthMissingError`."""
    found = shutil.which("fluidsynth")
    if found is None:
        raise FluidsynthMissingError("fluidsynth not found (Debian: apt-get install fluidsynth)")
    return found


def missing_reason(soundfont: Path = EVAL_SOUNDFONT) -> str | None:
    """Why the set cannot be rendered here, or ``None`` if it can (for test skips)."""
    try:
        fluidsynth_binary()
        check_soundfont(soundfont)
    except FluidsynthMissingError as exc:
        return str(exc)
    return None


# ----- a minimal Standard MIDI File writer ---------------------------------------------------

TICKS_PER_QUARTER = 480


def _varlen(value: int) -> bytes:
    """MIDI variable-length quantity (7 bits per byte, high bit = more follows)."""
    if value < 0:
        raise ValueError("delta time must be non-negative")
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


@dataclass
class MidiEvent:
    """One channel message at an absolute time in seconds (``data`` = status + 1-2 bytes)."""

    seconds: float
    data: bytes
    order: int = 0  # tie-break at equal times: lower first (program before note-on)


@dataclass
class MidiSong:
    """Events at absolute times, written as a format-0 file at 120 BPM (960 ticks/s)."""

    events: list[MidiEvent] = field(default_factory=list)

    def program(self, t: float, channel: int, program: int, bank: int = 0) -> None:
        """Bank select (CC 0) then program change on ``channel``."""
        self.events.append(MidiEvent(t, bytes([0xB0 | channel, 0, bank]), 0))
        self.events.append(MidiEvent(t, bytes([0xC0 | channel, program]), 1))

    def note(self, t: float, dur: float, channel: int, pitch: int, velocity: int) -> None:
        """Note-on at ``t`` seconds, note-off ``dur`` seconds later."""
        self.events.append(MidiEvent(t, bytes([0x90 | channel, pitch, velocity]), 3))
        self.events.append(MidiEvent(t + dur, bytes([0x80 | channel, pitch, 0]), 2))

    def sound_off(self, t: float, channel: int) -> None:
        """CC 120 (all sound off): cuts release tails so slots never bleed."""
        self.events.append(MidiEvent(t, bytes([0xB0 | channel, 120, 0]), 2))

    def to_bytes(self) -> bytes:
        """The file's bytes: MThd (format 0, one track) and one MTrk with a tempo event."""
        ticks_per_second = TICKS_PER_QUARTER * 2  # 120 BPM = 500 000 µs per quarter
        body = bytearray(b"\x00\xff\x51\x03" + (500_000).to_bytes(3, "big"))
        now = 0
        for event in sorted(self.events, key=lambda e: (e.seconds, e.order)):
            tick = round(event.seconds * ticks_per_second)
            body += _varlen(tick - now) + event.data
            now = tick
        body += b"\x00\xff\x2f\x00"
        header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_QUARTER)
        return header + b"MTrk" + struct.pack(">I", len(body)) + bytes(body)


# ----- rendering -----------------------------------------------------------------------------


def render_midi(
    song: MidiSong, soundfont: Path, sample_rate: int, seconds: float, gain: float = 1.0
) -> np.ndarray:
    """Render ``song`` with fluidsynth (reverb/chorus off) to mono float32, ``(samples,)``."""
    from scipy.io import wavfile

    font = check_soundfont(soundfont)
    binary = fluidsynth_binary()
    with tempfile.TemporaryDirectory() as tmp:
        mid, wav = Path(tmp) / "song.mid", Path(tmp) / "song.wav"
        mid.write_bytes(song.to_bytes())
        cmd = [binary, "-n", "-i", "-q", "-R", "0", "-C", "0", "-g", str(gain)]
        cmd += ["-o", "synth.dynamic-sample-loading=1"]  # load only the samples played
        cmd += ["-r", str(sample_rate), "-T", "wav", "-O", "float", "-F", str(wav)]
        cmd += [str(font), str(mid)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=600)
        with warnings.catch_warnings():  # fluidsynth adds a LIST chunk scipy skips
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, data = wavfile.read(wav)
    if rate != sample_rate:
        raise RuntimeError(f"fluidsynth wrote {rate} Hz, asked for {sample_rate}")
    mono = np.asarray(data, np.float32)
    mono = mono.mean(axis=1) if mono.ndim == 2 else mono
    total = round(seconds * sample_rate)
    return np.pad(mono, (0, max(0, total - len(mono))))[:total].astype(np.float32)


@dataclass
class InstrumentSet:
    """A rendered real-instrument set at ``sample_rate`` Hz (float32 mono clips).

    Attributes:
        notes: ``(N, NOTE_SECONDS·rate)`` one note each, onset at sample 0.
        program, pitch, velocity: ``(N,)`` int arrays, the GM program, MIDI note and velocity.
        voice: ``(N,)`` index into ``voice_names``.
        pad: the sustained pad chord, ``(PAD_SECONDS·rate,)``, onset at sample 0.
        pad_held: seconds the pad is held (steady part ends before this).
        drums: the drum loop, ``(DRUM_REPEATS·period,)``, onset at sample 0; from the
            second repeat on, ``drums[t + period] == drums[t]`` sample for sample.
        repeat_seconds: the loop's exact period (2 bars, ``period / sample_rate``).
    """

    sample_rate: int
    soundfont: str
    voice_names: list[str]
    notes: np.ndarray
    program: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray
    voice: np.ndarray
    pad: np.ndarray
    pad_held: float
    drums: np.ndarray
    repeat_seconds: float


def _drum_pattern(song: MidiSong, start: float, bar: float) -> None:
    """Two bars of kick/snare/hats with accents (GM drums on channel 10 = index 9)."""
    step = bar / 16
    for b in range(2):
        for s in range(16):
            t = start + b * bar + s * step
            if s in (0, 6, 8) or (b == 1 and s == 14):
                song.note(t, step, 9, 36, 110)  # bass drum 1
            if s in (4, 12):
                song.note(t, step, 9, 38, 100 if b == 0 else 120)  # acoustic snare
            if s % 2 == 0:
                song.note(t, step, 9, 42, 50 + 30 * (s % 4 == 0))  # closed hi-hat
            if b == 1 and s == 15:
                song.note(t, step, 9, 46, 80)  # open hi-hat


def _render(
    voices: tuple[Voice, ...],
    pad: Voice,
    kit: int,
    soundfont: Path,
    sample_rate: int,
    offsets: tuple[int, ...],
    velocities: tuple[int, ...],
) -> InstrumentSet:
    plan = [
        (vi, v, pitch, vel)
        for vi, v in enumerate(voices)
        for pitch in v.pitches(offsets)
        for vel in velocities
    ]
    # One song, one fluidsynth run (the soundfont loads once): the notes, one slot each,
    # then the pad chord, then one 2-bar drum pattern with a second of tail.
    song = MidiSong()
    for slot, (_vi, v, pitch, vel) in enumerate(plan):
        t = slot * SLOT_SECONDS
        song.program(t, 0, v.program)
        song.note(t + 0.01, HELD_SECONDS, 0, pitch, vel)
        song.sound_off(t + SLOT_SECONDS - 0.05, 0)
    pad_start = len(plan) * SLOT_SECONDS
    held = PAD_SECONDS - 1.0
    song.program(pad_start, 0, pad.program)
    for pitch in (pad.centre - 12, pad.centre, pad.centre + 4, pad.centre + 7):
        song.note(pad_start + 0.01, held, 0, pitch, 90)
    song.sound_off(pad_start + PAD_SECONDS + 0.9, 0)
    bar = 4 * 60.0 / DRUM_TEMPO_BPM
    drum_start = pad_start + PAD_SECONDS + 1.0
    song.program(drum_start, 9, kit, bank=128)
    _drum_pattern(song, drum_start + 0.01, bar)
    audio = render_midi(song, soundfont, sample_rate, drum_start + 2 * bar + 1.0)

    def cut(seconds: float, length: float) -> np.ndarray:
        first = round((seconds + 0.01) * sample_rate)
        return audio[first : first + round(length * sample_rate)]

    notes = np.stack([cut(i * SLOT_SECONDS, NOTE_SECONDS) for i in range(len(plan))])
    pad_audio = cut(pad_start, PAD_SECONDS)
    once = cut(drum_start, 2 * bar + 1.0)
    period = round(2 * bar * sample_rate)
    # Overlap-add the one rendering at multiples of the period: the loop repeats sample for
    # sample (tails included) from the second repeat on, whatever fluidsynth's event timing.
    drums = np.zeros(DRUM_REPEATS * period + len(once), np.float32)
    for r in range(DRUM_REPEATS):
        drums[r * period : r * period + len(once)] += once
    drums = drums[: DRUM_REPEATS * period]
    return InstrumentSet(
        sample_rate=sample_rate,
        soundfont=soundfont.name,
        voice_names=[v.name for v in voices],
        notes=notes.astype(np.float32),
        program=np.array([p[1].program for p in plan]),
        pitch=np.array([p[2] for p in plan]),
        velocity=np.array([p[3] for p in plan]),
        voice=np.array([p[0] for p in plan]),
        pad=pad_audio,
        pad_held=held,
        drums=drums,
        repeat_seconds=period / sample_rate,
    )


def _fluidsynth_version() -> str:
    out = subprocess.run(
        [fluidsynth_binary(), "--version"], capture_output=True, text=True, timeout=30
    )
    return out.stdout.splitlines()[0] if out.stdout else "unknown"


def evaluation_set(
    sample_rate: int = 22050,
    *,
    voices: tuple[Voice, ...] = EVAL_VOICES,
    offsets: tuple[int, ...] = PITCH_OFFSETS,
    velocities: tuple[int, ...] = VELOCITIES,
    cache: bool = True,
) -> InstrumentSet:
    """The held-out real-instrument set (:data:`EVAL_SOUNDFONT`), cached under the data folder.

    Smaller sets (fewer voices/offsets, for tests) are cached under their own key.
    Raises :class:`FluidsynthMissingError` when fluidsynth or the soundfont is absent.
    """
    if any(v.program not in EVAL_PROGRAMS for v in voices):
        raise ValueError("evaluation voices must come from EVAL_PROGRAMS")
    return _cached_render(
        "eval",
        voices,
        EVAL_PAD,
        EVAL_DRUM_KIT,
        EVAL_SOUNDFONT,
        sample_rate,
        offsets,
        velocities,
        cache,
    )


#: The training side's pad (GM Pad 1 "new age", a training program).
TRAIN_PAD = Voice(88, "Pad 1 (new age)", 60)


def training_voices(programs: tuple[int, ...] = TRAIN_PROGRAMS) -> tuple[Voice, ...]:
    """Training-side voices: each program centred on a register that suits its GM family
    (basses an octave down, leads/pipes/ chromatic percussion an octave up)."""
    low = set(range(32, 40)) | {42, 43, 57, 58, 67, 70}
    high = set(range(8, 16)) | set(range(72, 80))
    return tuple(
        Voice(p, f"GM program {p}", 48 if p in low else 72 if p in high else 60) for p in programs
    )


def training_set(
    sample_rate: int = 22050,
    *,
    programs: tuple[int, ...] = TRAIN_PROGRAMS,
    offsets: tuple[int, ...] = PITCH_OFFSETS,
    velocities: tuple[int, ...] = VELOCITIES,
    kit: int = TRAIN_DRUM_KITS[0],
    cache: bool = True,
) -> InstrumentSet:
    """Real instruments for *training* (:data:`TRAIN_SOUNDFONT`, :data:`TRAIN_PROGRAMS`):
    never a held-out program, kit or soundfont. Same layout as :func:`evaluation_set`."""
    if set(programs) & set(EVAL_PROGRAMS) or TRAIN_PAD.program in EVAL_PROGRAMS:
        raise ValueError("training programs must not include held-out EVAL_PROGRAMS")
    if kit not in TRAIN_DRUM_KITS:
        raise ValueError(f"training drum kit must be one of {TRAIN_DRUM_KITS}")
    return _cached_render(
        "train",
        training_voices(programs),
        TRAIN_PAD,
        kit,
        TRAIN_SOUNDFONT,
        sample_rate,
        offsets,
        velocities,
        cache,
    )


def _cached_render(
    side: str,
    voices: tuple[Voice, ...],
    pad: Voice,
    kit: int,
    soundfont: Path,
    sample_rate: int,
    offsets: tuple[int, ...],
    velocities: tuple[int, ...],
    cache: bool,
) -> InstrumentSet:
    font = check_soundfont(soundfont)
    key_data = {
        "font": font.name,
        "font_bytes": font.stat().st_size,
        "fluidsynth": _fluidsynth_version(),
        "voices": [(v.program, v.centre) for v in voices],
        "pad": (pad.program, pad.centre),
        "kit": kit,
        "offsets": list(offsets),
        "velocities": list(velocities),
        "rate": sample_rate,
        "timing": [NOTE_SECONDS, HELD_SECONDS, SLOT_SECONDS, PAD_SECONDS, DRUM_TEMPO_BPM, 3],
    }
    key = hashlib.sha256(json.dumps(key_data, sort_keys=True).encode()).hexdigest()[:16]
    path = user_data_dir() / "instruments" / f"{side}-{key}.npz"
    if cache and path.is_file():
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            return InstrumentSet(
                notes=z["notes"],
                program=z["program"],
                pitch=z["pitch"],
                velocity=z["velocity"],
                voice=z["voice"],
                pad=z["pad"],
                drums=z["drums"],
                **meta,
            )
    rendered = _render(voices, pad, kit, font, sample_rate, offsets, velocities)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "sample_rate": rendered.sample_rate,
            "soundfont": rendered.soundfont,
            "voice_names": rendered.voice_names,
            "pad_held": rendered.pad_held,
            "repeat_seconds": rendered.repeat_seconds,
        }
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(
            tmp,
            notes=rendered.notes,
            program=rendered.program,
            pitch=rendered.pitch,
            velocity=rendered.velocity,
            voice=rendered.voice,
            pad=rendered.pad,
            drums=rendered.drums,
            meta=np.array(json.dumps(meta)),
        )
        tmp.replace(path)
    return rendered


#: The training side's rendered subset: every other training program, three registers and
#: two velocities (324 notes, a 49 MB cache), plus the pad and the drum loop.
TRAIN_CLIP_PROGRAMS: tuple[int, ...] = TRAIN_PROGRAMS[::2]
TRAIN_CLIP_OFFSETS: tuple[int, ...] = (-12, 0, 12)
TRAIN_CLIP_VELOCITIES: tuple[int, ...] = (40, 100)


def training_clips(
    sample_rate: int = 22050, *, gain_spread_db: float = 0.0, seed: int = 0, cache: bool = True
) -> list[tuple[np.ndarray, dict[str, object]]]:
    """Mono training clips from :func:`training_set` (the subset above): each note, the pad
    and the drum loop, each played at a gain drawn from ``[-gain_spread_db, 0]`` dB (seeded),
    with a meta dict (program, pitch, velocity, gain).

    Raises:
        FluidsynthMissingError: fluidsynth or the training soundfont is not installed.
    """
    data = training_set(
        sample_rate,
        programs=TRAIN_CLIP_PROGRAMS,
        offsets=TRAIN_CLIP_OFFSETS,
        velocities=TRAIN_CLIP_VELOCITIES,
        cache=cache,
    )
    rng = np.random.default_rng([seed, 0x1A5])
    out: list[tuple[np.ndarray, dict[str, object]]] = []

    def add(signal: np.ndarray, meta: dict[str, object]) -> None:
        gain_db = -float(rng.uniform(0.0, gain_spread_db)) if gain_spread_db else 0.0
        scaled = (np.asarray(signal, np.float32) * np.float32(10.0 ** (gain_db / 20.0))).copy()
        out.append((scaled, {**meta, "gain_db": gain_db}))

    for i in range(len(data.notes)):
        add(
            data.notes[i],
            {
                "program": int(data.program[i]),
                "pitch": int(data.pitch[i]),
                "velocity": int(data.velocity[i]),
            },
        )
    add(data.pad, {"program": TRAIN_PAD.program, "pad": True})
    add(data.drums, {"drums": True})
    return out
