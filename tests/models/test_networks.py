"""Network shapes, ranges and per-sample independence."""

from __future__ import annotations

import pytest
import torch

from models.config import ConfigError, DiscriminatorConfig, GeneratorConfig
from models.networks import build_discriminator, build_generator, count_parameters
from models.style import count_macs


@pytest.mark.parametrize("layout", ["conv", "global"])
def test_generator_maps_fields_to_fields_in_range(layout: str) -> None:
    torch.manual_seed(0)
    net = build_generator(GeneratorConfig(ngf=4, n_blocks=1, layout=layout)).eval()
    x = torch.rand(3, 1, 64, 64) * 2 - 1
    with torch.no_grad():
        y = net(x)
    assert y.shape == x.shape
    assert y.abs().max() <= 1.0


def test_conv_layout_is_mostly_local_and_global_layout_is_not() -> None:
    """Changing the window's last frames changes mostly the right-hand side of a fully
    convolutional generator's picture (instance norm leaks a little everywhere), but the
    whole picture of a global one evenly."""
    torch.manual_seed(0)
    x = torch.rand(1, 1, 64, 64) * 2 - 1
    x2 = x.clone()
    x2[..., 56:] = -x2[..., 56:]
    ratio = {}
    for layout in ("conv", "global"):
        net = build_generator(GeneratorConfig(ngf=4, n_blocks=1, layout=layout)).eval()
        with torch.no_grad():
            diff = (net(x) - net(x2)).abs()[0, 0]
        ratio[layout] = float(diff[:, :16].mean() / diff[:, 48:].mean())  # far left / near
    assert ratio["conv"] < 0.3 and ratio["global"] > 0.6


def test_discriminator_outputs_a_patch_grid() -> None:
    net = build_discriminator(DiscriminatorConfig(ndf=8, n_layers=3))
    out = net(torch.zeros(2, 1, 64, 64))
    assert out.shape == (2, 1, 6, 6)
    out2 = build_discriminator(DiscriminatorConfig(ndf=8, n_layers=2))(torch.zeros(1, 1, 64, 64))
    assert out2.shape == (1, 1, 14, 14)


def test_size_counts() -> None:
    net = build_generator(GeneratorConfig(ngf=16, n_blocks=6))
    # FACTS measured 0.139 GMAC with transposed-conv upsampling; nearest + 3x3 conv at the
    # higher resolution costs a little more.
    assert 0.13e9 < count_macs(net, 64) < 0.18e9
    assert count_parameters(build_generator(GeneratorConfig(ngf=8, n_blocks=1))) < count_parameters(
        net
    )


def test_invalid_generator_configs_are_refused() -> None:
    with pytest.raises(ConfigError, match="layout"):
        GeneratorConfig(layout="spiral")
    with pytest.raises(ConfigError, match="norm"):
        GeneratorConfig(norm="batch")
    with pytest.raises(ValueError, match="divisible"):
        build_generator(GeneratorConfig(n_down=3), image_size=36)


def test_row_linear_is_linear_and_the_same_bits_in_any_batch() -> None:
    """The FiLM maps' linear layers: a row's output never depends on the batch around it
    (``nn.Linear``'s GEMM rounds a one-row batch differently), and the shipped default
    style therefore runs one window without padding it to two."""
    import torch

    from models.networks import RowLinear
    from models.style import Style

    torch.manual_seed(3)
    layer = RowLinear(5, 32)
    reference = torch.nn.Linear(5, 32)
    reference.load_state_dict(layer.state_dict())  # same parameters, same keys
    x = torch.randn(7, 5)
    torch.testing.assert_close(layer(x), reference(x))
    alone = torch.cat([layer(x[i : i + 1]) for i in range(7)])
    assert torch.equal(alone, layer(x))
    assert Style.load("squiggle").min_batch == 1
