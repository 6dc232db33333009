"""A style describes its own analysis: live and offline, each track is analysed with the
window its style was trained on (rate, n_fft, hop, mels, frames), and silent pictures take
the style's picture size, instead of the defaults every shipped style happens to share."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from bridge.generate.feeds import LookaheadFeed, Stem
from bridge.generate.generator_api import as_generator
from bridge.ingest.service import BridgeService
from bridge.show.live import LiveOptions, LiveShow
from bridge.simulate.simulator import Simulator, devices_from_arrays
from models.analysis import AnalysisConfig
from models.config import GeneratorConfig, StyleConfig
from models.networks import build_generator
from models.style import Style
from models.stylefile import write_style
from renderer.headless import HeadlessRenderer
from tests.bridge.conftest import wait_for

#: Every field differs from the default analysis (22,050 Hz, 1024, 256, 64 × 64).
ODD = AnalysisConfig(sample_rate=16000, n_fft=512, hop=128, n_mels=32, n_frames=32, fmax=8000.0)


@pytest.fixture
def odd_style(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Style:
    """A style named ``odd`` with a 32 × 32 window at 16 kHz, in $SYNAESTHETE_HOME."""
    monkeypatch.setenv("SYNAESTHETE_HOME", str(tmp_path / "home"))
    from models.paths import user_styles_dir

    torch.manual_seed(0)
    config = StyleConfig(
        name="odd", analysis=ODD, generator=GeneratorConfig(ngf=4, n_blocks=1), image_size=32
    )
    folder = user_styles_dir() / "odd"
    write_style(
        folder, config, build_generator(config.generator), build_generator(config.generator)
    )
    return Style.load("odd", threads=1)


def tone(seconds: float, rate: float) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)


def test_offline_each_stem_is_analysed_with_its_styles_window(odd_style: Style) -> None:
    generator = as_generator(odd_style)
    stems = [
        Stem("tone", tone(1.0, 22050.0), 0xFF0000, style="odd"),
        Stem("rest", np.zeros(22050, np.float32), 0x00FF00, style="odd"),
    ]
    feed = LookaheadFeed(stems, lambda name: generator, fps=10.0, n_frames=5)
    for i in range(5):
        pictures, _ = feed.take(i / 10.0, [0, 1])
    assert feed.analysers[0].config == ODD and feed.analysers[1].config == ODD
    assert feed.analysers[0].window().shape == (32, 32)
    assert pictures[0].image.shape == (32, 32)  # drawn by the odd style
    assert pictures[1].image.shape == (32, 32) and pictures[1].image.max() == 0  # blank, its size
    assert feed.images == 4  # at 0 s the tone's window is still silence: no call


def test_live_each_track_is_analysed_with_its_styles_window(odd_style: Style) -> None:
    with BridgeService(port=0) as service:
        live = LiveShow(service, LiveOptions(style="odd", generator_process=False))
        live.prepare()
        renderer = HeadlessRenderer((160, 90), internal_height=45)
        show = live.assemble(renderer.compositor)
        live.worker.start()
        (device,) = devices_from_arrays(
            [("tone", tone(2.0, 24000.0), 24000.0)], stream_rate=24000.0, seed=3
        )
        devices = [replace(device, style="odd")]
        simulator = Simulator(devices, port=service.address[1], sample_rate=48000.0, decimation=2)
        try:
            import threading

            sender = threading.Thread(target=simulator.run, daemon=True)
            sender.start()

            def drawn() -> bool:
                show.frame(time.monotonic(), lambda *args: renderer.compositor.render(*args))
                return show.stats.images_shown > 0

            assert wait_for(drawn, timeout=10.0)
            (key,) = live.worker.analysers.analysers
            assert live.worker.analysers[key].config == ODD
            assert live.worker.mailbox(key).take_new(0).value.image.shape == (32, 32)
            assert live.worker.errors == 0
            (snapshot,) = show.snapshots
            assert (snapshot.name, snapshot.style) == ("tone", "odd")
            sender.join(5.0)
        finally:
            simulator.close()
            live.worker.stop()
            live.styles.close()
            renderer.close()
