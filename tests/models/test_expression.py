"""The expression head (models/expression.py): louder bolder, noisier sprayed, slower attack
softer; the identity at strength 0; per sample to the bit; wired into the generators and the
CycleGAN step so the real drawings get it too."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from models.analysis import DEFAULT_ANALYSIS, analyse, sliding_windows, to_unit
from models.config import ConfigError, GeneratorConfig, LossConfig, OptimConfig, StyleConfig
from models.cyclegan import CycleGANStep, GeneratorPair
from models.expression import (
    EXPRESSION_DESCRIPTORS,
    LOUD_DB,
    MIN_SCALE,
    QUIET_DB,
    _zoom,
    amounts,
    express,
    window_expression_descriptors,
    zoom_grid,
)
from models.instrument_eval import relative_flatness
from models.metrics import edge_density, sharpness
from models.networks import build_generator, style_generators

CFG = DEFAULT_ANALYSIS
RATE = CFG.sample_rate


def _strokes(batch: int = 1, seed: int = 0) -> torch.Tensor:
    """Ink fields in [-1, 1]: a few hard-edged bars and a diagonal, 2 px wide."""
    rng = np.random.default_rng(seed)
    field = -np.ones((batch, 1, 64, 64), np.float32)
    for b in range(batch):
        for _ in range(3):
            r, c = rng.integers(8, 56, 2)
            field[b, 0, r : r + 2, c - 6 : c + 6] = 1.0
        for i in range(10, 50):
            field[b, 0, i, i : i + 2] = 1.0
    return torch.from_numpy(field)


def _descriptors(level_db: float, noisiness: float, attack: float) -> torch.Tensor:
    span = CFG.db_ceil - CFG.db_floor
    level = (level_db - CFG.db_floor) * 2.0 / span - 1.0
    return torch.tensor([[level, noisiness, attack]], dtype=torch.float32)


def _ink(field: torch.Tensor) -> np.ndarray:
    return ((field[0, 0].numpy() + 1.0) * 0.5).astype(np.float64)


def test_strength_zero_is_the_identity() -> None:
    field = _strokes()
    out = express(field, _descriptors(-40, 0.5, -1.0), CFG, 0.0)
    assert torch.equal(out, field)


def test_louder_draws_more_and_darker_ink() -> None:
    field = _strokes()
    masses = [
        float(_ink(express(field, _descriptors(db, -1.0, 1.0), CFG, 1.0)).mean())
        for db in (-70, -50, -35, -20, -6)
    ]
    assert all(b > a for a, b in itertools.pairwise(masses))
    assert masses[-1] / masses[0] > 2.0
    # The quietest stroke is drawn smaller and thinner but stays above the show's default
    # stroke threshold (0.5) wherever its smaller copy is full ink.
    quiet = _ink(express(field, _descriptors(-90, -1.0, 1.0), CFG, 1.0))
    scale = torch.full((1, 1, 1, 1), MIN_SCALE)
    smaller = _zoom((field + 1.0) * 0.5, scale, zoom_grid(64))[0, 0].numpy()
    assert (smaller >= 0.999).any() and quiet[smaller >= 0.999].min() > 0.5
    assert (quiet > 0.5).sum() >= 0.25 * (_ink(field) > 0.5).sum()


def test_quieter_pictures_are_drawn_smaller_about_the_centre() -> None:
    field = -torch.ones(1, 1, 64, 64)
    field[0, 0, 8:12, 4:60] = 1.0  # a long bar near the top
    field[0, 0, 40:56, 30:34] = 1.0  # a short one below the centre

    def extent(level_db: float) -> tuple[int, int, int, int]:
        lit = (express(field, _descriptors(level_db, -1.0, 1.0), CFG, 1.0)[0, 0] > 0.0).numpy()
        rows, cols = np.nonzero(lit)
        return rows.min(), rows.max(), cols.min(), cols.max()

    loud, quiet = extent(LOUD_DB + 6), extent(QUIET_DB - 6)
    assert loud == (7, 56, 3, 60)  # full size, a pixel bolder
    top, bottom, left, right = quiet
    # Three quarters of the size about the centre (32, 32): the bar's ends move inwards.
    assert abs((right - left + 1) - MIN_SCALE * 56) <= 2
    assert (
        abs((32 - top) - MIN_SCALE * 24) <= 1.5 and abs((bottom + 1 - 32) - MIN_SCALE * 24) <= 1.5
    )
    # The size grows with the level in between, never past full size.
    widths = [np.ptp(extent(db)[2:]) for db in np.linspace(QUIET_DB, LOUD_DB, 5)]
    assert all(b >= a for a, b in itertools.pairwise(widths)) and widths[-1] > widths[0] + 8


def test_noisier_draws_busier_edges_and_a_tone_none() -> None:
    field = _strokes()
    tone = _ink(express(field, _descriptors(-20, -1.0, 1.0), CFG, 1.0))
    noise = _ink(express(field, _descriptors(-20, 0.5, 1.0), CFG, 1.0))
    assert edge_density(noise) > 1.5 * edge_density(tone)
    # The spray lies only near strokes: far from any ink the page stays blank.
    far = torch.nn.functional.max_pool2d((field + 1) * 0.5, 11, stride=1, padding=5)[0, 0] == 0
    assert float(noise[far.numpy()].max(initial=0.0)) == 0.0


def test_slower_attack_draws_softer_strokes() -> None:
    field = _strokes()
    hit = _ink(express(field, _descriptors(-20, -1.0, 1.0), CFG, 1.0))
    swell = _ink(express(field, _descriptors(-20, -1.0, -0.8), CFG, 1.0))
    assert sharpness(swell) < 0.7 * sharpness(hit)
    assert swell.sum() > hit.sum()  # broader
    # … and still drawn where a stroke threshold of 0.5 (the show's default) looks.
    assert swell[hit > 0.9].min() > 0.5


def test_amounts_ramp_between_their_ends() -> None:
    a = amounts(torch.cat([_descriptors(-90, -1.0, 1.0), _descriptors(0, 1.0, -1.0)]), CFG)
    assert [float(a[k][0]) for k in ("loud", "noisy", "slow")] == [0.0, 0.0, 0.0]
    assert [float(a[k][1]) for k in ("loud", "noisy", "slow")] == [1.0, 1.0, 1.0]


def test_each_picture_is_the_same_bits_in_any_batch() -> None:
    fields = _strokes(6, seed=3)
    rng = np.random.default_rng(1)
    d = torch.from_numpy(rng.uniform(-1, 1, (6, 3)).astype(np.float32))
    whole = express(fields, d, CFG, 1.0)
    for i in range(6):
        assert torch.equal(express(fields[i : i + 1], d[i : i + 1], CFG, 1.0), whole[i : i + 1])
    assert torch.equal(express(fields[2:5], d[2:5], CFG, 1.0), whole[2:5])


def _window(signal: np.ndarray) -> torch.Tensor:
    unit = to_unit(analyse(signal.astype(np.float32)).mel_db)
    return torch.from_numpy(sliding_windows(unit)[:1]).unsqueeze(1)


def test_a_generator_with_a_head_draws_its_plain_twin_expressed() -> None:
    gen_cfg = GeneratorConfig(ngf=4, n_blocks=1)
    torch.manual_seed(0)
    plain = build_generator(gen_cfg, descriptors=("level",), analysis=CFG)
    headed = build_generator(gen_cfg, descriptors=("level",), analysis=CFG, expression=1.0)
    headed.load_state_dict(plain.state_dict())  # the head adds no weights
    t = np.arange(RATE) / RATE
    window = _window(0.3 * np.sin(2 * np.pi * 330 * t))
    with torch.no_grad():
        expected = express(plain(window), window_expression_descriptors(window, CFG), CFG, 1.0)
        assert torch.equal(headed(window), expected)
    assert window_expression_descriptors(window, CFG).shape == (1, len(EXPRESSION_DESCRIPTORS))


def test_style_config_keeps_expression_and_older_files_load_without_it() -> None:
    cfg = StyleConfig(name="x", expression=0.5)
    assert StyleConfig.from_dict(cfg.to_dict()).expression == 0.5
    assert "expression" not in StyleConfig(name="x").to_dict()
    assert StyleConfig.from_dict(StyleConfig(name="x").to_dict()).expression == 0.0
    with pytest.raises(ConfigError, match="expression"):
        StyleConfig(name="x", expression=1.5)
    g_image, g_audio = style_generators(StyleConfig(name="x", expression=1.0))
    assert g_image.expression == 1.0 and g_audio.expression == 0.0


def test_the_discriminator_judges_the_drawing_before_the_head_and_the_cycles_run_through_it() -> (
    None
):
    style = StyleConfig(
        name="x",
        generator=GeneratorConfig(ngf=4, n_blocks=1),
        descriptors=("level",),
        low_at_bottom=True,
        expression=1.0,
    )
    torch.manual_seed(0)
    g_image, g_audio = style_generators(style)
    pair = GeneratorPair(g_image, g_audio, identity=False)
    audio = torch.rand(4, 1, 64, 64) * 2 - 1
    image = _strokes(4)
    out = pair(audio, image)
    with torch.no_grad():
        assert torch.equal(out["fake_core"], g_image.draw(audio))
        assert torch.equal(out["fake_image"], g_image.express(out["fake_core"], audio))
        assert torch.equal(out["real_image"], g_image.express(image, torch.roll(audio, 1, 0)))
        assert torch.equal(out["rec_image"], g_image(out["fake_audio"]))
    assert not torch.equal(out["real_image"], image)

    seen: list[torch.Tensor] = []

    class Recording(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(()))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append(x.detach().clone())
            return x[:, :, :8, :8] * 0 + self.w

    loss = LossConfig()
    step = CycleGANStep.create(pair, Recording(), Recording(), loss, OptimConfig(), seed=0)
    seen.clear()
    step.step(audio, image)
    drawn = [x for x in seen if x.shape[0] == 8]  # the discriminator step: reals then fakes
    assert any(torch.equal(x[:4], image) for x in drawn)  # raw drawings, not expressed
    plain = GeneratorPair(*style_generators(StyleConfig(name="x")), identity=False)
    out = plain(audio, image)
    assert out["real_image"] is image and out["fake_core"] is out["fake_image"]


def test_relative_flatness_is_scale_invariant_and_tells_noise_from_a_tone() -> None:
    t = np.arange(RATE) / RATE
    tone = np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * 880 * t)
    noise = np.random.default_rng(0).standard_normal(RATE)
    loud, quiet = (relative_flatness(g * tone, CFG, 64) for g in (0.5, 0.005))
    assert quiet == pytest.approx(loud, rel=1e-6)
    assert relative_flatness(0.01 * noise, CFG, 64) > 100 * loud
    assert relative_flatness(np.zeros(RATE), CFG, 64) == 0.0


def test_grey_dilation_is_max_pooling_to_the_bit() -> None:
    from models.expression import _grey_dilate

    ink = (_strokes(3, seed=5) + 1.0) * 0.5 * torch.rand(3, 1, 64, 64)
    for radius in (1, 3):
        pooled = torch.nn.functional.max_pool2d(ink, 2 * radius + 1, stride=1, padding=radius)
        assert torch.equal(_grey_dilate(ink, radius), pooled)


def test_a_tonal_sound_draws_no_spray_at_all() -> None:
    field = _strokes()
    # Loud (drawn at full size) and tonal: the noisy amount is exactly 0.
    tone = express(field, _descriptors(LOUD_DB + 4, -0.75, 1.0), CFG, 1.0)
    bold = torch.nn.functional.max_pool2d((field + 1) * 0.5, 3, stride=1, padding=1)
    lit = (tone + 1) * 0.5 > 0
    assert torch.equal(lit, bold > 0)  # ink only where the (bolder) strokes are
