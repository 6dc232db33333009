"""Building the device from its sources, reading it back, and the command lines."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main as synaesthete
from max_device.build import PATCHER_NAME, SOURCE_DIR, BuildError, build_device
from max_device.patcher import Patcher
from max_device.reader import read_device

REPO = Path(__file__).resolve().parents[2]


def test_build_writes_one_self_contained_device(tmp_path: Path) -> None:
    result = build_device(tmp_path / "out" / "Synaesthete.amxd")
    assert result.device.stat().st_size == result.size
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["Synaesthete.amxd"]
    assert result.embedded == ("synaesthete.js",)
    device = read_device(result.device)
    assert device.device_type == "audio_effect"
    built = Patcher(device.patcher)
    # No box loads a file: the script is inside, as a Max 9 v8.codebox.
    assert not built.named("js") and not built.named("v8") and not built.named("jsui")
    (codebox,) = [box for box in built.boxes.values() if box.maxclass == "v8.codebox"]
    assert codebox.raw["code"] == (SOURCE_DIR / "synaesthete.js").read_text(encoding="utf-8")
    assert codebox.raw["filename"] == "none"
    names = [item["name"] for item in built.attributes.get("dependency_cache", [])]
    assert not [name for name in names if name.endswith(".js")], names
    # Everything else is the source patch: same boxes, same cords, same parameters.
    source = Patcher.load(SOURCE_DIR / PATCHER_NAME)
    (script,) = source.named("js")
    assert codebox.id == script.id
    assert (codebox.numinlets, codebox.numoutlets) == (script.numinlets, script.numoutlets)
    assert built.lines == source.lines
    assert set(built.boxes) == set(source.boxes)
    assert [p.longname for p in built.parameters()] == [p.longname for p in source.parameters()]


def test_the_embedded_script_runs(tmp_path: Path, patcher) -> None:
    from tests.max_device.conftest import bridge_events
    from tests.max_device.js_runner import NODE, NODE_MISSING, Scenario, run_scenario
    from tests.max_device.patch_sim import PatchSimulator

    if NODE is None:
        pytest.skip(NODE_MISSING)
    device = read_device(build_device(tmp_path / "Synaesthete.amxd").device)
    (codebox,) = [
        box["box"]
        for box in device.patcher["patcher"]["boxes"]
        if box["box"]["maxclass"] == "v8.codebox"
    ]
    script = tmp_path / "embedded.js"
    script.write_text(codebox["code"], encoding="utf-8")
    run = run_scenario(Scenario().loaded(), tmp_path, script)
    assert run.errors == []
    sim = PatchSimulator(Patcher(device.patcher))
    sim.feed(run.emitted)
    assert [type(event).__name__ for event in bridge_events(sim)][:3] == [
        "Hello",
        "Meta",
        "Params",
    ]


def test_builds_are_byte_identical(tmp_path: Path) -> None:
    first = build_device(tmp_path / "a" / "Synaesthete.amxd").device.read_bytes()
    second = build_device(tmp_path / "b" / "Synaesthete.amxd").device.read_bytes()
    assert first == second


def copy_sources(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    shutil.copytree(SOURCE_DIR, source)
    return source


def test_missing_or_broken_sources_are_named(tmp_path: Path) -> None:
    out = tmp_path / "dist" / "Synaesthete.amxd"
    source = copy_sources(tmp_path)
    (source / "synaesthete.js").unlink()
    with pytest.raises(BuildError, match=r"synaesthete\.js, not found"):
        build_device(out, source_dir=source)
    (source / PATCHER_NAME).write_text('{"patcher": {\n  "boxes": [,]}}')
    with pytest.raises(BuildError, match=r"Synaesthete\.maxpat.*line 2"):
        build_device(out, source_dir=source)
    (source / PATCHER_NAME).unlink()
    with pytest.raises(BuildError, match="is missing"):
        build_device(out, source_dir=source)
    assert not out.exists(), "a failed build leaves no device behind"


def test_the_output_must_be_an_amxd(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"must end in \.amxd"):
        build_device(tmp_path / "Synaesthete.json")


def test_build_and_read_through_the_synaesthete_command(tmp_path: Path, capsys) -> None:
    out = tmp_path / "Synaesthete.amxd"
    assert synaesthete(["build-device", "--out", str(out)]) == 0
    assert out.is_file() and not (tmp_path / "synaesthete.js").exists()
    assert synaesthete(["read-device", str(out), "--summary"]) == 0
    printed = capsys.readouterr().out
    assert "type: audio_effect" in printed and "Device ID (ID): stored data" in printed
    assert "Blend (Blend): normal, multiply, screen" in printed


def test_reading_something_else_is_one_clear_line(tmp_path: Path, capsys) -> None:
    bogus = tmp_path / "notes.amxd"
    bogus.write_text("hello")
    assert synaesthete(["read-device", str(bogus)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "not an .amxd device" in error
    assert synaesthete(["read-device", str(tmp_path / "missing.amxd")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_python_dash_m_entry_points(tmp_path: Path) -> None:
    out = tmp_path / "Synaesthete.amxd"
    build = [sys.executable, "-m", "max_device.build", "--out", str(out)]
    done = subprocess.run(build, cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    read = [sys.executable, "-m", "max_device.reader", str(out)]
    shown = subprocess.run(read, cwd=REPO, capture_output=True, text=True, check=False)
    assert shown.returncode == 0 and '"openinpresentation": 1' in shown.stdout


def test_the_commands_module_is_cheap_to_import() -> None:
    heavy = "('numpy', 'torch', 'moderngl')"
    probe = f"import sys, cli.device; print([m for m in {heavy} if m in sys.modules])"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
