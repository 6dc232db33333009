"""Checkpoints: safetensors + JSON round trips; pickles, wrong shapes, bad names refused."""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path

import pytest
import torch

from models.checkpoint import CheckpointError, load_tensors, save_tensors
from models.config import ConfigError, StyleConfig, TrainConfig
from models.paths import StyleNotFoundError, check_style_name, find_style_dir
from models.style import Style
from models.stylefile import CONFIG_FILE, WEIGHTS_FILE, read_style

from .conftest import make_style_dir


def test_style_round_trip_keeps_every_tensor(tmp_path: Path) -> None:
    folder = make_style_dir(tmp_path / "a")
    cfg, g_image, g_audio = read_style(folder)
    assert cfg.name == "tiny"
    again = load_tensors(folder / WEIGHTS_FILE)
    for k, v in g_image.state_dict().items():
        assert torch.equal(again[f"image.{k}"], v)
    for k, v in g_audio.state_dict().items():
        assert torch.equal(again[f"audio.{k}"], v)


def test_train_config_round_trips_through_json() -> None:
    cfg = TrainConfig(style=StyleConfig(name="x"))
    assert TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_unknown_config_keys_are_named(tmp_path: Path) -> None:
    raw = StyleConfig(name="x").to_dict()
    raw["generator"]["wings"] = 2
    with pytest.raises(ConfigError, match="wings"):
        StyleConfig.from_dict(raw)
    raw = StyleConfig(name="x").to_dict()
    raw["version"] = 99
    with pytest.raises(ConfigError, match="version"):
        StyleConfig.from_dict(raw)


def test_pickled_weights_are_refused_without_unpickling(tmp_path: Path) -> None:
    folder = make_style_dir(tmp_path / "p")

    class Boom:
        def __reduce__(self):
            return (Path.touch, (tmp_path / "pwned",))

    (folder / WEIGHTS_FILE).write_bytes(pickle.dumps({"x": Boom()}, protocol=4))
    with pytest.raises(CheckpointError, match="pickle"):
        read_style(folder)
    assert not (tmp_path / "pwned").exists()


def test_torch_zip_checkpoints_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    with pytest.raises(CheckpointError, match="zip"):
        load_tensors(path)


def test_garbage_and_missing_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "g.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(CheckpointError, match="not a safetensors"):
        load_tensors(tmp_path / "g.safetensors")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_tensors(tmp_path / "none.safetensors")


def test_wrong_shapes_are_refused_with_the_tensor_named(tmp_path: Path) -> None:
    folder = make_style_dir(tmp_path / "s")
    tensors = load_tensors(folder / WEIGHTS_FILE)
    key = next(k for k in tensors if k.startswith("image.") and k.endswith("weight"))
    tensors[key] = torch.zeros(3, 3)
    save_tensors(tensors, folder / WEIGHTS_FILE)
    with pytest.raises(CheckpointError, match="wrong shape"):
        read_style(folder)


def test_weights_from_another_config_are_refused(tmp_path: Path) -> None:
    folder = make_style_dir(tmp_path / "c")
    raw = json.loads((folder / CONFIG_FILE).read_text())
    raw["generator"]["ngf"] = 8
    (folder / CONFIG_FILE).write_text(json.dumps(raw))
    with pytest.raises(CheckpointError, match="do not match"):
        read_style(folder)


@pytest.mark.parametrize("name", ["../etc", "a/b", "Squiggle", "", ".hidden", "x" * 65, "a b"])
def test_bad_style_names_are_refused(name: str, styles_home: Path) -> None:
    with pytest.raises(ValueError, match="invalid style name"):
        check_style_name(name)
    with pytest.raises(ValueError, match="invalid style name"):
        Style.load(name)


def test_styles_load_by_name_from_the_user_folder(styles_home: Path) -> None:
    make_style_dir(styles_home / "styles" / "mine", name="mine")
    style = Style.load("mine", threads=1)
    assert style.name == "mine" and find_style_dir("mine") == styles_home / "styles" / "mine"
    with pytest.raises(StyleNotFoundError, match=r"available: .*mine"):
        Style.load("nothing-here")


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # nesting the parser cannot follow
        '{"epoch": ' + "9" * 5000 + "}",  # an integer Python refuses to convert
        '{"epoch": NaN}',
        "\xe9t\xe9",  # written below as Latin-1 bytes: not UTF-8
    ],
)
def test_damaged_json_files_are_one_error_naming_the_file(tmp_path: Path, text: str) -> None:
    from models.checkpoint import load_json

    path = tmp_path / "state.json"
    path.write_bytes(text.encode("latin-1") if text.startswith("\xe9") else text.encode())
    with pytest.raises(CheckpointError, match=r"state\.json"):
        load_json(path)


def test_a_training_state_with_missing_keys_names_its_file(tmp_path: Path) -> None:
    """A state.json that parses but lacks what a resume needs is a CheckpointError, not a
    KeyError from deep inside the optimiser restore."""
    from models.train_state import NETS_FILE, OPTIM_FILE, STATE_FILE, load_state

    net = torch.nn.Linear(2, 2)
    opt = torch.optim.Adam(net.parameters())
    weights = {"g.weight": net.weight.detach().clone(), "g.bias": net.bias.detach().clone()}
    save_tensors(weights, tmp_path / NETS_FILE)
    save_tensors({"unused": torch.zeros(1)}, tmp_path / OPTIM_FILE)
    (tmp_path / STATE_FILE).write_text(json.dumps({"epoch": 1}))
    with pytest.raises(CheckpointError, match=STATE_FILE):
        load_state(tmp_path, {"g": net}, {"g": opt})
