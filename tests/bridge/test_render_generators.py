"""An offline render's generators: the engine a render of so many pictures runs, and the
pictures a render of some files will make, read from their headers."""

from __future__ import annotations

import numpy as np
import soundfile

from bridge.show.render_generators import (
    COMPILE_PAYS_PICTURES,
    planned_pictures,
    render_engine,
)


def test_a_long_render_compiles_a_short_one_runs_what_is_built() -> None:
    assert render_engine(COMPILE_PAYS_PICTURES) == "compiled"
    assert render_engine(COMPILE_PAYS_PICTURES - 1) == "cached"
    assert render_engine(10, "eager") == "eager"  # asked for: as asked
    assert render_engine(10**6, "eager") == "eager"


def test_pictures_are_one_per_file_and_frame_of_the_longest_file(tmp_path) -> None:
    short, long = tmp_path / "short.wav", tmp_path / "long.flac"
    soundfile.write(short, np.zeros(2 * 22050, np.float32), 22050)
    soundfile.write(long, np.zeros((3 * 48000, 2), np.float32), 48000)
    assert planned_pictures([short, long], fps=10.0) == 2 * 30
    assert planned_pictures([short, long], fps=10.0, seconds=1.0) == 2 * 10
    assert planned_pictures([short, long], fps=10.0, seconds=60.0) == 2 * 30


def test_a_file_without_a_readable_header_plans_nothing(tmp_path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not audio")
    assert planned_pictures([text], fps=30.0) == 0
    assert planned_pictures([tmp_path / "missing.wav"], fps=30.0) == 0
