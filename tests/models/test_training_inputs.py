"""Training inputs never fail obscurely: every picture mode and bit depth loads with its ink,
files are used by content (not by name), unusable files are skipped and reported by kind,
tiny sets train, and broken style files and command-line numbers fail with one clear line.

The case files (``png16-drawings``, ``transparent-drawings``, ``tiny-training-sets``) are a
copy of the shared cases in ``tests/data/cases``.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from PIL import Image

from models.analysis import DEFAULT_ANALYSIS
from models.checkpoint import CheckpointError, load_tensors, save_tensors
from models.config import (
    ConfigError,
    DataConfig,
    DiscriminatorConfig,
    GeneratorConfig,
    OptimConfig,
    StyleConfig,
    TrainConfig,
)
from models.datasets import DataError, Domain, audio_domain, balance_silence, image_domain
from models.stylefile import CONFIG_FILE, WEIGHTS_FILE, read_style
from tests.models.conftest import make_style_dir

CASES = Path(__file__).resolve().parents[1] / "data" / "cases"

#: Dark bar on light paper, the drawing every generated picture below is made from.
PAPER, INK = 230, 10


def bar_drawing(width: int = 64, height: int = 64) -> np.ndarray:
    """uint8 (height, width): light paper with a dark horizontal bar across the middle."""
    picture = np.full((height, width), PAPER, np.uint8)
    picture[height // 2 - 4 : height // 2 + 4, width // 8 : width - width // 8] = INK
    return picture


def expected_bar_ink() -> np.ndarray:
    """The ink field the 8-bit bar drawing loads as: the reference for every other mode."""
    ink = np.zeros((64, 64), np.float32)
    ink[:] = 1.0 - PAPER / 255.0
    ink[28:36, 8:56] = 1.0 - INK / 255.0
    return ink


def load_one(folder: Path) -> np.ndarray:
    domain = image_domain(str(folder), count=0)
    assert domain.data.shape == (1, 64, 64), domain.skipped
    return domain.data[0]


# ----- bit depths and modes ------------------------------------------------------------------


def test_16bit_case_drawings_load_with_the_ink_of_the_8bit_reference() -> None:
    reference = load_one_file(CASES / "png16-drawings" / "reference-8bit.png")
    paper_ref = float(np.median(reference[0]))
    domain = image_domain(str(CASES / "png16-drawings" / "imgs"), count=0)
    assert len(domain.data) == 10 and domain.skipped == []
    for ink, meta in zip(domain.data, domain.meta, strict=True):
        source = np.asarray(Image.open(str(meta["file"])), np.float64) / 65535.0
        drawn = source < 0.5  # where the 16-bit file has its dark strokes
        assert drawn.sum() > 100
        # Same paper and same ink strength as the 8-bit reference, strokes where drawn.
        assert float(np.median(ink[0])) == pytest.approx(paper_ref, abs=0.01)
        assert ink.max() == pytest.approx(reference.max(), abs=0.02)
        assert np.array_equal(ink > 0.5, drawn)


def test_reference_drawing_saved_at_16_bits_loads_like_the_8bit_file(tmp_path: Path) -> None:
    eight = np.asarray(Image.open(CASES / "png16-drawings" / "reference-8bit.png"))
    Image.fromarray(eight.astype(np.uint16) * 257).save(tmp_path / "sixteen.png")
    assert Image.open(tmp_path / "sixteen.png").mode == "I;16"
    sixteen = load_one(tmp_path)
    reference = load_one_file(CASES / "png16-drawings" / "reference-8bit.png")
    np.testing.assert_allclose(sixteen, reference, atol=1e-3)


def load_one_file(path: Path) -> np.ndarray:
    """Load a single picture through a folder of its own (a symlink to it)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / path.name).symlink_to(path)
        return load_one(Path(folder))


def _save_in_mode(mode: str, folder: Path) -> Path:
    """The bar drawing converted to ``mode`` and saved in a format that keeps that mode."""
    grey = Image.fromarray(bar_drawing())
    if mode == "1":
        picture = grey.point(lambda v: 255 if v > 128 else 0).convert("1")
    elif mode == "P":
        picture = grey.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    elif mode == "I;16":
        picture = Image.fromarray(bar_drawing().astype(np.uint16) * 257)
    elif mode == "I":
        picture = Image.fromarray(bar_drawing().astype(np.int32) * 257)  # 16-bit range in I
    elif mode == "F":
        picture = Image.fromarray(bar_drawing().astype(np.float32) / 255.0)  # 0..1 floats
    elif mode in ("LA", "RGBA"):
        picture = grey.convert(mode)
    else:
        picture = grey.convert(mode)
    assert picture.mode == mode
    suffix = {"CMYK": "jpg", "YCbCr": "jpg", "LAB": "tif", "HSV": "tif", "F": "tif", "I": "tif"}
    fmt = suffix.get(mode, "png")
    path = folder / f"drawing-{mode.replace(';', '_')}.{fmt}"
    if mode == "HSV":  # no format stores HSV; TIFF via RGB is the nearest a file gets
        picture = picture.convert("RGB")
    picture.save(path, quality=100) if fmt == "jpg" else picture.save(path)
    return path


MODES = ["1", "L", "P", "RGB", "RGBA", "LA", "CMYK", "YCbCr", "LAB", "I;16", "I", "F"]


def test_every_pillow_mode_and_depth_loads_with_its_ink(tmp_path: Path) -> None:
    expected = expected_bar_ink()
    wrong = {}
    for mode in MODES:
        folder = tmp_path / mode.replace(";", "_")
        folder.mkdir()
        path = _save_in_mode(mode, folder)
        domain = image_domain(str(folder), count=0)
        if len(domain.data) != 1:
            wrong[mode] = f"not loaded: {domain.skipped}"
            continue
        ink = domain.data[0]
        tolerance = 0.12 if path.suffix == ".jpg" or mode == "1" else 0.02
        # "1" has two levels: its paper is white (no ink) and its bar full ink.
        target = (expected > 0.5).astype(np.float32) if mode == "1" else expected
        error = float(np.abs(ink - target)[4:-4, 4:-4].max())
        if error > tolerance:
            wrong[mode] = f"max error {error:.3f} (ink max {ink.max():.2f})"
    assert wrong == {}


def test_lightness_of_every_mode_pillow_has() -> None:
    """In memory, every mode Pillow defines (also those no file format stores)."""
    from models.pictures import lightness_of

    grey = Image.fromarray(bar_drawing())
    expected = bar_drawing() / 255.0
    for mode in sorted(Image.MODES):
        if mode.startswith("I;16"):  # Pillow's convert() to I;16B clips at 255: build it
            order = ">u2" if mode == "I;16B" else "<u2" if mode == "I;16L" else "=u2"
            raw = (bar_drawing().astype(np.uint16) * 257).astype(order).tobytes()
            picture = Image.frombytes(mode, (64, 64), raw)
        elif mode == "1":
            continue  # two levels only; covered through a file above
        elif mode in ("La", "RGBa"):  # premultiplied: Pillow gets there only with alpha
            picture = grey.convert(mode.upper()[:-1] + "A").convert(mode)
        else:
            picture = grey.convert(mode)
        light = lightness_of(picture)
        assert light.shape == (64, 64) and light.dtype == np.float32, mode
        tolerance = 0.02 if mode not in ("HSV", "LAB") else 0.05
        assert np.abs(light - expected).max() < tolerance, mode


def test_transparency_in_any_form_is_paper(tmp_path: Path) -> None:
    """Alpha channels, a palette's transparent entry and PNG's transparent grey all mean paper;
    light ink on transparency stays ink (it is put on dark paper)."""
    bar = bar_drawing() < 128
    cases = {}
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[bar, 3] = 255  # black ink, transparent (black) elsewhere
    cases["black-on-clear.png"] = Image.fromarray(rgba)
    white = rgba.copy()
    white[bar, :3] = 255
    cases["white-on-clear.png"] = Image.fromarray(white)
    cases["grey-alpha.png"] = Image.fromarray(rgba[..., [0, 3]], "LA")
    palette = Image.fromarray(bar.astype(np.uint8), "L").convert("P")
    palette.putpalette([0, 0, 0, 0, 0, 0])  # both entries black; entry 0 transparent
    palette.info["transparency"] = 0
    cases["palette.png"] = palette
    cases["palette.gif"] = palette
    for name, picture in cases.items():
        folder = tmp_path / name.replace(".", "-")
        folder.mkdir()
        if name.endswith(".gif"):
            picture.save(folder / name, transparency=0)
        else:
            picture.save(folder / name)
        ink = load_one(folder)
        assert np.array_equal(ink > 0.5, bar), name
        assert ink[~bar].max() < 0.05 and ink[bar].min() > 0.95, name


def test_transparent_case_drawings_are_their_ink() -> None:
    folder = CASES / "transparent-drawings"
    domain = image_domain(str(folder), count=0)
    assert len(domain.data) == 3 and domain.skipped == []
    for ink, meta in zip(domain.data, domain.meta, strict=True):
        alpha = np.asarray(Image.open(str(meta["file"])).getchannel("A"))
        if alpha.shape != (64, 64):  # 48×48 grey+alpha is fitted up to 64×64
            alpha = np.asarray(Image.fromarray(alpha).resize((64, 64), Image.Resampling.NEAREST))
        opaque = alpha > 127
        assert opaque.sum() > 100
        assert np.mean((ink > 0.5) == opaque) > 0.97, meta["file"]


def test_exif_orientation_is_honoured(tmp_path: Path) -> None:
    upright = bar_drawing(width=40, height=80)  # as the camera's viewer shows it
    stored = np.rot90(upright, k=1)  # as the sensor wrote it: 80 wide, 40 high
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.fromarray(np.ascontiguousarray(stored)).save(tmp_path / "a" / "photo.png", exif=exif)
    Image.fromarray(upright).save(tmp_path / "b" / "upright.png")
    np.testing.assert_allclose(load_one(tmp_path / "a"), load_one(tmp_path / "b"), atol=1e-6)


# ----- by content, skipped and reported by kind ----------------------------------------------


def _kind_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_pictures_are_used_by_content_and_unusable_files_reported_by_kind(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    Image.fromarray(bar_drawing()).save(tmp_path / "drawing.dat", format="PNG")
    Image.fromarray(bar_drawing()).save(tmp_path / "scan.JPEG-export", format="BMP")
    Image.fromarray(bar_drawing()).save(tmp_path / "named-wrongly.wav", format="PNG")
    for i in range(5):
        Image.new("L", (64, 64), 255).save(tmp_path / f"blank{i}.png")  # empty pages
    Image.new("L", (4, 4), 0).save(tmp_path / "icon.png")
    (tmp_path / "notes.txt").write_text("not a picture")
    (tmp_path / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
    png = io.BytesIO()
    Image.fromarray(bar_drawing()).save(png, format="PNG")
    (tmp_path / "cut.png").write_bytes(png.getvalue()[:60])  # header fine, data cut off
    caplog.set_level(logging.WARNING)
    domain = image_domain(str(tmp_path), count=0)
    assert sorted(Path(str(m["file"])).name for m in domain.meta) == [
        "drawing.dat",
        "named-wrongly.wav",
        "scan.JPEG-export",
    ]
    kinds = {}
    for entry in domain.skipped:
        kinds.setdefault(entry.kind, []).append(Path(entry.file).name)
    assert sorted(kinds["empty"]) == [f"blank{i}.png" for i in range(5)]
    assert kinds["too small"] == ["icon.png"]
    assert sorted(kinds["not a picture"]) == ["fake.png", "notes.txt"]
    assert kinds["broken"] == ["cut.png"]
    lines = _kind_lines(caplog)
    assert len(lines) == 4  # one line per kind
    empty_line = next(line for line in lines if "empty" in line)
    assert "5 are empty pages" in empty_line and "and 2 more" in empty_line


def test_too_large_pictures_are_refused_before_decoding(tmp_path: Path, monkeypatch) -> None:
    from models import pictures

    Image.fromarray(bar_drawing()).save(tmp_path / "ok.png")
    Image.fromarray(bar_drawing(300, 200)).save(tmp_path / "poster.png")
    assert len(image_domain(str(tmp_path), count=0).data) == 2  # both fine by default
    with pytest.raises(pictures.PictureError, match="60,000 pixels") as caught:
        pictures.read_lightness(tmp_path / "poster.png", max_pixels=50_000)
    assert caught.value.kind == "too large"
    # Pillow's own decompression-bomb limit is an error too, never a warning to miss.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20_000)
    with pytest.raises(pictures.PictureError, match="decompression-bomb") as caught:
        pictures.read_lightness(tmp_path / "poster.png")
    assert caught.value.kind == "too large"


def test_a_folder_with_nothing_usable_says_what_it_found(tmp_path: Path) -> None:
    Image.new("L", (64, 64), 255).save(tmp_path / "blank.png")
    (tmp_path / "readme.md").write_text("# drawings")
    with pytest.raises(DataError, match=r"1 empty, 1 not a picture"):
        image_domain(str(tmp_path), count=0)


def _sine(seconds: float, rate: int = 22050, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def test_sounds_are_used_by_content_and_unusable_files_reported_by_kind(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    soundfile.write(tmp_path / "tone.wav", _sine(1.5), 22050)
    soundfile.write(tmp_path / "tone.dat", _sine(1.5, 44100), 44100, format="FLAC")
    soundfile.write(tmp_path / "silence.wav", np.zeros(44100, np.float32), 22050)
    soundfile.write(tmp_path / "blip.wav", _sine(0.1), 22050)
    broken = _sine(1.5)
    broken[100] = np.nan
    soundfile.write(tmp_path / "nan.wav", broken, 22050, subtype="FLOAT")
    (tmp_path / "readme.txt").write_text("not a sound")
    Image.fromarray(bar_drawing()).save(tmp_path / "cover.png")
    caplog.set_level(logging.WARNING)
    domain = audio_domain(str(tmp_path), count=0, cfg=DEFAULT_ANALYSIS, step=8)
    used = sorted({Path(str(m["file"])).name for m in domain.meta})
    assert used == ["tone.dat", "tone.wav"]
    kinds = {}
    for entry in domain.skipped:
        kinds.setdefault(entry.kind, []).append(Path(entry.file).name)
    assert kinds == {
        "too short": ["blip.wav"],
        "not a sound": ["cover.png", "readme.txt"],
        "broken": ["nan.wav"],
        "silent": ["silence.wav"],
    }
    assert len(_kind_lines(caplog)) == 4
    assert np.isfinite(domain.data).all()


def test_long_sounds_are_cut_and_reported(tmp_path: Path, monkeypatch) -> None:
    from models import datasets

    soundfile.write(tmp_path / "long.wav", _sine(3.0), 22050)
    samples, rate, cut = datasets.read_sound(tmp_path / "long.wav", max_seconds=1.0)
    assert rate == 22050 and len(samples) == 22050 and cut
    monkeypatch.setattr(datasets, "MAX_SOUND_SECONDS", 1.0)
    domain = audio_domain(str(tmp_path), count=0, cfg=DEFAULT_ANALYSIS, step=8)
    assert [s.kind for s in domain.skipped] == ["cut"] and len(domain.data) > 0


def test_all_silent_windows_are_kept_rather_than_emptied() -> None:
    silent = Domain(-np.ones((5, 64, 64), np.float32), [{}] * 5)
    assert len(balance_silence(silent, 0.08, seed=0).data) == 5


# ----- tiny training sets --------------------------------------------------------------------


def _tiny_train_config(images: str, audio: str) -> TrainConfig:
    return TrainConfig(
        style=StyleConfig(name="tiny", generator=GeneratorConfig(ngf=4, n_blocks=1)),
        discriminator=DiscriminatorConfig(ndf=8, n_layers=2),
        optim=OptimConfig(lr=2e-3, epochs=1, epochs_decay=0, batch_size=4, pool_size=8),
        data=DataConfig(images=images, audio=audio, window_step=8),
    )


def test_three_drawings_and_one_second_of_sound_train(tmp_path: Path) -> None:
    from models.style import Style
    from models.train import RunOptions, train

    sets = CASES / "tiny-training-sets"
    cfg = _tiny_train_config(str(sets / "imgs"), str(sets / "one_sound"))
    result = train(cfg, RunOptions(run_dir=tmp_path / "run", threads=1, progress=False))
    assert result.progress.epoch == 1 and result.progress.step == 1  # one batch of 4 from 3
    assert (tmp_path / "run" / "samples" / "epoch_001.png").is_file()
    assert Style.from_dir(result.style_dir).name == "tiny"


def test_epochs_on_a_set_smaller_than_a_batch_still_take_a_step() -> None:
    from models.distributed import DistContext
    from models.train import _epoch_indices

    ctx = DistContext.from_env()
    audio_idx, image_idx = _epoch_indices(2, 1, 0, 0, ctx, min_length=4)
    assert image_idx == [0, 0, 0, 0] and len(audio_idx) == 4 and set(audio_idx) == {0, 1}


# ----- style files ---------------------------------------------------------------------------


def _variants(folder: Path) -> dict[str, tuple[str, bytes | None]]:
    """name → (file to replace, its new bytes) for every way a style file can be broken."""
    good = json.loads((folder / CONFIG_FILE).read_text())

    def config(change) -> bytes:
        raw = json.loads(json.dumps(good))
        change(raw)
        return json.dumps(raw).encode()

    huge_digits = "1" * 400
    return {
        "latin-1": (CONFIG_FILE, json.dumps({**good, "name": "café"}).encode("latin-1")),
        "syntax": (CONFIG_FILE, b'{"name": "tiny",'),
        "400 digits": (
            CONFIG_FILE,
            json.dumps(good).replace('"image_size": 64', f'"image_size": {huge_digits}').encode(),
        ),
        "nan": (CONFIG_FILE, json.dumps(good).replace("0.0", "NaN", 1).encode()),
        "overflow": (CONFIG_FILE, json.dumps(good).replace("0.0", "1e400", 1).encode()),
        "nested": (CONFIG_FILE, b"[" * 100_000 + b"]" * 100_000),
        "oversized": (CONFIG_FILE, json.dumps(good).encode() + b" " * (2 << 20)),
        "not an object": (CONFIG_FILE, b"[1, 2, 3]"),
        "float width": (CONFIG_FILE, config(lambda r: r["generator"].update(ngf=4.5))),
        "bool width": (CONFIG_FILE, config(lambda r: r["generator"].update(ngf=True))),
        "string size": (CONFIG_FILE, config(lambda r: r.update(image_size="64"))),
        "absurd size": (CONFIG_FILE, config(lambda r: r.update(image_size=100_000))),
        "absurd fft": (CONFIG_FILE, config(lambda r: r["analysis"].update(n_fft=10**9))),
        "analysis a list": (CONFIG_FILE, config(lambda r: r.update(analysis=[1]))),
        "bad name": (CONFIG_FILE, config(lambda r: r.update(name="../../x"))),
        "name a number": (CONFIG_FILE, config(lambda r: r.update(name=7))),
        "version true": (CONFIG_FILE, config(lambda r: r.update(version=True))),
        "nan weights": (WEIGHTS_FILE, None),
    }


def test_every_broken_style_file_is_one_line_naming_it(tmp_path: Path) -> None:
    template = make_style_dir(tmp_path / "template")
    problems = {}
    for name, (file, data) in _variants(template).items():
        folder = make_style_dir(tmp_path / name.replace(" ", "-"))
        if data is None:
            tensors = load_tensors(folder / WEIGHTS_FILE)
            key = next(k for k in tensors if k.endswith("weight"))
            tensors[key] = torch.full_like(tensors[key], float("nan"))
            save_tensors(tensors, folder / WEIGHTS_FILE)
        else:
            (folder / file).write_bytes(data)
        try:
            read_style(folder)
        except CheckpointError as exc:
            message = str(exc)
            if str(folder / file) not in message or "\n" in message:
                problems[name] = f"message does not name the file in one line: {message!r}"
        except BaseException as exc:  # the fault under test: anything else escaping
            problems[name] = f"{type(exc).__name__}: {str(exc)[:120]}"
        else:
            problems[name] = "accepted"
    assert problems == {}


def test_weights_file_size_is_bounded(tmp_path: Path) -> None:
    folder = make_style_dir(tmp_path / "s")
    with pytest.raises(CheckpointError, match="more than a style's weights may have"):
        read_style(folder, max_weight_bytes=1000)


def test_broken_style_through_the_command_exits_2_without_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from cli.main import main

    folder = make_style_dir(tmp_path / "s")
    (folder / CONFIG_FILE).write_bytes(b"[" * 100_000)
    soundfile.write(tmp_path / "in.wav", _sine(1.0), 22050)
    code = main(["cycle", str(tmp_path / "in.wav"), "--style-dir", str(folder)])
    assert code == 2
    assert str(folder / CONFIG_FILE) in caplog.text and "Traceback" not in caplog.text


@pytest.mark.parametrize(
    "raw",
    [
        {"seed": True},
        {"seed": -1},
        {"optim": {"beta1": 1.5}},
        {"optim": {"epochs": 1.5}},
        {"optim": {"batch_size": 10**12}},
        {"loss": {"identity": float("inf")}},
        {"data": {"n_images": 10**9}},
        {"style": "tiny"},
    ],
)
def test_training_configs_check_types_and_ranges(raw: dict) -> None:
    good = TrainConfig(style=StyleConfig(name="x")).to_dict()
    for key, value in raw.items():
        if isinstance(value, dict):
            good[key].update(value)
        else:
            good[key] = value
    with pytest.raises(ConfigError):
        TrainConfig.from_dict(good)


def test_a_damaged_run_state_names_its_file(tmp_path: Path) -> None:
    from models.train import RunOptions, train

    run = tmp_path / "run"
    (run / "checkpoint").mkdir(parents=True)
    (run / "checkpoint" / "state.json").write_text('{"epoch": 1}')
    cfg = TrainConfig(
        style=StyleConfig(name="tiny", generator=GeneratorConfig(ngf=4, n_blocks=1)),
        optim=OptimConfig(epochs=1, epochs_decay=0),
        data=DataConfig(n_images=4, n_clips=2),
    )
    with pytest.raises(ConfigError, match=r"state\.json: cannot resume"):
        train(cfg, RunOptions(run_dir=run, threads=1, progress=False))


# ----- numbers on the command line -----------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    from cli.models import register

    top = argparse.ArgumentParser(prog="synaesthete")
    register(top.add_subparsers())
    return top


TRAIN = ["train", "--name", "x"]
BAD_NUMBERS = [
    [*TRAIN, "--epochs", "-1"],
    [*TRAIN, "--epochs-decay", "1e9"],
    [*TRAIN, "--batch-size", "0"],
    [*TRAIN, "--lr", "nan"],
    [*TRAIN, "--lr", "inf"],
    [*TRAIN, "--lr", "-0.1"],
    [*TRAIN, "--lr", "0"],
    [*TRAIN, "--ngf", "100000"],
    [*TRAIN, "--n-blocks", "-2"],
    [*TRAIN, "--identity", "nan"],
    [*TRAIN, "--seed", "-5"],
    [*TRAIN, "--threads", "0"],
    [*TRAIN, "--max-steps", "0"],
    [*TRAIN, "--n-images", "1000000000"],
    [*TRAIN, "--n-clips", "0"],
    ["evaluate", "--n-clips", "-3"],
    ["evaluate", "--n-images", "1"],
    ["cycle", "in.wav", "--iterations", "0"],
    ["cycle", "in.wav", "--threads", "-1"],
    ["draw", "in.wav", "--svg", "o.svg", "--level", "nan"],
    ["draw", "in.wav", "--svg", "o.svg", "--level", "1"],
    ["draw", "in.wav", "--svg", "o.svg", "--scale", "inf"],
]


@pytest.mark.parametrize("argv", BAD_NUMBERS, ids=lambda a: " ".join(a[-2:]))
def test_every_number_on_the_command_line_is_checked(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {argv[-2]}: must be" in err and "Traceback" not in err


def test_numbers_at_the_ends_of_a_range_parse_and_one_past_does_not(capsys) -> None:
    args = _parser().parse_args([*TRAIN, "--lr", "1e-3", "--epochs", "0", "--seed", "4294967295"])
    assert args.lr == 1e-3 and args.epochs == 0 and args.seed == 2**32 - 1
    args = _parser().parse_args(["draw", "a.wav", "--svg", "o.svg", "--level", "0.25"])
    assert args.level == 0.25
    with pytest.raises(SystemExit):
        _parser().parse_args([*TRAIN, "--seed", "4294967296"])
    assert "argument --seed: must be from 0 to 4294967295" in capsys.readouterr().err
