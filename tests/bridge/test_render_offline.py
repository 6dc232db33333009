"""Offline rendering: the same stems give the same frames; the CLI writes a real video."""

from __future__ import annotations

import json
from contextlib import contextmanager

import numpy as np
import pytest
import soundfile
from PIL import Image

from bridge.generate.feeds import LOOKAHEAD, LookaheadFeed, Stem
from bridge.generate.generator_api import SyncGenerator
from bridge.show import render as render_module
from bridge.show.compositions import SCORE_BEATS, SCORE_STAMP_BEATS
from bridge.show.looks import Looks
from bridge.show.render import RENDER_FADE_IN, mixdown
from bridge.show.show import Show
from bridge.show.sources import FileSource
from bridge.show.structure_feed import FileStructureFeed
from bridge.simulate.demo_audio import demo_stems
from bridge.simulate.simulator import PALETTE
from cli.main import main
from renderer.headless import HeadlessRenderer


def window_picture(windows: np.ndarray) -> np.ndarray:
    """A deterministic stand-in generator: the window itself, brightened, as ink."""
    return np.clip((windows + 1.0) * 160.0, 0, 255).astype(np.uint8)


def render_frames(
    stems: list[Stem],
    n: int,
    fps: float = 30.0,
    colour: str = "track",
    composition: str = "stage",
) -> list[np.ndarray]:
    frames = []
    with HeadlessRenderer((160, 96), internal_height=48) as renderer:
        compositor = renderer.compositor
        generator = SyncGenerator(window_picture)
        feed = LookaheadFeed(stems, lambda style: generator, fps=fps, n_frames=n)
        show = Show(
            FileSource(stems, tempo=124.0),
            feed,
            compositor,
            looks=Looks(fade_in=RENDER_FADE_IN, colour_mode=colour, composition=composition),
        )
        for i in range(n):
            features, beat = show.update(i / fps)
            compositor.render(i / fps, features, beat)
            frames.append(compositor.read())
    return frames


@pytest.fixture(scope="module")
def stems() -> list[Stem]:
    return [
        Stem(name, audio[: 22050 * 2], PALETTE[i])
        for i, (name, audio) in enumerate(demo_stems(bars=2))
    ]


def test_the_same_audio_and_settings_give_the_same_frames(stems: list[Stem]) -> None:
    first = render_frames(stems, 30)
    second = render_frames(stems, 30)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert first[-1].max() > 0  # something was drawn
    assert not np.array_equal(first[5], first[25])  # and it moves with the music


def test_each_frame_has_seen_exactly_the_audio_up_to_its_time(stems: list[Stem]) -> None:
    generator = SyncGenerator(window_picture)
    shown: list[tuple[float, np.ndarray]] = []
    feed = LookaheadFeed(stems[:1], lambda style: generator, fps=4.0)
    for t in (0.5, 0.75):
        pictures, _ = feed.take(t, [0])
        shown.extend((picture.generated, picture.image) for picture in pictures.values())
        if t == 0.5:
            assert feed.positions[0] == round((0.5 + LOOKAHEAD / 4.0) * 22050)  # looked ahead
    assert feed.images == 2 and [t for t, _ in shown] == [0.5, 0.75]
    # The picture shown at 0.75 s is the one made from exactly the audio up to 0.75 s.
    from models.analysis import analyse, sliding_windows, to_unit

    offline = analyse(stems[0].audio[: round(0.75 * 22050)])
    window = sliding_windows(to_unit(offline.mel_db), pad_start=True)[-1]
    expected = window_picture(window[None])[0].astype(int)
    assert np.abs(shown[1][1].astype(int) - expected).max() <= 1
    feed.finish()


def test_a_silent_stem_shows_no_ink() -> None:
    silent = [Stem("quiet", np.zeros(22050, np.float32), 0xFFFFFF)]
    generator = SyncGenerator(lambda w: np.full((len(w), 64, 64), 255, np.uint8))
    shown: list[np.ndarray] = []
    feed = LookaheadFeed(silent, lambda style: generator, fps=30.0, n_frames=3)
    for i in range(3):
        pictures, _ = feed.take(i / 30, [0])
        shown.extend(picture.image for picture in pictures.values())
    assert len(shown) == 3 and all(image.max() == 0 for image in shown)
    assert generator.last_seconds == 0.0 and feed.images == 0  # the generator never ran


def test_mixdown_is_peak_limited() -> None:
    loud = [Stem("a", np.ones(100, np.float32), 0), Stem("b", np.ones(50, np.float32), 0)]
    mix = mixdown([stem.audio for stem in loud])
    assert mix.size == 100 and mix.max() == pytest.approx(0.99)


def test_render_command_writes_a_video_with_sound(tmp_path) -> None:
    import av

    paths = []
    for name, audio in demo_stems(bars=1)[:2]:
        path = tmp_path / f"{name}.wav"
        soundfile.write(path, audio[:22050], 22050)
        paths.append(str(path))
    out = tmp_path / "set.mp4"
    code = main(
        [
            "-q",
            "render",
            *paths,
            "-o",
            str(out),
            "--size",
            "320x180",
            "--fps",
            "20",
            "--preset",
            "ultrafast",
            "--quiet-progress",
        ]
    )
    assert code == 0
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (320, 180)
        frames = list(container.decode(video=0))
        assert len(frames) == 20
        assert any(stream.type == "audio" for stream in container.streams)
    assert max(f.to_ndarray(format="rgb24").max() for f in frames) > 0


def test_render_command_refuses_bad_input(tmp_path) -> None:
    assert main(["render", str(tmp_path / "missing.wav"), "-o", str(tmp_path / "x.mp4")]) == 2
    wav = tmp_path / "a.wav"
    soundfile.write(wav, np.zeros(2205), 22050)
    assert main(["render", str(wav), "-o", str(tmp_path / "x.mp4"), "--blend", "sparkle"]) == 2
    assert main(["render", str(wav), "-o", str(tmp_path / "x.avi")]) == 2
    odd = ["render", str(wav), "-o", str(tmp_path / "x.mp4"), "--size", "321x181"]
    assert main(odd) == 2  # H.264 needs even sides: a clear error, not a crash


def test_the_show_stepped_on_an_injected_clock_gives_renders_frames(tmp_path, monkeypatch):
    """``render_stems`` (PNG frames) equals the same show assembly stepped by hand: stems as
    a FileSource, the look-ahead feed, a HeadlessRenderer, frame i at t = i / fps."""
    generator = SyncGenerator(window_picture)

    @contextmanager
    def in_process_styles(stems, threads, **where):  # engine, device: eager on the CPU
        yield lambda style: generator

    monkeypatch.setattr(render_module, "style_processes", in_process_styles)
    stems = [
        Stem(name, audio, PALETTE[i], style="squiggle")
        for i, (name, audio) in enumerate(demo_stems(bars=1))
    ]
    fps, seconds, size = 15.0, 1.0, (192, 108)
    out = tmp_path / "frames"
    summary = render_module.render_stems(
        stems, out, fps=fps, size=size, seconds=seconds, tempo=124.0, progress=False
    )
    n = round(seconds * fps)
    assert summary["frames"] == n
    written = [np.asarray(Image.open(out / f"frame_{i:06d}.png")) for i in range(n)]

    stepped = []
    with HeadlessRenderer(size) as renderer:
        compositor = renderer.compositor
        feed = LookaheadFeed(stems, lambda style: generator, fps=fps, n_frames=n)
        looks = Looks(fade_in=RENDER_FADE_IN)
        bars = FileStructureFeed(stems, tempo=124.0)  # the music's structure, as render's
        show = Show(FileSource(stems, tempo=124.0), feed, compositor, looks=looks, structure=bars)
        for i in range(n):
            t = i / fps  # the test is the clock
            features, beat = show.update(t)
            compositor.render(t, features, beat)
            stepped.append(compositor.read())
        feed.finish()
    assert any(frame.any() for frame in stepped[n // 2 :])  # the stems drew something
    for i, (mine, theirs) in enumerate(zip(stepped, written, strict=True)):
        assert mine.shape == theirs.shape and mine.tobytes() == theirs.tobytes(), f"frame {i}"


def test_colour_that_follows_tone_renders_the_same_frames_every_time(stems: list[Stem]) -> None:
    """Tone and wheel colours change the picture and stay byte-exact offline."""
    track = render_frames(stems, 20)
    for mode in ("tone", "wheel"):
        first, again = render_frames(stems, 20, colour=mode), render_frames(stems, 20, colour=mode)
        assert all(a.tobytes() == b.tobytes() for a, b in zip(first, again, strict=True))
        assert any(a.tobytes() != b.tobytes() for a, b in zip(first, track, strict=True))


def test_the_score_scrolls_what_it_laid_down_and_is_byte_exact(stems: list[Stem]) -> None:
    """``score`` offline: the same frames every time; after a few beats the pictures laid
    down at the right edge have scrolled left, one picture width per picture."""
    n = 60  # the stems' 2 s at 30 fps: four beats at 124 BPM, 1/4 of the frame scrolled
    first, again = (
        render_frames(stems, n, composition="score"),
        render_frames(stems, n, composition="score"),
    )
    assert all(a.tobytes() == b.tobytes() for a, b in zip(first, again, strict=True))
    last = first[-1].max(axis=2)
    width = last.shape[1]
    inked_columns = np.flatnonzero((last > 40).any(axis=0))
    picture = width * SCORE_STAMP_BEATS / SCORE_BEATS  # how far it scrolls per picture
    assert inked_columns.min() < width - 1.5 * picture  # laid down beats ago, moved left
    # the newest is laid down at the right edge every other beat (at most 30 frames ago)
    assert any((frame.max(axis=2)[:, -4:] > 40).any() for frame in first[-30:])
    assert not (last[:, : width // 2] > 40).any()  # not further than the time allows


def test_a_three_four_render_has_three_beat_bars(tmp_path, monkeypatch) -> None:
    """``render --tempo 120 --meter 3/4`` of real files: the structure feed's bars are
    three quarters long from 0 s, and each reaches the show on the frame of its downbeat."""
    generator = SyncGenerator(window_picture)

    @contextmanager
    def in_process_styles(stems, threads, **where):
        yield lambda style: generator

    feeds: list[FileStructureFeed] = []
    handed: list[tuple[float, object]] = []

    class Recorded(FileStructureFeed):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            feeds.append(self)

        def bars(self, t: float):
            got = super().bars(t)
            handed.extend((t, bar) for bar in got)
            return got

    monkeypatch.setattr(render_module, "style_processes", in_process_styles)
    monkeypatch.setattr(render_module, "FileStructureFeed", Recorded)
    paths = []
    for name, audio in demo_stems(bars=4, tempo=120.0)[:2]:  # 8 s: five bars of 3/4
        path = tmp_path / f"{name}.wav"
        soundfile.write(path, audio, 22050)
        paths.append(str(path))
    fps = 10.0
    argv = ["-q", "render", *paths, "-o", str(tmp_path / "frames"), "--size", "96x54"]
    argv += ["--fps", "10", "--tempo", "120", "--meter", "3/4", "--quiet-progress"]
    assert main(argv) == 0
    assert len(feeds) == 1 and feeds[0].meter == (3, 4)
    complete = [bar for _t, bar in handed if bar.complete]
    assert len(complete) >= 5
    assert [bar.start_beat for bar in complete] == [3.0 * k for k in range(len(complete))]
    assert all(bar.length == 3.0 for bar in complete)
    assert np.allclose(np.diff([bar.start_s for bar in complete]), 1.5, atol=0.01)
    for t, bar in handed:  # on the frame of its downbeat, not a 4/4 bar line
        assert bar.start_s <= t + 1e-9 and t - bar.start_s < 1 / fps


def test_meter_needs_a_tempo_and_a_signature(tmp_path, caplog) -> None:
    wav = tmp_path / "a.wav"
    soundfile.write(wav, np.zeros(22050), 22050)
    base = ["render", str(wav), "-o", str(tmp_path / "x.mp4")]
    caplog.clear()
    assert main([*base, "--meter", "3/4"]) == 2
    assert "--meter needs --tempo" in caplog.text
    for bad in ("3:4", "3/5", "0/4"):
        with pytest.raises(SystemExit) as exit_:
            main([*base, "--tempo", "120", "--meter", bad])
        assert exit_.value.code == 2
    sheet = ["storyboard", str(wav), "-o", str(tmp_path / "s.png"), "--tempo", "120"]
    assert main([*sheet, "--meter", "7/8", "--beats-per-bar", "4"]) == 2
    assert "contradicts --meter 7/8" in caplog.text
    with pytest.raises(ValueError, match="needs a tempo"):
        FileStructureFeed([Stem("a", np.zeros(22050, np.float32), 0)], None, (3, 4))


def test_blas_limit_holds_the_threads_while_in_force_and_restores_them():
    from threadpoolctl import threadpool_info

    def blas_threads() -> list[int]:
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    before = blas_threads()
    if not before:
        pytest.skip("numpy has no BLAS that threadpoolctl can limit here")
    with render_module.blas_limit(1):
        assert blas_threads() == [1] * len(before)
        a = np.random.default_rng(0).standard_normal((3, 513))
        limited = a @ np.random.default_rng(1).standard_normal((513, 64))
    assert blas_threads() == before
    with render_module.blas_limit(None):
        assert blas_threads() == before
        free = a @ np.random.default_rng(1).standard_normal((513, 64))
    np.testing.assert_array_equal(limited, free)  # a frame's mel product: the same bits


def test_drawing_thread_first_shortens_the_switch_interval_and_restores_it():
    import sys

    before = sys.getswitchinterval()
    with render_module.drawing_thread_first(None, switch_interval=before / 10):
        assert sys.getswitchinterval() == pytest.approx(before / 10)
    assert sys.getswitchinterval() == before
    with pytest.raises(RuntimeError), render_module.drawing_thread_first(None, before / 10):
        raise RuntimeError("a failed render")
    assert sys.getswitchinterval() == before


def test_render_expression_draws_the_learned_stroke_alone(tmp_path) -> None:
    """``--expression`` reaches the shipped style: 0 draws other pictures than the default,
    and anything outside 0 … 1 is refused before a frame is drawn."""
    name, audio = demo_stems(bars=1)[0]
    wav = tmp_path / f"{name}.wav"
    soundfile.write(wav, audio[:22050], 22050)
    base = ["-q", "render", str(wav), "--size", "160x96", "--fps", "10", "--quiet-progress"]
    frames = {}
    for amount in ("1", "0"):
        out = tmp_path / f"frames-{amount}"
        assert main([*base, "-o", str(out), "--expression", amount, "--engine", "eager"]) == 0
        frames[amount] = [np.asarray(Image.open(p)) for p in sorted(out.glob("*.png"))]
    assert len(frames["1"]) == len(frames["0"]) == 10
    assert frames["1"][-1].max() > 0 and frames["0"][-1].max() > 0
    assert not all(np.array_equal(a, b) for a, b in zip(frames["1"], frames["0"], strict=True))
    with pytest.raises(SystemExit):
        main([*base, "-o", str(tmp_path / "bad"), "--expression", "1.5"])

    # A saved look names the track: the same frames as --expression 0 for every layer, into
    # a folder whose name has a dot (it exists, so it is a folder, not a file type).
    look = tmp_path / "quiet.json"
    look.write_text(
        json.dumps({"synaesthete_preset": 1, "master": {}, "layers": {name: {"expression": 0}}})
    )
    out = tmp_path / "frames-look-0.5"
    out.mkdir()
    assert main([*base, "-o", str(out), "--look", str(look), "--engine", "eager"]) == 0
    by_look = [np.asarray(Image.open(p)) for p in sorted(out.glob("*.png"))]
    assert all(np.array_equal(a, b) for a, b in zip(by_look, frames["0"], strict=True))
    with pytest.raises(SystemExit):  # a look that is not there is an argument error
        main([*base, "-o", str(tmp_path / "none"), "--look", str(tmp_path / "none.json")])
    # field ink shows the generated picture's shades: other frames than crisp strokes
    out = tmp_path / "frames-field"
    assert main([*base, "-o", str(out), "--ink", "field", "--engine", "eager"]) == 0
    fields = [np.asarray(Image.open(p)) for p in sorted(out.glob("*.png"))]
    assert not all(np.array_equal(a, b) for a, b in zip(fields, frames["1"], strict=True))


def test_the_drawing_process_of_a_render_never_imports_torch() -> None:
    """The generators run in processes of their own: torch (0.7 s to import on two cores)
    stays out of the process that reads the stems and draws and encodes the frames."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import bridge.show.render, bridge.generate.generator_process, cli.show\n"
        "import renderer.headless, renderer.offline, renderer.video\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_an_unknown_style_fails_before_any_video_is_written(tmp_path) -> None:
    """The generators load while the render prepares; a style that cannot load is the
    command's error (exit 2), and no video file is left behind."""
    wav = tmp_path / "tone.wav"
    soundfile.write(wav, np.zeros(22050, np.float32), 22050)
    out = tmp_path / "x.mp4"
    assert main(["render", str(wav), "-o", str(out), "--style", "no-such-style"]) == 2
    assert not out.exists()
