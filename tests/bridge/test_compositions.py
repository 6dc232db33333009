"""Compositions: roles from the audio, stage/grid/stack regions, eased reflow, live switching.

Pure tests (no GL) of :mod:`bridge.show.compositions` and the looks, keyboard, presets and
protocol around it, and one show test (small headless GL) that swaps the demo stems' names
and order and finds every sound where it was.
"""

from __future__ import annotations

import json
import math
from itertools import pairwise

import numpy as np
import pytest

from bridge.generate.analysis_feed import FeatureRecord, PendingAudio, TrackAnalyser
from bridge.generate.feeds import Stem
from bridge.generate.generator_api import SyncGenerator
from bridge.ingest.osc_codec import decode_message, encode_message
from bridge.ingest.protocol import (
    LayerControl,
    MasterControl,
    ProtocolError,
    Selector,
    interpret,
)
from bridge.ingest.registry import DeviceParams
from bridge.ingest.transport import BeatState
from bridge.show.compositions import (
    COMPOSITIONS,
    LAYOUTS,
    ROLE_HOLD_SECONDS,
    SCORE_BEATS,
    SCORE_STAMP_BEATS,
    STACKED,
    TRANSITION_SECONDS,
    ComposedTrack,
    Composer,
    Placement,
    RoleEstimator,
    Voice,
    grid_layout,
    grid_shape,
    score_layout,
    stage_layout,
)
from bridge.show.keyboard import LooksKeyboard
from bridge.show.looks import Looks, TrackInfo
from bridge.show.presets import capture, load_preset, save_preset
from bridge.simulate.demo_audio import demo_stems

ASPECT = 16 / 9
FPS = 30.0


def demo_records(bars: int = 4) -> dict[str, list[FeatureRecord]]:
    """Each demo stem's per-frame features at 30 fps, as the offline feed computes them."""
    hop = round(22050 / FPS)
    out = {}
    for name, audio in demo_stems(bars=bars):
        analyser = TrackAnalyser()
        records = []
        for start in range(0, audio.size, hop):
            analyser.update(PendingAudio(audio[start : start + hop], 22050.0, 0, None))
            records.append(FeatureRecord.of(analyser.features))
        out[name] = records
    return out


@pytest.fixture(scope="module")
def records() -> dict[str, list[FeatureRecord]]:
    return demo_records()


def estimate(records: list[FeatureRecord]) -> RoleEstimator:
    estimator = RoleEstimator()
    for record in records:
        estimator.update(record, 1 / FPS)
    return estimator


def overlap(a: Placement, b: Placement) -> float:
    """Area shared by two rectangles (frame-height units²)."""
    w = min(a.x + a.width / 2, b.x + b.width / 2) - max(a.x - a.width / 2, b.x - b.width / 2)
    h = min(a.y + a.height / 2, b.y + b.height / 2) - max(a.y - a.height / 2, b.y - b.height / 2)
    return max(0.0, w) * max(0.0, h)


def inside_frame(p: Placement, aspect: float = ASPECT) -> bool:
    return abs(p.x) + p.width / 2 <= aspect / 2 + 1e-9 and abs(p.y) + p.height / 2 <= 0.5 + 1e-9


# -------------------------------------------------------------------------------- roles


def test_roles_come_from_the_sound_of_the_demo_stems(records) -> None:
    roles = {name: estimate(recs).role for name, recs in records.items()}
    assert roles == {"Kick": "perc", "Bass": "bass", "Hats": "perc", "Pad": "pad"}
    registers = {name: estimate(recs).register for name, recs in records.items()}
    assert registers["Kick"] < registers["Bass"] < registers["Hats"]


def test_no_role_before_enough_sound_and_silence_teaches_nothing(records) -> None:
    estimator = RoleEstimator()
    for _ in range(300):  # 10 s of silence
        estimator.update(FeatureRecord(), 1 / FPS)
    assert estimator.role is None and estimator.heard == 0.0
    estimator.update(records["Pad"][40], 1 / FPS)
    assert estimator.role is None  # one frame is not enough to tell


def test_a_role_changes_only_after_the_new_sound_has_held(records) -> None:
    estimator = estimate(records["Pad"])
    assert estimator.role == "pad"
    hats = records["Hats"]
    # One odd bar (~2 s at 124 BPM) of hats on the pad's track: still a pad.
    for record in hats[:60]:
        estimator.update(record, 1 / FPS)
    assert estimator.candidate() != "pad" and estimator.role == "pad"  # held back
    for record in hats[60:] + hats:  # the track really turned into hats
        estimator.update(record, 1 / FPS)
    assert estimator.role == "perc"
    sounding = sum(1 for r in hats[:60] if r.level >= 0.2) / FPS
    assert sounding < ROLE_HOLD_SECONDS


# ------------------------------------------------------------------------------ layouts


def demo_voices() -> list[Voice]:
    return [
        Voice("kick", (0, "kick"), "perc", 0.04),
        Voice("bass", (1, "bass"), "bass", 0.30),
        Voice("hats", (2, "hats"), "perc", 0.93),
        Voice("pad", (3, "pad"), "pad", 0.25),
        Voice("lead", (4, "lead"), "lead", 0.70),
    ]


def test_stage_places_voices_by_role() -> None:
    places = stage_layout(demo_voices(), ASPECT)
    assert all(inside_frame(p) for p in places.values())
    lead, kick, hats, bass, pad = (places[k] for k in ("lead", "kick", "hats", "bass", "pad"))
    assert lead.y > kick.y > bass.y  # high voices high, percussion central, bass low
    assert kick.y == hats.y and kick.x < hats.x  # one band, low register on the left
    assert bass.width / bass.height == pytest.approx(ASPECT)  # bass is wide
    assert kick.width == kick.height  # percussion square
    assert pad.width / pad.height == pytest.approx(ASPECT) and pad.height > 0.8  # background
    voices = [k for k in places if k != "pad"]
    for i, a in enumerate(voices):  # the voices in front never share space
        for b in voices[i + 1 :]:
            assert overlap(places[a], places[b]) == 0.0, (a, b)


def test_stage_bands_take_the_height_of_missing_roles() -> None:
    only_bass = stage_layout([Voice("b", (0, "b"), "bass", 0.3)], ASPECT)["b"]
    assert only_bass.y == pytest.approx(0.0) and only_bass.height > 0.8
    unknown = stage_layout([Voice("u", (0, "u"), None, 0.0)], ASPECT)["u"]
    assert unknown.y == 0.0 and unknown.height > 0.8  # not heard yet: the background


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 7, 9, 16])
def test_grid_is_even_in_live_order_and_never_overlaps(count: int) -> None:
    voices = [Voice(f"t{i}", (i, f"t{i}"), "pad", 0.0) for i in reversed(range(count))]
    places = grid_layout(voices, ASPECT)
    assert all(inside_frame(p) for p in places.values())
    assert len({(p.width, p.height) for p in places.values()}) == 1  # even
    ordered = [places[f"t{i}"] for i in range(count)]
    for a, b in pairwise(ordered):  # left to right, then the next row down
        assert (a.y == b.y and a.x < b.x) or b.y < a.y
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            assert overlap(a, b) == 0.0


def test_grid_shape_fits_the_frame() -> None:
    assert grid_shape(4, ASPECT) == (2, 2)
    assert grid_shape(2, ASPECT) == (2, 1)
    assert grid_shape(16, ASPECT) == (6, 3)


def test_layer_fields_turn_a_placement_into_renderer_settings() -> None:
    assert STACKED.layer_fields(ASPECT) == ((0.0, 0.0), 1.0, "contain")
    wide = Placement(-ASPECT / 4, -0.25, ASPECT * 0.4, 0.4)
    position, scale, fit = wide.layer_fields(ASPECT)
    assert position == pytest.approx((-0.5, -0.5)) and scale == pytest.approx(0.4)
    assert fit == "stretch"
    assert Placement(0, 0, 0.3, 0.3).layer_fields(ASPECT)[1:] == (0.3, "contain")
    assert Placement(0, 0, 0.3, 0.3).layer_fields(0.5)[1:] == (0.6, "contain")  # portrait


def test_every_protocol_composition_has_a_layout() -> None:
    assert set(LAYOUTS) == set(COMPOSITIONS)


# ----------------------------------------------------------------------------- composer


def tracks(*keys: str, present: dict[str, bool] | None = None) -> list[ComposedTrack]:
    present = present or {}
    return [ComposedTrack(k, (i, k), present.get(k, True), "pad") for i, k in enumerate(keys)]


def test_regions_reflow_eased_when_tracks_come_and_go() -> None:
    composer = Composer()
    composer.update(0.0, "grid", tracks("a", "b"), {}, ASPECT)
    a_start = composer.placement("a")
    composer.update(10.0, "grid", tracks("a", "b", "c"), {}, ASPECT)  # c arrives
    target = grid_layout([Voice(k, (i, k), "pad", 0) for i, k in enumerate("abc")], ASPECT)
    assert composer.placement("c") == target["c"]  # a newcomer appears in place (fading in)
    assert composer.placement("a") == a_start  # the others start moving from where they are
    composer.update(10.0 + TRANSITION_SECONDS / 2, "grid", tracks("a", "b", "c"), {}, ASPECT)
    assert composer.placement("a") == a_start.lerp(target["a"], 0.5)  # eased: half-way
    composer.update(10.0 + TRANSITION_SECONDS, "grid", tracks("a", "b", "c"), {}, ASPECT)
    assert composer.placement("a") == target["a"]
    # c leaves: it stays where it is while it fades out, a and b take the room back.
    gone = tracks("a", "b", "c", present={"c": False})
    composer.update(20.0, "grid", gone, {}, ASPECT)
    composer.update(20.0 + TRANSITION_SECONDS, "grid", gone, {}, ASPECT)
    assert composer.placement("c") == target["c"]
    assert composer.placement("a") == a_start
    composer.update(21.0 + TRANSITION_SECONDS, "grid", tracks("a", "b"), {}, ASPECT)
    assert composer.placement("c") == STACKED  # forgotten


def test_switching_composition_moves_smoothly() -> None:
    composer = Composer()
    composer.update(0.0, "stack", tracks("a", "b"), {}, ASPECT)
    assert composer.placement("a") == STACKED
    heights = []
    for i in range(0, 31):
        composer.update(1.0 + i / 30, "grid", tracks("a", "b"), {}, ASPECT)
        heights.append(composer.placement("a").height)
    steps = np.diff(heights)
    assert heights[-1] == pytest.approx(
        grid_layout([Voice("a", (0, "a"), None, 0), Voice("b", (1, "b"), None, 0)], ASPECT)[
            "a"
        ].height
    )
    assert np.all(steps <= 1e-12) and np.abs(steps).max() < 0.1  # no jump, monotonic
    assert abs(steps[0]) < abs(steps[15])  # eased in


def test_unknown_composition_is_refused() -> None:
    with pytest.raises(ValueError, match="composition"):
        Composer().update(0.0, "spiral", [], {}, ASPECT)


def composed_places(records, names: list[str], order: list[str]) -> dict[str, Placement]:
    """Run a composer over the demo's features with tracks keyed and ordered as given;
    returns each *sound*'s final placement."""
    composer = Composer()
    keys = dict(zip(order, names, strict=True))  # sound -> track name
    for i in range(len(records["Kick"])):
        frame = {keys[sound]: records[sound][i] for sound in order}
        composed = [ComposedTrack(keys[s], (n, keys[s])) for n, s in enumerate(order)]
        composer.update(i / FPS, "stage", composed, frame, ASPECT)
    return {sound: composer.placement(keys[sound]) for sound in order}


def test_stage_placement_follows_the_sound_not_names_or_order(records) -> None:
    straight = composed_places(records, ["Kick", "Bass", "Hats", "Pad"], list(records))
    swapped_order = ["Pad", "Hats", "Kick", "Bass"]
    swapped = composed_places(records, ["Bass", "Kick", "Pad", "Hats"], swapped_order)
    assert swapped == straight
    assert straight["Bass"].y < straight["Kick"].y  # and the places are the stage's


# ---------------------------------------------------------- looks, keys, presets, OSC


def info(key: str, name: str, index: int) -> TrackInfo:
    return TrackInfo(key, f"{index:08d}-1111-4111-8111-111111111111", name, 0x3366FF, index,
                     True, DeviceParams(), 1)  # fmt: skip


def test_looks_apply_the_composition_with_controller_offsets() -> None:
    looks = Looks(composition="grid")
    looks.sync([info("a", "Kick", 0), info("b", "Bass", 1)])
    looks.advance(0.0)
    looks.compose(0.0, {}, ASPECT)
    left = looks.settings("a")
    assert left.position[0] < 0 and left.fit == "contain" and left.scale < 1
    looks.apply(LayerControl(Selector("name", "Kick"), "x", 0.1))
    looks.apply(LayerControl(Selector("name", "Kick"), "scale", 2.0))
    moved = looks.settings("a")
    assert moved.position[0] == pytest.approx(left.position[0] + 0.1)
    assert moved.scale == pytest.approx(2 * left.scale)
    assert looks.apply(MasterControl("composition", "stack")) == 1
    looks.compose(5.0, {}, ASPECT)
    looks.compose(5.0 + TRANSITION_SECONDS, {}, ASPECT)
    assert looks.settings("b").position == (0.0, 0.0) and looks.settings("b").scale == 1.0


def test_a_role_override_places_a_track_without_listening(records) -> None:
    looks = Looks()
    looks.sync([info("a", "Synth", 0), info("b", "Other", 1)])
    looks.advance(0.0)
    looks.apply(LayerControl(Selector("name", "Synth"), "role", "bass"))
    looks.apply(LayerControl(Selector("name", "Other"), "role", "lead"))
    looks.compose(0.0, {}, ASPECT)
    assert looks.role("a") == "bass" and looks.role("b") == "lead"
    assert looks.settings("a").position[1] < 0 < looks.settings("b").position[1]
    assert looks.settings("a").fit == "stretch"


def test_keys_c_and_shift_c_switch_the_composition() -> None:
    looks = Looks()
    keyboard = LooksKeyboard(looks)
    assert keyboard.handle("c") and looks.composition == COMPOSITIONS[1]
    assert keyboard.message == f"composition {COMPOSITIONS[1]}"
    keyboard.handle("c", shift=True)
    keyboard.handle("c", shift=True)
    assert looks.composition == COMPOSITIONS[-1]


def voice(key: str, role: str | None, index: int, register: float) -> Voice:
    return Voice(key, (index, key), role, register)


def test_score_gives_each_voice_a_lane_by_register_with_its_picture_at_the_right() -> None:
    voices = [voice("hi", "lead", 0, 0.7), voice("lo", "bass", 1, 0.2), voice("mid", "pad", 2, 0.4)]
    placements = score_layout(voices, ASPECT)
    ys = [placements[key].y for key in ("lo", "mid", "hi")]
    assert ys == sorted(ys) and ys[0] == pytest.approx(-1 / 3)  # lanes of a third, low first
    for p in placements.values():
        assert p.width == p.height == pytest.approx(ASPECT * SCORE_STAMP_BEATS / SCORE_BEATS)
        assert p.x + p.width / 2 == pytest.approx(ASPECT / 2)  # at the right edge
        assert inside_frame(p)
    many = score_layout([voice(str(i), None, i, i / 20) for i in range(20)], ASPECT)
    assert all(p.height <= 1 / 20 for p in many.values())  # narrow lanes: the lane's height
    assert score_layout([], ASPECT) == {}


def score_looks() -> Looks:
    looks = Looks(composition="score")
    looks.sync([info("a", "Kick", 0)])
    looks.advance(0.0)
    looks.advance(1.0)  # faded in
    return looks


def test_score_lays_pictures_down_on_the_beat_and_scrolls_with_the_tempo() -> None:
    looks = score_looks()
    stamps = []
    for i in range(91):  # 1.5 s at 60 fps, 120 BPM: beats start at frames 0, 30, 60, 90
        t = i / 60
        looks.compose(t, {}, ASPECT, BeatState(120.0, True, t * 2.0, 4, 4))
        stamps.append(looks.render_master().layers_on)
        assert looks.settings("a").opacity == 1.0  # what a HUD shows: the layer's own
    every = 30 * SCORE_STAMP_BEATS
    assert [i for i, stamped in enumerate(stamps) if stamped] == [0, every]
    master = looks.render_master()
    assert master.trails_on and master.scroll == pytest.approx(2.0 / SCORE_BEATS)
    # One picture width scrolls by between two pictures: they lie side by side.
    place = looks.composer.placement("a")
    seconds = every / 60
    assert master.scroll * seconds * ASPECT == pytest.approx(place.width)
    looks.apply(MasterControl("composition", "stage"))  # switching away stops the scroll
    assert looks.render_master() == looks.master and not looks.master.trails_on
    assert looks.render_master().layers_on
    assert looks.settings("a").opacity == 1.0


def test_without_a_transport_the_score_keeps_time_on_the_clock() -> None:
    looks = score_looks()
    stamped = []
    for i in range(200):  # 2 s at 100 fps; 120 BPM assumed: a picture every second
        looks.compose(i / 100, {}, ASPECT)
        if looks.stamp:
            stamped.append(i)
    assert stamped == [0, 100]
    assert looks.render_master().scroll == pytest.approx(2.0 / SCORE_BEATS)


def test_presets_keep_the_composition_and_roles(tmp_path) -> None:
    looks = Looks(composition="grid")
    looks.sync([info("a", "Pad", 0)])
    looks.apply(LayerControl(Selector("name", "Pad"), "role", "pad"))
    path = save_preset(looks, "layout", tmp_path)
    data = json.loads(path.read_text())
    assert data["master"]["composition"] == "grid" and data["layers"]["Pad"] == {"role": "pad"}
    other = Looks()
    other.sync([info("x", "pad", 3)])
    assert load_preset(other, "layout", tmp_path) == 1
    assert other.composition == "grid" and other.role("x") == "pad"
    assert capture(other).master["composition"] == "grid"


def test_ink_is_a_master_property_kept_in_presets(tmp_path) -> None:
    assert osc("/syn/master/ink", "field") == MasterControl("ink", "field")
    assert osc("/syn/master/ink", 0) == MasterControl("ink", "stroke")
    with pytest.raises(ProtocolError):
        osc("/syn/master/ink", "vector")
    looks = Looks()
    assert looks.master.ink == "stroke"
    looks.apply(MasterControl("ink", "field"))
    assert looks.master.ink == "field"
    save_preset(looks, "fields", tmp_path)
    other = Looks()
    load_preset(other, "fields", tmp_path)
    assert other.master.ink == "field" and capture(other).master["ink"] == "field"


def osc(address: str, *args) -> object:
    return interpret(decode_message(encode_message(address, list(args))))


def test_osc_switches_composition_by_name_or_index_and_sets_roles() -> None:
    assert osc("/syn/master/composition", "grid") == MasterControl("composition", "grid")
    assert osc("/syn/master/composition", 2) == MasterControl("composition", COMPOSITIONS[2])
    assert osc("/syn/master/composition", 0.0) == MasterControl("composition", COMPOSITIONS[0])
    with pytest.raises(ProtocolError) as bad:
        osc("/syn/master/composition", "spiral")
    assert bad.value.reason == "bad_value"
    with pytest.raises(ProtocolError):
        osc("/syn/master/composition", 7)
    event = osc("/syn/layer/role", "Lead synth", "lead")
    assert event == LayerControl(Selector("name", "Lead synth"), "role", "lead")
    assert osc("/syn/layer/2/role", "auto") == LayerControl(Selector("index", 2), "role", "auto")


# ------------------------------------------------------------------ the show, with GL


def show_positions(named: list[tuple[str, np.ndarray]], seconds: float) -> dict[str, tuple]:
    """Render the stems through the offline show; each track's final (position, scale, fit)
    by track name."""
    from bridge.show.render import offline_show
    from renderer.headless import HeadlessRenderer

    stems = [Stem(name, audio, 0x808080 + i) for i, (name, audio) in enumerate(named)]
    generator = SyncGenerator(lambda w: np.clip((w + 1.0) * 160.0, 0, 255).astype(np.uint8))
    n = round(seconds * FPS)
    with HeadlessRenderer((160, 90), internal_height=45) as renderer:
        show, feed = offline_show(
            stems, renderer.compositor, lambda style: generator, fps=FPS, n_frames=n
        )
        for i in range(n):
            features, beat = show.update(i / FPS)
            renderer.compositor.render(i / FPS, features, beat)
        feed.finish()
        scene = renderer.compositor.scene
        return {
            s.name: (scene.layer(s.key).position, scene.layer(s.key).scale, scene.layer(s.key).fit)
            for s in show.snapshots
        }


def test_the_show_places_each_sound_the_same_whatever_its_name_and_order() -> None:
    sounds = dict(demo_stems(bars=3))
    straight = show_positions(list(sounds.items()), 5.0)
    # The same four sounds, named after each other and in another order.
    renamed = {"Kick": "Pad", "Bass": "Hats", "Hats": "Kick", "Pad": "Bass"}
    order = ["Pad", "Kick", "Bass", "Hats"]
    swapped = show_positions([(renamed[s], sounds[s]) for s in order], 5.0)
    for sound, place in straight.items():
        assert swapped[renamed[sound]] == place, sound
    assert straight["Bass"][0][1] < straight["Kick"][0][1] < 0.5  # bass below percussion
    assert straight["Pad"][2] == "stretch" and straight["Bass"][2] == "stretch"
    assert len({place[0] for place in straight.values()}) == 4  # four places, not one


def test_voices_of_close_register_keep_their_places() -> None:
    """Two voices whose running centroids wobble around each other (0.46/0.42 against 0.44)
    are ordered once and keep their lanes; one that really moves is placed again."""
    from bridge.generate.analysis_feed import FeatureRecord
    from bridge.show.compositions import REGISTER_MARGIN, RoleEstimator, Voice, score_layout

    a, b = RoleEstimator(), RoleEstimator()
    orders = set()
    for i in range(30 * 20):  # 20 s at 30 frames/s
        wobble = 0.46 if (i // 90) % 2 == 0 else 0.42
        a.update(FeatureRecord(level=0.8, onset=0.0, centroid=wobble, flatness=0.05), 1 / 30)
        b.update(FeatureRecord(level=0.8, onset=0.0, centroid=0.44, flatness=0.05), 1 / 30)
        if i > 30:
            voices = [
                Voice("a", (0,), a.role, a.lane_register),
                Voice("b", (1,), b.role, b.lane_register),
            ]
            lanes = score_layout(voices, 16 / 9)
            orders.add(lanes["a"].y < lanes["b"].y)
    assert len(orders) == 1
    for _ in range(30 * 10):  # a: now clearly higher
        a.update(
            FeatureRecord(level=0.8, onset=0.0, centroid=0.44 + 2 * REGISTER_MARGIN, flatness=0.05),
            1 / 30,
        )
    assert a.lane_register > b.lane_register + REGISTER_MARGIN


def test_score_pictures_sit_on_lives_beats_whenever_the_show_started() -> None:
    """Started mid-bar (Live at beat 5.3), the score lays its pictures down where Live's
    even-numbered beats start, not where the show happened to start counting."""
    looks = score_looks()
    stamped = []
    for i in range(181):  # 3 s at 60 fps, 120 BPM, from song position 5.3
        beat = 5.3 + i / 30
        looks.compose(i / 60, {}, ASPECT, BeatState(120.0, True, beat, 4, 4))
        if looks.render_master().layers_on:
            stamped.append(beat)
    later = [b for b in stamped[1:]]
    assert later and all(math.floor(b + 1e-9) % SCORE_STAMP_BEATS == 0 for b in later)
    assert all(b - math.floor(b + 1e-9) < 1 / 30 + 1e-9 for b in later)  # on the beat's frame
