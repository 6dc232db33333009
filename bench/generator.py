"""Generator throughput: the default style against the reference CycleGAN generator.

Measures images per second of a style's audio→image generator at batch 1, 8 and 16, eager
and under ``torch.compile``, plus the public ``Style.audio_to_image`` path (which adds the
batch-invariance padding and uint8 conversion), and in the same run the reference CycleGAN
generator (ResNet, 9 blocks, ngf 64, 256², transposed-conv upsampling, 1 channel), then
prints the speed-up as a ratio. Medians of several timed repeats after warm-up.

    .venv/bin/python bench/generator.py [--style squiggle] [--threads 2] [--no-compile]

Timings on a machine shared with other jobs are noisy; the script prints the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from models.paths import DEFAULT_STYLE


def reference_generator(ngf: int = 64, n_blocks: int = 9) -> nn.Module:
    """The Zhu et al. ResNet generator as published (c7s1-64, d128, d256, R×9, u128, u64,
    c7s1), single channel, for a like-for-like cost comparison. Weights are random: only
    its speed is measured."""

    def block(c: int) -> nn.Module:
        class Residual(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.body = nn.Sequential(
                    nn.ReflectionPad2d(1),
                    nn.Conv2d(c, c, 3),
                    nn.InstanceNorm2d(c),
                    nn.ReLU(True),
                    nn.ReflectionPad2d(1),
                    nn.Conv2d(c, c, 3),
                    nn.InstanceNorm2d(c),
                )

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return x + self.body(x)

        return Residual()

    layers: list[nn.Module] = [
        nn.ReflectionPad2d(3),
        nn.Conv2d(1, ngf, 7),
        nn.InstanceNorm2d(ngf),
        nn.ReLU(True),
    ]
    c = ngf
    for _ in range(2):
        layers += [nn.Conv2d(c, c * 2, 3, 2, 1), nn.InstanceNorm2d(c * 2), nn.ReLU(True)]
        c *= 2
    layers += [block(c) for _ in range(n_blocks)]
    for _ in range(2):
        layers += [
            nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1),
            nn.InstanceNorm2d(c // 2),
            nn.ReLU(True),
        ]
        c //= 2
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(c, 1, 7), nn.Tanh()]
    return nn.Sequential(*layers).eval()


def images_per_second(run: Callable[[], object], batch: int, repeats: int, min_s: float) -> float:
    """Median images/s over ``repeats`` timed blocks, each at least ``min_s`` long."""
    run()
    run()  # warm-up (oneDNN primitive caches, compile)
    rates = []
    for _ in range(repeats):
        n, start = 0, time.perf_counter()
        while True:
            run()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_s:
                break
        rates.append(n * batch / elapsed)
    return statistics.median(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", default=DEFAULT_STYLE)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default all)")
    parser.add_argument("--batches", default="1,8,16")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=0.5)
    parser.add_argument("--no-compile", action="store_true")
    args = parser.parse_args(argv)

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from models.style import Style, count_macs

    if args.threads:
        torch.set_num_threads(args.threads)
    style = Style.load(args.style)
    net = style.g_image
    size = style.config.image_size
    batches = [int(b) for b in args.batches.split(",")]
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
        f"load average {os.getloadavg()[0]:.2f} (timings are noisy while others run)"
    )
    gen = style.config.generator
    print(
        f"style {style.name}: layout {gen.layout}, ngf {gen.ngf}, {gen.n_blocks} blocks, "
        f"{count_macs(net, size) / 1e9:.3f} GMAC/img, batch policy "
        f"min {style.min_batch} chunk {style.chunk}"
    )
    rng = np.random.default_rng(0)
    compiled = None
    if not args.no_compile:
        try:
            compiled = torch.compile(net)
        except Exception as exc:  # compile support varies by platform; report, go on
            print(f"torch.compile unavailable: {exc}")
    results: dict[str, float] = {}
    for batch in batches:
        x = torch.from_numpy(rng.uniform(-1, 1, (batch, 1, size, size)).astype(np.float32))
        windows = x[:, 0].numpy()

        def eager(x: torch.Tensor = x) -> object:
            with torch.inference_mode():
                return net(x)

        results[f"eager b{batch}"] = images_per_second(eager, batch, args.repeats, args.min_seconds)
        results[f"Style.audio_to_image b{batch}"] = images_per_second(
            lambda w=windows: style.audio_to_image(w), batch, args.repeats, args.min_seconds
        )
        if compiled is not None:

            def fast(x: torch.Tensor = x, model: Callable = compiled) -> object:
                with torch.inference_mode():
                    return model(x)

            try:
                results[f"compiled b{batch}"] = images_per_second(
                    fast, batch, args.repeats, args.min_seconds
                )
            except Exception as exc:
                print(f"torch.compile failed at batch {batch}: {exc}")
                compiled = None
    for name, rate in results.items():
        print(f"  {name:<28} {rate:8.1f} img/s")

    reference = reference_generator()
    ref_macs = count_macs(reference, 256)
    x_ref = torch.rand(1, 1, 256, 256) * 2 - 1

    def ref_run() -> object:
        with torch.inference_mode():
            return reference(x_ref)

    ref_rate = images_per_second(ref_run, 1, 3, 1.0)
    print(
        f"reference CycleGAN generator (9 blocks, ngf 64, 256²): {ref_macs / 1e9:.1f} GMAC/img, "
        f"{ref_rate:.2f} img/s at batch 1 eager"
    )
    best_name = max(results, key=results.get)
    print(
        f"ratio: default style eager b1 is {results['eager b1'] / ref_rate:.0f}× the reference; "
        f"best ({best_name}) {results[best_name] / ref_rate:.0f}×"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
