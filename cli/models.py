"""Subcommands of the models area: ``train``, ``evaluate``, ``cycle`` and ``draw``.

This module is imported whenever ``synaesthete`` starts, so it only builds parsers; torch
and everything heavy are imported inside the ``run_*`` functions.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

from cli.arguments import SEED, THREADS, number, whole
from models.paths import DEFAULT_STYLE

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the models subcommands to the top-level parser."""
    _register_train(subparsers)
    _register_evaluate(subparsers)
    _register_cycle(subparsers)
    _register_draw(subparsers)


# ----- train ---------------------------------------------------------------------------------


def _register_train(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a style (CycleGAN between sounds and drawings)",
        description="Train a style. Re-running the same command resumes from the last epoch. "
        "Under torchrun (WORLD_SIZE > 1) it runs data-parallel with DDP.",
    )
    p.add_argument(
        "--name", default=None, help="style name, e.g. 'squiggle' (required without --config)"
    )
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="a training config JSON (as a run's config.json, e.g. models/recipes/squiggle.json): "
        "what to learn comes from it and the flags above it are ignored; --name renames the style",
    )
    p.add_argument(
        "--images", default="squiggles", help="'squiggles', 'glyphs' or a folder of png/jpg"
    )
    p.add_argument(
        "--audio",
        default="synth",
        help="'synth', 'music', 'instruments' or a folder of sound files; join several with +",
    )
    p.add_argument(
        "--n-images", type=whole(1, 100_000), default=1024, help="procedural drawings to use"
    )
    p.add_argument(
        "--n-clips", type=whole(1, 10_000), default=288, help="procedural synth clips to use"
    )
    p.add_argument(
        "--epochs", type=whole(0, 10_000), default=8, help="epochs at constant learning rate"
    )
    p.add_argument(
        "--epochs-decay", type=whole(0, 10_000), default=8, help="epochs of linear decay"
    )
    p.add_argument("--batch-size", type=whole(1, 4096), default=4)
    p.add_argument("--lr", type=number(0.0, 1.0, above=True), default=2e-4)
    p.add_argument("--ngf", type=whole(1, 128), default=16, help="generator base width")
    p.add_argument("--n-blocks", type=whole(0, 16), default=4, help="generator residual blocks")
    p.add_argument("--layout", choices=["conv", "global"], default="conv")
    p.add_argument(
        "--identity",
        type=number(0.0, 1000.0),
        default=0.0,
        help="identity loss weight (0 = off)",
    )
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--threads", type=THREADS, default=None, help="torch threads per process")
    p.add_argument("--run-dir", type=Path, default=None, help="default: runs/<name>")
    p.add_argument(
        "--max-steps", type=whole(1, 10**9), default=None, help="stop early (smoke tests)"
    )
    p.add_argument(
        "--no-install",
        action="store_true",
        help="do not install the finished style into the user styles folder",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_train)


def train_config_from_args(args: argparse.Namespace):
    """The :class:`~models.config.TrainConfig` an argument namespace describes."""
    from models.config import (
        DataConfig,
        GeneratorConfig,
        LossConfig,
        OptimConfig,
        StyleConfig,
        TrainConfig,
        read_config_json,
    )
    from models.paths import check_style_name

    if args.config is not None:
        cfg = TrainConfig.from_dict(read_config_json(args.config))
        if args.name is not None and args.name != cfg.style.name:
            check_style_name(args.name)
            cfg = dataclasses.replace(cfg, style=dataclasses.replace(cfg.style, name=args.name))
        return cfg
    if args.name is None:
        raise ValueError("give --name (or --config)")
    check_style_name(args.name)
    return TrainConfig(
        style=StyleConfig(
            name=args.name,
            generator=GeneratorConfig(ngf=args.ngf, n_blocks=args.n_blocks, layout=args.layout),
        ),
        loss=LossConfig(identity=args.identity),
        optim=OptimConfig(
            lr=args.lr,
            epochs=args.epochs,
            epochs_decay=args.epochs_decay,
            batch_size=args.batch_size,
        ),
        data=DataConfig(
            images=args.images,
            audio=args.audio,
            n_images=args.n_images,
            n_clips=args.n_clips,
            seed=args.seed,
        ),
        seed=args.seed,
    )


def run_train(args: argparse.Namespace) -> int:
    from models.checkpoint import CheckpointError
    from models.config import ConfigError
    from models.datasets import DataError
    from models.paths import user_styles_dir
    from models.train import RunOptions, train

    try:
        cfg = train_config_from_args(args)
        opts = RunOptions(
            run_dir=args.run_dir or Path("runs") / cfg.style.name,
            device=args.device,
            threads=args.threads,
            max_steps=args.max_steps,
            progress=not args.no_progress,
            install_dir=None if args.no_install else user_styles_dir() / cfg.style.name,
        )
        result = train(cfg, opts)
    except (ValueError, ConfigError, DataError, CheckpointError, RuntimeError) as exc:
        log.error("%s", exc)
        return 2
    if result.style_dir is not None:
        print(f"style written to {result.style_dir}")
    return 0


# ----- evaluate ------------------------------------------------------------------------------


def _add_style_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--style", default=DEFAULT_STYLE, help=f"style name (default: {DEFAULT_STYLE})")
    p.add_argument("--style-dir", type=Path, default=None, help="load a style folder instead")
    p.add_argument("--threads", type=THREADS, default=None, help="torch threads")


def _load_style(args: argparse.Namespace):
    from models.style import Style

    if args.style_dir is not None:
        return Style.from_dir(args.style_dir, threads=args.threads)
    return Style.load(args.style, threads=args.threads)


def _register_evaluate(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate", help="measure a style on held-out clips; write JSON and Markdown"
    )
    _add_style_argument(p)
    p.add_argument("--out", type=Path, default=None, help="default: evaluation/<style>")
    p.add_argument(
        "--n-clips", type=whole(2, 10_000), default=None, help="held-out clips (default 120)"
    )
    p.add_argument(
        "--n-images",
        type=whole(2, 100_000),
        default=None,
        help="held-out drawings (default 256)",
    )
    p.add_argument(
        "--shipped",
        action="store_true",
        help="evaluate every shipped style into --out/<name>/ (default docs/styles) and write "
        "the comparison with the baselines, instruments.md",
    )
    p.add_argument(
        "--no-instruments",
        action="store_true",
        help="skip the held-out real-instrument measures (they need fluidsynth)",
    )
    p.set_defaults(func=run_evaluate)


def _print_instruments(name: str, result: dict) -> None:
    ins = result["instruments"]
    if "skipped" in ins:
        print(f"{name}: held-out instruments skipped: {ins['skipped']}")
        return
    f, b = ins["style"], ins["baselines"]["log-mel"]
    print(
        f"{name}: held-out instruments: velocity~ink rho {f['velocity_vs_ink']['rho']:+.2f} "
        f"(log-mel {b['velocity_vs_ink']['rho']:+.2f}), RSA {f['rsa']['rho']:+.2f} "
        f"(p {f['rsa']['p']:.3f}; log-mel {b['rsa']['rho']:+.2f})"
    )


def run_evaluate(args: argparse.Namespace) -> int:
    from models.checkpoint import CheckpointError
    from models.config import ConfigError, read_config_json
    from models.evaluate import evaluate_shipped, evaluate_style, options_for
    from models.paths import StyleNotFoundError

    instruments = False if args.no_instruments else None
    if args.shipped:
        out_root = args.out or Path("docs") / "styles"
        summary = evaluate_shipped(
            out_root,
            threads=args.threads,
            n_clips=args.n_clips,
            n_images=args.n_images,
            instruments=instruments,
        )
        for name, ins in summary["styles"].items():
            _print_instruments(name, {"instruments": ins})
        print(f"comparison in {out_root}/instruments.md")
        return 0

    try:
        style = _load_style(args)
    except (ValueError, CheckpointError, StyleNotFoundError) as exc:
        log.error("%s", exc)
        return 2
    record = style.folder / "training.json" if style.folder else None
    try:
        if record is not None and record.is_file():
            read_config_json(record)  # bounded size, encoding and numbers, one-line errors
        opts = options_for(
            style, n_clips=args.n_clips, n_images=args.n_images, instruments=instruments
        )
    except ConfigError as exc:
        log.error("%s", exc)
        return 2
    except (KeyError, TypeError, ValueError) as exc:
        log.error("%s: not a training record this version can use (%r)", record, exc)
        return 2
    out = args.out or Path("evaluation") / style.name
    try:
        result = evaluate_style(style, out, opts)
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    s = result["synaesthesia"]
    print(
        f"{style.name}: mel LSD {result['cycle']['mel_lsd_db']:.2f} dB, "
        f"SWD {result['realism']['swd_fake_vs_real_mean']:.1f} "
        f"(real-vs-real {result['realism']['swd_real_vs_real_mean']:.1f}), "
        f"loudness~ink rho {s['loudness_vs_ink_mass']['rho']:+.2f}; report in {out}/report.md"
    )
    _print_instruments(style.name, result)
    return 0


# ----- cycle and draw ------------------------------------------------------------------------


def _register_cycle(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "cycle", help="sound → pictures → sound: write the picture strip and the recreated audio"
    )
    p.add_argument("input", type=Path, help="a sound file (wav, flac, ogg)")
    _add_style_argument(p)
    p.add_argument("--image", type=Path, default=None, help="default: <input>.<style>.png")
    p.add_argument("--audio-out", type=Path, default=None, help="default: <input>.<style>.wav")
    p.add_argument("--iterations", type=whole(1, 10_000), default=32, help="Griffin-Lim iterations")
    p.set_defaults(func=run_cycle)


def run_cycle(args: argparse.Namespace) -> int:
    import numpy as np
    import soundfile

    from models.audio_io import AudioFileError, read_mono, tiled_windows
    from models.checkpoint import CheckpointError
    from models.griffinlim import unit_frames_to_audio
    from models.paths import StyleNotFoundError
    from models.pictures import save_png

    try:
        style = _load_style(args)
        signal = read_mono(args.input, style.analysis.sample_rate)
        windows = tiled_windows(signal, style.analysis)
    except (ValueError, AudioFileError, CheckpointError, StyleNotFoundError) as exc:
        log.error("%s", exc)
        return 2
    images = style.audio_to_image(windows)
    strip = np.concatenate(list(images), axis=1)
    rebuilt = style.image_to_windows(images)
    frames = np.concatenate([w.T for w in rebuilt])[: len(windows) * style.analysis.n_frames]
    audio = unit_frames_to_audio(frames, style.analysis, iterations=args.iterations)
    image_path = args.image or args.input.with_suffix(f".{style.name}.png")
    audio_path = args.audio_out or args.input.with_suffix(f".{style.name}.wav")
    save_png(strip, image_path)
    soundfile.write(str(audio_path), np.clip(audio, -1.0, 1.0), style.analysis.sample_rate)
    print(f"{len(images)} picture(s) → {image_path}; recreated audio → {audio_path}")
    return 0


def _register_draw(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("draw", help="sound → vector drawing (SVG paths)")
    p.add_argument("input", type=Path, help="a sound file (wav, flac, ogg)")
    _add_style_argument(p)
    p.add_argument("--svg", type=Path, required=True, help="output SVG file")
    p.add_argument(
        "--level",
        type=number(0.0, 1.0, above=True, below=True),
        default=0.5,
        help="ink threshold, strictly between 0 and 1",
    )
    p.add_argument(
        "--scale", type=number(0.0, 10_000.0, above=True), default=8.0, help="SVG units per pixel"
    )
    p.set_defaults(func=run_draw)


def run_draw(args: argparse.Namespace) -> int:
    import numpy as np

    from models.audio_io import AudioFileError, read_mono, tiled_windows
    from models.checkpoint import CheckpointError
    from models.paths import StyleNotFoundError
    from renderer.vectorise import field_to_svg

    if not 0.0 < args.level < 1.0 or args.scale <= 0:
        log.error("--level must be in (0, 1) and --scale positive")
        return 2
    try:
        style = _load_style(args)
        windows = tiled_windows(read_mono(args.input, style.analysis.sample_rate), style.analysis)
    except (ValueError, AudioFileError, CheckpointError, StyleNotFoundError) as exc:
        log.error("%s", exc)
        return 2
    images = style.audio_to_image(windows)
    strip = np.concatenate(list(images), axis=1)
    args.svg.parent.mkdir(parents=True, exist_ok=True)
    args.svg.write_text(field_to_svg(strip, level=args.level, scale=args.scale), encoding="utf-8")
    print(f"{len(images)} picture(s) vectorised → {args.svg}")
    return 0
