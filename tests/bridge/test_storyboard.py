"""``synaesthete storyboard``'s pure parts: which frames, their labels, the sheet."""

from __future__ import annotations

import numpy as np
import pytest

from cli.main import build_parser
from cli.storyboard import MAX_FRAMES, contact_sheet, frame_times, time_label


def test_frames_every_n_beats_or_seconds() -> None:
    assert frame_times(10.0, 2.0, beats=False, tempo=None) == [2.0, 4.0, 6.0, 8.0, 10.0]
    beats = frame_times(8.0, 4.0, beats=True, tempo=120.0)  # 4 beats at 120 BPM = 2 s
    assert beats == pytest.approx([2.0, 4.0, 6.0, 8.0])
    assert len(frame_times(3600.0, 1.0, beats=False, tempo=None)) == MAX_FRAMES
    with pytest.raises(ValueError, match="--tempo"):
        frame_times(8.0, 4.0, beats=True, tempo=None)
    with pytest.raises(ValueError, match="nothing to show"):
        frame_times(1.0, 2.0, beats=False, tempo=None)


def test_labels_give_time_and_bar() -> None:
    assert time_label(65.25, None, 4) == "1:05.2"
    assert time_label(58 / 30, 124.0, 4) == "0:01.9  bar 2.1"  # a hair before the beat
    assert time_label(0.0, 124.0, 3) == "0:00.0  bar 1.1"
    # the last frame of an 8-s render, 1/30 s before bar 5: its time is not rounded onto it
    assert time_label(239 / 30, 120.0, 4) == "0:07.9  bar 4.4"
    assert time_label(2.0, 120.0, 4) == "0:02.0  bar 2.1"


def test_contact_sheet_lays_out_thumbnails_with_labels() -> None:
    stills = [np.full((90, 160, 3), v, np.uint8) for v in (0, 80, 160, 240, 255)]
    sheet = contact_sheet(stills, list("abcde"), columns=2, thumb_width=80, title="t")
    assert sheet.size == (8 + 2 * 88, 26 + 8 + 3 * (45 + 18 + 8))
    pixels = np.asarray(sheet)
    assert pixels[26 + 8 + 10, 8 + 88 + 10].tolist() == [80, 80, 80]  # 2nd, top right
    with pytest.raises(ValueError):
        contact_sheet(stills, ["a"], columns=2, thumb_width=80)


def test_storyboard_and_composition_options_are_registered() -> None:
    parser = build_parser()
    args = parser.parse_args(["storyboard", "a.wav", "-o", "s.png", "--beats", "--tempo", "124"])
    assert args.composition == "stage" and args.beats and args.every is None
    args = parser.parse_args(["render", "a.wav", "-o", "x.mp4", "--composition", "grid"])
    assert args.composition == "grid"
    assert parser.parse_args(["demo", "--composition", "stack"]).composition == "stack"
    assert parser.parse_args(["bridge", "--composition", "grid"]).composition == "grid"
    with pytest.raises(SystemExit):
        parser.parse_args(["render", "a.wav", "-o", "x.mp4", "--composition", "spiral"])
