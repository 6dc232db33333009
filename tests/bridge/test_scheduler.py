"""The generation scheduler: who gets a picture next, how many at once, at what rate."""

from __future__ import annotations

import pytest

from bridge.generate.scheduler import LATE_FACTOR, BatchCosts, GenerationScheduler

PACKET = 256 / 24000  # the device's packet period


def one_style(_key: object) -> str:
    return "squiggle"


def drive(scheduler: GenerationScheduler, tracks: list[str], seconds: float) -> dict[str, int]:
    """Every packet period, every track has new audio; serve calls until none is due."""
    counts = dict.fromkeys(tracks, 0)
    fresh = set(tracks)
    t = 0.0
    while t < seconds:
        fresh.update(tracks)
        while (group := scheduler.select(t, sorted(fresh), tracks, one_style)) is not None:
            for key in group.keys:
                counts[key] += 1
                fresh.discard(key)
        t += PACKET
    return counts


def test_every_track_gets_the_target_rate_when_generation_is_cheap() -> None:
    scheduler = GenerationScheduler(target_hz=30.0)
    scheduler.observe("squiggle", 2, 0.002)
    tracks = ["a", "b"]
    counts = drive(scheduler, tracks, 10.0)
    assert counts["a"] == pytest.approx(300, rel=0.03)
    assert counts["b"] == pytest.approx(counts["a"], abs=1)
    report = scheduler.report(10.0)
    assert not report.limited and report.achieved_hz == pytest.approx(30, rel=0.1)


def test_every_rate_is_lowered_evenly_when_the_cpu_is_short() -> None:
    scheduler = GenerationScheduler(target_hz=30.0, budget=0.8)
    scheduler.observe("squiggle", 1, 0.010)  # 10 ms a picture
    tracks = [f"t{i}" for i in range(8)]
    counts = drive(scheduler, tracks, 10.0)
    assert scheduler.rate_hz() == pytest.approx(10.0)  # 0.8 / (8 × 10 ms)
    assert all(c == pytest.approx(100, rel=0.05) for c in counts.values())
    assert scheduler.report(10.0).limited


def test_group_grows_only_as_far_as_measured_costs_allow() -> None:
    scheduler = GenerationScheduler(call_budget=0.010)
    assert scheduler.group_size("s", 8) == 1  # nothing measured: one at a time
    scheduler.observe("s", 1, 0.004)
    assert scheduler.group_size("s", 8) == 2  # 2 predicted at 8 ms, 3 at 12 ms
    scheduler.observe("s", 2, 0.006)
    assert scheduler.group_size("s", 8) == 3  # 3 predicted at 9 ms from the pair's cost
    assert scheduler.group_size("s", 2) == 2  # never more than are waiting
    assert scheduler.group_size("other", 8) == 1  # costs are per style


def test_groups_grow_to_the_busy_budget_while_the_cpu_sets_the_rate() -> None:
    """Short calls while the CPU keeps up (each picture out sooner); longer ones, cheaper
    per picture, once it sets the rate."""
    scheduler = GenerationScheduler(target_hz=30.0, budget=0.8, call_budget=0.006)
    scheduler.observe("s", 1, 0.002)
    tracks = [f"t{i}" for i in range(4)]  # 4 × 30 Hz × 2 ms = 0.24 of a core
    scheduler.select(0.0, tracks, tracks, one_style)
    assert not scheduler.limited()
    assert scheduler.group_size("s", 8) == 3  # 6 ms
    many = [f"t{i}" for i in range(40)]  # 40 × 30 Hz × 2 ms = 2.4 cores
    scheduler.select(0.01, many, many, one_style)
    assert scheduler.limited()
    assert scheduler.group_size("s", 8) == 5  # 10 ms


def test_batch_costs_predict_from_the_largest_smaller_batch() -> None:
    costs = BatchCosts()
    assert costs.predict(4) is None
    costs.observe(2, 0.010)
    assert costs.predict(2) == pytest.approx(0.010)
    assert costs.predict(4) == pytest.approx(0.020)  # per picture as at 2, never cheaper
    assert costs.predict(1) == pytest.approx(0.010)  # padded up to the next tried size
    costs.observe(2, 0.020)
    assert costs.predict(2) == pytest.approx(0.011)  # smoothed, not replaced


def test_tracks_take_turns_fairly_with_groups_of_one() -> None:
    scheduler = GenerationScheduler(target_hz=1000.0, call_budget=0.001, busy_call_budget=0.001)
    scheduler.observe("squiggle", 1, 0.002)  # over the call budget: groups of one
    tracks = ["a", "b", "c"]
    order = []
    for step in range(9):
        group = scheduler.select(step * 0.01, tracks, tracks, one_style)
        assert group is not None and len(group.keys) == 1
        order.extend(group.keys)
    assert sorted(order[:3]) == tracks and order[:3] * 3 == order


def test_only_live_tracks_with_new_audio_and_one_style_per_group() -> None:
    scheduler = GenerationScheduler(target_hz=10.0)
    scheduler.observe("dots", 4, 0.001)
    scheduler.observe("lines", 4, 0.001)
    styles = {"a": "dots", "b": "lines", "c": "dots"}
    tracks = list(styles)
    group = scheduler.select(0.0, ["a", "b", "c", "x"], tracks, styles.__getitem__)
    assert group is not None and group.style == "dots" and group.keys == ["a", "c"]
    group = scheduler.select(0.0, ["b"], tracks, styles.__getitem__)
    assert group is not None and group.keys == ["b"]
    assert scheduler.select(0.05, tracks, tracks, styles.__getitem__) is None  # half a token
    assert scheduler.select(0.2, ["x"], tracks, styles.__getitem__) is None  # not a track


def test_removed_tracks_are_forgotten() -> None:
    scheduler = GenerationScheduler()
    scheduler.select(0.0, ["a"], ["a"], one_style)
    assert scheduler.achieved_hz(0.1) == pytest.approx(0.5)
    scheduler.select(0.1, [], [], one_style)
    assert scheduler.achieved_hz(0.1) == 0.0


def test_bad_settings_are_refused() -> None:
    for kwargs in ({"target_hz": 0}, {"budget": 0}, {"budget": 5}, {"call_budget": 0}):
        with pytest.raises(ValueError):
            GenerationScheduler(**kwargs)


def test_a_long_lived_track_keeps_a_bounded_history() -> None:
    """Hours of pictures for one track cost the scheduler no more memory than a few seconds'
    worth, whether or not anyone asks for a rate report."""
    from bridge.generate.scheduler import RATE_WINDOW_SECONDS, GenerationScheduler

    scheduler = GenerationScheduler(target_hz=30.0)
    for i in range(20_000):  # 11 minutes at 30 pictures/s
        now = i / 30.0
        scheduler.select(now, ["a"], ["a"], lambda key: "s")
    assert len(scheduler._history["a"]) <= RATE_WINDOW_SECONDS * 30 + 2


def test_seconds_until_due_says_when_the_next_token_arrives() -> None:
    scheduler = GenerationScheduler(target_hz=10.0)
    tracks = ["a", "b"]
    assert scheduler.seconds_until_due(0.0) == 0.0  # nothing known: anyone may go
    first = scheduler.select(0.0, tracks, tracks, one_style)
    second = scheduler.select(0.0, tracks, tracks, one_style)
    assert first is not None and second is not None  # the two spend their start tokens
    assert scheduler.select(0.0, tracks, tracks, one_style) is None
    assert scheduler.seconds_until_due(0.0) == pytest.approx(0.1)  # one token at 10 Hz
    assert scheduler.seconds_until_due(0.04) == pytest.approx(0.06)
    assert scheduler.seconds_until_due(0.2) == 0.0
    assert scheduler.select(0.1, tracks, tracks, one_style) is not None  # due as said


def test_late_display_frames_lower_every_rate_and_frames_on_time_raise_it_back() -> None:
    scheduler = GenerationScheduler(target_hz=30.0, budget=0.8)
    scheduler.observe("squiggle", 1, 0.010)
    tracks = ["a", "b", "c", "d"]
    scheduler.select(0.0, tracks, tracks, one_style)
    assert scheduler.rate_hz() == pytest.approx(20.0)  # 0.8 / (4 × 10 ms)
    for _ in range(20):
        scheduler.display_frame(late=True)
    lowered = scheduler.rate_hz()
    assert lowered == pytest.approx(20.0 * LATE_FACTOR**20)
    report = scheduler.report(0.0)
    assert report.limited and report.display_share == pytest.approx(LATE_FACTOR**20)
    for _ in range(10):
        scheduler.display_frame(late=False)
    assert lowered < scheduler.rate_hz() < 20.0
    for _ in range(1000):
        scheduler.display_frame(late=False)
    assert scheduler.rate_hz() == pytest.approx(20.0)  # never above the CPU budget
    for _ in range(1000):
        scheduler.display_frame(late=True)
    assert scheduler.display_share == pytest.approx(0.1)  # generation never stops


def test_a_track_nearly_due_joins_the_call_of_one_that_is_due() -> None:
    scheduler = GenerationScheduler(target_hz=10.0, call_budget=0.010)
    scheduler.observe("squiggle", 1, 0.002)  # two fit the call budget
    tracks = ["a", "b"]
    assert scheduler.select(0.0, ["a"], tracks, one_style).keys == ["a"]  # a 0, b 1
    # at 0.15 s a holds 1.5 and b 2 (the most it may save); b goes twice, a once
    assert scheduler.select(0.15, ["b"], tracks, one_style).keys == ["b"]
    assert scheduler.select(0.15, ["b"], tracks, one_style).keys == ["b"]
    assert scheduler.select(0.15, ["a"], tracks, one_style).keys == ["a"]  # a 0.5, b 0
    # at 0.2 s a is due (1.0) and b (0.5) is at most half a token short: it joins a's call
    group = scheduler.select(0.2, tracks, tracks, one_style)
    assert group is not None and group.keys == ["a", "b"]
    # b spent a token it had not earned (0.5 − 1): its rate stays the same on average
    counts = {"a": 0, "b": 0}
    for step in range(21, 121):
        group = scheduler.select(step / 100, tracks, tracks, one_style)
        for key in group.keys if group is not None else []:
            counts[key] += 1
    assert min(counts.values()) >= 9 and abs(counts["a"] - counts["b"]) <= 1
