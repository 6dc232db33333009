"""``synaesthete evaluate``: measure a style on held-out clips and drawings.

Everything is computed from data the style never saw: synth clips and drawings drawn from
index ranges after the training ones. The report covers

- cycle accuracy (audio→image→audio), in the mel domain and after Griffin-Lim, next to the
  vocoder's own error so the model's share is visible;
- realism (pyramid SWD against held-out drawings, next to real-vs-real) and stroke stats;
- synaesthesia: loudness↔ink mass, noisiness↔edge density, attack↔softness, and whether
  similar sounds give similar pictures (distance correlation);
- bit-exact determinism across batch composition;
- temporal behaviour over a sliding window: how much the picture changes per unit of audio
  change, and whether it *scrolls* (frame t+1 ≈ frame t shifted one pixel) or redraws;
- held-out real instruments (issue #13, :mod:`models.instrument_eval`): the synaesthesia
  table on notes, a pad and a drum loop rendered by fluidsynth from a soundfont and GM
  programs never used in training, for the style *and* the non-learned log-mel baseline
  beside it, with per-voice tests and contact sheets. Skipped, with the reason in the
  report, where fluidsynth or the soundfont is not installed.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.analysis import analyse, from_unit, sliding_windows, to_unit
from models.datasets import image_domain
from models.instrument_eval import (
    contact_sheet,
    express_drawings,
    instrument_windows,
    log_mel_drawer,
    log_mel_inverter,
    measure,
    relative_flatness,
)
from models.instruments import (
    EVAL_SOUNDFONT,
    FluidsynthMissingError,
    evaluation_set,
    missing_reason,
)
from models.metrics import (
    edge_density,
    log_spectral_distance,
    mantel,
    pairwise_distances,
    pyramid_swd,
    sharpness,
    spearman,
    spectral_convergence,
    stroke_stats,
)
from models.paths import DEFAULT_STYLE, SHIPPED_STYLES_DIR
from models.pictures import save_png, spectrogram_picture, tile
from models.style import Style
from models.synth import KINDS, render_clip, synth_params

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalOptions:
    """Sizes of the held-out sets (defaults take about a minute on 2 CPU cores).

    Attributes:
        n_clips: held-out synth clips (one note window each).
        n_images: held-out drawings per real set (two sets: reference and real-vs-real).
        n_vocoded: windows also pushed through Griffin-Lim for the waveform cycle figure.
        n_sliding: clips analysed with a one-frame sliding window for temporal figures.
        seed: data seed (must match training's to keep ranges disjoint).
        clip_start: first held-out clip index (after the training clips).
        image_start: first held-out drawing index (after the training drawings).
        images: the drawing source the style was trained on.
        instruments: also run the held-out real-instrument measures (needs fluidsynth).
        permutations: Mantel permutations for the instrument RSA p-value (≥ 999).
    """

    n_clips: int = 120
    n_images: int = 256
    n_vocoded: int = 24
    n_sliding: int = 12
    seed: int = 0
    clip_start: int = 10_000
    image_start: int = 1024
    images: str = "squiggles"
    instruments: bool = True
    permutations: int = 999


def options_for(style: Style, **overrides: Any) -> EvalOptions:
    """Held-out ranges from the style's ``training.json`` when it has one."""
    base: dict[str, Any] = {}
    record = style.folder / "training.json" if style.folder else None
    if record and record.is_file():
        data = json.loads(record.read_text())["train_config"]["data"]
        base = {
            "seed": data["seed"],
            "clip_start": max(10_000, data["n_clips"]),
            "image_start": data["n_images"],
            "images": data["images"],
        }
    base.update({k: v for k, v in overrides.items() if v is not None})
    return EvalOptions(**base)


@dataclass
class HeldOutAudio:
    windows: np.ndarray  # (N, n_mels, n_frames) unit
    loudness_db: np.ndarray  # window RMS level, dBFS
    flatness: np.ndarray  # power-weighted spectral flatness, floored under each frame's peak
    attack: np.ndarray  # seconds (clip parameter)
    kinds: list[str]
    clips: list[np.ndarray]


def held_out_audio(style: Style, opts: EvalOptions) -> HeldOutAudio:
    """One window per held-out clip, starting four frames before the note's onset."""
    cfg = style.analysis
    windows, loud, flat, attack, kinds, clips = [], [], [], [], [], []
    for index in range(opts.clip_start, opts.clip_start + opts.n_clips):
        params = synth_params(index, seed=opts.seed)
        clip = render_clip(params, sample_rate=cfg.sample_rate, seed=opts.seed)
        result = analyse(clip, cfg)
        onset_frame = int(params.onset * cfg.sample_rate / cfg.hop)
        start = min(max(0, onset_frame - 4), len(result) - cfg.n_frames)
        span = slice(start, start + cfg.n_frames)
        windows.append(sliding_windows(to_unit(result.mel_db[span], cfg), cfg)[0])
        rms = result.rms[span].astype(np.float64)
        loud.append(20.0 * np.log10(max(float(np.sqrt(np.mean(rms**2))), 1e-6)))
        flat.append(relative_flatness(clip[start * cfg.hop :], cfg, cfg.n_frames))
        attack.append(params.attack)
        kinds.append(params.kind)
        clips.append(clip)
    return HeldOutAudio(
        np.stack(windows), np.array(loud), np.array(flat), np.array(attack), kinds, clips
    )


def cycle_accuracy(
    style: Style, audio: HeldOutAudio, images: np.ndarray, opts: EvalOptions
) -> dict:
    """LSD/SC of audio→image→audio in the mel domain and after Griffin-Lim."""
    from models.griffinlim import unit_window_to_audio

    cfg = style.analysis
    original_db = from_unit(audio.windows.transpose(0, 2, 1), cfg)
    rebuilt = style.image_to_windows(images)
    rebuilt_db = from_unit(rebuilt.transpose(0, 2, 1), cfg)
    n = min(opts.n_vocoded, len(images))

    def reanalysed(window: np.ndarray) -> np.ndarray:
        signal = unit_window_to_audio(window, cfg)
        return np.clip(analyse(signal, cfg).mel_db[: cfg.n_frames], cfg.db_floor, cfg.db_ceil)

    model_wave = np.stack([reanalysed(w) for w in rebuilt[:n]])
    vocoder_only = np.stack([reanalysed(w) for w in audio.windows[:n]])
    return {
        "mel_lsd_db": log_spectral_distance(original_db, rebuilt_db),
        "mel_sc": spectral_convergence(original_db, rebuilt_db),
        "waveform_lsd_db": log_spectral_distance(original_db[:n], model_wave),
        "waveform_sc": spectral_convergence(original_db[:n], model_wave),
        "vocoder_only_lsd_db": log_spectral_distance(original_db[:n], vocoder_only),
        "vocoder_only_sc": spectral_convergence(original_db[:n], vocoder_only),
        "n_mel": len(images),
        "n_waveform": n,
    }


def _stroke_summary(inks: np.ndarray) -> dict[str, dict[str, float]]:
    rows = [stroke_stats(i) for i in inks]
    return {
        key: {
            "mean": float(np.mean([r[key] for r in rows])),
            "std": float(np.std([r[key] for r in rows])),
        }
        for key in rows[0]
    }


def realism(fake_ink: np.ndarray, opts: EvalOptions) -> dict:
    """SWD of generated vs held-out drawings, next to held-out vs held-out."""
    count = opts.n_images
    real_a = image_domain(opts.images, count=count, seed=opts.seed, start=opts.image_start).data
    real_b = image_domain(
        opts.images, count=count, seed=opts.seed, start=opts.image_start + count
    ).data
    n = min(len(fake_ink), count)
    fake_vs_real = pyramid_swd(fake_ink[:n], real_a[:n], seed=opts.seed)
    real_vs_real = pyramid_swd(real_b[:n], real_a[:n], seed=opts.seed)
    return {
        "swd_levels": ["64px", "32px", "16px"],
        "swd_fake_vs_real": fake_vs_real,
        "swd_real_vs_real": real_vs_real,
        "swd_fake_vs_real_mean": float(np.mean(fake_vs_real)),
        "swd_real_vs_real_mean": float(np.mean(real_vs_real)),
        "strokes_generated": _stroke_summary(fake_ink),
        "strokes_real": _stroke_summary(real_a),
        "n": n,
    }


def synaesthesia(audio: HeldOutAudio, inks: np.ndarray, permutations: int = 999) -> dict:
    """The seed's observations as rank correlations over held-out note windows."""
    ink_mass = inks.mean(axis=(1, 2))
    edges = np.array([edge_density(i) for i in inks])
    softness = -np.array([sharpness(i) for i in inks])
    audio_d = pairwise_distances(audio.windows)
    image_d = pairwise_distances(inks)
    return {
        "loudness_vs_ink_mass": spearman(audio.loudness_db, ink_mass),
        "flatness_vs_edge_density": spearman(audio.flatness, edges),
        "attack_vs_softness": spearman(np.log(audio.attack), softness),
        # Mantel: permute clips, not the N(N-1)/2 dependent pairs, for a valid p (#13)
        "audio_distance_vs_image_distance": mantel(audio_d, image_d, permutations=permutations),
    }


def determinism(style: Style, windows: np.ndarray) -> dict:
    """Same windows → same bytes: repeated, alone, reversed, in uneven batches."""
    first = style.audio_to_image(windows)
    again = style.audio_to_image(windows)
    alone = np.concatenate([style.audio_to_image(w) for w in windows[:16]])
    reversed_ = style.audio_to_image(windows[::-1])[::-1]
    split = np.concatenate([style.audio_to_image(windows[:5]), style.audio_to_image(windows[5:])])
    return {
        "repeat_identical": bool(np.array_equal(first, again)),
        "batch_of_one_identical": bool(np.array_equal(first[:16], alone)),
        "reversed_batch_identical": bool(np.array_equal(first, reversed_)),
        "uneven_split_identical": bool(np.array_equal(first, split)),
        "policy": {"min_batch": style.min_batch, "chunk": style.chunk},
    }


def temporal(style: Style, audio: HeldOutAudio, opts: EvalOptions) -> tuple[dict, np.ndarray]:
    """Slide a window one frame at a time over held-out clips and measure picture change.

    ``change_ratio``: mean |Δpicture| / mean |Δwindow| per frame step (both in [0, 1]
    units) — lower is smoother. ``scroll_share``: how much of the change disappears if the
    previous picture is shifted by one pixel along x (1 = a pure scroll, ≤0 = no scroll).
    """
    cfg = style.analysis
    picked = [i for i in range(len(audio.clips)) if audio.loudness_db[i] > -45][: opts.n_sliding]
    d_img, d_aud, d_shift = [], [], []
    strip = None
    for i in picked:
        mel = to_unit(analyse(audio.clips[i], cfg).mel_db, cfg)
        windows = sliding_windows(mel, cfg, pad_start=True)
        inks = style.audio_to_image(windows).astype(np.float64) / 255.0
        units = (windows.astype(np.float64) + 1.0) / 2.0
        d_img.append(np.abs(np.diff(inks, axis=0)).mean(axis=(1, 2)))
        d_aud.append(np.abs(np.diff(units, axis=0)).mean(axis=(1, 2)))
        d_shift.append(np.abs(inks[1:, :, :-1] - inks[:-1, :, 1:]).mean(axis=(1, 2)))
        if strip is None:
            frames = np.arange(0, len(inks), max(1, len(inks) // 10))[:10]
            strip = tile(
                [
                    np.stack([spectrogram_picture(windows[f]) for f in frames]),
                    np.stack([(inks[f] * 255).astype(np.uint8) for f in frames]),
                ]
            )
    img, aud, shift = (np.concatenate(x) for x in (d_img, d_aud, d_shift))
    moving = aud > 0
    plain = float(img[moving].mean())
    return (
        {
            "change_ratio": float(plain / aud[moving].mean()),
            "mean_picture_change_per_frame": plain,
            "mean_shifted_change_per_frame": float(shift[moving].mean()),
            "scroll_share": float(1.0 - shift[moving].mean() / max(plain, 1e-12)),
            "clips": len(picked),
            "steps": int(moving.sum()),
        },
        strip if strip is not None else np.zeros((1, 1), np.uint8),
    )


def synaesthesia_figure(audio: HeldOutAudio, images: np.ndarray, per_kind: int = 6) -> np.ndarray:
    """Per sound kind: spectrograms (quiet → loud) above the pictures they became."""
    rows = []
    for kind in KINDS:
        idx = [i for i, k in enumerate(audio.kinds) if k == kind]
        idx = sorted(idx, key=lambda i: audio.loudness_db[i])
        idx = [idx[int(j)] for j in np.linspace(0, len(idx) - 1, min(per_kind, len(idx)))]
        rows.append(np.stack([spectrogram_picture(audio.windows[i]) for i in idx]))
        rows.append(images[idx])
    return tile(rows)


BASELINE = "log-mel"


def _head_of(style: Style) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The style's expression head as a numpy function (fields, windows) → fields."""

    def head(fields: np.ndarray, windows: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            out = style.g_image.express(
                torch.from_numpy(fields)[:, None], torch.from_numpy(windows)[:, None]
            )
        return out[:, 0].numpy()

    return head


def instruments_section(style: Style, out_dir: Path, opts: EvalOptions) -> dict:
    """The held-out real-instrument measures for ``style`` and the log-mel baseline.

    Writes ``instruments.png`` (the style's contact sheet) and ``instruments-log-mel.png``
    (the baseline's). The baseline's SWD is against the style's own held-out drawings.
    Returns ``{"skipped": reason}`` where the set cannot be rendered here.
    """
    reason = missing_reason()
    if reason is not None:
        return {"skipped": reason}
    cfg = style.analysis
    try:
        data = evaluation_set(cfg.sample_rate)
    except FluidsynthMissingError as exc:
        return {"skipped": str(exc)}
    win = instrument_windows(data, cfg)
    count = opts.n_images
    drawings = (
        image_domain(opts.images, count=count, seed=opts.seed, start=opts.image_start).data,
        image_domain(opts.images, count=count, seed=opts.seed, start=opts.image_start + count).data,
    )
    expressed = None
    if style.config.expression > 0:
        expressed = tuple(
            express_drawings(_head_of(style), d, win.notes, offset=i * 7)
            for i, d in enumerate(drawings)
        )
    log.info("held-out instruments: %s", style.name)
    figures, images = measure(
        style.audio_to_image,
        style.image_to_windows,
        data,
        win,
        cfg,
        drawings,
        permutations=opts.permutations,
        seed=opts.seed,
        expressed_drawings=expressed,  # type: ignore[arg-type]
    )
    save_png(contact_sheet(data, images), out_dir / "instruments.png")
    log.info("held-out instruments: %s baseline", BASELINE)
    baseline, base_images = measure(
        log_mel_drawer,
        log_mel_inverter,
        data,
        win,
        cfg,
        drawings,
        permutations=opts.permutations,
        seed=opts.seed,
    )
    save_png(contact_sheet(data, base_images), out_dir / f"instruments-{BASELINE}.png")
    return {
        "soundfont": EVAL_SOUNDFONT.name,
        "voices": data.voice_names,
        "velocities": sorted({int(v) for v in data.velocity}),
        "pitches_per_voice": int(len(data.pitch) // len(data.voice_names) // 3),
        "drawings": opts.images,
        "style": figures,
        "baselines": {BASELINE: baseline},
    }


def evaluate_style(style: Style, out_dir: Path, opts: EvalOptions) -> dict:
    """Run every measure, write ``evaluation.json``, ``report.md`` and figures to ``out_dir``."""
    started = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    log.info("evaluating %s on %d held-out clips", style.name, opts.n_clips)
    audio = held_out_audio(style, opts)
    images = style.audio_to_image(audio.windows)
    inks = images.astype(np.float64) / 255.0
    log.info("cycle accuracy")
    cycle = cycle_accuracy(style, audio, images, opts)
    log.info("realism")
    real = realism(inks, opts)
    log.info("synaesthesia, determinism, temporal")
    synaes = synaesthesia(audio, inks, opts.permutations)
    determ = determinism(style, audio.windows)
    temp, strip = temporal(style, audio, opts)
    instruments = (
        instruments_section(style, out_dir, opts)
        if opts.instruments
        else {"skipped": "not asked for (--no-instruments)"}
    )
    info = style.info()
    result = {
        "style": style.name,
        "generator": style.config.generator.__dict__,
        "parameters_per_generator": info.parameters,
        "macs_per_image": info.macs_per_image,
        "options": opts.__dict__,
        "cycle": cycle,
        "realism": real,
        "synaesthesia": synaes,
        "determinism": determ,
        "temporal": temp,
        "instruments": instruments,
        "seconds": time.monotonic() - started,
    }
    (out_dir / "evaluation.json").write_text(json.dumps(result, indent=2) + "\n")
    save_png(synaesthesia_figure(audio, images), out_dir / "synaesthesia.png", scale=2)
    save_png(strip, out_dir / "sliding.png", scale=2)
    (out_dir / "report.md").write_text(render_markdown(result))
    return result


def _rho(entry: dict[str, float]) -> str:
    return f"{entry['rho']:+.2f} (p={entry['p']:.2g}, n={int(entry['n'])})"


#: (label, target) of each row of the instrument table, in the issue's order.
INSTRUMENT_ROWS: tuple[tuple[str, str, str], ...] = (
    ("velocity_vs_ink", "velocity → ink, Spearman ρ over all notes", "≥ 0.6"),
    ("ink_ratio_110_vs_30", "ink ratio, velocity 110 vs 30 (+22.6 dB)", "≥ ×2"),
    ("rsa", "sound distance ↔ picture distance (RSA, Mantel ρ, p)", "≥ 0.6, p < 0.01"),
    ("flatness_vs_edge_density", "noisy → busier (edge density) ρ", "≥ +0.4"),
    (
        "flatness_abs_floor_vs_edge_density",
        "… the same with the flatness floored at −100 dB absolute (level-biased)",
        "(for reference)",
    ),
    ("attack_vs_softness", "slow attack → softer stroke ρ", "≥ +0.4"),
    ("pitch_vs_height_median", "higher pitch → higher ink, median within-voice ρ", "≥ 0.7"),
    ("pad_step_ratio", "sustained pad: change 33 ms apart ÷ random pairs", "≤ 0.3"),
    ("repeat_ratio", "drums repeating after 2 bars: distance ÷ random pairs", "≤ 0.2"),
    ("cycle_mel_lsd_db", "cycle mel LSD (dB)", "≤ 6"),
    ("swd_mean", "realism SWD ×10³, mean over levels (real vs real)", "≤ 2× real"),
    (
        "swd_expressed_mean",
        "… against real drawings given the same expression head (expressed real vs real)",
        "≤ 2× real",
    ),
)


def _cell(key: str, f: dict) -> str:
    value = f.get(key)
    if value is None:
        return "–"
    if key == "rsa":
        return f"{value['rho']:+.2f} (p {value['p']:.3f})"
    if isinstance(value, dict):
        rho, p = value["rho"], value["p"]
        return f"{rho:+.2f}" + (" (n.s.)" if not p < 0.05 else "")
    if key == "ink_ratio_110_vs_30":
        return f"×{value:.2f}"
    if key == "pitch_vs_height_median":
        return f"{value:+.2f}"
    if key == "swd_mean":
        return f"{value:.1f} ({f['swd_real_vs_real_mean']:.1f})"
    if key == "swd_expressed_mean":
        return f"{value:.1f} ({f['swd_expressed_real_vs_real_mean']:.1f})"
    return f"{value:.2f}"


def instrument_table(columns: dict[str, dict]) -> list[str]:
    """Markdown rows of the issue's table, one column per drawer (style or baseline)."""
    lines = [
        "| measure (held-out real instruments) | " + " | ".join(columns) + " | target |",
        "|---|" + "---|" * (len(columns) + 1),
    ]
    for key, label, target in INSTRUMENT_ROWS:
        cells = " | ".join(_cell(key, f) for f in columns.values())
        lines.append(f"| {label} | {cells} | {target} |")
    return lines


def _instrument_markdown(r: dict) -> list[str]:
    ins = r.get("instruments", {})
    head = ["## Held-out real instruments", ""]
    if "skipped" in ins:
        return [*head, f"Skipped: {ins['skipped']}", ""]
    columns = {f"`{r['style']}`": ins["style"]}
    columns.update({f"{name} (baseline)": f for name, f in ins["baselines"].items()})
    lines = [
        *head,
        f"{len(ins['voices'])} General MIDI voices × {ins['pitches_per_voice']} pitches × "
        f"velocities {ins['velocities']} (2 s each), a held pad chord and a drum loop "
        f"repeating exactly after 2 bars, rendered by fluidsynth from `{ins['soundfont']}` "
        "with programs never used in training (`models/instruments.py`). ρ is Spearman's "
        "(n.s. = p ≥ 0.05); the RSA p comes from 999 object permutations (Mantel). The "
        "log-mel baseline draws each window as its own picture; its SWD is against the "
        f"same held-out drawings ({ins['drawings']}).",
        "",
        *instrument_table(columns),
        "",
        "Per voice (15 notes each): velocity → ink and pitch → ink height, Spearman ρ (p).",
        "",
        "| voice | velocity → ink | ink ratio 110/30 | pitch → height |",
        "|---|---|---|---|",
    ]
    for v in ins["style"]["per_voice"]:
        vel, pit = v["velocity_vs_ink"], v["pitch_vs_height"]
        lines.append(
            f"| {v['voice']} | {vel['rho']:+.2f} ({vel['p']:.2g}) | "
            f"×{v['ink_ratio_110_vs_30']:.2f} | {pit['rho']:+.2f} ({pit['p']:.2g}) |"
        )
    lines += [
        "",
        "Contact sheet: one row per voice; the centre pitch at velocities 30, 70, 110, then "
        "the five pitches (low → high) at velocity 110.",
        "",
        "![held-out instrument notes as this style draws them](instruments.png)",
        "",
    ]
    return lines


def render_markdown(r: dict) -> str:
    """The evaluation as a short Markdown report."""
    c, re_, s, d, t = r["cycle"], r["realism"], r["synaesthesia"], r["determinism"], r["temporal"]
    g, real = re_["strokes_generated"], re_["strokes_real"]
    gen, opts = r["generator"], r["options"]
    lines = [
        f"# Style `{r['style']}`: evaluation",
        "",
        f"Generator: layout `{gen['layout']}`, ngf {gen['ngf']}, {gen['n_blocks']} residual "
        f"blocks, {r['parameters_per_generator']:,} parameters, "
        f"{r['macs_per_image'] / 1e6:.1f} MMAC per image. Held-out data: "
        f"{opts['n_clips']} synth clips from index {opts['clip_start']}, {re_['n']} drawings "
        f"from index {opts['image_start']} ({opts['images']}). "
        f"Regenerate with `synaesthete evaluate --style {r['style']}`.",
        "",
        "## Cycle accuracy (audio → image → audio)",
        "",
        "| measure | mel domain | after Griffin-Lim | Griffin-Lim alone |",
        "|---|---|---|---|",
        f"| log-spectral distance (dB) | {c['mel_lsd_db']:.2f} | {c['waveform_lsd_db']:.2f} | "
        f"{c['vocoder_only_lsd_db']:.2f} |",
        f"| spectral convergence | {c['mel_sc']:.3f} | {c['waveform_sc']:.3f} | "
        f"{c['vocoder_only_sc']:.3f} |",
        "",
        "## Realism",
        "",
        "Sliced Wasserstein distance (×10³) on 7×7 Laplacian-pyramid patches, lower is closer.",
        "",
        "| level | generated vs real | real vs real |",
        "|---|---|---|",
    ]
    for name, a, b in zip(
        re_["swd_levels"], re_["swd_fake_vs_real"], re_["swd_real_vs_real"], strict=True
    ):
        lines.append(f"| {name} | {a:.1f} | {b:.1f} |")
    lines += [
        f"| mean | {re_['swd_fake_vs_real_mean']:.1f} | {re_['swd_real_vs_real_mean']:.1f} |",
        "",
        "| stroke statistic | generated (mean ± sd) | real (mean ± sd) |",
        "|---|---|---|",
    ]
    for key in ("coverage", "stroke_width", "components"):
        lines.append(
            f"| {key} | {g[key]['mean']:.3f} ± {g[key]['std']:.3f} | "
            f"{real[key]['mean']:.3f} ± {real[key]['std']:.3f} |"
        )
    lines += [
        "",
        "## Synaesthesia (Spearman ρ on held-out note windows)",
        "",
        "| sound property | picture property | ρ |",
        "|---|---|---|",
        f"| loudness (window RMS, dB) | ink mass | {_rho(s['loudness_vs_ink_mass'])} |",
        f"| spectral flatness (noisiness) | edge density | {_rho(s['flatness_vs_edge_density'])} |",
        f"| attack time (log s) | softness (−mean edge gradient) "
        f"| {_rho(s['attack_vs_softness'])} |",
        f"| pairwise window distance | pairwise picture distance (Mantel, p from "
        f"{opts['permutations']} permutations of the clips) | "
        f"{_rho(s['audio_distance_vs_image_distance'])} |",
        "",
        "![spectrograms (quiet → loud) above their pictures, one pair of rows per sound kind]"
        "(synaesthesia.png)",
        "",
        "## Determinism",
        "",
        f"Same window → same bytes: repeated {d['repeat_identical']}, alone vs batched "
        f"{d['batch_of_one_identical']}, reversed batch {d['reversed_batch_identical']}, uneven "
        f"split {d['uneven_split_identical']} (batch policy: pad to at least "
        f"{d['policy']['min_batch']}, chunk {d['policy']['chunk']}).",
        "",
        "## Temporal behaviour (one-frame sliding window)",
        "",
        f"Over {t['clips']} clips ({t['steps']} steps): picture change per frame "
        f"{t['mean_picture_change_per_frame']:.4f}, per unit of window change "
        f"**{t['change_ratio']:.2f}**; shifting the previous picture one pixel along x leaves "
        f"{t['mean_shifted_change_per_frame']:.4f}, i.e. scroll share **{t['scroll_share']:+.2f}** "
        "(1 = the picture scrolls with time, ≤ 0 = it redraws).",
        "",
        "![sliding window: spectrogram above picture, every few frames](sliding.png)",
        "",
    ]
    lines += _instrument_markdown(r)
    return "\n".join(lines)


def shipped_style_names() -> list[str]:
    """The styles shipped inside the package, the default first, then sorted (the user's
    own styles are not included)."""
    names = sorted(p.name for p in SHIPPED_STYLES_DIR.iterdir() if (p / "config.json").is_file())
    return sorted(names, key=lambda n: n != DEFAULT_STYLE)


def evaluate_shipped(out_root: Path, threads: int | None = None, **overrides: Any) -> dict:
    """Evaluate every shipped style into ``out_root/<name>/`` and write the comparison
    ``out_root/instruments.md`` and ``instruments.json`` (styles and baselines side by side).

    The comparison's baseline column is the first style's (its SWD is against that style's
    drawings); ``overrides``: :class:`EvalOptions` fields (``n_clips``, ``n_images``).
    """
    results: dict[str, dict] = {}
    baseline: dict | None = None
    baseline_drawings, baseline_sheet = "", ""
    for name in shipped_style_names():
        style = Style.from_dir(SHIPPED_STYLES_DIR / name, threads=threads)
        opts = options_for(style, **overrides)
        results[name] = evaluate_style(style, out_root / name, opts)
        ins = results[name]["instruments"]
        sheet = out_root / name / f"instruments-{BASELINE}.png"
        if baseline is None and "baselines" in ins:
            baseline, baseline_drawings = ins["baselines"][BASELINE], ins["drawings"]
            baseline_sheet = f"instruments-{BASELINE}.png"
            sheet.replace(out_root / baseline_sheet)  # one copy, beside the comparison
        else:
            sheet.unlink(missing_ok=True)  # the same pictures again: keep the docs small
    columns = {
        f"[{n}]({n}/report.md)": r["instruments"]["style"]
        for n, r in results.items()
        if "style" in r["instruments"]
    }
    summary: dict[str, Any] = {"styles": {n: r["instruments"] for n, r in results.items()}}
    lines = ["# Shipped styles on held-out real instruments", ""]
    if baseline is None:
        reasons = {r["instruments"].get("skipped", "") for r in results.values()}
        lines.append(f"Skipped: {'; '.join(sorted(reasons))}")
    else:
        columns[f"{BASELINE} baseline"] = baseline
        summary["baselines"] = {BASELINE: baseline}
        lines += [
            "Every shipped style beside the non-learned baseline (each log-mel window drawn "
            "as its own picture), on notes, a pad and a drum loop that no style trained on: "
            "see each report for the set, the per-voice tests and the contact sheets. "
            f"The baseline's SWD is against held-out {baseline_drawings}. Regenerate with "
            f"`synaesthete evaluate --shipped --out {out_root}`.",
            "",
            *instrument_table(columns),
            "",
            "The baseline's contact sheet (one row per voice; velocities 30, 70, 110 at the "
            "centre pitch, then five pitches at velocity 110):",
            "",
            f"![held-out notes drawn as log-mel pictures]({baseline_sheet})",
            "",
        ]
    (out_root / "instruments.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out_root / "instruments.md").write_text("\n".join(lines))
    return summary
