"""Per-frame features of one track's stream, the raw material of bars and fingerprints.

A track's PCM (any rate, any block size) is resampled to the analysis rate (22,050 Hz) and
analysed by :class:`models.analysis.AnalysisStream` (1024-sample frames, hop 256, i.e.
86.13 frames/s, with chroma). Each frame is reduced to a few numbers: its time, its
loudest mel band (dB), its level in :attr:`StructureConfig.bands` coarse bands (dB), its
chroma, its onset strength and the rise of the amplitude below 200 Hz (kick, bass).
Pushing audio in blocks of any size gives the same frames as pushing it in one go.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from models.analysis import DEFAULT_ANALYSIS, AnalysisConfig, AnalysisStream, mel_filterbank
from models.resample import StreamingResampler

#: Mel bands whose centre is below this frequency (Hz) make the low onset.
LOW_HZ = 200.0
#: Resampled samples gathered before they are analysed (16 hops, 0.19 s): the analysis
#: costs mostly per call, and its result does not depend on how the samples are split.
BATCH_SAMPLES = 4096
#: A band's onset is its rise over this many hops: one analysis window (1024 samples), so
#: a transient's whole rise is seen by one frame wherever it falls between frames (its
#: rise from one hop to the next would be split between frames by the grid's phase).
RISE_HOPS = 4
#: Chroma is computed for every this many frames and held between (see
#: :class:`models.analysis.AnalysisStream`): a bar's fingerprint pools it per slot, and the
#: chroma's own window spans four hops, so the bars read the same at half the cost (a
#: stride of 4 cost one repeat of the demo loop at 240 BPM its label, see
#: tests/models/test_structure_repeats.py).
CHROMA_STRIDE = 2


@dataclass(frozen=True)
class Frames:
    """A run of consecutive frames of one track; every array has one row per frame.

    Attributes:
        index: ``(T,)`` frame numbers since the stream started.
        time: ``(T,)`` seconds since the stream's first sample to the frame's centre.
        level: ``(T,)`` loudest mel band in dB (a full-scale sine ≈ 0 dB).
        bands: ``(T, bands)`` mean mel level in dB of each coarse band, low first.
        chroma: ``(T, 12)`` pitch-class shares, C first (rows sum to 1, or 0 in silence).
        onset: ``(T,)`` onset strength (mean positive dB rise over the mel bands).
        low_onset: ``(T,)`` positive rise of the amplitude (linear, 1 = full scale) of the
            mel bands below :data:`LOW_HZ`.
        band_onset: ``(T, bands)`` positive dB rise of each coarse band over the last
            :data:`RISE_HOPS` hops (placed at the frame's time minus
            :func:`rise_lag` by the fingerprints).
    """

    index: np.ndarray
    time: np.ndarray
    level: np.ndarray
    bands: np.ndarray
    chroma: np.ndarray
    onset: np.ndarray
    low_onset: np.ndarray
    band_onset: np.ndarray

    def __len__(self) -> int:
        return int(self.index.shape[0])

    @classmethod
    def empty(cls, bands: int) -> Frames:
        zero = np.zeros(0)
        return cls(
            np.zeros(0, np.int64),
            zero,
            zero,
            np.zeros((0, bands)),
            np.zeros((0, 12)),
            zero,
            zero,
            np.zeros((0, bands)),
        )

    @classmethod
    def concatenate(cls, parts: list[Frames], bands: int) -> Frames:
        """Join runs of frames (in order)."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty(bands)
        if len(parts) == 1:
            return parts[0]
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in _FIELDS))

    def take(self, rows: np.ndarray | slice) -> Frames:
        """The frames at ``rows`` (a slice or an index/boolean array)."""
        return Frames(*(getattr(self, name)[rows] for name in _FIELDS))


_FIELDS = ("index", "time", "level", "bands", "chroma", "onset", "low_onset", "band_onset")


@lru_cache(maxsize=8)
def _band_groups(cfg: AnalysisConfig, bands: int) -> tuple[np.ndarray, np.ndarray]:
    """``(band_of_mel (n_mels,), is_low (n_mels,))``: which coarse band each mel band
    pools into (equal counts of mel bands, so equal widths on the mel scale), and whether
    its centre is below :data:`LOW_HZ`."""
    bank = mel_filterbank(cfg)
    freqs = np.arange(cfg.n_bins) * cfg.sample_rate / cfg.n_fft
    centre = freqs[np.argmax(bank, axis=1)]
    groups = (np.arange(cfg.n_mels) * bands) // cfg.n_mels
    return groups, centre < LOW_HZ


def rise_lag(cfg: AnalysisConfig = DEFAULT_ANALYSIS) -> float:
    """Seconds from the middle of a band rise's span to the frame that reports it."""
    return RISE_HOPS * cfg.hop / 2 / cfg.sample_rate


class TrackFrames:
    """One track's stream turned into :class:`Frames`, block by block.

    Args:
        sample_rate: the stream's rate in Hz (resampled to ``cfg.sample_rate``).
        bands: coarse bands per frame.
        cfg: the analysis parameters (the project's analysis window by default).
    """

    def __init__(
        self, sample_rate: float, *, bands: int = 8, cfg: AnalysisConfig = DEFAULT_ANALYSIS
    ) -> None:
        if not np.isfinite(sample_rate) or sample_rate < 4000:
            raise ValueError(f"sample rate must be at least 4000 Hz, got {sample_rate}")
        self.sample_rate = float(sample_rate)
        self.cfg = cfg
        self.bands = bands
        self._resampler = StreamingResampler(sample_rate, cfg.sample_rate)
        self._stream = AnalysisStream(cfg, chroma=True, chroma_stride=CHROMA_STRIDE)
        self._groups, self._low = _band_groups(cfg, bands)
        self._counts = np.bincount(self._groups, minlength=bands).astype(np.float64)
        #: ``(n_mels, bands)``: the mean over each coarse band's mel bands, as one product
        self._pool = np.zeros((cfg.n_mels, bands))
        self._pool[np.arange(cfg.n_mels), self._groups] = 1.0 / self._counts[self._groups]
        #: seconds from a frame's first sample to its centre, plus the resampler's delay
        self._offset = cfg.n_fft / 2 / cfg.sample_rate - self._resampler.delay_seconds
        self.samples_in = 0  # input samples received
        self._last_low = 0.0
        self._last_bands = np.full((RISE_HOPS, bands), cfg.db_floor)
        self._batch: list[np.ndarray] = []
        self._batched = 0

    @property
    def frames_total(self) -> int:
        return self._stream.frames_total

    def push(self, pcm: np.ndarray) -> Frames:
        """Analyse the next block (1-D float samples at :attr:`sample_rate`, finite).

        Samples are analysed once :data:`BATCH_SAMPLES` have gathered (or at
        :meth:`flush`); returns the frames that completes (possibly none). The frames do
        not depend on how the stream is cut into blocks.

        Raises:
            ValueError: for a block that is not 1-D or holds NaN/Inf.
        """
        block = np.asarray(pcm)
        if block.ndim != 1:
            raise ValueError(f"expected a mono block (1-D), got shape {block.shape}")
        if block.size and not np.isfinite(block).all():
            raise ValueError("block contains NaN or Inf samples")
        self.samples_in += block.size
        resampled = self._resampler.process(block)
        self._batch.append(resampled)
        self._batched += resampled.size
        if self._batched < BATCH_SAMPLES:
            return Frames.empty(self.bands)
        return self.flush()

    def flush(self) -> Frames:
        """Analyse the samples gathered so far (the end of a stream); returns the frames
        that completes (possibly none)."""
        if not self._batch:
            return Frames.empty(self.bands)
        samples = self._batch[0] if len(self._batch) == 1 else np.concatenate(self._batch)
        self._batch, self._batched = [], 0
        first = self._stream.frames_total
        count = self._stream.push(samples)
        if count == 0:
            return Frames.empty(self.bands)
        result = self._stream.last
        mel = result.mel_db.astype(np.float64)
        index = np.arange(first, first + count, dtype=np.int64)
        time = index * (self.cfg.hop / self.cfg.sample_rate) + self._offset
        power = 10.0 ** (mel / 10.0)
        bands = 10.0 * np.log10(np.maximum(power @ self._pool, 1e-10))
        # the rise of the low bands' amplitude (not of their dB: leakage of a high note
        # into an empty low band would rise by tens of dB)
        low = np.sqrt(power[:, self._low].sum(axis=1))
        low_onset = np.maximum(np.diff(np.concatenate([[self._last_low], low])), 0.0)
        self._last_low = float(low[-1])
        clipped = np.clip(bands, self.cfg.db_floor, self.cfg.db_ceil)
        history = np.vstack([self._last_bands, clipped])
        band_rise = history[RISE_HOPS:] - history[:-RISE_HOPS]
        self._last_bands = history[-RISE_HOPS:]
        chroma = result.chroma if result.chroma is not None else np.zeros((count, 12))
        return Frames(
            index=index,
            time=time,
            level=mel.max(axis=1),
            bands=bands,
            chroma=chroma.astype(np.float64),
            onset=result.onset.astype(np.float64),
            low_onset=low_onset,
            band_onset=np.maximum(band_rise, 0.0),
        )
