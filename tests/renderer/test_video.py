"""Offline output: mp4 (with and without audio) and PNG frames decode to what was rendered."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from renderer.compositor import Compositor
from renderer.offline import frame_times, render_to_sink
from renderer.settings import LayerSettings, MasterSettings, ReactiveSettings
from renderer.synthetic import SyntheticSet
from renderer.video import (
    AudioTrack,
    PngSequenceWriter,
    VideoError,
    VideoWriter,
    open_sink,
    unpremultiply,
)


def colour_ramp(n: int, size=(64, 48)) -> list[np.ndarray]:
    """Frames whose red channel encodes the frame index (robust to lossy coding)."""
    width, height = size
    frames = []
    for i in range(n):
        frame = np.zeros((height, width, 3), np.uint8)
        frame[..., 0] = 20 + (200 // n) * i
        frame[: height // 2, :, 2] = 200  # top half blue: catches upside-down output
        frames.append(frame)
    return frames


def decode(path):
    import av

    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        audio_streams = [s for s in container.streams if s.type == "audio"]
        audio = None
        if audio_streams:
            container.seek(0)
            chunks = [f.to_ndarray() for f in container.decode(audio=0)]
            audio = (np.concatenate(chunks, axis=1), audio_streams[0].rate)
    return frames, audio


def _mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def test_mp4_round_trip_frame_count_size_and_content(tmp_path):
    path = tmp_path / "out.mp4"
    with VideoWriter(path, (64, 48), 25, crf=10) as writer:
        for frame in colour_ramp(10):
            writer.write(frame)
    frames, audio = decode(path)
    assert len(frames) == 10 and audio is None
    assert frames[0].shape == (48, 64, 3)
    for i, frame in enumerate(frames):
        assert abs(int(np.median(frame[..., 0])) - (20 + 20 * i)) <= 4  # n = 10: step 20
        assert frame[:24, :, 2].mean() > 150 and frame[24:, :, 2].mean() < 50


def test_mp4_with_audio_track_trimmed_to_video(tmp_path):
    rate = 22050
    t = np.arange(rate * 3) / rate  # 3 s of audio under 1 s of video
    tone = AudioTrack.from_array(0.5 * np.sin(2 * np.pi * 440 * t), rate)
    path = tmp_path / "av.mp4"
    with VideoWriter(path, (64, 48), 20, audio=tone) as writer:
        for frame in colour_ramp(20):
            writer.write(frame)
    frames, audio = decode(path)
    assert len(frames) == 20
    samples, decoded_rate = audio
    assert decoded_rate == rate
    assert abs(samples.shape[1] / rate - 1.0) < 0.1  # trimmed to the video's second
    spectrum = np.abs(np.fft.rfft(samples[0, 2048 : 2048 + 8192]))
    peak_hz = np.argmax(spectrum) * rate / 8192
    assert abs(peak_hz - 440) < 5


def test_png_sequence_with_audio_and_straight_alpha(tmp_path):
    from PIL import Image

    rate = 8000
    audio = AudioTrack.from_array(np.zeros((rate, 2), np.float32), rate)
    writer = PngSequenceWriter(tmp_path / "frames", (64, 48), 10, audio=audio)
    for frame in colour_ramp(3):
        writer.write(frame)
    translucent = np.zeros((48, 64, 4), np.uint8)
    translucent[..., 0] = 64
    translucent[..., 3] = 128  # premultiplied: straight red is 64/128 -> 128
    writer.write(translucent)
    writer.close()
    files = sorted((tmp_path / "frames").glob("frame_*.png"))
    assert [f.name for f in files] == [f"frame_{i:06d}.png" for i in range(4)]
    assert np.asarray(Image.open(files[1]))[0, 0, 0] == 20 + 66
    assert tuple(np.asarray(Image.open(files[3]))[0, 0]) == (128, 0, 0, 128)
    import soundfile

    assert soundfile.info(str(tmp_path / "frames" / "audio.wav")).frames == 3200  # 0.4 s


def test_bad_outputs_are_refused_with_reasons(tmp_path):
    with pytest.raises(VideoError, match="even width and height"):
        VideoWriter(tmp_path / "x.mp4", (63, 48), 30)
    with pytest.raises(VideoError, match="preset must be one of"):
        VideoWriter(tmp_path / "x.mp4", (64, 48), 30, preset="warp")
    with pytest.raises(VideoError, match="unknown output type"):
        open_sink(tmp_path / "x.gif", (64, 48), 30)
    with pytest.raises(VideoError, match="mono"):
        AudioTrack.from_array(np.zeros((10, 5)), 44100)
    with (
        VideoWriter(tmp_path / "ok.mp4", (64, 48), 30) as writer,
        pytest.raises(VideoError, match="the writer is 64×48"),
    ):
        writer.write(np.zeros((10, 10, 3), np.uint8))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "frame_000000.png").write_bytes(b"")
    with pytest.raises(VideoError, match="choose an empty directory"):
        PngSequenceWriter(tmp_path / "full", (64, 48), 30)


def test_unpremultiply():
    rgba = np.array([[[50, 25, 0, 100], [0, 0, 0, 0]]], np.uint8)
    np.testing.assert_array_equal(unpremultiply(rgba), [[[128, 64, 0, 100], [0, 0, 0, 0]]])


def test_frame_times_are_injected_not_measured():
    assert frame_times(3, 30.0, start=1.0) == [1.0, 1.0 + 1 / 30, 1.0 + 2 / 30]
    with pytest.raises(ValueError, match="fps"):
        frame_times(3, 0)


def test_compositor_to_mp4_with_synthetic_layers(ctx, tmp_path):
    """The headless path end to end: a moving layer, rendered on injected time, decoded."""
    comp = Compositor(ctx, (96, 64), field_size=16)
    comp.scene.set_master(MasterSettings(background=(0.0, 0.0, 0.5)))
    comp.set_layer(  # crossfade 0: show each pushed frame at once
        0,
        LayerSettings(
            tint=(1, 1, 0),
            blend="normal",
            fit="stretch",
            crossfade=0.0,
            reactive=ReactiveSettings.off(),
        ),
    )
    ink = np.zeros((16, 16), np.uint8)
    ink[:, :4] = 255  # a vertical bar on the left...

    def update(index: int, t: float):
        comp.push_image(0, np.roll(ink, index * 2, axis=1), t)  # ...moving right each frame
        return None

    sink = open_sink(tmp_path / "bar.mp4", (96, 64), 30)
    summary = render_to_sink(comp, sink, n_frames=6, update=update, progress=False)
    comp.release()
    assert summary.frames == 6 and summary.seconds == pytest.approx(0.2)
    frames, _ = decode(tmp_path / "bar.mp4")
    assert len(frames) == 6
    centres = []
    for frame in frames:
        yellow = (frame[..., 0] > 128) & (frame[..., 1] > 128) & (frame[..., 2] < 128)
        assert yellow.any() and frame[~yellow][:, 2].mean() > 100  # bar over blue background
        centres.append(np.nonzero(yellow.any(axis=0))[0].mean())
    assert all(b > a for a, b in itertools.pairwise(centres))


def test_synthetic_set_is_deterministic():
    a, b = SyntheticSet(3, seed=5), SyntheticSet(3, seed=5)
    np.testing.assert_array_equal(a.field(2, 1.25), b.field(2, 1.25))
    assert a.features(1, 0.3) == b.features(1, 0.3)
    assert not np.array_equal(a.field(2, 1.25), a.field(2, 2.5))  # it moves
    field = a.field(0, 0.0)
    assert field.dtype == np.uint8 and field.shape == (64, 64) and 0.02 < (field > 128).mean() < 0.5
    assert a.beat_phase(0.75) == pytest.approx(0.5)  # 120 BPM: 1.5 beats
    assert a.features(0, 0.0).onset == pytest.approx(1.0)  # a hit on the downbeat


def test_one_reused_frame_array_encodes_as_fresh_arrays_do(tmp_path):
    """The writer wraps the given array without copying: refilling the same array for
    every frame gives the same video as a new array per frame.

    Decoded frames are compared, not file bytes: libx264's bits vary in about 1 of 200
    encodes of these frames on a heavily loaded machine, with a fresh array per frame, the
    earlier copying writer and one encoder thread alike (measured, 2026-11-30), by a grey
    level or two; a frame encoded from a refilled array too early would be 25 off."""
    frames = [np.dstack([f, np.full(f.shape[:2], 255, np.uint8)]) for f in colour_ramp(8)]
    with VideoWriter(tmp_path / "fresh.mp4", (64, 48), 25) as writer:
        for frame in frames:
            writer.write(frame.copy())
    reused = np.empty_like(frames[0])
    with VideoWriter(tmp_path / "reused.mp4", (64, 48), 25) as writer:
        for frame in frames:
            reused[:] = frame
            writer.write(reused)
    fresh, _ = decode(tmp_path / "fresh.mp4")
    decoded, _ = decode(tmp_path / "reused.mp4")
    assert len(decoded) == len(fresh) == len(frames)
    assert all(_mean_abs(a, b) <= 2.0 for a, b in zip(fresh, decoded, strict=True))
    assert all(abs(int(np.median(f[..., 0])) - (20 + 25 * i)) <= 4 for i, f in enumerate(decoded))


def test_rendering_into_reused_arrays_gives_the_same_video(ctx, tmp_path):
    """render_to_sink reads frames back into a few reused arrays when the sink copies
    (VideoWriter) and into new ones on the drawing thread: the files are the same."""
    paths = []
    for write_ahead in (0, 2):
        comp = Compositor(ctx, (96, 64), field_size=16)
        comp.set_layer(0, LayerSettings(blend="normal", fit="stretch", crossfade=0.1))
        ink = np.zeros((16, 16), np.uint8)
        ink[:, :4] = 255

        def update(index: int, t: float, comp=comp, ink=ink):
            comp.push_image(0, np.roll(ink, index * 2, axis=1), t)

        paths.append(tmp_path / f"ahead{write_ahead}.mp4")
        sink = VideoWriter(paths[-1], (96, 64), 30)
        render_to_sink(
            comp, sink, n_frames=12, update=update, progress=False, write_ahead=write_ahead
        )
        comp.release()
    (inline, _), (ahead, _) = decode(paths[0]), decode(paths[1])
    assert len(inline) == len(ahead) == 12
    # Decoded frames, not file bytes (see the test above). Once the ink fades in, each frame
    # moves it by 2 px: a frame read back into an array still being encoded would be off
    # by about as much as two neighbouring frames are (40–85 grey levels on average).
    assert all(_mean_abs(a, b) <= 2.0 for a, b in zip(inline, ahead, strict=True))
    assert min(_mean_abs(a, b) for a, b in itertools.pairwise(inline[3:])) > 20.0
