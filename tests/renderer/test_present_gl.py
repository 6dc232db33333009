"""The CPU-rasteriser shortcuts of the compositor on a real GL context: stroke mode's present
run only where it is not plain (renderer/present_plan.py, renderer/gl_arrays.py) and the
composite pass compiled for the blend modes in use must give the very same bytes as the
full passes, in every case that reaches them."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import numpy as np
import pytest

from renderer import compositor as compositor_module
from renderer import gl_arrays, plan_choice
from renderer.compositor import Compositor
from renderer.modes import BLEND_MODES
from renderer.plan_choice import PlanChoice
from renderer.settings import MasterSettings
from renderer.synthetic import SyntheticSet

SIZE = (320, 180)


def grid_layout(synthetic: SyntheticSet, n: int):
    """Layers apart in a 4-wide grid, like the bridge's stage: much of the frame is plain."""
    for i in range(n):
        row, col = divmod(i, 4)
        settings = synthetic.settings(i)
        yield i, replace(settings, position=(-0.75 + 0.5 * col, 0.5 - 0.5 * row), scale=0.22)


def run_frames(comp: Compositor, synthetic: SyntheticSet, n: int, frames: int) -> list:
    """Push, render and read ``frames`` frames; returns the frames and the present plans."""
    out = []
    for k in range(frames):
        t = k / 30
        for i in range(n):
            comp.push_image(i, synthetic.field(i, t), t)
        comp.render(t, {i: synthetic.features(i, t) for i in range(n)}, synthetic.beat_phase(t))
        out.append((comp.read_rgba(), comp.present_plan))
    return out


SCENES = {
    "stage": MasterSettings(),
    "transparent": MasterSettings(background=(0.2, 0.1, 0.3), background_alpha=0.0),
    "gains": MasterSettings(brightness=0.7, opacity=0.8),  # the clear colour is probed
    "trails": MasterSettings(trails=0.95, trails_on=True, scroll=0.2),
}


@pytest.fixture
def small_frames_plan(monkeypatch):
    """Plan the present of these small test frames too."""
    monkeypatch.setattr(compositor_module, "PLAIN_MIN_PIXELS", 0)


@pytest.fixture
def always_plan(monkeypatch, small_frames_plan):
    """Plan every frame, however little it skips (the tests compare every frame)."""
    monkeypatch.setattr(PlanChoice, "plan", lambda self: True)


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_skipping_plain_tiles_gives_the_same_picture(ctx, scene, always_plan):
    synthetic = SyntheticSet(8, seed=11, field_size=64)
    results = []
    for skip in (True, False):
        comp = Compositor(ctx, SIZE, field_size=64, internal_height=60, skip_plain=skip)
        comp.scene.set_master(replace(SCENES[scene], ink="stroke"))
        for i, settings in grid_layout(synthetic, 8):
            comp.set_layer(i, settings)
        results.append(run_frames(comp, synthetic, 8, 4))
        comp.release()
    for (skipped, plan), (full, no_plan) in zip(*results, strict=True):
        assert no_plan is None and plan is not None
        assert plan.fill is not None and plan.stroke_share(SIZE) < 0.9  # something skipped
        np.testing.assert_array_equal(skipped, full)
    assert results[0][-1][0][..., :3].std() > 5  # a busy picture, not an empty one


def test_skipping_plain_tiles_into_another_framebuffer(ctx, always_plan):
    """A window draws into its own framebuffer, rows bottom-up (no flip)."""
    synthetic = SyntheticSet(6, seed=4, field_size=64)
    frames = []
    for skip in (True, False):
        comp = Compositor(ctx, SIZE, field_size=64, internal_height=60, skip_plain=skip)
        for i, settings in grid_layout(synthetic, 6):
            comp.set_layer(i, settings)
            comp.push_image(i, synthetic.field(i, 0.2), 0.0)
        target = ctx.simple_framebuffer(SIZE, components=4)
        comp.render(0.2, target=target)
        frames.append(np.frombuffer(target.read(components=4), np.uint8).copy())
        if skip:
            assert comp.present_plan is not None and comp.present_plan.rects
        target.release()
        comp.release()
    np.testing.assert_array_equal(frames[0], frames[1])


def test_more_rectangles_than_one_draw_takes(ctx, always_plan):
    """A picture dotted with small layers needs several draws of 16 rectangles."""
    synthetic = SyntheticSet(16, seed=2, field_size=64)
    frames = []
    for skip in (True, False):
        comp = Compositor(ctx, (640, 360), field_size=64, skip_plain=skip)
        for i in range(16):
            row, col = divmod(i, 4)
            position = (-0.8 + 0.5 * col, 0.75 - 0.5 * row)
            comp.set_layer(i, replace(synthetic.settings(i), position=position, scale=0.12))
            comp.push_image(i, synthetic.field(i, 0.3), 0.0)
        comp.render(0.3)
        frames.append(comp.read_rgba())
        if skip:
            assert len(comp.present_plan.rects) > gl_arrays.MAX_RECTS
        comp.release()
    np.testing.assert_array_equal(frames[0], frames[1])


def test_planning_stops_where_trials_find_it_costs_more(ctx, small_frames_plan, monkeypatch):
    """The compositor follows its trials: with planned frames measured dearer than whole
    ones, it draws the whole present after the trial, and plans again in the next one."""
    monkeypatch.setattr(plan_choice, "KEEP_FRAMES", 20)
    synthetic = SyntheticSet(4, seed=1, field_size=64)
    comp = Compositor(ctx, SIZE, field_size=64, internal_height=60, skip_plain=True)
    cpu = [0.0]
    comp.plan_choice = PlanChoice(clock=lambda: cpu[0])
    for i, settings in grid_layout(synthetic, 4):
        comp.set_layer(i, settings)
    planned = []
    trial = plan_choice.TRIAL_BLOCK * plan_choice.TRIAL_BLOCKS
    for frame in range(trial + plan_choice.KEEP_FRAMES + 2):
        comp.push_image(frame % 4, synthetic.field(frame % 4, frame * 0.01), frame * 0.01)
        comp.render(frame * 0.01)
        planned.append(comp.present_plan is not None)
        cpu[0] += 0.012 if planned[-1] else 0.008  # this frame's CPU time
    comp.release()
    assert planned[: plan_choice.TRIAL_BLOCK] == [True] * plan_choice.TRIAL_BLOCK
    assert not any(planned[trial : trial + plan_choice.KEEP_FRAMES])
    assert planned[trial + plan_choice.KEEP_FRAMES]  # the next trial
    assert comp.plan_choice.trials == 1 and comp.plan_choice.kept_planning == 0


def test_small_frames_draw_the_whole_present(ctx):
    synthetic = SyntheticSet(2, seed=1, field_size=64)
    comp = Compositor(ctx, SIZE, field_size=64, skip_plain=True)
    for i, settings in grid_layout(synthetic, 2):
        comp.set_layer(i, settings)
    assert all(plan is None for _, plan in run_frames(comp, synthetic, 2, 2))
    comp.release()


def test_skip_plain_follows_the_device_and_needs_scissor_arrays(ctx, monkeypatch):
    comp = Compositor(ctx, SIZE)
    assert comp.skip_plain == comp.software  # on by default on a CPU rasteriser
    comp.release()
    monkeypatch.setattr(compositor_module, "scissor_array_available", lambda: False)
    comp = Compositor(ctx, SIZE)
    assert not comp.skip_plain
    comp.release()
    with pytest.raises(ValueError, match=r"GL 4\.1"):
        Compositor(ctx, SIZE, skip_plain=True)


def test_scissor_arrays_take_one_to_sixteen_rectangles():
    if not gl_arrays.scissor_array_available():
        pytest.skip("no glScissorArrayv in this GL library")
    with pytest.raises(ValueError, match=r"1\.\.16"):
        gl_arrays.set_scissor_array([])
    with pytest.raises(ValueError, match=r"1\.\.16"):
        gl_arrays.set_scissor_array([(0, 0, 1, 1)] * 17)


@pytest.mark.parametrize("trails", [False, True])
def test_composite_compiled_for_the_modes_in_use_gives_the_same_picture(ctx, trails):
    """Every blend mode, alone and mixed with others, over opaque and transparent
    backgrounds: the specialised pass and the all-modes pass agree to the byte."""
    synthetic = SyntheticSet(6, seed=8, field_size=32)
    sets = [[mode] for mode in BLEND_MODES] + [list(BLEND_MODES[i::3]) for i in range(3)]
    for modes in sets:
        for alpha in (1.0, 0.4):
            frames = []
            for specialise in (True, False):
                comp = Compositor(ctx, (96, 54), internal_height=None, field_size=32)
                comp.specialise_modes = specialise
                master = MasterSettings(background=(0.3, 0.2, 0.1), background_alpha=alpha)
                comp.scene.set_master(dataclasses.replace(master, trails_on=trails))
                for i in range(6):
                    blend = modes[i % len(modes)]
                    comp.set_layer(i, replace(synthetic.settings(i), blend=blend))
                    comp.push_image(i, synthetic.field(i, 0.1), 0.0)
                comp.render(0.1)
                comp.render(0.15)
                frames.append(comp.read_rgba())
                comp.release()
            np.testing.assert_array_equal(frames[0], frames[1], err_msg=f"{modes} α {alpha}")
