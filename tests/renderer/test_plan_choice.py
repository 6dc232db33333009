"""The trials that decide whether planning the stroke present pays (renderer/plan_choice.py),
driven by a CPU clock the test advances."""

from __future__ import annotations

import pytest

from renderer import plan_choice
from renderer.plan_choice import PlanChoice

TRIAL = plan_choice.TRIAL_BLOCK * plan_choice.TRIAL_BLOCKS


def run(choice: PlanChoice, cpu: list[float], frames: int, cost) -> list[bool]:
    """``frames`` frames that all ask; ``cost(planned, frame)`` is each one's CPU time."""
    modes = []
    for frame in range(frames):
        choice.frame_began()
        planned = choice.plan()
        modes.append(planned)
        cpu[0] += cost(planned, frame)
    choice.frame_began()
    return modes


def test_a_trial_alternates_blocks_then_keeps_the_cheaper_mode():
    cpu = [0.0]
    choice = PlanChoice(clock=lambda: cpu[0])
    modes = run(choice, cpu, TRIAL + 10, lambda planned, _: 0.004 if planned else 0.009)
    block = plan_choice.TRIAL_BLOCK
    assert modes[:block] == [True] * block and modes[block : 2 * block] == [False] * block
    assert sum(modes[:TRIAL]) == TRIAL // 2
    assert all(modes[TRIAL:])  # planning was cheaper: kept
    assert choice.trials == 1 and choice.kept_planning == 1
    assert choice.last_medians == pytest.approx((0.004, 0.009))


def test_dearer_planning_is_dropped_until_the_next_trial(monkeypatch):
    monkeypatch.setattr(plan_choice, "KEEP_FRAMES", 50)
    cpu = [0.0]
    choice = PlanChoice(clock=lambda: cpu[0])
    modes = run(choice, cpu, TRIAL + 50 + 1, lambda planned, _: 0.012 if planned else 0.008)
    assert not any(modes[TRIAL : TRIAL + 50])
    assert modes[TRIAL + 50]  # a new trial starts with a planned block
    assert choice.kept_planning == 0


def test_even_costs_keep_the_whole_present():
    """Within the margin the simpler path wins: no read-back for nothing."""
    cpu = [0.0]
    choice = PlanChoice(clock=lambda: cpu[0])
    modes = run(choice, cpu, TRIAL + 5, lambda planned, _: 0.0099 if planned else 0.0100)
    assert not any(modes[TRIAL:])


def test_outliers_do_not_decide():
    """A burst of other work during one planned frame does not swing the median."""
    cpu = [0.0]
    choice = PlanChoice(clock=lambda: cpu[0])

    def cost(planned: bool, frame: int) -> float:
        if frame == 3:
            return 0.5  # the analysis thread's burst, say
        return 0.005 if planned else 0.008

    modes = run(choice, cpu, TRIAL + 5, cost)
    assert all(modes[TRIAL:])


def test_frames_that_do_not_ask_are_not_measured():
    """Frames without a stroke present (another ink, a small frame) say nothing."""
    cpu = [0.0]
    choice = PlanChoice(clock=lambda: cpu[0])
    for _ in range(3 * TRIAL):
        choice.frame_began()
        cpu[0] += 0.010
    assert choice.trials == 0
    assert choice.plan()  # the first frame that asks starts the trial
