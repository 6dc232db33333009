"""The structure's effect on the picture: motif places, accents, section colours, the form
strip — pure, on an injected clock, and through the looks' layer settings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bridge.ingest.protocol import MasterControl
from bridge.show import colour
from bridge.show.form_strip import (
    BACKING_ALPHA,
    NAMES_SHARE,
    STRIP_BARS,
    StripRow,
    draw_form_strip,
    motif_colour,
    strip_box,
)
from bridge.show.looks import Looks
from bridge.show.structure_looks import (
    ACCENT_SECONDS,
    FORM_BARS,
    MOTIF_SCALE,
    NEUTRAL,
    SECTION_SECONDS,
    SECTION_TURNS,
    StructureLooks,
    place_of,
    root_index,
)
from models.structure import BarResult, MotifResult
from tests.bridge.test_compositions import info

REPEAT = "repeat"


def motif(label: str, kind: str = REPEAT, parent: str | None = None, sim: float = 0.9):
    return MotifResult(label, kind, parent if parent is not None else label, sim)


def bar(index: int, motifs: dict, section: str = "A", boundary: bool = False, at=None):
    return BarResult(
        index=index,
        start_s=2.0 * index,
        start_beat=4.0 * index,
        length=4.0,
        tempo=120.0,
        complete=True,
        motifs=motifs,
        section=section,
        boundary=boundary,
        boundary_bar=at,
    )


def settle(looks: StructureLooks, name: str, t: float):
    return looks.pose(name, t + 10.0)


def test_a_repeat_returns_to_its_motifs_place_and_a_new_motif_gets_its_own() -> None:
    s = StructureLooks()
    s.take([bar(0, {"k": motif("a", "new", None, 0.0)})], 0.0)
    first = settle(s, "k", 0.0)
    assert (first.dx, first.dy, first.turn, first.scale) == (0.0, 0.0, 0.0, MOTIF_SCALE)
    s.take([bar(1, {"k": motif("b", "new", None, 0.0)})], 2.0)
    second = settle(s, "k", 2.0)
    assert (second.dx, second.dy, second.turn) == place_of(1) != place_of(0)
    s.take([bar(2, {"k": motif("a")})], 4.0)
    back = settle(s, "k", 4.0)
    assert (back.dx, back.dy, back.turn) == (first.dx, first.dy, first.turn)
    # the move eases: half-way it is between the two places
    s.take([bar(3, {"k": motif("b")})], 6.0)
    mid = s.pose("k", 6.0 + 0.175)
    assert min(first.dx, second.dx) < mid.dx < max(first.dx, second.dx)


def test_a_variation_sits_beside_its_parent_not_in_a_new_place() -> None:
    s = StructureLooks()
    s.take([bar(0, {"k": motif("a", "new", None, 0.0)})], 0.0)
    s.take([bar(1, {"k": motif("b", "new", None, 0.0)})], 2.0)
    b = settle(s, "k", 2.0)
    s.take([bar(2, {"k": motif("b'", "variation", "b", 0.7)})], 4.0)
    varied = settle(s, "k", 4.0)
    near = math.hypot(varied.dx - b.dx, varied.dy - b.dy)
    apart = min(math.hypot(px - b.dx, py - b.dy) for px, py, _ in map(place_of, (0, 2, 3, 4)))
    assert 0.0 < near < apart / 2
    assert 0.0 < varied.turn - b.turn <= 10.0


def test_recognition_flashes_and_fades_and_a_new_motif_does_not_flash() -> None:
    s = StructureLooks()
    s.take([bar(0, {"k": motif("a", "new", None, 0.0)})], 0.0)
    assert s.pose("k", 0.0).accent == 0.0
    s.take([bar(1, {"k": motif("a")})], 2.0)
    assert s.pose("k", 2.0).accent == pytest.approx(1.0)
    assert s.pose("k", 2.0 + ACCENT_SECONDS).accent == pytest.approx(math.exp(-1.0))
    assert s.pose("k", 2.0 + 5.0).accent == 0.0
    assert s.pose("unknown", 2.0) == NEUTRAL
    assert s.pose("k", 2.0, move=False).dx == 0.0  # the score: accent only


def test_each_section_has_its_colours_and_a_return_brings_them_back() -> None:
    s = StructureLooks()
    s.take([bar(0, {}, "A")], 0.0)
    assert s.section_turn(10.0) == 0.0
    s.take([bar(8, {}, "B", True, 7)], 16.0)
    assert s.section_turn(16.0) == pytest.approx(0.0)  # eases from A's
    assert s.section_turn(16.0 + SECTION_SECONDS) == pytest.approx(SECTION_TURNS[1])
    s.take([bar(16, {}, "A", True, 15)], 32.0)
    assert s.section_turn(32.0 + SECTION_SECONDS) == pytest.approx(0.0, abs=1e-9)
    assert s.sections_seen() == ("A", "B")


def test_the_form_keeps_the_newest_bars_and_marks_live_boundaries_where_they_start() -> None:
    s = StructureLooks()
    s.take([bar(i, {"k": motif("a")}, "A", i == 0) for i in range(8)], 0.0)
    s.take([bar(8, {"k": motif("b", "new", None, 0.0)}, "A")], 16.0)
    s.take([bar(9, {"k": motif("b")}, "B", True, 8)], 18.0)  # found one bar late
    marks = {b.index: (b.section, b.boundary) for b in s.history}
    assert marks[8] == ("B", True) and marks[9] == ("B", False) and marks[7] == ("A", False)
    s.take([bar(10 + i, {"k": None}) for i in range(2 * FORM_BARS)], 20.0)
    assert len(s.history) == FORM_BARS and s.history[-1].motifs == {"k": None}
    assert s.motif_of("k") is None
    s.forget(["k"])
    assert s.pose("k", 30.0) == NEUTRAL


def test_motif_labels_count_as_the_structure_module_writes_them() -> None:
    assert [root_index(x) for x in ("a", "b", "z", "aa", "ab")] == [0, 1, 25, 26, 27]


def looks_with_motifs(composition: str = "stage") -> Looks:
    looks = Looks(composition=composition)
    looks.sync([info("a", "Bass", 0), info("b", "Lead", 1)])
    looks.advance(0.0)
    looks.advance(1.0)
    looks.compose(1.0, {}, 16 / 9)
    return looks


def test_the_looks_place_each_motifs_drawing_within_its_region() -> None:
    looks = looks_with_motifs("grid")  # a contain-fit cell: turns show
    plain, plain_b = looks.settings("a"), looks.settings("b")
    looks.structure.take([bar(0, {"a": motif("a", "new", None, 0.0)})], 1.0)
    looks.structure.take([bar(1, {"a": motif("b", "new", None, 0.0)})], 1.0)
    looks.compose(20.0, {}, 16 / 9)
    moved = looks.settings("a")
    assert moved.position != plain.position
    assert moved.scale == pytest.approx(plain.scale * MOTIF_SCALE)
    assert moved.rotation == pytest.approx(place_of(1)[2])
    assert looks.settings("b") == plain_b  # no motif heard: its drawing fills its cell
    looks.apply(MasterControl("structure", False))
    assert looks.settings("a").position == plain.position
    assert looks.settings("a").rotation == 0.0


def test_a_recognised_motif_whitens_and_swells_and_a_section_turns_the_hue() -> None:
    looks = looks_with_motifs()
    base = looks.settings("a")
    looks.structure.take([bar(0, {"a": motif("a", "new", None, 0.0)})], 1.0)
    looks.structure.take([bar(1, {"a": motif("a")})], 2.0)
    looks.compose(2.0, {}, 16 / 9)
    flash = looks.settings("a")
    assert sum(flash.tint) > sum(base.tint) + 0.3
    looks.structure.take([bar(2, {"a": motif("a")}, "B", True, 1)], 3.0)
    looks.compose(30.0, {}, 16 / 9)
    turned = looks.settings("a").tint
    assert turned == pytest.approx(colour.turned(base.tint, SECTION_TURNS[1]), abs=1e-6)


def test_the_form_strip_draws_motifs_sections_and_silence() -> None:
    history = StructureLooks()
    history.take([bar(0, {"k": motif("a", "new", None, 0.0), "p": None}, "A", True)], 0.0)
    history.take([bar(1, {"k": motif("b", "new", None, 0.0), "p": None}, "A")], 0.0)
    history.take([bar(2, {"k": motif("a"), "p": motif("a", "new", None, 0)}, "B", True)], 0.0)
    box = strip_box((1280, 720))
    assert box[0] == 0 and box[2] == 1280 and box[1] + box[3] == 720
    red, green = (0.9, 0.2, 0.2), (0.2, 0.8, 0.3)
    rows = [StripRow("k", red, "Kick"), StripRow("p", green, "Pad")]
    image = draw_form_strip(history.history, rows, box[2:])
    assert image.shape == (box[3], box[2], 4) and image.dtype == np.uint8
    assert (image[..., :3] <= image[..., 3:4]).all()  # premultiplied
    row_k = image[box[3] - 4]  # the bottom row is the first track's
    names = round(1280 * NAMES_SHARE)
    column = (1280 - names) / STRIP_BARS

    def x(col: int) -> int:  # the middle of bar ``col``'s column
        return names + round((col + 0.5) * column)

    def at(col: int) -> tuple:
        return tuple(row_k[x(col)][:3])

    assert at(0) == at(2) != at(1)  # a, b, a: the same colour comes back
    backing = round(255 * BACKING_ALPHA)
    assert row_k[x(3)][3] == 0 and image[:, -2, 3].max() == 0  # no bar yet: clear
    assert image[2, x(0), 3] >= backing  # heard bars are backed (darkened)
    assert image[:, : names - 2, :3].max() > 100  # the rows' names are written
    row_p = image[round(box[3] * 0.3) + 5]  # the top row, below the section letters
    assert tuple(row_p[x(0)]) == (0, 0, 0, backing)  # silent: the backing only
    assert tuple(row_p[x(2)][:3]) != (0, 0, 0)
    white = image[:, names + round(2 * column), :3]
    assert (white == 255).all()  # the section mark at bar 2
    assert motif_colour(red, "a'") != motif_colour(red, "a")
    with pytest.raises(ValueError, match="8×8"):
        draw_form_strip(history.history, [], (4, 4))


def test_keys_and_presets_switch_structure_form_and_colour() -> None:
    from bridge.show.keyboard import LooksKeyboard
    from bridge.show.presets import apply_preset, capture

    looks = looks_with_motifs()
    keys = LooksKeyboard(looks)
    assert looks.structure_on and not looks.form_on and looks.colour == "track"
    assert keys.handle("y") and not looks.structure_on and keys.message == "structure off"
    assert keys.handle("g") and looks.form_on and keys.message == "form on"
    assert keys.handle("o") and looks.colour == "tone"
    assert keys.handle("o", shift=True) and looks.colour == "track"
    saved = capture(looks)
    assert saved.master["structure"] == 0 and saved.master["form"] == 1
    other = looks_with_motifs()
    apply_preset(other, saved)
    assert (other.structure_on, other.form_on) == (False, True)
