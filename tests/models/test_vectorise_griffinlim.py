"""SVG vectorisation and spectrogram inversion."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from models.analysis import DEFAULT_ANALYSIS, analyse, sliding_windows, to_unit
from models.griffinlim import mel_db_to_power, unit_window_to_audio
from models.metrics import log_spectral_distance
from models.vectorise import field_to_svg, trace_contours


def _disk(radius: float, inner: float = 0.0) -> np.ndarray:
    y, x = np.mgrid[:64, :64]
    r = np.hypot(x - 31.5, y - 31.5)
    return ((r < radius) & (r >= inner)).astype(float)


def test_contours_of_a_disk_and_a_ring() -> None:
    (ring,) = trace_contours(_disk(10))
    points = np.array(ring)
    radii = np.hypot(points[:, 0] - 32.0, points[:, 1] - 32.0)
    assert radii.min() > 9.0 and radii.max() < 11.0
    assert len(trace_contours(_disk(20, inner=10))) == 2  # outer edge and the hole
    assert trace_contours(np.zeros((8, 8))) == []
    with pytest.raises(ValueError, match="2-D"):
        trace_contours(np.zeros(5))


def test_svg_is_valid_xml_with_one_evenodd_path() -> None:
    svg = field_to_svg((_disk(20, inner=10) * 255).astype(np.uint8), scale=2)
    root = ET.fromstring(svg.split("\n", 1)[1])
    assert root.tag.endswith("svg") and root.attrib["width"] == "128"
    paths = [el for el in root.iter() if el.tag.endswith("path")]
    assert len(paths) == 1 and paths[0].attrib["fill-rule"] == "evenodd"
    assert paths[0].attrib["d"].count("M ") == 2
    empty = ET.fromstring(field_to_svg(np.zeros((4, 4))).split("\n", 1)[1])
    assert not [el for el in empty.iter() if el.tag.endswith("path")]


def test_mel_inversion_is_non_negative_and_consistent() -> None:
    cfg = DEFAULT_ANALYSIS
    tone = np.sin(2 * np.pi * 440 * np.arange(8192) / cfg.sample_rate)
    mel_db = analyse(tone, cfg).mel_db
    power = mel_db_to_power(mel_db, cfg)
    assert power.min() >= 0.0
    from models.analysis import mel_filterbank

    back = 10 * np.log10(np.maximum(power @ mel_filterbank(cfg).T, 1e-10))
    loud = mel_db > -40
    assert np.abs(back[loud] - mel_db[loud]).max() < 1.0


def test_griffin_lim_round_trip_keeps_the_spectrogram() -> None:
    cfg = DEFAULT_ANALYSIS
    t = np.arange(20000) / cfg.sample_rate
    chirp = 0.5 * np.sin(2 * np.pi * (200 + 400 * t) * t) * np.minimum(1.0, t * 20)
    window = sliding_windows(to_unit(analyse(chirp, cfg).mel_db, cfg), cfg)[0]
    audio = unit_window_to_audio(window, cfg, iterations=32)
    assert audio.shape == ((cfg.n_frames - 1) * cfg.hop + cfg.n_fft,)
    again = np.clip(analyse(audio, cfg).mel_db, cfg.db_floor, cfg.db_ceil)
    original = np.clip(analyse(chirp, cfg).mel_db[: cfg.n_frames], cfg.db_floor, cfg.db_ceil)
    assert log_spectral_distance(original, again) < 6.0
