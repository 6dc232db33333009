"""The analysis window: log-mel spectrogram frames and cheap per-frame descriptors.

This module is the one definition of what the generators see. Training cuts its inputs
with :func:`analyse` and :func:`sliding_windows`; the live bridge feeds each track through
an :class:`AnalysisStream`. Both share the framing, the mel filterbank and the dB scaling
below, so a model never meets an input at a show that differs from what it was trained on.

Framing is causal and uncentred: frame ``k`` covers samples ``[k*hop, k*hop + n_fft)`` of
the signal. A stream therefore emits frame ``k`` as soon as its last sample arrives, and
pushing audio in blocks of any size gives the same frames as analysing it all at once.

Levels are absolute, not normalised per window: the power spectrum is scaled so a
full-scale sine reads about 0 dB in its mel band (up to +1.8 dB, the Hann window's spread
over neighbouring bins), and :func:`to_unit` maps the fixed range
``[db_floor, db_ceil]`` to ``[-1, 1]``. A quiet track looks quiet to the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

#: Power below this counts as silence (-100 dB) so logarithms stay finite.
POWER_FLOOR = 1e-10
#: Pitch classes of the chroma, C first (index 0 = C, 1 = C♯ … 11 = B).
PITCH_CLASSES: tuple[str, ...] = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
#: Frequencies (Hz) of the spectral peaks that count towards the chroma: below, a
#: 1024-point frame at 22,050 Hz holds barely two periods; above, mostly noise and high
#: partials that blur the pitch class.
CHROMA_RANGE = (50.0, 5000.0)


@dataclass(frozen=True)
class AnalysisConfig:
    """Parameters of the analysis window. The defaults are the shipped models' input.

    Attributes:
        sample_rate: analysis rate in Hz; streams at other rates are resampled first.
        n_fft: samples per STFT frame (and FFT size).
        hop: samples between successive frames.
        n_mels: mel bands, the window's height.
        n_frames: frames per window, its width (64 × 256 / 22050 Hz ≈ 0.74 s).
        fmin, fmax: lowest and highest mel band edge in Hz.
        db_floor, db_ceil: the fixed level range mapped onto ``[-1, 1]``.
    """

    sample_rate: int = 22050
    n_fft: int = 1024
    hop: int = 256
    n_mels: int = 64
    n_frames: int = 64
    fmin: float = 30.0
    fmax: float = 11025.0
    db_floor: float = -80.0
    db_ceil: float = 0.0

    def __post_init__(self) -> None:
        if self.sample_rate <= 0 or self.n_fft <= 0 or self.hop <= 0:
            raise ValueError("sample_rate, n_fft and hop must be positive")
        if self.hop > self.n_fft:
            raise ValueError(f"hop ({self.hop}) must not exceed n_fft ({self.n_fft})")
        if self.n_mels < 1 or self.n_frames < 1:
            raise ValueError("n_mels and n_frames must be at least 1")
        if not 0.0 <= self.fmin < self.fmax <= self.sample_rate / 2:
            raise ValueError(
                f"need 0 <= fmin < fmax <= sample_rate/2, got fmin={self.fmin}, fmax={self.fmax}"
            )
        if self.db_floor >= self.db_ceil:
            raise ValueError("db_floor must be below db_ceil")

    @property
    def n_bins(self) -> int:
        """Number of rfft bins per frame."""
        return self.n_fft // 2 + 1

    @property
    def window_seconds(self) -> float:
        """Span of one analysis window in seconds (first sample of the oldest frame to the
        last sample of the newest)."""
        return ((self.n_frames - 1) * self.hop + self.n_fft) / self.sample_rate


DEFAULT_ANALYSIS = AnalysisConfig()


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def _mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


@lru_cache(maxsize=8)
def _filterbank_cached(cfg: AnalysisConfig) -> np.ndarray:
    freqs = np.arange(cfg.n_bins) * cfg.sample_rate / cfg.n_fft
    edges = _mel_to_hz(np.linspace(_hz_to_mel(cfg.fmin), _hz_to_mel(cfg.fmax), cfg.n_mels + 2))
    bank = np.zeros((cfg.n_mels, cfg.n_bins), dtype=np.float64)
    for m in range(cfg.n_mels):
        lo, centre, hi = edges[m], edges[m + 1], edges[m + 2]
        rising = (freqs - lo) / (centre - lo)
        falling = (hi - freqs) / (hi - centre)
        bank[m] = np.clip(np.minimum(rising, falling), 0.0, None)
        if not bank[m].any():
            # A band narrower than one bin would read silence forever; give it the bin
            # nearest its centre instead.
            bank[m, int(np.argmin(np.abs(freqs - centre)))] = 1.0
    bank = bank.astype(np.float32)
    bank.setflags(write=False)
    return bank


@lru_cache(maxsize=8)
def _filterbank_t64(cfg: AnalysisConfig) -> np.ndarray:
    """The filterbank transposed, float64, for the analysis matmul."""
    bank = np.ascontiguousarray(_filterbank_cached(cfg).T, dtype=np.float64)
    bank.setflags(write=False)
    return bank


@lru_cache(maxsize=8)
def _bin_freqs(cfg: AnalysisConfig) -> np.ndarray:
    freqs = np.arange(cfg.n_bins) * (cfg.sample_rate / cfg.n_fft)
    freqs.setflags(write=False)
    return freqs


def mel_filterbank(cfg: AnalysisConfig = DEFAULT_ANALYSIS) -> np.ndarray:
    """Triangular mel filters (HTK mel scale) with peak 1, shape ``(n_mels, n_bins)``.

    A peak of 1 (rather than unit area) keeps a pure tone at a band's centre at the same
    level in the mel domain as in the spectrum, which is what makes the dB range absolute.
    The returned array is shared and read-only.
    """
    return _filterbank_cached(cfg)


@lru_cache(maxsize=8)
def _window_cached(n_fft: int) -> np.ndarray:
    n = np.arange(n_fft)
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / n_fft)  # periodic Hann
    window.setflags(write=False)
    return window


@dataclass
class Analysis:
    """Per-frame results of analysing a signal; every array has one row per frame.

    Attributes:
        mel_db: ``(T, n_mels)`` mel band levels in dB (a full-scale sine ≈ 0 dB).
        rms: ``(T,)`` root-mean-square level of each frame's samples (linear).
        onset: ``(T,)`` onset strength: mean positive rise in dB across bands since the
            previous frame (the first frame of a signal rises from ``db_floor``).
        centroid: ``(T,)`` spectral centroid in Hz (0 for a silent frame).
        flatness: ``(T,)`` spectral flatness in ``[0, 1]``: geometric over arithmetic mean of
            the power spectrum; 1 for white noise (and for digital silence), near 0 for a tone.
        chroma: ``(T, 12)`` share of the power of the spectral peaks (50 Hz … 5 kHz) in each
            pitch class, C first, over the :func:`chroma_window` samples ending where the
            frame ends (see :func:`_chroma`); each row sums to 1, or is all 0 for silence.
            None unless asked for (``analyse(..., chroma=True)``, an
            :class:`AnalysisStream` by default): it costs several times the rest.
        tonalness: ``(T,)`` how clearly the frame has one pitch class, in ``[0, 1]``: one
            minus the chroma's entropy over log 12; 0 for silence and near 0 for noise (its
            peaks fall on every pitch class), high for one tone, lower for a chord. None
            when ``chroma`` is.
    """

    mel_db: np.ndarray
    rms: np.ndarray
    onset: np.ndarray
    centroid: np.ndarray
    flatness: np.ndarray
    chroma: np.ndarray | None = None
    tonalness: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.rms.shape[0])

    @classmethod
    def empty(cls, cfg: AnalysisConfig = DEFAULT_ANALYSIS, chroma: bool = False) -> Analysis:
        """An analysis with no frames (with empty chroma arrays when ``chroma``)."""
        zero = np.zeros(0, dtype=np.float32)
        mel = np.zeros((0, cfg.n_mels), np.float32)
        if not chroma:
            return cls(mel, zero, zero, zero, zero)
        return cls(mel, zero, zero, zero, zero, np.zeros((0, 12), np.float32), zero)

    def take(self, rows: slice) -> Analysis:
        """The frames at ``rows``."""
        return Analysis(
            self.mel_db[rows],
            self.rms[rows],
            self.onset[rows],
            self.centroid[rows],
            self.flatness[rows],
            None if self.chroma is None else self.chroma[rows],
            None if self.tonalness is None else self.tonalness[rows],
        )

    @classmethod
    def concatenate(cls, parts: list[Analysis], cfg: AnalysisConfig = DEFAULT_ANALYSIS) -> Analysis:
        """Join analyses of consecutive stretches of one signal."""
        if not parts:
            return cls.empty(cfg)
        chroma = [p.chroma for p in parts if p.chroma is not None]
        tonalness = [p.tonalness for p in parts if p.tonalness is not None]
        with_chroma = len(chroma) == len(tonalness) == len(parts)
        return cls(
            np.concatenate([p.mel_db for p in parts]),
            np.concatenate([p.rms for p in parts]),
            np.concatenate([p.onset for p in parts]),
            np.concatenate([p.centroid for p in parts]),
            np.concatenate([p.flatness for p in parts]),
            np.concatenate(chroma) if with_chroma else None,
            np.concatenate(tonalness) if with_chroma else None,
        )


def _check_signal(signal: np.ndarray) -> np.ndarray:
    array = np.asarray(signal)
    if array.ndim != 1:
        raise ValueError(
            f"expected a mono signal (1-D array), got shape {array.shape}; mix channels first"
        )
    if not np.issubdtype(array.dtype, np.floating) and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"expected real samples, got dtype {array.dtype}")
    array = array.astype(np.float64, copy=False)
    if array.size and not np.isfinite(array).all():
        raise ValueError("signal contains NaN or Inf samples; replace them before analysis")
    return array


def _analyse_frames(
    frames: np.ndarray,
    previous_db: np.ndarray,
    cfg: AnalysisConfig,
    chroma_frames: np.ndarray | None = None,
    starts: np.ndarray | None = None,
) -> tuple[Analysis, np.ndarray]:
    """Analyse a ``(T, n_fft)`` stack of frames; ``previous_db`` is the clipped mel level of
    the frame before the first (for onset strength); ``chroma_frames``, ``(T,
    chroma_window(cfg))`` samples ending where each frame ends, or None for no chroma.
    Returns the analysis and the clipped level of the last frame.

    With ``starts`` (``(S,)`` row indices, the first 0), the rows are S streams' frames one
    after another: ``previous_db`` is then ``(S, n_mels)``, one per stream, and the clipped
    level returned is ``(S, n_mels)``, each stream's last. Every row is computed as it is
    alone, so a batch gives each stream what its own call would."""
    window = _window_cached(cfg.n_fft)
    spectrum = np.fft.rfft(frames * window, axis=1) * (2.0 / window.sum())
    power = spectrum.real**2 + spectrum.imag**2
    mel_power = power @ _filterbank_t64(cfg)
    mel_db = 10.0 * np.log10(np.maximum(mel_power, POWER_FLOOR))

    clipped = np.clip(mel_db, cfg.db_floor, cfg.db_ceil)
    if starts is None:
        before = np.vstack([previous_db[None, :], clipped[:-1]])
    else:  # several streams' frames one after another: each starts from its own previous
        before = np.empty_like(clipped)
        before[1:] = clipped[:-1]
        before[starts] = previous_db
    onset = np.maximum(clipped - before, 0.0).mean(axis=1)

    rms = np.sqrt(np.mean(frames**2, axis=1))
    total = power.sum(axis=1)
    centroid = np.where(
        total > POWER_FLOOR, (power @ _bin_freqs(cfg)) / np.maximum(total, POWER_FLOOR), 0.0
    )
    floored = np.maximum(power, POWER_FLOOR)
    flatness = np.exp(np.log(floored).mean(axis=1)) / floored.mean(axis=1)
    chroma, tonalness = (None, None) if chroma_frames is None else _chroma(chroma_frames, cfg)

    result = Analysis(
        mel_db=mel_db.astype(np.float32),
        rms=rms.astype(np.float32),
        onset=onset.astype(np.float32),
        centroid=centroid.astype(np.float32),
        flatness=np.clip(flatness, 0.0, 1.0).astype(np.float32),
        chroma=None if chroma is None else chroma.astype(np.float32),
        tonalness=None if tonalness is None else tonalness.astype(np.float32),
    )
    if starts is None:
        return result, clipped[-1]
    ends = np.append(starts[1:], len(clipped)) - 1
    return result, clipped[ends]


#: Spectral peaks this far below a frame's strongest (in power) are left out of the chroma.
CHROMA_PEAK_FLOOR = 1e-4


def chroma_window(cfg: AnalysisConfig = DEFAULT_ANALYSIS) -> int:
    """Samples the chroma of one frame looks at: four analysis frames (4096 at the default
    22,050 Hz, 0.19 s, bins 5.4 Hz apart), ending where the frame ends. A frame's 21.5 Hz
    bins would merge the notes of a chord below ~300 Hz (E3 and G3 are 1.4 bins apart)."""
    return 4 * cfg.n_fft


def _chroma(frames: np.ndarray, cfg: AnalysisConfig) -> tuple[np.ndarray, np.ndarray]:
    """``(T, 12)`` normalised chroma and ``(T,)`` tonalness of ``(T, chroma_window(cfg))``
    samples (see :class:`Analysis`), Hann-windowed.

    Only spectral peaks count: each local maximum within :data:`CHROMA_RANGE` and within
    :data:`CHROMA_PEAK_FLOOR` of the frame's strongest has its frequency refined by a
    parabola through the log power of it and its neighbours (a Hann window's main lobe is
    close to a parabola there, so a tone's frequency comes out within a few hertz even
    where bins are several semitones apart), and gives its power to the two pitch classes
    either side of that frequency (equal temperament, A4 = 440 Hz), linearly by distance.
    """
    size = frames.shape[1]
    spectrum = np.fft.rfft(frames * _window_cached(size), axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    count = power.shape[0]
    if count == 0:
        return np.zeros((0, 12)), np.zeros(0)
    # Only bins that can hold a peak within CHROMA_RANGE (and their neighbours) are looked at.
    low, high = CHROMA_RANGE
    spacing = cfg.sample_rate / size
    first = max(1, int(low / spacing) - 1)
    last = min(power.shape[1] - 2, int(np.ceil(high / spacing)) + 1)
    band = power[:, first - 1 : last + 2]
    log_power = np.log(np.maximum(band, POWER_FLOOR))
    left, middle, right = log_power[:, :-2], log_power[:, 1:-1], log_power[:, 2:]
    strongest = power.max(axis=1, keepdims=True)
    peak = (middle > left) & (middle >= right)
    peak &= band[:, 1:-1] > np.maximum(strongest * CHROMA_PEAK_FLOOR, POWER_FLOOR)
    rows, cols = np.nonzero(peak)
    a, b, c = left[rows, cols], middle[rows, cols], right[rows, cols]
    curvature = a - 2.0 * b + c
    offset = np.where(curvature < 0.0, 0.5 * (a - c) / np.minimum(curvature, -1e-12), 0.0)
    freqs = (first + cols + np.clip(offset, -0.5, 0.5)) * spacing
    inside = (freqs >= low) & (freqs <= high)
    rows, cols, freqs = rows[inside], cols[inside], freqs[inside]
    pitch = 69.0 + 12.0 * np.log2(freqs / 440.0)
    lower = np.floor(pitch)
    upper_share = pitch - lower
    weight = band[rows, cols + 1]
    pitch_class = lower.astype(np.int64) % 12
    cells = count * 12
    energy = np.bincount(rows * 12 + pitch_class, weight * (1.0 - upper_share), minlength=cells)
    energy += np.bincount(rows * 12 + (pitch_class + 1) % 12, weight * upper_share, minlength=cells)
    energy = energy.reshape(count, 12)
    total = energy.sum(axis=1, keepdims=True)
    sounding = total > POWER_FLOOR
    chroma = np.where(sounding, energy / np.maximum(total, POWER_FLOOR), 0.0)
    logs = np.log(np.maximum(chroma, 1e-12))
    entropy = -(chroma * logs).sum(axis=1) / np.log(12.0)
    tonalness = np.where(sounding[:, 0], np.clip(1.0 - entropy, 0.0, 1.0), 0.0)
    return chroma, tonalness


def _frame_view(
    signal: np.ndarray, count: int, cfg: AnalysisConfig, size: int | None = None
) -> np.ndarray:
    """``count`` frames of ``size`` samples (default ``n_fft``), ``hop`` apart, as a view."""
    return np.lib.stride_tricks.as_strided(
        signal,
        shape=(count, size or cfg.n_fft),
        strides=(signal.strides[0] * cfg.hop, signal.strides[0]),
        writeable=False,
    )


def frame_count(n_samples: int, cfg: AnalysisConfig = DEFAULT_ANALYSIS) -> int:
    """Number of complete frames in ``n_samples`` samples."""
    if n_samples < cfg.n_fft:
        return 0
    return (n_samples - cfg.n_fft) // cfg.hop + 1


def push_many(streams: Sequence[AnalysisStream], blocks: Sequence[np.ndarray]) -> list[int]:
    """Push ``blocks[i]`` into ``streams[i]`` for every i, analysing all their new frames in
    one batch: what ``[s.push(b) for s, b in zip(streams, blocks)]`` gives, for the cost of
    about one call. (Pushing a few frames costs mostly per call, in numpy's overheads; a live
    bridge pushes every track's few new frames many times a second.)

    Streams that share their ``cfg`` and chroma settings are batched together; others go
    in batches of their own. Returns each stream's new frame count.

    Raises:
        ValueError: for different numbers of streams and blocks, or a bad block (as
            :meth:`AnalysisStream.push`).
    """
    if len(streams) != len(blocks):
        raise ValueError(f"{len(streams)} streams but {len(blocks)} blocks")
    counts = [0] * len(streams)
    batches: dict[tuple, list[tuple[int, tuple]]] = {}
    for i, (stream, block) in enumerate(zip(streams, blocks, strict=True)):
        prepared = stream._prepare(block)
        if prepared is not None:
            chroma = stream.chroma and stream.chroma_stride == 1
            batches.setdefault((stream.cfg, chroma), []).append((i, prepared))
    for (cfg, chroma), members in batches.items():
        frames = np.concatenate([prepared[0] for _, prepared in members])
        chroma_frames = np.concatenate([prepared[1] for _, prepared in members]) if chroma else None
        sizes = np.array([len(prepared[0]) for _, prepared in members])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        previous = np.stack([streams[i]._previous_db for i, _ in members])
        result, last = _analyse_frames(frames, previous, cfg, chroma_frames, starts)
        for k, (i, (_, own_chroma, pending)) in enumerate(members):
            rows = slice(int(starts[k]), int(starts[k] + sizes[k]))
            streams[i]._previous_db = last[k]
            counts[i] = streams[i]._commit(result.take(rows), own_chroma, pending)
    return counts


def analyse(
    signal: np.ndarray, cfg: AnalysisConfig = DEFAULT_ANALYSIS, *, chroma: bool = False
) -> Analysis:
    """Analyse a whole mono signal at ``cfg.sample_rate``.

    Args:
        signal: 1-D samples, nominally in ``[-1, 1]``, at ``cfg.sample_rate``.
        cfg: the analysis parameters.
        chroma: also compute ``chroma`` and ``tonalness`` (the signal is taken to be
            preceded by silence, as a stream starts).

    Returns:
        One row per complete frame (a trailing partial frame is not analysed).

    Raises:
        ValueError: for multi-channel input or non-finite samples.
    """
    samples = np.ascontiguousarray(_check_signal(signal))
    count = frame_count(samples.size, cfg)
    if count == 0:
        return Analysis.empty(cfg, chroma)
    floor = np.full(cfg.n_mels, cfg.db_floor)
    chroma_frames = None
    if chroma:
        size = chroma_window(cfg)
        padded = np.concatenate([np.zeros(size - cfg.n_fft), samples])
        chroma_frames = _frame_view(padded, count, cfg, size)
    result, _ = _analyse_frames(_frame_view(samples, count, cfg), floor, cfg, chroma_frames)
    return result


def to_unit(mel_db: np.ndarray, cfg: AnalysisConfig = DEFAULT_ANALYSIS) -> np.ndarray:
    """Map dB levels from ``[db_floor, db_ceil]`` onto ``[-1, 1]`` (clipped), float32."""
    span = cfg.db_ceil - cfg.db_floor
    unit = (np.asarray(mel_db, dtype=np.float32) - cfg.db_floor) * (2.0 / span) - 1.0
    return np.clip(unit, -1.0, 1.0).astype(np.float32, copy=False)


def from_unit(unit: np.ndarray, cfg: AnalysisConfig = DEFAULT_ANALYSIS) -> np.ndarray:
    """Inverse of :func:`to_unit` (within the range): unit values back to dB, float32."""
    span = cfg.db_ceil - cfg.db_floor
    clipped = np.clip(np.asarray(unit, dtype=np.float32), -1.0, 1.0)
    return ((clipped + 1.0) * (span / 2.0) + cfg.db_floor).astype(np.float32)


def sliding_windows(
    mel_unit: np.ndarray,
    cfg: AnalysisConfig = DEFAULT_ANALYSIS,
    *,
    step: int = 1,
    pad_start: bool = False,
) -> np.ndarray:
    """Cut ``(T, n_mels)`` unit-scaled frames into model windows ``(N, n_mels, n_frames)``.

    ``window[i][m, t]``: band ``m`` (0 = lowest), frame ``t`` (0 = oldest). With
    ``pad_start`` the signal is preceded by ``n_frames - 1`` silent frames (-1), so window
    ``i`` ends at frame ``i * step`` — exactly what an :class:`AnalysisStream` shows after
    that frame. Without it, windows start at frame 0 and only full windows are returned.
    """
    frames = np.asarray(mel_unit, dtype=np.float32)
    if frames.ndim != 2 or frames.shape[1] != cfg.n_mels:
        raise ValueError(f"expected (T, {cfg.n_mels}) frames, got shape {frames.shape}")
    if step < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    if pad_start:
        pad = np.full((cfg.n_frames - 1, cfg.n_mels), -1.0, dtype=np.float32)
        frames = np.concatenate([pad, frames])
    count = frames.shape[0] - cfg.n_frames + 1
    if count <= 0:
        return np.zeros((0, cfg.n_mels, cfg.n_frames), dtype=np.float32)
    starts = np.arange(0, count, step)
    index = starts[:, None] + np.arange(cfg.n_frames)[None, :]
    return np.ascontiguousarray(frames[index].transpose(0, 2, 1))


@dataclass
class AnalysisStream:
    """Incremental analysis of one live stream: push samples, read the latest window.

    Only the frames completed by new samples are transformed (a few per network packet),
    and the result equals :func:`analyse` of everything pushed so far, for any split of the
    input into blocks.

    Attributes:
        cfg: the analysis parameters.
        chroma: compute ``chroma`` and ``tonalness`` too (as ``analyse(..., chroma=True)``).
        chroma_stride: compute them for every this many frames only (frames whose index
            since the start is a multiple of it), each other frame repeating the last
            computed; 1 (every frame) equals :func:`analyse`. The chroma's window spans four
            hops, so a stride of 2–4 loses little and divides its cost (which is most of
            the analysis) by about as much. The result still does not depend on the blocks.
        frames_total: frames produced since creation or :meth:`reset`.
        last: the frames produced by the most recent :meth:`push` (possibly none).
    """

    cfg: AnalysisConfig = DEFAULT_ANALYSIS
    chroma: bool = True
    chroma_stride: int = 1
    frames_total: int = 0
    last: Analysis = field(init=False)
    _pending: np.ndarray = field(init=False, repr=False)
    _window: np.ndarray = field(init=False, repr=False)
    _previous_db: np.ndarray = field(init=False, repr=False)
    #: the chroma window's samples before the pending ones (silence before the start)
    _history: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.chroma_stride < 1:
            raise ValueError(f"chroma_stride must be >= 1, got {self.chroma_stride}")
        self.reset()

    def reset(self) -> None:
        """Forget all audio: the window returns to silence (-1)."""
        self.frames_total = 0
        #: the last computed chroma row and tonalness, held between strided frames
        self._held = (np.zeros(12), 0.0)
        self.last = Analysis.empty(self.cfg, self.chroma)
        self._pending = np.zeros(0, dtype=np.float64)
        self._history = np.zeros(chroma_window(self.cfg) - self.cfg.n_fft, dtype=np.float64)
        self._window = np.full((self.cfg.n_mels, self.cfg.n_frames), -1.0, dtype=np.float32)
        self._previous_db = np.full(self.cfg.n_mels, self.cfg.db_floor)

    @property
    def unframed(self) -> int:
        """Samples pushed after the end of the newest frame (every sample pushed, before the
        first frame): audio no window holds yet, fewer than ``hop`` once frames flow."""
        if self.frames_total == 0:
            return int(self._pending.size)
        return max(0, int(self._pending.size) - (self.cfg.n_fft - self.cfg.hop))

    def push(self, samples: np.ndarray) -> int:
        """Append samples (1-D, at ``cfg.sample_rate``, finite); return new frame count."""
        prepared = self._prepare(samples)
        if prepared is None:
            return 0
        frames, chroma_frames, pending = prepared
        stride = self.chroma_stride
        result, self._previous_db = _analyse_frames(
            frames, self._previous_db, self.cfg, chroma_frames if stride == 1 else None
        )
        return self._commit(result, chroma_frames, pending)

    def _prepare(
        self, samples: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray] | None:
        """Take in ``samples``: the frames they complete ``(T, n_fft)``, their chroma
        frames (or None) and the pending samples they were cut from; None (and the samples
        kept for later) when they complete no frame."""
        block = _check_signal(samples)
        pending = np.concatenate([self._pending, block]) if self._pending.size else block
        count = frame_count(pending.size, self.cfg)
        if count == 0:
            self._pending = np.array(pending, dtype=np.float64)
            self.last = Analysis.empty(self.cfg, self.chroma)
            return None
        pending = np.ascontiguousarray(pending)
        chroma_frames = None
        if self.chroma:
            history = self._history.size
            joined = np.concatenate([self._history, pending])
            chroma_frames = _frame_view(joined, count, self.cfg, chroma_window(self.cfg))
            end = count * self.cfg.hop
            self._history = np.array(joined[end : end + history], dtype=np.float64)
        return _frame_view(pending, count, self.cfg), chroma_frames, pending

    def _commit(
        self, result: Analysis, chroma_frames: np.ndarray | None, pending: np.ndarray
    ) -> int:
        """Keep ``result`` (the frames :meth:`_prepare` gave, analysed) as the newest."""
        count = len(result)
        if chroma_frames is not None and self.chroma_stride > 1:
            result = self._strided_chroma(result, chroma_frames)
        self._pending = np.array(pending[count * self.cfg.hop :], dtype=np.float64)
        new_columns = to_unit(result.mel_db, self.cfg).T
        keep = self.cfg.n_frames
        if count >= keep:
            self._window = np.ascontiguousarray(new_columns[:, -keep:])
        else:
            self._window = np.concatenate([self._window[:, count:], new_columns], axis=1)
        self.frames_total += count
        self.last = result
        return count

    def _strided_chroma(self, result: Analysis, chroma_frames: np.ndarray) -> Analysis:
        """``result`` with chroma computed for the frames on the stride (see the class)
        and held from the last computed one for the others."""
        count = len(result)
        index = self.frames_total + np.arange(count)
        on = np.flatnonzero(index % self.chroma_stride == 0)
        computed, tonal = _chroma(chroma_frames[on], self.cfg)
        # each frame takes the newest computed row at or before it (-1: the held one)
        latest = np.searchsorted(on, np.arange(count), side="right") - 1
        held_chroma, held_tonal = self._held
        chroma = np.vstack([held_chroma[None, :], computed])[latest + 1]
        tonalness = np.concatenate([[held_tonal], tonal])[latest + 1]
        self._held = (chroma[-1].copy(), float(tonalness[-1]))
        return replace(
            result, chroma=chroma.astype(np.float32), tonalness=tonalness.astype(np.float32)
        )

    def set_chroma(self, on: bool) -> None:
        """Start or stop computing chroma from the next push (it costs ~18× the rest of the
        analysis, so a live bridge computes it only while a colour mode uses it). Turned on,
        the chroma window starts from silence, as at the start of a stream."""
        if on and not self.chroma:
            self._history = np.zeros(chroma_window(self.cfg) - self.cfg.n_fft, dtype=np.float64)
        self.chroma = on

    def window(self) -> np.ndarray:
        """The latest ``(n_mels, n_frames)`` window, unit-scaled, newest frame last (a copy)."""
        return self._window.copy()

    @property
    def pending_samples(self) -> int:
        """Samples received but not yet part of a complete frame."""
        return int(self._pending.size)
