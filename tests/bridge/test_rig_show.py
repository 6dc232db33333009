"""The live show's video out: ``--transparent`` gives NDI a picture with real alpha."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.ingest.service import BridgeService
from bridge.show.live import LiveOptions, LiveShow, open_sinks
from renderer.sinks.convert import straight_alpha


def test_a_transparent_show_reads_back_with_alpha_zero_where_nothing_is_drawn():
    pytest.importorskip("moderngl")
    from renderer.headless import HeadlessRenderer

    service = BridgeService(port=0)
    try:
        options = LiveOptions(style="x", size=(64, 36), transparent=True)
        live = LiveShow(service, options, loader=lambda name: None)
        try:
            renderer = HeadlessRenderer(options.size)
        except RuntimeError as exc:
            pytest.skip(str(exc))
        with renderer:
            show = live.assemble(renderer.compositor)
            assert show.looks.master.background_alpha == 0.0

            def draw(t, features, beat):
                renderer.compositor.render(t, features, beat)
                return renderer.compositor.read_rgba()

            frame = show.frame(0.0, draw)
    finally:
        service.stop()
    assert frame.shape == (36, 64, 4) and np.all(frame[..., 3] == 0)
    assert np.array_equal(straight_alpha(frame), frame)  # nothing to unpremultiply


def test_no_sinks_unless_asked_and_each_one_named():
    assert not open_sinks(LiveOptions())
    sinks = open_sinks(LiveOptions(ndi="stage", virtual_camera=""))
    assert sinks and list(sinks.status()) == ["NDI stage", "virtual camera"]
