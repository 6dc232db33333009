"""The offline look-ahead in blocks of frames: fewer generator calls, the very same pictures.

:class:`LookaheadFeed` sends ``batch_frames`` consecutive frames × every sounding track of a
style to that style's generator in one call. Styles are batch-invariant by design, so every
picture, every feature record and the finished video must be exactly those of one frame per
call; only the number of calls changes.
"""

from __future__ import annotations

from contextlib import contextmanager
from math import ceil

import numpy as np
import pytest

from bridge.generate.feeds import LOOKAHEAD, LookaheadFeed, Stem
from bridge.generate.generator_api import SyncGenerator, as_generator
from bridge.show import render as render_module
from bridge.simulate.demo_audio import demo_stems
from bridge.simulate.simulator import PALETTE

FPS = 30.0


def window_picture(windows: np.ndarray) -> np.ndarray:
    """A stand-in style: each window itself, brightened, as ink (per window, so any batch
    gives the same pictures, and each frame's differs from its neighbours')."""
    return np.clip((windows + 1.0) * 160.0, 0, 255).astype(np.uint8)


class CountingGenerator(SyncGenerator):
    """``window_picture`` that records the size of every call."""

    def __init__(self) -> None:
        super().__init__(window_picture)
        self.batches: list[int] = []

    def submit(self, windows: np.ndarray) -> None:
        self.batches.append(len(windows))
        super().submit(windows)


@pytest.fixture(scope="module")
def stems() -> list[Stem]:
    """The demo's four stems (1 s) and one that stays silent: two styles, one generator."""
    demo = [
        Stem(name, audio[:22050], PALETTE[i], style="a" if i % 2 else "b")
        for i, (name, audio) in enumerate(demo_stems(bars=1))
    ]
    return [*demo, Stem("rest", np.zeros(22050, np.float32), PALETTE[4], style="a")]


def run(stems: list[Stem], n: int, batch_frames: int, generator_for=None):
    """Every frame's pictures (key → bytes, style) and features from a fresh feed."""
    shared = CountingGenerator()
    feed = LookaheadFeed(
        stems,
        generator_for or (lambda style: shared),
        fps=FPS,
        n_frames=n,
        batch_frames=batch_frames,
    )
    frames = []
    for i in range(n):
        pictures, features = feed.take(i / FPS, list(range(len(stems))))
        shown = {key: (p.image.tobytes(), p.style, p.generated) for key, p in pictures.items()}
        frames.append((shown, features))
    feed.finish()
    return frames, feed, shared


@pytest.mark.parametrize("batch_frames", [2, 3, 8])
def test_batched_look_ahead_gives_exactly_the_pictures_of_one_frame_a_call(
    stems: list[Stem], batch_frames: int
) -> None:
    n = 20  # not a multiple of 3 or 8: the last block is short
    one, feed_one, calls_one = run(stems, n, 1)
    many, feed_many, calls_many = run(stems, n, batch_frames)
    assert len(one) == len(many) == n
    for i, (a, b) in enumerate(zip(one, many, strict=True)):
        assert a[0] == b[0], f"frame {i}: pictures differ"
        assert a[1] == b[1], f"frame {i}: features differ"
    assert feed_one.images == feed_many.images > 0
    assert sum(calls_one.batches) == sum(calls_many.batches) == feed_many.images
    # The same windows in fewer, bigger calls: two styles, one call each per block.
    assert len(calls_many.batches) <= 2 * ceil(n / batch_frames)
    assert len(calls_many.batches) < len(calls_one.batches)
    assert max(calls_many.batches) > max(calls_one.batches)


def test_consecutive_frames_show_different_pictures(stems: list[Stem]) -> None:
    """Guards the comparison above: a block whose pictures were handed to the wrong frame
    would be caught, because neighbouring frames' pictures differ."""
    frames, _, _ = run(stems, 12, 4)
    assert frames[6][0][0][0] != frames[7][0][0][0]


def test_each_style_gets_its_own_pictures_in_a_block(stems: list[Stem]) -> None:
    """Two styles with their own generators: every track's picture comes from its style."""

    def styles() -> dict[str, SyncGenerator]:
        return {"a": CountingGenerator(), "b": SyncGenerator(lambda w: 255 - window_picture(w))}

    generators = styles()
    frames, _, _ = run(stems, 9, 4, generator_for=generators.__getitem__)
    reference, _, _ = run(stems, 9, 1, generator_for=styles().__getitem__)
    assert frames == reference
    # Style "a" draws two sounding stems (and a silent one): blocks of 4, 4 and 1 frames,
    # the first smaller as its first windows are still silence.
    assert len(generators["a"].batches) == 3 and generators["a"].batches[1:] == [8, 2]
    silent = frames[-1][0][4]
    assert silent[1] == "a" and not any(silent[0])  # the silent stem: blank, no call


def test_a_block_never_reaches_past_the_render(stems: list[Stem]) -> None:
    n = 10
    _, feed, shared = run(stems[:1], n, 4)
    last_sample = round((n - 1) / FPS * stems[0].rate)
    assert feed.positions[0] == last_sample  # analysed up to the last frame, not beyond
    assert len(shared.batches) == 3 and shared.batches[1:] == [4, 2]  # frames 0–3, 4–7, 8–9


def test_the_look_ahead_keeps_blocks_submitted_beyond_the_one_drawn(stems: list[Stem]) -> None:
    shared = CountingGenerator()
    feed = LookaheadFeed(stems[:1], lambda style: shared, fps=FPS, batch_frames=4)
    feed.take(0.0, [0])
    # Frame 0's block (frames 0–3) and LOOKAHEAD more blocks of 4 frames were analysed.
    assert feed.positions[0] == round((4 * (1 + LOOKAHEAD) - 1) / FPS * stems[0].rate)
    feed.finish()


def test_a_jump_restarts_the_look_ahead_in_blocks(stems: list[Stem]) -> None:
    shared = CountingGenerator()
    feed = LookaheadFeed(stems[:1], lambda style: shared, fps=FPS, n_frames=40, batch_frames=4)
    for i in range(3):
        feed.take(i / FPS, [0])
    pictures, _ = feed.take(0.5, [0])  # frames out of order: the look-ahead starts again
    assert pictures[0].generated == 0.5
    assert feed.take(0.5 + 1 / FPS, [0])[0][0].generated == pytest.approx(0.5 + 1 / FPS)
    feed.finish()


def test_batch_frames_below_one_is_refused(stems: list[Stem]) -> None:
    with pytest.raises(ValueError, match="batch_frames"):
        LookaheadFeed(stems, lambda style: CountingGenerator(), fps=FPS, batch_frames=0)


def test_the_default_style_is_batch_invariant_through_the_feed() -> None:
    """The shipped default style, in this process: blocks of 4 frames give the bytes of one
    frame a call (the look-ahead relies on it; a style that is not would fail here)."""
    from models.paths import DEFAULT_STYLE
    from models.style import Style

    style = Style.load(DEFAULT_STYLE, threads=1)
    first, second = as_generator(style), as_generator(style)  # one queue of results each
    stems = [
        Stem(name, audio[: 22050 * 2], PALETTE[i], style=DEFAULT_STYLE)
        for i, (name, audio) in enumerate(demo_stems(bars=1))
    ]
    start = 20  # past the first, partly silent windows
    one = LookaheadFeed(stems, lambda name: first, fps=FPS, batch_frames=1)
    many = LookaheadFeed(stems, lambda name: second, fps=FPS, batch_frames=4)
    compared = 0
    for i in range(start, start + 10):
        a, _ = one.take(i / FPS, [0, 1, 2, 3])
        b, _ = many.take(i / FPS, [0, 1, 2, 3])
        assert a.keys() == b.keys()
        for key in a:
            assert a[key].image.tobytes() == b[key].image.tobytes(), f"frame {i} track {key}"
            compared += 1
    one.finish()
    many.finish()
    assert compared == 40 and many.images == 40


def test_the_video_is_byte_for_byte_the_same_batched_or_not(tmp_path, monkeypatch) -> None:
    """``render_stems`` to an mp4: blocks of frames and the encoder's own thread give the
    same file as one frame a call encoded on the drawing thread."""
    generator = SyncGenerator(window_picture)

    @contextmanager
    def in_process_styles(stems, threads, **where):  # engine, device: eager on the CPU
        yield lambda style: generator

    monkeypatch.setattr(render_module, "style_processes", in_process_styles)
    stems = [Stem(name, audio, PALETTE[i]) for i, (name, audio) in enumerate(demo_stems(bars=1))]
    files = []
    for batch_frames, write_ahead in ((1, 0), (5, 3)):
        out = tmp_path / f"set-{batch_frames}.mp4"
        summary = render_module.render_stems(
            stems,
            out,
            fps=15.0,
            size=(192, 108),
            seconds=1.2,
            tempo=124.0,
            preset="ultrafast",
            progress=False,
            batch_frames=batch_frames,
            write_ahead=write_ahead,
        )
        assert summary["frames"] == 18
        files.append(out.read_bytes())
    assert len(files[0]) > 1000 and files[0] == files[1]


class ExpressionRecorder(SyncGenerator):
    """``window_picture`` darkened by each window's expression; records what it was given."""

    def __init__(self) -> None:
        super().__init__(self.draw)
        self.given: list[np.ndarray | None] = []

    def draw(self, windows: np.ndarray, expression: np.ndarray | None = None) -> np.ndarray:
        self.given.append(None if expression is None else np.array(expression))
        pictures = window_picture(windows)
        if expression is None:
            return pictures
        return (pictures * np.asarray(expression)[:, None, None]).astype(np.uint8)


def test_each_tracks_expression_goes_with_its_windows(stems: list[Stem]) -> None:
    keys = list(range(len(stems)))
    at = 5 / FPS

    def feed_with(recorder: ExpressionRecorder) -> LookaheadFeed:
        return LookaheadFeed(stems, lambda style: recorder, fps=FPS, n_frames=12, batch_frames=2)

    plain = ExpressionRecorder()
    reference, _ = feed_with(plain).take(at, keys)
    assert plain.given and all(given is None for given in plain.given)  # the styles' own
    assert reference[1].image.any() and reference[2].image.any()

    recorder = ExpressionRecorder()
    feed = feed_with(recorder)
    feed.follow(feed.styles, {1: 0.0, 2: 0.5})
    pictures, _ = feed.take(at, keys)
    given = [g for g in recorder.given if g is not None]
    assert given and {0.0, 0.5, 1.0} <= {float(v) for g in given for v in g}
    assert not pictures[1].image.any()  # expression 0: this stand-in draws nothing
    assert pictures[2].image.max() < reference[2].image.max()
    np.testing.assert_array_equal(pictures[0].image, reference[0].image)
    feed.finish()
