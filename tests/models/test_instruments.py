"""The held-out real-instrument set (fluidsynth + GM soundfonts) and its measures."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest

from models import instruments as ins
from models.analysis import DEFAULT_ANALYSIS
from models.instrument_eval import (
    instrument_windows,
    log_mel_drawer,
    log_mel_inverter,
    measure,
    rise_time,
)
from models.metrics import ink_height, mantel, pairwise_distances

NEEDS_FLUIDSYNTH = pytest.mark.skipif(
    ins.missing_reason() is not None,
    reason=f"{ins.missing_reason()} (installed by .ci/system-deps.sh as root with apt)",
)


def test_program_lists_are_disjoint_and_committed() -> None:
    assert len(ins.EVAL_VOICES) == 12
    assert len({v.program for v in ins.EVAL_VOICES}) == 12
    assert ins.EVAL_PAD.program in ins.EVAL_PROGRAMS
    assert not set(ins.EVAL_PROGRAMS) & set(ins.TRAIN_PROGRAMS)
    assert not set(ins.TRAIN_DRUM_KITS) & {ins.EVAL_DRUM_KIT}
    assert len(ins.TRAIN_PROGRAMS) + len(ins.EVAL_PROGRAMS) == 120
    assert ins.TRAIN_SOUNDFONT != ins.EVAL_SOUNDFONT
    for font in (ins.TRAIN_SOUNDFONT, ins.EVAL_SOUNDFONT):
        assert "fluidr3" not in str(font).lower()


def test_reserved_soundfont_is_refused(tmp_path: Path) -> None:
    font = tmp_path / "FluidR3_GM.sf2"
    font.write_bytes(b"RIFF")
    with pytest.raises(ValueError, match="reserved"):
        ins.check_soundfont(font)
    link = tmp_path / "default-GM.sf2"
    link.symlink_to(font)  # Debian's default-GM.sf2 may point at FluidR3
    with pytest.raises(ValueError, match="reserved"):
        ins.check_soundfont(link)


def test_midi_variable_length_quantities_match_the_spec() -> None:
    # Examples from the Standard MIDI File 1.0 specification.
    assert ins._varlen(0) == b"\x00"
    assert ins._varlen(0x7F) == b"\x7f"
    assert ins._varlen(0x80) == b"\x81\x00"
    assert ins._varlen(0x2000) == b"\xc0\x00"
    assert ins._varlen(0x0FFFFFFF) == b"\xff\xff\xff\x7f"


def test_midi_file_orders_events_and_counts_ticks() -> None:
    song = ins.MidiSong()
    song.note(0.5, 0.25, 0, 60, 100)
    song.program(0.0, 0, 11)
    data = song.to_bytes()
    assert data[:4] == b"MThd" and data[14:18] == b"MTrk"
    assert int.from_bytes(data[18:22], "big") == len(data) - 22
    body = data[22:]
    assert body[:7] == b"\x00\xff\x51\x03\x07\xa1\x20"  # tempo 500 000 µs per quarter
    rest = body[7:]
    assert rest[:4] == b"\x00\xb0\x00\x00"  # bank select at t = 0
    assert rest[4:7] == b"\x00\xc0\x0b"  # then the program change
    assert rest[7:12] == b"\x83\x60\x90\x3c\x64"  # 480 ticks (0.5 s) later: note on
    assert rest[12:17] == b"\x81\x70\x80\x3c\x00"  # 240 ticks later: note off
    assert rest[17:] == b"\x00\xff\x2f\x00"


def test_mantel_p_is_a_permutation_p() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6))
    same = mantel(pairwise_distances(x), pairwise_distances(2.0 * x), permutations=999)
    assert same["rho"] == pytest.approx(1.0)
    assert same["p"] == pytest.approx(1 / 1000)
    other = pairwise_distances(rng.normal(size=(40, 6)))
    unrelated = mantel(pairwise_distances(x), other, permutations=199, seed=1)
    assert unrelated["p"] > 0.05 and abs(unrelated["rho"]) < 0.2
    assert unrelated["p"] >= 1 / 200


def test_ink_height_and_rise_time() -> None:
    top, bottom = np.zeros((8, 8)), np.zeros((8, 8))
    top[0], bottom[-1] = 1.0, 1.0
    assert ink_height(top) == 1.0 and ink_height(bottom) == 0.0
    assert ink_height(np.zeros((8, 8))) == 0.5
    rate = 22050
    ramp = np.concatenate([np.linspace(0, 1, int(0.2 * rate)), np.ones(rate)])
    tone = ramp * np.sin(2 * np.pi * 440 * np.arange(len(ramp)) / rate)
    assert rise_time(tone, rate) == pytest.approx(0.16, abs=0.012)  # 10 → 90 % of 0.2 s
    assert rise_time(np.sin(2 * np.pi * 440 * np.arange(rate) / rate), rate) <= 0.01


@functools.cache
def _tiny_set() -> ins.InstrumentSet:
    voices = (ins.EVAL_VOICES[0], ins.EVAL_VOICES[4])  # piano, distortion guitar
    return ins.evaluation_set(voices=voices, offsets=(-12, 0, 12), cache=False)


@NEEDS_FLUIDSYNTH
def test_tiny_rendered_set_is_real_and_repeats_exactly() -> None:
    data = _tiny_set()
    rate = data.sample_rate
    assert data.notes.shape == (2 * 3 * 3, int(ins.NOTE_SECONDS * rate))
    rms = np.sqrt(np.mean(data.notes.astype(np.float64) ** 2, axis=1))
    assert rms.min() > 1e-4  # every note sounds
    for v in range(2):
        for p in np.unique(data.pitch[data.voice == v]):
            pick = (data.voice == v) & (data.pitch == p)
            levels = rms[pick][np.argsort(data.velocity[pick])]
            assert np.all(np.diff(levels) > 0)  # louder velocity, louder note
    period = round(data.repeat_seconds * rate)
    assert np.array_equal(data.drums[period : 2 * period], data.drums[2 * period :])
    assert np.abs(data.drums).max() > 0.05
    assert np.sqrt(np.mean(data.pad[rate : 4 * rate] ** 2)) > 1e-3


@NEEDS_FLUIDSYNTH
def test_log_mel_baseline_keeps_level_and_inverts() -> None:
    data = _tiny_set()
    win = instrument_windows(data, DEFAULT_ANALYSIS)
    result, images = measure(
        log_mel_drawer, log_mel_inverter, data, win, DEFAULT_ANALYSIS, None, permutations=99
    )
    assert images.shape == (18, 64, 64)
    assert result["velocity_vs_ink"]["rho"] > 0.5
    assert result["ink_ratio_110_vs_30"] > 1.5
    assert result["rsa"]["rho"] > 0.99 and result["rsa"]["p"] == pytest.approx(0.01)
    assert result["cycle_mel_lsd_db"] < 0.5  # 8-bit rounding only
    assert 0 < result["pad_step_ratio"] < 1 and 0 < result["repeat_ratio"] < 1
    assert len(result["per_voice"]) == 2
    json.dumps(result)  # the report's JSON takes it as is


@pytest.mark.slow
@NEEDS_FLUIDSYNTH
def test_style_section_reports_style_beside_baseline(
    tiny_style_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models import evaluate
    from models.style import Style

    monkeypatch.setattr(evaluate, "evaluation_set", lambda rate: _tiny_set())
    style = Style.from_dir(tiny_style_dir)
    opts = evaluate.EvalOptions(n_images=24, permutations=99)
    section = evaluate.instruments_section(style, tmp_path, opts)
    assert set(section["baselines"]) == {"log-mel"}
    figures = section["style"]
    assert -1 <= figures["velocity_vs_ink"]["rho"] <= 1
    assert figures["swd_mean"] > 0 and figures["swd_real_vs_real_mean"] > 0
    assert figures["cycle_mel_lsd_db"] > section["baselines"]["log-mel"]["cycle_mel_lsd_db"]
    assert (tmp_path / "instruments.png").is_file()
    assert (tmp_path / "instruments-log-mel.png").is_file()
    lines = evaluate._instrument_markdown({"style": "tiny", "instruments": section})
    table = "\n".join(lines)
    assert "| `tiny` | log-mel (baseline) | target |" in table
    assert "Distortion Guitar" in table and "(instruments.png)" in table
    assert len([line for line in lines if line.startswith("| ")]) == 1 + 12 + 1 + 2
    assert "swd_expressed_mean" not in figures  # no head: the raw drawings are the reference


@pytest.mark.slow
@NEEDS_FLUIDSYNTH
def test_a_style_with_a_head_is_also_compared_with_expressed_drawings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models import evaluate
    from models.style import Style
    from tests.models.conftest import make_style_dir

    monkeypatch.setattr(evaluate, "evaluation_set", lambda rate: _tiny_set())
    folder = make_style_dir(tmp_path / "headed", name="headed", expression=1.0)
    style = Style.from_dir(folder)
    opts = evaluate.EvalOptions(n_images=24, permutations=99)
    figures = evaluate.instruments_section(style, tmp_path, opts)["style"]
    assert figures["swd_expressed_mean"] > 0
    assert figures["swd_expressed_real_vs_real_mean"] > 0
    # The head changes the reference: expressed drawings are not the raw ones.
    assert figures["swd_expressed_real_vs_real_mean"] != figures["swd_real_vs_real_mean"]
    cell = evaluate._cell("swd_expressed_mean", figures)
    assert cell == (
        f"{figures['swd_expressed_mean']:.1f} ({figures['swd_expressed_real_vs_real_mean']:.1f})"
    )


def test_missing_fluidsynth_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models import evaluate
    from models.style import Style

    monkeypatch.setattr(evaluate, "missing_reason", lambda: "fluidsynth not found")
    style = Style.__new__(Style)  # never drawn with: the section stops before any model use
    section = evaluate.instruments_section(style, tmp_path, evaluate.EvalOptions())
    assert section == {"skipped": "fluidsynth not found"}
    text = "\n".join(evaluate._instrument_markdown({"style": "tiny", "instruments": section}))
    assert "Skipped: fluidsynth not found" in text


def test_training_side_refuses_held_out_programs_and_kits() -> None:
    with pytest.raises(ValueError, match="EVAL_PROGRAMS"):
        ins.training_set(programs=(ins.EVAL_VOICES[0].program,), cache=False)
    with pytest.raises(ValueError, match="kit"):
        ins.training_set(programs=(1,), kit=ins.EVAL_DRUM_KIT, cache=False)
    with pytest.raises(ValueError, match="EVAL_PROGRAMS"):
        ins.evaluation_set(voices=(ins.Voice(1, "Bright Acoustic Piano", 60),), cache=False)
    voices = ins.training_voices()
    assert {v.program for v in voices} == set(ins.TRAIN_PROGRAMS)


@pytest.mark.skipif(
    ins.missing_reason(ins.TRAIN_SOUNDFONT) is not None,
    reason=f"{ins.missing_reason(ins.TRAIN_SOUNDFONT)} (see .ci/system-deps.sh)",
)
def test_training_side_renders_from_its_own_soundfont() -> None:
    data = ins.training_set(programs=(1,), offsets=(0,), velocities=(40, 120), cache=False)
    assert data.soundfont == ins.TRAIN_SOUNDFONT.name
    rms = np.sqrt(np.mean(data.notes.astype(np.float64) ** 2, axis=1))
    assert rms[1] > 3 * rms[0] > 0  # +18.8 dB at velocity 120 vs 40
