"""The training loop: data, networks, epochs, logs, sample grids, checkpoints, export.

One function, :func:`train`, serves a laptop run and a ``torchrun`` job alike: with
``WORLD_SIZE > 1`` it joins a process group, shards both domains with
``DistributedSampler`` and wraps the generator pair and the discriminators in DDP; rank 0
alone writes files. A run directory holds ``log.jsonl`` (losses), ``samples/epoch_NNN.png``,
``checkpoint/`` (resumable, safetensors + JSON) and ``style/`` (the finished style).
Re-running the same command resumes from the last completed epoch.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DistributedSampler

from models.checkpoint import load_tensors, warm_start
from models.config import ConfigError, TrainConfig
from models.cyclegan import LOSS_NAMES, CycleGANStep, GeneratorPair
from models.datasets import (
    DataError,
    add_blank_pages,
    audio_domain,
    balance_silence,
    image_domain,
)
from models.distributed import (
    DistContext,
    destroy_process_group,
    init_process_group,
    mean_across,
    select_device,
)
from models.inverse_fit import draw_all, fit_inverse
from models.networks import build_discriminator, style_generators
from models.pictures import ink_to_unit, save_png, spectrogram_picture, tile, unit_to_uint8
from models.stylefile import WEIGHTS_FILE, write_style
from models.train_state import Progress, has_state, load_state, save_state, saved_config

log = logging.getLogger(__name__)

#: Windows/images shown in each epoch's sample grid.
GRID_COUNT = 8


@dataclass(frozen=True)
class RunOptions:
    """How to run (not what to learn): these never change the result's meaning.

    Attributes:
        run_dir: where logs, samples and checkpoints go.
        device: ``auto``, ``cpu``, ``cuda`` or ``mps``.
        threads: torch intra-op threads (None leaves torch's default).
        log_every: steps between loss lines in ``log.jsonl``.
        max_steps: stop after this many steps in total (tests, smoke runs).
        progress: show a progress bar on rank 0.
        install_dir: also copy the finished style here (e.g. the user styles folder).
    """

    run_dir: Path
    device: str = "auto"
    threads: int | None = None
    log_every: int = 20
    max_steps: int | None = None
    progress: bool = True
    install_dir: Path | None = None


@dataclass
class TrainResult:
    progress: Progress
    last_losses: dict[str, float]
    style_dir: Path | None


def _domains(cfg: TrainConfig) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(audio, partners, images)`` as ``(N, 1, S, S)`` tensors: audio windows, each
    window's partner ``pair_shift`` frames later, and ink fields in [-1, 1]."""
    data = cfg.data
    images = image_domain(
        data.images, count=data.n_images, seed=data.seed, size=cfg.style.image_size
    )
    audio = audio_domain(
        data.audio,
        count=data.n_clips,
        cfg=cfg.style.analysis,
        step=data.window_step,
        seed=data.seed,
        shift=data.pair_shift,
        gain_spread_db=data.gain_spread_db,
    )
    images = add_blank_pages(images, data.blank_share)
    audio = balance_silence(audio, data.silence_share, data.seed)
    for what, domain in (("drawings", images), ("audio windows", audio)):
        if len(domain.data) == 0:
            raise DataError(f"no {what} to train on; use more or different data")
    image_t = torch.from_numpy(ink_to_unit(images.data)).unsqueeze(1)
    audio_t = torch.from_numpy(np.ascontiguousarray(audio.data)).unsqueeze(1)
    partners = audio.partners if audio.partners is not None else audio.data
    next_t = torch.from_numpy(np.ascontiguousarray(partners)).unsqueeze(1)
    if audio_t.shape[2:] != image_t.shape[2:]:
        raise ConfigError(
            f"audio windows {tuple(audio_t.shape[2:])} and images {tuple(image_t.shape[2:])} "
            "differ in shape; set n_mels = n_frames = image_size"
        )
    return audio_t, next_t, image_t


def _epoch_indices(
    n_audio: int, n_image: int, epoch: int, seed: int, ctx: DistContext, min_length: int = 1
) -> tuple[list[int], list[int]]:
    """This rank's (audio, image) index lists for ``epoch``: images set the epoch length,
    audio windows are drawn from their own shuffled shard and repeated to match.

    A shard of fewer than ``min_length`` (the batch size) drawings is repeated until it
    fills one batch, so a tiny set still trains: every epoch then takes at least one step,
    drawing some pictures twice (sampling with replacement, in a seeded order).

    Raises:
        ValueError: either domain is empty.
    """
    if n_audio < 1 or n_image < 1:
        raise ValueError(f"cannot train on {n_audio} audio windows and {n_image} drawings")
    kwargs = {"num_replicas": ctx.world_size, "rank": ctx.rank, "shuffle": True, "seed": seed}
    image_sampler = DistributedSampler(range(n_image), **kwargs)
    audio_sampler = DistributedSampler(range(n_audio), **kwargs)
    image_sampler.set_epoch(epoch)
    audio_sampler.set_epoch(epoch)
    image_idx = list(image_sampler)
    audio_idx = list(audio_sampler)
    while len(image_idx) < min_length:
        image_idx += image_idx
    while len(audio_idx) < len(image_idx):
        audio_idx += audio_idx
    return audio_idx[: len(image_idx)], image_idx


@torch.no_grad()
def sample_grid(
    g_image: torch.nn.Module, g_audio: torch.nn.Module, audio: torch.Tensor, image: torch.Tensor
) -> np.ndarray:
    """Rows: audio, audio→image, audio→image→audio; image, image→audio, image→audio→image."""
    was_training = g_image.training
    g_image.eval()
    g_audio.eval()
    fake_image = g_image(audio)
    rec_audio = g_audio(fake_image)
    fake_audio = g_audio(image)
    rec_image = g_image(fake_audio)
    g_image.train(was_training)
    g_audio.train(was_training)

    def spec(x: torch.Tensor) -> np.ndarray:
        return np.stack([spectrogram_picture(w) for w in x[:, 0].cpu().numpy()])

    def ink(x: torch.Tensor) -> np.ndarray:
        return unit_to_uint8(x[:, 0].cpu().numpy())

    rows = [spec(audio), ink(fake_image), spec(rec_audio)]
    rows += [ink(image), spec(fake_audio), ink(rec_image)]
    return tile(rows)


def _check_resumable(folder: Path, cfg: TrainConfig) -> None:
    """A run may resume with a different epoch schedule (to extend or shorten it, e.g. when
    the machine turns out busier than planned) or image→audio fit (which runs after the
    last epoch, from its weights) but with nothing else changed."""
    try:
        previous = saved_config(folder)
    except (ConfigError, KeyError, TypeError) as exc:
        detail = f"no {exc} entry" if isinstance(exc, KeyError) else str(exc)
        raise ConfigError(
            f"{folder / 'state.json'}: cannot resume from it ({detail}); delete {folder} "
            "to start over"
        ) from exc
    schedule = {
        "epochs": cfg.optim.epochs,
        "epochs_decay": cfg.optim.epochs_decay,
        "inverse_steps": cfg.optim.inverse_steps,
        "inverse_lr": cfg.optim.inverse_lr,
    }
    same_but_schedule = replace(previous, optim=replace(previous.optim, **schedule))
    if same_but_schedule != cfg:
        raise ConfigError(
            f"{folder} holds a run with a different config; use another --name or "
            "--run-dir, or delete that folder to start over (only --epochs and "
            "--epochs-decay and the image→audio fit may change when resuming)"
        )
    if previous.optim != cfg.optim:
        log.info(
            "resuming with a new schedule: %d+%d epochs, %d image→audio fit steps (was %d+%d, %d)",
            cfg.optim.epochs,
            cfg.optim.epochs_decay,
            cfg.optim.inverse_steps,
            previous.optim.epochs,
            previous.optim.epochs_decay,
            previous.optim.inverse_steps,
        )


def train(cfg: TrainConfig, opts: RunOptions) -> TrainResult:
    """Train (or resume) a CycleGAN for ``cfg``; returns where it ended."""
    ctx = DistContext.from_env()
    if opts.threads:
        torch.set_num_threads(opts.threads)
    device = select_device(opts.device, ctx)
    init_process_group(ctx, device)
    try:
        result = _train(cfg, opts, ctx, device)
    except BaseException:
        destroy_process_group(ctx)
        raise
    destroy_process_group(ctx, together=True)
    return result


def _train(
    cfg: TrainConfig, opts: RunOptions, ctx: DistContext, device: torch.device
) -> TrainResult:
    torch.manual_seed(cfg.seed)
    started = time.monotonic()
    audio_all, audio_next_all, image_all = _domains(cfg)
    if ctx.is_main:
        log.info(
            "data: %d audio windows, %d images (%.1f s)",
            len(audio_all),
            len(image_all),
            time.monotonic() - started,
        )
    g_image, g_audio = style_generators(cfg.style)
    if cfg.init_from:
        _warm_start(Path(cfg.init_from), g_image, g_audio, ctx)
    g_image, g_audio = g_image.to(device), g_audio.to(device)
    d_image = build_discriminator(cfg.discriminator).to(device)
    d_audio = build_discriminator(cfg.discriminator).to(device)
    pair: torch.nn.Module = GeneratorPair(g_image, g_audio, identity=cfg.loss.identity > 0)
    wrapped_d_image: torch.nn.Module = d_image
    wrapped_d_audio: torch.nn.Module = d_audio
    if ctx.enabled:
        from torch.nn.parallel import DistributedDataParallel

        ids = [device.index] if device.type == "cuda" else None
        pair = DistributedDataParallel(pair, device_ids=ids)
        wrapped_d_image = DistributedDataParallel(d_image, device_ids=ids)
        wrapped_d_audio = DistributedDataParallel(d_audio, device_ids=ids)
    stepper = CycleGANStep.create(
        pair,
        wrapped_d_image,
        wrapped_d_audio,
        cfg.loss,
        cfg.optim,
        cfg.seed + 7919 * ctx.rank,
        cfg.style.analysis,
    )
    nets = {"g_image": g_image, "g_audio": g_audio, "d_image": d_image, "d_audio": d_audio}
    optimizers = {"opt_g": stepper.opt_g, "opt_d": stepper.opt_d}

    checkpoint_dir = opts.run_dir / "checkpoint"
    progress = Progress()
    if has_state(checkpoint_dir):
        _check_resumable(checkpoint_dir, cfg)
        progress = load_state(checkpoint_dir, nets, optimizers)
        if ctx.is_main:
            log.info(
                "resuming %s after epoch %d (step %d)", opts.run_dir, progress.epoch, progress.step
            )

    # The sample grid shows GRID_COUNT of each domain, or all of a smaller one.
    grid_rng = np.random.default_rng(cfg.seed)
    grid_audio_idx = grid_rng.choice(len(audio_all), min(GRID_COUNT, len(audio_all)), replace=False)
    grid_image_idx = grid_rng.choice(len(image_all), min(GRID_COUNT, len(image_all)), replace=False)
    grid_audio = audio_all[grid_audio_idx].to(device)
    grid_image = image_all[grid_image_idx].to(device)
    shard = -(-len(image_all) // ctx.world_size)
    if ctx.is_main and shard < cfg.optim.batch_size:
        log.warning(
            "only %d drawing(s) per process, fewer than a batch of %d: each epoch repeats "
            "them to fill one batch (add drawings or lower --batch-size)",
            shard,
            cfg.optim.batch_size,
        )
    if ctx.is_main:
        opts.run_dir.mkdir(parents=True, exist_ok=True)
        (opts.run_dir / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2) + "\n")

    last: dict[str, float] = {}
    batch = cfg.optim.batch_size
    stopped_early = False
    for epoch in range(progress.epoch, cfg.optim.total_epochs):
        stepper.set_lr(cfg.optim.lr * cfg.optim.lr_factor(epoch))
        audio_idx, image_idx = _epoch_indices(
            len(audio_all), len(image_all), epoch, cfg.data.seed, ctx, min_length=batch
        )
        n_steps = len(image_idx) // batch
        bar = _progress_bar(n_steps, f"epoch {epoch + 1}/{cfg.optim.total_epochs}", opts, ctx)
        sums = dict.fromkeys(LOSS_NAMES, 0.0)
        for i in range(n_steps):
            picked = audio_idx[i * batch : (i + 1) * batch]
            a = audio_all[picked].to(device)
            a_next = audio_next_all[picked].to(device) if cfg.loss.temporal > 0 else None
            b = image_all[image_idx[i * batch : (i + 1) * batch]].to(device)
            losses = stepper.step(a, b, a_next)
            progress.step += 1
            for k, v in losses.items():
                sums[k] += v
            if bar is not None:
                bar.update(1)
                bar.set_postfix(
                    cyc=f"{losses['cycle_audio'] + losses['cycle_image']:.3f}",
                    g=f"{losses['g_gan_image']:.2f}",
                    d=f"{losses['d_image']:.2f}",
                    refresh=False,
                )
            if progress.step % opts.log_every == 0:
                averaged = mean_across(losses, ctx)
                if ctx.is_main:
                    _append_log(opts.run_dir, {"epoch": epoch, "step": progress.step, **averaged})
            last = losses
            if opts.max_steps is not None and progress.step >= opts.max_steps:
                stopped_early = True
                break
        if bar is not None:
            bar.close()
        if stopped_early:
            break
        progress.epoch = epoch + 1
        epoch_means = mean_across({k: v / max(1, n_steps) for k, v in sums.items()}, ctx)
        if ctx.is_main:
            _append_log(
                opts.run_dir, {"epoch_done": epoch + 1, "step": progress.step, **epoch_means}
            )
            log.info(
                "epoch %d/%d: %s",
                epoch + 1,
                cfg.optim.total_epochs,
                " ".join(f"{k}={v:.3f}" for k, v in epoch_means.items()),
            )
            picture = sample_grid(g_image, g_audio, grid_audio, grid_image)
            save_png(picture, opts.run_dir / "samples" / f"epoch_{epoch + 1:03d}.png", scale=2)
            save_state(checkpoint_dir, nets, optimizers, progress, cfg)

    style_dir = None
    finished = progress.epoch >= cfg.optim.total_epochs
    inverse_loss = None
    if ctx.is_main and finished and cfg.optim.inverse_steps > 0:
        inverse_loss = _fit_inverse(cfg, opts, ctx, g_image, g_audio, audio_all, device)
    if ctx.is_main and (finished or stopped_early):
        style_dir = opts.run_dir / "style"
        if not last:  # resumed after its last step: the losses the run last logged
            last = _last_logged_losses(opts.run_dir)
        record = {
            "train_config": cfg.to_dict(),
            "epochs_done": progress.epoch,
            "steps": progress.step,
            "finished": finished,
            "world_size": ctx.world_size,
            "last_losses": last,
        }
        if inverse_loss is not None:
            record["inverse_steps"] = cfg.optim.inverse_steps
            record["inverse_loss"] = inverse_loss
        write_style(style_dir, cfg.style, g_image.cpu(), g_audio.cpu(), record)
        if opts.install_dir is not None and finished:
            write_style(opts.install_dir, cfg.style, g_image, g_audio, record)
            log.info("installed style %r in %s", cfg.style.name, opts.install_dir)
    return TrainResult(progress, last, style_dir)


def _warm_start(
    folder: Path, g_image: torch.nn.Module, g_audio: torch.nn.Module, ctx: DistContext
) -> None:
    """Start both generators from a style folder's weights (see ``TrainConfig.init_from``)."""
    tensors = load_tensors(folder / WEIGHTS_FILE)
    fresh = warm_start(g_image, tensors, "image") + warm_start(g_audio, tensors, "audio")
    if ctx.is_main:
        log.info("generators start from %s (%d tensors new)", folder, len(fresh))


def _fit_inverse(
    cfg: TrainConfig,
    opts: RunOptions,
    ctx: DistContext,
    g_image: torch.nn.Module,
    g_audio: torch.nn.Module,
    audio: torch.Tensor,
    device: torch.device,
) -> float:
    """The last phase (:mod:`models.inverse_fit`), on the main process alone (only it
    writes the style). It starts again from the last epoch's weights when a run resumes."""
    started = time.monotonic()
    pictures = draw_all(g_image, audio, device)
    bar = _progress_bar(cfg.optim.inverse_steps, "image→audio fit", opts, ctx)

    def on_step(step: int, loss: float) -> None:
        if bar is not None:
            bar.update(1)
            bar.set_postfix(l1=f"{loss:.3f}", refresh=False)
        if step % opts.log_every == 0:
            _append_log(opts.run_dir, {"inverse_step": step, "inverse_loss": loss})

    try:
        loss = fit_inverse(
            g_audio,
            pictures,
            audio,
            steps=cfg.optim.inverse_steps,
            lr=cfg.optim.inverse_lr,
            batch_size=cfg.optim.batch_size,
            seed=cfg.seed,
            device=device,
            on_step=on_step,
        )
    finally:
        if bar is not None:
            bar.close()
    log.info(
        "image→audio fit: %d steps, L1 %.4f (%.0f s)",
        cfg.optim.inverse_steps,
        loss,
        time.monotonic() - started,
    )
    return loss


def _progress_bar(n_steps: int, desc: str, opts: RunOptions, ctx: DistContext):
    if not (opts.progress and ctx.is_main):
        return None
    from tqdm import tqdm

    return tqdm(
        total=n_steps,
        desc=desc,
        unit="step",
        mininterval=2.0,
        dynamic_ncols=True,
    )


def _last_logged_losses(run_dir: Path) -> dict[str, float]:
    """The losses of the last training step ``log.jsonl`` holds (averaged over processes, as
    logged every ``log_every`` steps), or {} when it holds none or cannot be read."""
    try:
        lines = (run_dir / "log.jsonl").read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    for line in reversed(lines):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "step" in record and "epoch_done" not in record:
            losses = {k: record[k] for k in LOSS_NAMES if isinstance(record.get(k), float)}
            if len(losses) == len(LOSS_NAMES):
                return losses
    return {}


def _append_log(run_dir: Path, record: dict[str, float | int]) -> None:
    with (run_dir / "log.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
