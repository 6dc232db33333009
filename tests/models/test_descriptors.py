"""Audio and picture descriptors, the soft rank correlation, and the generators that use them
(FiLM conditioning, low frequencies at the bottom, the synaesthesia loss terms)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import ndimage, stats

from models.analysis import DEFAULT_ANALYSIS, analyse, sliding_windows, to_unit
from models.checkpoint import load_tensors, warm_start
from models.config import ConfigError, GeneratorConfig, LossConfig, StyleConfig
from models.cyclegan import prior_correlations, temporal_ratio
from models.descriptors import (
    AUDIO_DESCRIPTORS,
    audio_descriptors,
    check_descriptor_names,
    picture_descriptors,
    rank_correlation,
)
from models.metrics import edge_density, ink_height, sharpness
from models.networks import ResnetGenerator, build_generator, style_generators
from models.style import Style
from models.stylefile import CONFIG_FILE, WEIGHTS_FILE, read_style
from tests.models.conftest import make_style_dir

RATE = DEFAULT_ANALYSIS.sample_rate
SHIPPED = Path(__file__).resolve().parents[2] / "models" / "styles"


def _window(signal: np.ndarray) -> torch.Tensor:
    """The first full analysis window of ``signal`` as a (1, 1, 64, 64) tensor."""
    unit = to_unit(analyse(signal.astype(np.float32)).mel_db)
    return torch.from_numpy(sliding_windows(unit)[:1]).unsqueeze(1)


def _tone(freq: float, db: float, seconds: float = 1.0, attack: float = 0.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    env = np.clip(t / attack, 0, 1) if attack else np.ones_like(t)
    return (10 ** (db / 20) * np.sin(2 * np.pi * freq * t) * env).astype(np.float32)


def _describe(signal: np.ndarray) -> dict[str, float]:
    d = audio_descriptors(_window(signal), DEFAULT_ANALYSIS)[0]
    return {name: float(v) for name, v in zip(AUDIO_DESCRIPTORS, d, strict=True)}


def test_level_follows_decibels_one_for_one() -> None:
    loud, quiet = _describe(_tone(440, -6)), _describe(_tone(440, -30))
    # -24 dB is 0.6 on the level's unit scale (80 dB span over 2); the floor clip costs a little.
    assert loud["level"] - quiet["level"] == pytest.approx(0.6, abs=0.03)


def test_noise_is_flatter_than_a_tone_and_brighter_sounds_have_higher_centroids() -> None:
    rng = np.random.default_rng(0)
    noise = (0.1 * rng.standard_normal(RATE)).astype(np.float32)
    assert _describe(noise)["flatness"] > _describe(_tone(440, -20))["flatness"] + 0.3
    assert _describe(_tone(2000, -20))["centroid"] > _describe(_tone(200, -20))["centroid"] + 0.1


def test_a_hit_has_a_sharper_attack_than_a_swell() -> None:
    lead = np.zeros(4 * 256, np.float32)  # onset four frames into the window, as evaluated
    hit = _describe(np.concatenate([lead, _tone(440, -10)]))
    swell = _describe(np.concatenate([lead, _tone(440, -10, attack=0.5)]))
    assert hit["attack"] > 0.5 and swell["attack"] < hit["attack"] - 0.5


def test_descriptors_are_the_same_bytes_alone_and_in_any_batch() -> None:
    x = torch.rand(9, 1, 64, 64) * 2 - 1
    together = audio_descriptors(x, DEFAULT_ANALYSIS)
    alone = torch.cat([audio_descriptors(x[i : i + 1], DEFAULT_ANALYSIS) for i in range(9)])
    assert torch.equal(together, alone)


def test_descriptor_names_are_checked() -> None:
    assert check_descriptor_names(["level"]) == ("level",)
    with pytest.raises(ValueError, match="unknown"):
        check_descriptor_names(("loudness",))
    with pytest.raises(ValueError, match="twice"):
        check_descriptor_names(("level", "level"))


def _pictures() -> np.ndarray:
    rng = np.random.default_rng(1)
    out = []
    for i in range(12):
        field = np.zeros((64, 64))
        top = rng.integers(0, 40)
        field[top : top + 8 + i, 10 : 30 + 2 * i] = 1.0
        if i % 3 == 0:
            field = ndimage.gaussian_filter(field, 2.0)
        if i % 4 == 1:
            field = np.clip(field + 0.6 * (rng.random((64, 64)) > 0.8), 0, 1)
        out.append(field)
    return np.stack(out)


def test_picture_descriptors_rank_pictures_as_the_evaluation_measures_them() -> None:
    inks = _pictures()
    d = picture_descriptors(torch.from_numpy(inks * 2 - 1).float().unsqueeze(1))
    checks = {
        "ink": inks.mean(axis=(1, 2)),
        "edges": [edge_density(i) for i in inks],
        "softness": [-sharpness(i) for i in inks],
        "height": [ink_height(i) for i in inks],
    }
    for name, measured in checks.items():
        rho = stats.spearmanr(d[name].numpy(), measured).statistic
        assert rho > 0.9, (name, rho)


def test_rank_correlation_is_spearman_when_sharp_and_zero_for_a_constant() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(16), rng.standard_normal(16)
    rho = rank_correlation(torch.tensor(a), torch.tensor(b), temperature=1e-6)
    assert float(rho) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-3)
    assert float(rank_correlation(torch.ones(8), torch.tensor(b[:8]))) == 0.0


def test_the_rank_term_can_order_pictures_by_loudness() -> None:
    torch.manual_seed(0)
    level = torch.linspace(-1, 1, 8)
    pictures = (0.1 * torch.randn(8, 1, 16, 16)).requires_grad_(True)
    opt = torch.optim.Adam([pictures], lr=0.05)
    before = float(rank_correlation(level, picture_descriptors(pictures)["ink"]).detach())
    for _ in range(60):
        opt.zero_grad()
        loss = 1 - rank_correlation(level, picture_descriptors(pictures)["ink"])
        loss.backward()
        opt.step()
    after = float(rank_correlation(level, picture_descriptors(pictures)["ink"], 1e-6).detach())
    assert after > 0.95 and after > before


def test_temporal_ratio_is_zero_for_equal_pairs_and_about_one_for_unrelated() -> None:
    torch.manual_seed(0)
    x = torch.rand(8, 1, 16, 16) * 2 - 1
    assert float(temporal_ratio(x, x)) == 0.0
    assert 0.7 < float(temporal_ratio(x, torch.rand(8, 1, 16, 16) * 2 - 1)) < 1.4


def test_prior_correlations_reach_the_pictures() -> None:
    audio = torch.rand(6, 1, 64, 64) * 2 - 1
    pictures = (torch.rand(6, 1, 64, 64) * 2 - 1).requires_grad_(True)
    rhos = prior_correlations(audio, pictures, DEFAULT_ANALYSIS)
    assert set(rhos) == {"level", "busy", "soft", "height"}
    sum(rhos.values()).backward()
    assert pictures.grad is not None and float(pictures.grad.abs().sum()) > 0


def test_loss_config_reports_its_prior_weights() -> None:
    cfg = LossConfig(prior_level=2.0, prior_height=0.5)
    assert cfg.priors == {"level": 2.0, "busy": 0.0, "soft": 0.0, "height": 0.5}
    with pytest.raises(ConfigError):
        LossConfig(temporal=-1.0)


# ----- generators ---------------------------------------------------------------------------

TINY = GeneratorConfig(ngf=4, n_blocks=1)


def test_film_lets_the_level_reach_the_picture_where_instance_norm_removes_it() -> None:
    torch.manual_seed(0)
    plain = build_generator(TINY).eval()
    film = build_generator(TINY, descriptors=AUDIO_DESCRIPTORS).eval()
    with torch.no_grad():
        for p in film.parameters():
            p.add_(0.2 * torch.randn_like(p))
    noise = 0.1 * np.random.default_rng(0).standard_normal(RATE)
    window = _window(noise)  # every band well above the floor, so nothing clips
    assert float(window.min()) > -0.5
    quieter = window - 0.45  # -18 dB
    with torch.no_grad():
        plain_change = float((plain(window) - plain(quieter)).abs().max())
        film_change = float((film(window) - film(quieter)).abs().max())
    assert film_change > 10 * plain_change


def test_a_warm_started_film_generator_draws_what_the_plain_one_drew() -> None:
    torch.manual_seed(0)
    plain = build_generator(TINY).eval()
    film = build_generator(TINY, descriptors=("level", "centroid")).eval()
    fresh = warm_start(film, {f"image.{k}": v for k, v in plain.state_dict().items()}, "image")
    assert fresh and all(k.startswith("embed") or ".film." in k for k in fresh)
    x = torch.rand(3, 1, 64, 64) * 2 - 1
    with torch.no_grad():
        assert torch.equal(plain(x), film(x))  # FiLM starts at the identity


def test_low_at_bottom_flips_the_bands_on_the_way_in_and_out() -> None:
    cfg = StyleConfig(name="flip", generator=TINY, low_at_bottom=True)
    g_image, g_audio = style_generators(cfg)
    plain = ResnetGenerator(TINY)
    x = torch.rand(2, 1, 64, 64) * 2 - 1
    with torch.no_grad():
        plain.load_state_dict(g_image.state_dict())
        assert torch.equal(g_image(x), plain(torch.flip(x, dims=(2,))))
        plain.load_state_dict(g_audio.state_dict())
        assert torch.equal(g_audio(x), torch.flip(plain(x), dims=(2,)))


def test_a_conditioned_style_round_trips_and_is_bit_exact_in_any_batch(tmp_path: Path) -> None:
    folder = make_style_dir(tmp_path / "cond", descriptors=("level", "attack"), low_at_bottom=True)
    cfg, g_image, _ = read_style(folder)
    assert cfg.descriptors == ("level", "attack") and cfg.low_at_bottom
    assert g_image.descriptors == ("level", "attack") and g_image.flip_input
    style = Style.from_dir(folder)
    assert style.info().descriptors == ("level", "attack")
    assert style.probe_batch_invariance()
    x = np.random.default_rng(0).uniform(-1, 1, (5, 64, 64)).astype(np.float32)
    alone = np.concatenate([style.audio_to_image(x[i : i + 1]) for i in range(5)])
    np.testing.assert_array_equal(style.audio_to_image(x), alone)


def test_a_bad_descriptor_in_a_style_file_is_one_clear_error(tmp_path: Path) -> None:
    import json

    folder = make_style_dir(tmp_path / "bad", descriptors=("level",))
    raw = json.loads((folder / CONFIG_FILE).read_text())
    raw["descriptors"] = ["volume"]
    (folder / CONFIG_FILE).write_text(json.dumps(raw))
    from models.checkpoint import CheckpointError

    with pytest.raises(CheckpointError, match="unknown audio descriptor 'volume'"):
        read_style(folder)


def test_a_style_file_without_the_new_keys_loads_as_before(tmp_path: Path) -> None:
    """A style written before descriptors (no ``descriptors``/``low_at_bottom`` keys, no
    FiLM tensors) reads back as plain instance-norm generators that draw what they drew."""
    import json

    folder = make_style_dir(tmp_path / "old")
    raw = json.loads((folder / CONFIG_FILE).read_text())
    assert "descriptors" not in raw and "low_at_bottom" not in raw  # the old layout
    cfg, g_image, g_audio = read_style(folder)
    assert cfg.descriptors == () and not cfg.low_at_bottom
    assert g_image.embed is None and not g_image.flip_input and not g_audio.flip_output
    assert cfg.to_dict() == raw
    tensors = load_tensors(folder / WEIGHTS_FILE)
    plain = ResnetGenerator(TINY)
    plain.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("image.")})
    x = torch.rand(3, 1, 64, 64) * 2 - 1
    with torch.no_grad():
        assert torch.equal(g_image(x), plain.eval()(x))


def test_noisiness_tells_noise_from_tone_at_any_level_where_flatness_drifts() -> None:
    rng = np.random.default_rng(0)
    loud_tone, quiet_tone = _describe(_tone(440, -6)), _describe(_tone(440, -40))
    quiet_noise = _describe((0.01 * rng.standard_normal(RATE)).astype(np.float32))
    assert (
        quiet_noise["noisiness"] > 0.5 > -0.5 > max(loud_tone["noisiness"], quiet_tone["noisiness"])
    )
    assert abs(loud_tone["noisiness"] - quiet_tone["noisiness"]) < 0.05
    assert quiet_tone["flatness"] - loud_tone["flatness"] > 1.0  # the confound noisiness avoids
    audio = torch.cat([_window(_tone(440, -40)), _window(0.3 * rng.standard_normal(RATE))])
    pictures = torch.rand(2, 1, 64, 64) * 2 - 1
    for name in ("flatness", "noisiness"):
        assert set(prior_correlations(audio, pictures, DEFAULT_ANALYSIS, name)) == {
            "level",
            "busy",
            "soft",
            "height",
        }
    with pytest.raises(ConfigError, match="noise_descriptor"):
        LossConfig(noise_descriptor="loudness")
