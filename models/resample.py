"""Sample-rate conversion by a rational factor: whole signals and streams (polyphase FIR).

:func:`resample` converts a whole signal at once (audio files, training material);
:class:`StreamingResampler` converts a live stream block by block.

Devices send at Live's rate ÷ decimation (22,050 or 24,000 Hz, or anything a simulator
chooses); the analysis window is defined at 22,050 Hz. The resampler keeps just enough
input history between calls that converting a stream block by block gives exactly the
samples that converting it in one go would, whatever the block sizes.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import firwin, resample_poly

#: Filter taps per output phase (at the input rate): sets the transition band's width.
TAPS_PER_PHASE = 48
#: Stopband attenuation aimed for, in dB (Kaiser's formulas give beta and the width).
STOPBAND_DB = 60.0
KAISER_BETA = 0.1102 * (STOPBAND_DB - 8.7)


def rational_ratio(in_rate: float, out_rate: float, max_denominator: int = 1000) -> Fraction:
    """``out_rate / in_rate`` as a small fraction (e.g. 24000 → 22050 is 147/160)."""
    if in_rate <= 0 or out_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {in_rate} and {out_rate}")
    return Fraction(out_rate / in_rate).limit_denominator(max_denominator)


def resample(signal: np.ndarray, from_rate: float, to_rate: float) -> np.ndarray:
    """A whole signal resampled from ``from_rate`` to ``to_rate`` (Hz), float32 out.

    ``signal`` is 1-D. The ratio is :func:`rational_ratio`'s; the filter is scipy's
    ``resample_poly`` (Kaiser window), computed in float64.
    """
    if abs(from_rate - to_rate) < 1e-9:
        return np.asarray(signal, dtype=np.float32)
    ratio = rational_ratio(from_rate, to_rate)
    out = resample_poly(np.asarray(signal, np.float64), ratio.numerator, ratio.denominator)
    return out.astype(np.float32)


def _cutoff(up: int, down: int) -> float:
    """Cutoff relative to the upsampled Nyquist, placed so the stopband starts at the
    lower of the two Nyquist frequencies: nothing above it survives to alias."""
    # Kaiser: transition width in units of the input rate for TAPS_PER_PHASE taps.
    transition = (STOPBAND_DB - 7.95) / (2.285 * 2 * np.pi * TAPS_PER_PHASE)
    lower_nyquist = 0.5 * min(1.0, up / down)  # in units of the input rate
    return (lower_nyquist - transition / 2) / (0.5 * up)


@lru_cache(maxsize=16)
def _polyphase_bank(up: int, down: int) -> np.ndarray:
    """Filter bank ``(up, TAPS_PER_PHASE)``: row ``p`` holds taps ``h[p + k*up]``."""
    length = up * TAPS_PER_PHASE
    taps = firwin(length, _cutoff(up, down), window=("kaiser", KAISER_BETA)) * up
    bank = taps.reshape(TAPS_PER_PHASE, up).T.copy()
    bank.setflags(write=False)
    return bank


class StreamingResampler:
    """Convert a stream from ``in_rate`` to ``out_rate``, block by block.

    Output sample ``n`` sits at input time ``n * in_rate / out_rate``; the filter delays
    the signal by about ``TAPS_PER_PHASE / 2`` input samples (1 ms at 24 kHz). Content
    above the lower Nyquist frequency is suppressed by at least ``STOPBAND_DB``; the
    passband is flat to about 90 % of it. Equal rates pass samples through untouched.
    """

    def __init__(self, in_rate: float, out_rate: float) -> None:
        ratio = rational_ratio(in_rate, out_rate)
        self.in_rate = float(in_rate)
        self.out_rate = float(out_rate)
        self.up = ratio.numerator
        self.down = ratio.denominator
        self.passthrough = self.up == self.down
        #: Per output phase p, the taps reversed, float32 ``(up, TAPS_PER_PHASE)``: row p
        #: weighs the TAPS_PER_PHASE inputs ending at an output's base index, oldest first.
        self._weights = (
            None
            if self.passthrough
            else np.ascontiguousarray(_polyphase_bank(self.up, self.down)[:, ::-1], np.float32)
        )
        self.reset()

    def reset(self) -> None:
        """Forget the history, as at the start of a stream."""
        self._history = np.zeros(TAPS_PER_PHASE - 1, dtype=np.float32)
        self._consumed = 0  # input samples received so far
        self._produced = 0  # output samples emitted so far

    @property
    def consumed(self) -> int:
        """Input samples taken in since the start (or the last :meth:`reset`)."""
        return self._consumed

    @property
    def produced(self) -> int:
        """Output samples emitted since the start (or the last :meth:`reset`)."""
        return self._produced

    def source_index(self, output_index: int) -> int:
        """The input sample whose arrival lets output sample ``output_index`` be emitted
        (both counted from the start): ``⌊output_index · down / up⌋``."""
        return output_index * self.down // self.up

    @property
    def delay_seconds(self) -> float:
        """Group delay of the anti-alias filter."""
        if self.passthrough:
            return 0.0
        return (self.up * TAPS_PER_PHASE - 1) / 2 / self.up / self.in_rate

    def process(self, block: np.ndarray) -> np.ndarray:
        """Convert the next block of input; returns the output samples it completes."""
        samples = np.asarray(block, dtype=np.float32).reshape(-1)
        if self.passthrough:
            self._consumed += samples.size
            self._produced += samples.size
            return samples.copy()
        if samples.size == 0:
            return np.zeros(0, dtype=np.float32)
        buffer = np.concatenate([self._history, samples])
        buffer_start = self._consumed - self._history.size  # input index of buffer[0]
        self._consumed += samples.size
        # Output n needs input index floor(n*down/up); emit every n whose index exists,
        # i.e. every n with n*down < consumed*up.
        last_n = (self._consumed * self.up - 1) // self.down
        count = last_n - self._produced + 1
        out = np.zeros(0, dtype=np.float32)
        if count > 0:
            assert self._weights is not None
            position = np.arange(self._produced, self._produced + count, dtype=np.int64)
            position *= self.down
            # Row r of the window view holds buffer[r : r + TAPS]: inputs up to r + TAPS - 1.
            first = position // self.up - buffer_start - (TAPS_PER_PHASE - 1)
            windows = sliding_window_view(buffer, TAPS_PER_PHASE)
            # Each output is one row's dot product, computed alike whatever the block size
            # (so block by block gives exactly the samples of all at once).
            out = np.einsum("ij,ij->i", windows[first], self._weights[position % self.up])
            self._produced += count
        self._history = buffer[-(TAPS_PER_PHASE - 1) :].copy()
        return out
