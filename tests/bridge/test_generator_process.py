"""Generators in a child process: same pictures as in-process, clear errors, clean exit."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import numpy as np
import pytest

from bridge.generate.generator_process import GeneratorProcessError, RemoteStyle
from models.style import Style


@pytest.fixture(scope="module")
def remote():
    style = RemoteStyle("squiggle", threads=1)
    yield style
    style.close()


def test_child_gives_the_same_bytes_as_this_process(remote: RemoteStyle) -> None:
    rng = np.random.default_rng(0)
    windows = rng.uniform(-1, 1, size=(5, 64, 64)).astype(np.float32)
    local = Style.load("squiggle", threads=1).audio_to_image(windows)
    far = remote.audio_to_image(windows)
    assert far.dtype == np.uint8 and far.shape == local.shape
    np.testing.assert_array_equal(far, local)
    np.testing.assert_array_equal(remote.audio_to_image(windows[2:3])[0], local[2])


def test_submit_then_collect_reports_the_childs_own_time(remote: RemoteStyle) -> None:
    windows = np.zeros((3, 64, 64), np.float32)
    remote.submit(windows)
    time.sleep(1.0)  # the caller works meanwhile; that wait is not generation time
    images = remote.collect()
    assert images.shape == (3, 64, 64)
    assert 0.0 < remote.last_seconds < 1.0


def test_a_late_reply_after_a_timeout_is_not_taken_for_the_next(remote: RemoteStyle) -> None:
    rng = np.random.default_rng(2)
    slow = rng.uniform(-1, 1, size=(48, 64, 64)).astype(np.float32)
    quick = rng.uniform(-1, 1, size=(2, 64, 64)).astype(np.float32)
    expected = remote.audio_to_image(quick)
    remote.reply_timeout = 0.001
    remote.submit(slow)
    try:
        with pytest.raises(GeneratorProcessError, match="stopped answering"):
            remote.collect()
    finally:
        remote.reply_timeout = 30.0
    # The answer for the timed-out batch arrives first and is skipped.
    np.testing.assert_array_equal(remote.audio_to_image(quick), expected)


def test_a_child_dying_with_requests_in_flight_fails_each_collect() -> None:
    style = RemoteStyle("squiggle")
    windows = np.zeros((2, 64, 64), np.float32)
    style._process.kill()
    style._process.join()
    for _ in range(2):
        with contextlib.suppress(GeneratorProcessError):  # the pipe may already be broken
            style.submit(windows)
    for _ in range(2):
        with pytest.raises((GeneratorProcessError, RuntimeError)):
            style.collect()
    style.close()


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs POSIX job-control signals")
def test_a_hung_child_never_blocks_submit_and_collect_gives_up_in_time() -> None:
    style = RemoteStyle("squiggle", reply_timeout=0.5)
    os.kill(style._process.pid, signal.SIGSTOP)  # alive, but reads and answers nothing
    big = np.zeros((64, 64, 64), np.float32)  # 1 MB: a few fill the socket buffer
    submitted = threading.Event()

    def submit_all() -> None:
        for _ in range(4):
            style.submit(big)
        submitted.set()

    threading.Thread(target=submit_all, daemon=True).start()
    assert submitted.wait(10), "submit blocked on a child that does not read"
    started = time.monotonic()
    with pytest.raises(GeneratorProcessError, match="stopped answering"):
        style.collect()
    assert 0.5 <= time.monotonic() - started < 5.0
    style.close()  # a stopped process ignores SIGTERM until killed
    assert not style.alive


def test_several_large_requests_in_flight_do_not_deadlock(remote: RemoteStyle) -> None:
    # 1 MB requests and 256 KB replies overflow the socket buffers: without a reader of
    # replies, the child would block writing reply 1 while we block writing request 2.
    rng = np.random.default_rng(1)
    batches = [rng.uniform(-1, 1, size=(64, 64, 64)).astype(np.float32) for _ in range(3)]
    results: list[np.ndarray] = []

    def exchange() -> None:
        for batch in batches:
            remote.submit(batch)
        results.extend(remote.collect() for _ in batches)

    worker = threading.Thread(target=exchange, daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "submitting while replies wait deadlocked"
    np.testing.assert_array_equal(results[1], remote.audio_to_image(batches[1]))
    assert [r.shape for r in results] == [(64, 64, 64)] * 3
    with pytest.raises(RuntimeError, match="without submit"):
        remote.collect()


def test_bad_batches_are_refused_before_they_cross(remote: RemoteStyle) -> None:
    with pytest.raises(ValueError, match="expected windows"):
        remote.audio_to_image(np.zeros((64, 64), np.float32))


def test_unknown_style_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no-such-style"):
        RemoteStyle("no-such-style")


def test_a_dead_child_raises_instead_of_hanging() -> None:
    style = RemoteStyle("squiggle")
    style._process.kill()
    style._process.join()
    with pytest.raises(GeneratorProcessError):
        style.audio_to_image(np.zeros((1, 64, 64), np.float32))
    style.close()
    assert not style.alive


def test_a_child_can_run_at_a_lower_priority() -> None:
    """The live show lowers its generators' priority so the display goes first."""
    style = RemoteStyle("squiggle", niceness=7)
    try:
        pid = style._process.pid
        assert pid is not None
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, ours + 7)  # 19 is the lowest
        window = np.full((1, 64, 64), -0.2, np.float32)
        assert style.audio_to_image(window).shape == (1, 64, 64)  # and it still draws
    finally:
        style.close()


def test_each_windows_expression_crosses_to_the_child(remote: RemoteStyle) -> None:
    rng = np.random.default_rng(7)
    windows = rng.uniform(-1, 1, size=(5, 64, 64)).astype(np.float32)
    amounts = np.array([0.0, 0.5, 1.0, 0.25, 1.0], np.float32)
    local = Style.load("squiggle", threads=1)
    np.testing.assert_array_equal(
        remote.audio_to_image(windows, amounts), local.audio_to_image(windows, amounts)
    )
    remote.submit(windows[:2], 0.0)  # one value for all
    np.testing.assert_array_equal(remote.collect(), local.audio_to_image(windows[:2], 0.0))
    # 1.0 for each is what a request without expressions gets
    np.testing.assert_array_equal(
        remote.audio_to_image(windows, np.ones(5, np.float32)), remote.audio_to_image(windows)
    )
    assert not np.array_equal(local.audio_to_image(windows, 0.0), local.audio_to_image(windows))


@pytest.mark.parametrize("bad", [1.5, -0.5, float("nan"), [0.5, 0.5]])
def test_bad_expressions_are_refused_before_they_cross(remote: RemoteStyle, bad: object) -> None:
    windows = np.zeros((3, 64, 64), np.float32)
    with pytest.raises(ValueError):
        remote.audio_to_image(windows, bad)  # type: ignore[arg-type]
    assert remote.audio_to_image(windows).shape == (3, 64, 64)  # the child is still well


@pytest.mark.skipif(
    not __import__("models.low_precision").low_precision.bfloat16_supported(),
    reason="no native bfloat16 (AMX-BF16 or AVX512-BF16) on this CPU",
)
def test_a_child_runs_the_precision_it_is_asked_for() -> None:
    rng = np.random.default_rng(11)
    windows = rng.uniform(-1, 1, size=(3, 64, 64)).astype(np.float32)
    style = RemoteStyle("squiggle", threads=1, precision="bfloat16")
    try:
        assert style.info.precision == "bfloat16"
        local = Style.load("squiggle", threads=1, precision="bfloat16")
        np.testing.assert_array_equal(style.audio_to_image(windows), local.audio_to_image(windows))
    finally:
        style.close()


def test_a_precision_the_child_cannot_run_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="float16 is for GPUs"):
        RemoteStyle("squiggle", threads=1, precision="float16", device="cpu")


def test_a_child_started_without_waiting_loads_while_the_caller_works() -> None:
    """``wait=False`` returns before the style is loaded; ``ready`` (or the first request)
    waits for it; an idle child told to stop without waiting exits on its own."""
    style = RemoteStyle("squiggle", threads=1, wait=False)
    try:
        assert not hasattr(style, "info")  # the constructor did not read the child's hello
        assert style.ready() is style and style.ready() is style  # once, then at once
        assert style.info.name == "squiggle"
        windows = np.zeros((2, 64, 64), np.float32)
        assert style.audio_to_image(windows).shape == (2, 64, 64)
    finally:
        style.close(wait=False)
    deadline = time.monotonic() + 10.0
    while style.alive and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not style.alive


def test_a_request_before_ready_waits_for_the_child() -> None:
    style = RemoteStyle("squiggle", threads=1, wait=False)
    try:
        style.submit(np.zeros((1, 64, 64), np.float32))
        assert style.collect().shape == (1, 64, 64)
    finally:
        style.close()


def test_an_unknown_style_started_without_waiting_fails_at_ready() -> None:
    style = RemoteStyle("no-such-style", wait=False)
    with pytest.raises(ValueError, match="no-such-style"):
        style.ready()
    assert not style.alive
