"""Generator throughput: the default style against the reference CycleGAN generator.

Measures images per second of a style's audio→image generator at each batch size: the bare
eager network, and the public ``Style.audio_to_image`` path (batch-invariance padding and
uint8 conversion included) with the ``eager`` and ``compiled`` engines
(:mod:`models.inference`), optionally TorchScript freeze and the generator with bfloat16
convolutions (:mod:`models.low_precision`, both engines); and in the same run the reference
CycleGAN generator (ResNet, 9 blocks, ngf 64, 256², transposed-conv upsampling, 1 channel).
Every figure is printed as a ratio against the float32 eager engine at the same batch, the
float32 compiled engine (when built) and the reference. Medians of several timed repeats
after warm-up; the candidates alternate within each repeat, so they share conditions.

    .venv/bin/python bench/generator.py [--style squiggle] [--threads 1] [--batches 1,4,8]
                                        [--no-compile] [--jit] [--precision bfloat16]

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
    return alternating_rates({"run": run}, batch, repeats, min_s)["run"]


def alternating_rates(
    runs: dict[str, Callable[[], object]], batch: int, repeats: int, min_s: float
) -> dict[str, float]:
    """Median images/s of each of ``runs`` over ``repeats`` rounds, each round timing every
    run once for at least ``min_s`` in turn, so that all share the machine's conditions."""
    for run in runs.values():
        run()
        run()  # warm-up (oneDNN primitive caches, compile)
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            n, start = 0, time.perf_counter()
            while True:
                run()
                n += 1
                elapsed = time.perf_counter() - start
                if elapsed >= min_s:
                    break
            rates[name].append(n * batch / elapsed)
    return {name: statistics.median(r) for name, r in rates.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", default=DEFAULT_STYLE)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default all)")
    parser.add_argument("--batches", default="1,8,16")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--min-seconds", type=float, default=0.5)
    parser.add_argument("--no-compile", action="store_true", help="skip the compiled engine")
    parser.add_argument("--jit", action="store_true", help="also TorchScript freeze (rejected)")
    parser.add_argument(
        "--precision",
        choices=("float32", "bfloat16"),
        default="float32",
        help="bfloat16: also the generator with bfloat16 convolutions, eager and compiled",
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from models.low_precision import LowPrecisionError, bfloat16_kind, low_precision_generator
    from models.style import Style, count_macs

    if args.threads:
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    style = Style.load(args.style)
    net = style.g_image
    size = style.config.image_size
    batches = [int(b) for b in args.batches.split(",")]
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
        f"load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} "
        "(timings are noisy while others run)"
    )
    gen = style.config.generator
    print(
        f"style {style.name}: layout {gen.layout}, ngf {gen.ngf}, {gen.n_blocks} blocks, "
        f"{count_macs(net, size) / 1e9:.3f} GMAC/img, eager batch policy "
        f"min {style.min_batch} chunk {style.chunk}"
    )
    engines: dict[str, Style] = {"engine eager": style}
    if not args.no_compile:
        started = time.perf_counter()
        try:
            engines["engine compiled"] = Style.load(args.style, engine="compiled")
            print(f"compiled engine built in {time.perf_counter() - started:.1f} s")
        except Exception as exc:  # compile support varies by platform; report, go on
            print(f"compiled engine unavailable: {exc}")
    if args.precision == "bfloat16":
        try:
            low = low_precision_generator(net, require=True)
        except LowPrecisionError as exc:
            print(f"bfloat16 skipped: {exc}")
        else:
            print(f"bfloat16 convolutions ({bfloat16_kind()})")

            # A Style runs any module with the generator's call; its engines wrap this one.
            def bf16_style(engine: str, low: nn.Module = low) -> Style:
                return Style(style.config, low, style.g_audio, style.folder, engine=engine)  # type: ignore[arg-type]

            engines["bf16 eager"] = bf16_style("eager")
            if not args.no_compile:
                started = time.perf_counter()
                try:
                    engines["bf16 compiled"] = bf16_style("compiled")
                    print(f"bf16 compiled engine built in {time.perf_counter() - started:.1f} s")
                except Exception as exc:  # as for float32: report, go on
                    print(f"bf16 compiled engine unavailable: {exc}")
    scripted = None
    if args.jit:
        x2 = torch.zeros(2, 1, size, size)
        with torch.inference_mode():
            scripted = torch.jit.optimize_for_inference(
                torch.jit.freeze(torch.jit.trace(net, x2, check_trace=False))
            )
    rng = np.random.default_rng(0)
    results: dict[tuple[str, int], float] = {}
    for batch in batches:
        x = torch.from_numpy(rng.uniform(-1, 1, (batch, 1, size, size)).astype(np.float32))
        windows = x[:, 0].numpy()

        def eager(x: torch.Tensor = x) -> object:
            with torch.inference_mode():
                return net(x)

        runs: dict[str, Callable[[], object]] = {"bare eager net": eager}
        for name, engine in engines.items():
            runs[name] = lambda w=windows, e=engine: e.audio_to_image(w)
        for name, rate in alternating_rates(runs, batch, args.repeats, args.min_seconds).items():
            results[name, batch] = rate
        if scripted is not None:

            def jit(x: torch.Tensor = x, model: Callable = scripted) -> object:
                with torch.inference_mode():
                    return model(x)

            results["TorchScript freeze", batch] = images_per_second(
                jit, batch, args.repeats, args.min_seconds
            )

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
    print(
        f"  {'path':<22} {'batch':>5} {'img/s':>8} {'ms/img':>7} {'× engine eager':>15} "
        f"{'× compiled':>11} {'× reference':>12}"
    )
    for (name, batch), rate in results.items():
        base = results["engine eager", batch]
        compiled = results.get(("engine compiled", batch))
        vs_compiled = f"{rate / compiled:10.2f}×" if compiled else f"{'-':>11}"
        print(
            f"  {name:<22} {batch:>5} {rate:8.1f} {1e3 / rate:7.2f} {rate / base:14.2f}× "
            f"{vs_compiled} {rate / ref_rate:11.0f}×"
        )
    best = max(results, key=results.get)
    load_after = os.getloadavg()
    print(
        f"best: {best[0]} at batch {best[1]}, {results[best]:.1f} img/s = "
        f"{results[best] / ref_rate:.0f}× the reference; load average now {load_after[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
