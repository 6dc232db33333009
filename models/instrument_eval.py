"""The held-out real-instrument measures of issue #13, for a style and for non-learned baselines.

A *drawer* turns analysis windows ``(N, n_mels, n_frames)`` in [-1, 1] into uint8 pictures
``(N, S, S)`` (255 = ink). Each shipped style is one; the baselines are

- ``log-mel``: the window itself drawn as a picture (level → brightness, low bands at the
  bottom, :func:`models.pictures.spectrogram_picture`) — what any learned mapping should at
  least match on what it keeps of the sound.

On :func:`models.instruments.evaluation_set` (MuseScore General Lite, GM programs never used
in training), every drawer gets

===========================  ================================================================
velocity → ink               Spearman ρ(velocity, mean ink) over all notes, and the ink ratio
                             mean ink at velocity 110 ÷ at 30 (+22.6 dB in fluidsynth's curve)
RSA                          Mantel ρ between log-mel window distances and picture distances
                             (Euclidean), 999 object permutations → one-sided p
noisy → busier               ρ(power-weighted spectral flatness, edge density), the
                             flatness floored at −80 dB under each frame's peak bin
                             (:func:`relative_flatness`); the analysis's flatness, floored
                             at an absolute −100 dB, is kept beside it
                             (``flatness_abs_floor_vs_edge_density``)
slow attack → softer         ρ(log 10–90 % rise time, −mean edge gradient)
higher → higher              median over voices of the within-voice ρ(MIDI note, ink height)
pad step ratio               mean distance of pictures 33 ms apart on a held pad chord ÷ mean
                             distance of random pairs of note pictures (lower = steadier)
exact-repeat ratio           drums repeating sample for sample after 2 bars: mean distance of
                             pictures one period apart (on the stream's frame grid) ÷ random
                             pairs of drum pictures (lower = repetition you can see)
cycle mel LSD                dB between note windows and the windows rebuilt from their pictures
SWD                          pyramid SWD ×10³ (mean over levels) to held-out drawings, next to
                             real-vs-real
===========================  ================================================================

Distances between pictures are root-mean-square differences of ink in [0, 1].
Every note window starts 4 frames before the onset, like the synth evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.signal import stft

from models.analysis import AnalysisConfig, analyse, from_unit, sliding_windows, to_unit
from models.instruments import InstrumentSet
from models.metrics import (
    edge_density,
    ink_height,
    log_spectral_distance,
    mantel,
    pairwise_distances,
    pyramid_swd,
    sharpness,
    spearman,
)
from models.pictures import spectrogram_picture, tile

Drawer = Callable[[np.ndarray], np.ndarray]
Inverter = Callable[[np.ndarray], np.ndarray]

PRE_ONSET_FRAMES = 4
STEP_SECONDS = 0.033  # "pictures 33 ms apart"
RANDOM_PAIRS = 2000


@dataclass
class InstrumentWindows:
    """Analysis windows and sound descriptors of a rendered :class:`InstrumentSet`.

    Attributes:
        notes: ``(N, n_mels, n_frames)`` unit windows, one per note (onset at frame 4).
        level_db: ``(N,)`` window RMS level, dBFS.
        flatness: ``(N,)`` power-weighted spectral flatness (0 tonal … 1 white noise) with
            a floor relative to each frame's peak (:func:`relative_flatness`).
        flatness_abs_floor: ``(N,)`` the analysis's flatness (absolute floor), power-weighted.
        attack_s: ``(N,)`` 10 → 90 % rise time of the 5 ms RMS envelope, seconds.
        pad: ``(P, n_mels, n_frames)`` windows every ``pad_step`` frames, all inside the
            steady part of the held pad chord.
        drums_a, drums_b: ``(D, n_mels, n_frames)`` drum windows on the stream's frame grid,
            ``drums_b[i]`` one loop period after ``drums_a[i]``.
        drums_all: every drum window used for the random pairs.
    """

    notes: np.ndarray
    level_db: np.ndarray
    flatness: np.ndarray
    flatness_abs_floor: np.ndarray
    attack_s: np.ndarray
    pad: np.ndarray
    pad_step: int
    drums_a: np.ndarray
    drums_b: np.ndarray
    drums_all: np.ndarray


def rise_time(signal: np.ndarray, sample_rate: int, block_s: float = 0.005) -> float:
    """10 → 90 % rise time (s) of the RMS envelope (``block_s`` blocks) up to its peak."""
    block = max(1, int(block_s * sample_rate))
    n = len(signal) // block
    env = np.sqrt(np.mean(np.asarray(signal[: n * block], np.float64).reshape(n, block) ** 2, 1))
    if n == 0 or env.max() <= 0:
        return block_s
    peak = int(np.argmax(env))
    head = env[: peak + 1]
    t10 = int(np.argmax(head >= 0.1 * env[peak]))
    t90 = int(np.argmax(head >= 0.9 * env[peak]))
    return max(t90 - t10, 1) * block_s


#: :func:`relative_flatness` floors each frame's bins this far under its peak bin.
FLATNESS_RANGE_DB = 80.0


def relative_flatness(signal: np.ndarray, cfg: AnalysisConfig, frames: int) -> float:
    """Spectral flatness (Wiener entropy: geometric over arithmetic mean of the power
    spectrum, Johnston 1988) of the first ``frames`` analysis frames of ``signal``, averaged
    over frames weighted by their power.

    Each frame's bins are floored at ``FLATNESS_RANGE_DB`` under its loudest bin, so the
    measure keeps flatness's scale invariance: with the analysis's absolute floor
    (:data:`models.analysis.POWER_FLOOR`, for finite logarithms) a quiet tone's empty bins
    sink onto the floor and it reads *flatter* than the same tone played loud (on the
    held-out set, ρ(flatness, level) = −0.60 with the absolute floor; see
    docs/styles/README.md). Frames are ``cfg.n_fft`` samples, Hann window, ``cfg.hop``
    apart (scipy.signal.stft, no padding).

    Returns:
        flatness in [0, 1]; 0 for silence.
    """
    x = np.asarray(signal, np.float64)[: (frames - 1) * cfg.hop + cfg.n_fft]
    _, _, spec = stft(
        x,
        nperseg=cfg.n_fft,
        noverlap=cfg.n_fft - cfg.hop,
        window="hann",
        boundary=None,
        padded=False,
    )
    power = np.abs(spec) ** 2  # (bins, frames)
    peak = power.max(axis=0, keepdims=True)
    if not np.any(peak > 0):
        return 0.0
    floored = np.maximum(power, np.maximum(peak, 1e-300) * 10.0 ** (-FLATNESS_RANGE_DB / 10.0))
    flat = np.exp(np.log(floored).mean(axis=0)) / floored.mean(axis=0)
    weight = power.sum(axis=0)
    return float(np.sum(flat * weight) / np.sum(weight))


def instrument_windows(data: InstrumentSet, cfg: AnalysisConfig) -> InstrumentWindows:
    """Cut a rendered set into the windows and descriptors the measures need."""
    if data.sample_rate != cfg.sample_rate:
        raise ValueError(f"set rendered at {data.sample_rate} Hz, analysis wants {cfg.sample_rate}")
    lead = np.zeros(PRE_ONSET_FRAMES * cfg.hop, np.float32)
    windows, levels, flats, abs_flats, attacks = [], [], [], [], []
    for clip in data.notes:
        result = analyse(np.concatenate([lead, clip]), cfg)
        span = slice(0, cfg.n_frames)
        windows.append(sliding_windows(to_unit(result.mel_db[span], cfg), cfg)[0])
        rms = result.rms[span].astype(np.float64)
        levels.append(20.0 * np.log10(max(float(np.sqrt(np.mean(rms**2))), 1e-6)))
        weights = rms**2 + 1e-12
        abs_flats.append(float(np.sum(result.flatness[span] * weights) / np.sum(weights)))
        flats.append(relative_flatness(np.concatenate([lead, clip]), cfg, cfg.n_frames))
        attacks.append(rise_time(clip, cfg.sample_rate))

    step = max(1, round(STEP_SECONDS * cfg.sample_rate / cfg.hop))
    pad_windows = sliding_windows(to_unit(analyse(data.pad, cfg).mel_db, cfg), cfg)
    first = int(np.ceil(0.5 * cfg.sample_rate / cfg.hop))  # past the pad's attack
    last = int((data.pad_held * cfg.sample_rate - cfg.n_fft) / cfg.hop) - cfg.n_frames
    pad = pad_windows[first : max(first + 2 * step, last) : step]

    drum_windows = sliding_windows(to_unit(analyse(data.drums, cfg).mel_db, cfg), cfg)
    period = round(data.repeat_seconds * cfg.sample_rate / cfg.hop)
    start = int(np.ceil(data.repeat_seconds * cfg.sample_rate / cfg.hop))  # second repeat on
    picks = np.arange(start, len(drum_windows) - period, 2)
    return InstrumentWindows(
        notes=np.stack(windows),
        level_db=np.array(levels),
        flatness=np.array(flats),
        flatness_abs_floor=np.array(abs_flats),
        attack_s=np.array(attacks),
        pad=pad,
        pad_step=step,
        drums_a=drum_windows[picks],
        drums_b=drum_windows[picks + period],
        drums_all=drum_windows[::2],
    )


def log_mel_drawer(windows: np.ndarray) -> np.ndarray:
    """Baseline: each window drawn as its own picture (uint8, low bands at the bottom)."""
    return np.stack([spectrogram_picture(w) for w in np.asarray(windows)])


def log_mel_inverter(images: np.ndarray) -> np.ndarray:
    """The baseline's exact inverse up to 8-bit rounding: picture → unit window."""
    return np.asarray(images, np.float32)[:, ::-1, :] / 127.5 - 1.0


def _ink(images: np.ndarray) -> np.ndarray:
    return np.asarray(images, np.float64) / 255.0


def _rms_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean((a - b) ** 2, axis=(1, 2)))


def _random_pair_distance(inks: np.ndarray, seed: int) -> float:
    rng = np.random.default_rng(seed)
    i = rng.integers(0, len(inks), RANDOM_PAIRS)
    j = (i + rng.integers(1, len(inks), RANDOM_PAIRS)) % len(inks)  # never i == j
    return float(_rms_distance(inks[i], inks[j]).mean())


def within_groups(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> list[dict[str, float]]:
    """Spearman ρ of ``x`` vs ``y`` inside each group (sorted group ids)."""
    return [spearman(x[groups == g], y[groups == g]) for g in np.unique(groups)]


def measure(
    draw: Drawer,
    invert: Inverter,
    data: InstrumentSet,
    win: InstrumentWindows,
    cfg: AnalysisConfig,
    real_drawings: tuple[np.ndarray, np.ndarray] | None,
    *,
    permutations: int = 999,
    seed: int = 0,
    expressed_drawings: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[dict, np.ndarray]:
    """Every held-out measure for one drawer; returns the figures and its note pictures.

    ``real_drawings``: two disjoint sets of held-out drawings ``(M, S, S)`` in [0, 1] for the
    SWD (generated vs the first, real vs real between them), or ``None`` to skip it.
    ``expressed_drawings``: the same sets passed through the style's expression head (as
    :func:`express_drawings` gives them), for a second SWD, ``swd_expressed_mean`` against
    ``swd_expressed_real_vs_real_mean``: how real the learned strokes are once the head's
    manner (which the raw drawings lack) is given to both sides.
    """
    images = draw(win.notes)
    inks = _ink(images)
    ink = inks.mean(axis=(1, 2))
    edges = np.array([edge_density(i) for i in inks])
    softness = -np.array([sharpness(i) for i in inks])
    height = np.array([ink_height(i) for i in inks])

    loud, quiet = data.velocity == max(data.velocity), data.velocity == min(data.velocity)
    per_voice_velocity = within_groups(data.velocity, ink, data.voice)
    per_voice_pitch = within_groups(data.pitch, height, data.voice)
    pitch_rhos = np.array([r["rho"] for r in per_voice_pitch])

    pad = _ink(draw(win.pad))
    pad_steps = _rms_distance(pad[1:], pad[:-1])
    note_random = _random_pair_distance(inks, seed)
    drums_a, drums_b = _ink(draw(win.drums_a)), _ink(draw(win.drums_b))
    drums_random = _random_pair_distance(_ink(draw(win.drums_all)), seed)
    repeats = _rms_distance(drums_a, drums_b)

    original_db = from_unit(win.notes.transpose(0, 2, 1), cfg)
    rebuilt_db = from_unit(np.asarray(invert(images)).transpose(0, 2, 1), cfg)

    result = {
        "velocity_vs_ink": spearman(data.velocity, ink),
        "ink_ratio_110_vs_30": float(ink[loud].mean() / max(ink[quiet].mean(), 1e-12)),
        "rsa": mantel(
            pairwise_distances(win.notes),
            pairwise_distances(inks),
            permutations=permutations,
            seed=seed,
        ),
        "flatness_vs_edge_density": spearman(win.flatness, edges),
        "flatness_abs_floor_vs_edge_density": spearman(win.flatness_abs_floor, edges),
        "attack_vs_softness": spearman(np.log(win.attack_s), softness),
        "pitch_vs_height_median": float(np.nanmedian(pitch_rhos)),
        "pitch_vs_height_all": spearman(data.pitch, height),
        "level_vs_ink": spearman(win.level_db, ink),
        "pad_step_ratio": float(pad_steps.mean() / max(note_random, 1e-12)),
        "repeat_ratio": float(repeats.mean() / max(drums_random, 1e-12)),
        "cycle_mel_lsd_db": log_spectral_distance(original_db, rebuilt_db),
        "per_voice": [
            {
                "voice": data.voice_names[g],
                "velocity_vs_ink": v,
                "pitch_vs_height": p,
                "ink_ratio_110_vs_30": float(
                    ink[loud & (data.voice == g)].mean()
                    / max(ink[quiet & (data.voice == g)].mean(), 1e-12)
                ),
            }
            for g, v, p in zip(
                np.unique(data.voice), per_voice_velocity, per_voice_pitch, strict=True
            )
        ],
        "counts": {
            "notes": len(images),
            "pad_pictures": len(pad),
            "drum_pairs": len(repeats),
            "random_pairs": RANDOM_PAIRS,
        },
    }
    if real_drawings is not None:
        real_a, real_b = real_drawings
        n = min(len(inks), len(real_a), len(real_b))
        fake = pyramid_swd(inks[:n], real_a[:n], seed=seed)
        real = pyramid_swd(real_b[:n], real_a[:n], seed=seed)
        result["swd_levels"] = fake
        result["swd_mean"] = float(np.mean(fake))
        result["swd_real_vs_real_mean"] = float(np.mean(real))
    if expressed_drawings is not None:
        real_a, real_b = expressed_drawings
        n = min(len(inks), len(real_a), len(real_b))
        result["swd_expressed_mean"] = float(np.mean(pyramid_swd(inks[:n], real_a[:n], seed=seed)))
        result["swd_expressed_real_vs_real_mean"] = float(
            np.mean(pyramid_swd(real_b[:n], real_a[:n], seed=seed))
        )
    return result, images


def express_drawings(
    express: Callable[[np.ndarray, np.ndarray], np.ndarray],
    drawings: np.ndarray,
    windows: np.ndarray,
    offset: int = 0,
) -> np.ndarray:
    """Real drawings ``(M, S, S)`` in [0, 1] as a style's expression head would draw them
    for held-out sounds: drawing ``i`` gets window ``(i + offset) mod N`` of ``windows``
    ``(N, n_mels, n_frames)``. ``express`` maps (fields in [-1, 1], windows) to fields in
    [-1, 1] (:meth:`models.networks.ResnetGenerator.express`). Rounded to 8 bits like the
    generated pictures."""
    picks = (np.arange(len(drawings)) + offset) % len(windows)
    fields = np.asarray(drawings, np.float32) * 2.0 - 1.0
    out = np.asarray(express(fields, np.asarray(windows, np.float32)[picks]))
    return np.round((np.clip(out, -1.0, 1.0) + 1.0) * 127.5) / 255.0


def contact_sheet(data: InstrumentSet, images: np.ndarray, per_row: int = 8) -> np.ndarray:
    """One row per voice: the centre pitch at each velocity, then each pitch at the loudest
    velocity (left to right: quiet → loud, low → high)."""
    rows = []
    for g in np.unique(data.voice):
        idx = np.flatnonzero(data.voice == g)
        pitches = np.unique(data.pitch[idx])
        centre = pitches[len(pitches) // 2]
        by_velocity = [i for i in idx if data.pitch[i] == centre]
        by_velocity.sort(key=lambda i: data.velocity[i])
        loudest = [i for i in idx if data.velocity[i] == data.velocity[idx].max()]
        loudest.sort(key=lambda i: data.pitch[i])
        rows.append(images[(by_velocity + loudest)[:per_row]])
    return tile(rows)
