"""A style's generator in a child process, so pictures and the show each get a core.

Measured on a 2-core machine (docs/architecture.md): a generator and the compositor in
separate single-threaded processes ran side by side without slowing each other, while
the same two as threads of one process lost a third of their speed to each other. So the
bridge runs each style in a child process and talks to it over a pipe.

Requests and replies cross the pipe as raw bytes — a fixed header and float32 windows one
way, uint8 images the other — never as pickled objects. (Only multiprocessing's own start-up
hand-over, from this process to its child, uses pickle; nothing the bridge receives from
outside ever does.)
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import queue
import struct
import threading
import time
from collections import deque
from multiprocessing.connection import Connection

import numpy as np

log = logging.getLogger(__name__)

#: magic, request id, batch size, height, width (little-endian).
HEADER = struct.Struct("<4sIIII")
#: A reply's header: the same, then the seconds the child spent generating.
REPLY_HEADER = struct.Struct("<4sIIIId")
REQUEST = b"SYNW"
REPLY = b"SYNI"
READY = b"READY"
FAILED = b"ERROR"
STOP = b"STOP"
START_TIMEOUT = 120.0
REPLY_TIMEOUT = 30.0


class GeneratorProcessError(RuntimeError):
    """The generator process failed to start, died, or answered nonsense."""


def serve(conn: Connection, name: str, threads: int) -> None:
    """The child's main loop: load the style, then answer requests until STOP or EOF."""
    try:
        from models.style import Style

        style = Style.load(name, threads=threads)
        info = style.info()
    except Exception as exc:  # report any failure to the parent instead of dying silently
        conn.send_bytes(FAILED + f"{type(exc).__name__}: {exc}".encode())
        return
    conn.send_bytes(READY + json.dumps({"name": info.name, "image_size": info.image_size}).encode())
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if message == STOP:
            return
        magic, request, count, height, width = HEADER.unpack_from(message)
        if magic != REQUEST or len(message) != HEADER.size + 4 * count * height * width:
            conn.send_bytes(REPLY_HEADER.pack(FAILED[:4], request, 0, 0, 0, 0.0))  # parent raises
            continue
        windows = np.frombuffer(message, np.float32, count * height * width, HEADER.size)
        started = time.perf_counter()
        images = np.ascontiguousarray(style.audio_to_image(windows.reshape(count, height, width)))
        seconds = time.perf_counter() - started
        size = images.shape[-1]
        conn.send_bytes(
            REPLY_HEADER.pack(REPLY, request, count, size, size, seconds) + images.tobytes()
        )


class RemoteStyle:
    """Stands in for :class:`models.style.Style` (``audio_to_image``) in the bridge,
    running the real one in a child process.

    Raises:
        GeneratorProcessError: the child could not load the style (the message says why,
            e.g. an unknown style name) or did not start in time.
    """

    def __init__(self, name: str, *, threads: int = 1) -> None:
        context = multiprocessing.get_context("spawn")
        self.name = name
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=serve, args=(child, name, threads), name=f"generator-{name}", daemon=True
        )
        self._process.start()
        child.close()
        self._lock = threading.Lock()
        self._request = 0
        self._pending: deque[tuple[int, int]] = deque()  # (request id, count), oldest first
        #: Seconds the child spent on the last collected request.
        self.last_seconds = 0.0
        if not self._conn.poll(START_TIMEOUT):
            self.close()
            raise GeneratorProcessError(f"generator for style {name!r} did not start")
        try:
            hello = self._conn.recv_bytes()
        except EOFError:
            self.close()
            raise GeneratorProcessError(f"generator for style {name!r} exited at start") from None
        if hello.startswith(FAILED):
            self.close()
            raise ValueError(hello[len(FAILED) :].decode(errors="replace"))
        self.info = json.loads(hello[len(READY) :])
        # Replies are read as soon as they come, on their own thread: with several requests
        # outstanding, a child blocked writing a reply nobody reads while this process is
        # blocked writing the next request would deadlock (socket buffers can be 8 KB).
        self._replies: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._reader = threading.Thread(
            target=self._read_replies, name=f"generator-{name}-replies", daemon=True
        )
        self._reader.start()

    def _read_replies(self) -> None:
        while True:
            try:
                reply = self._conn.recv_bytes()
            except (EOFError, OSError):
                self._replies.put(None)  # the child is gone
                return
            self._replies.put(reply)

    def audio_to_image(self, windows: np.ndarray) -> np.ndarray:
        """Generate pictures for ``windows`` (B, mels, frames) and wait for them."""
        with self._lock:
            if self._pending:
                raise RuntimeError("audio_to_image() while submitted requests are uncollected")
            self._submit(windows)
            return self._collect()

    def submit(self, windows: np.ndarray) -> None:
        """Start generating ``windows`` without waiting; fetch them with :meth:`collect`.

        Several requests may be outstanding; they are answered in order. This is how an
        offline render keeps the child busy with the next frames while one is drawn.
        """
        with self._lock:
            self._submit(windows)

    def collect(self) -> np.ndarray:
        """The pictures for the oldest request started by :meth:`submit`."""
        with self._lock:
            if not self._pending:
                raise RuntimeError("collect() without submit()")
            return self._collect()

    def _submit(self, windows: np.ndarray) -> None:
        batch = np.ascontiguousarray(windows, dtype=np.float32)
        if batch.ndim != 3:
            raise ValueError(f"expected windows (B, mels, frames), got shape {batch.shape}")
        count, height, width = batch.shape
        self._request = (self._request + 1) % 2**32
        try:
            self._conn.send_bytes(
                HEADER.pack(REQUEST, self._request, count, height, width) + batch.tobytes()
            )
        except (OSError, BrokenPipeError) as exc:
            raise GeneratorProcessError(f"generator {self.name!r} died: {exc}") from exc
        self._pending.append((self._request, count))

    def _collect(self) -> np.ndarray:
        request, count = self._pending.popleft()
        deadline = time.monotonic() + REPLY_TIMEOUT
        while True:
            try:
                reply = self._replies.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise GeneratorProcessError(f"generator {self.name!r} stopped answering") from None
            if reply is None:
                self._replies.put(None)  # every later collect fails the same way
                raise GeneratorProcessError(f"generator {self.name!r} died")
            if len(reply) < REPLY_HEADER.size:
                raise GeneratorProcessError(f"generator {self.name!r} sent a malformed reply")
            magic, answered, n, size, size_w, seconds = REPLY_HEADER.unpack_from(reply)
            if magic == REPLY and 0 < (request - answered) % 2**32 < 2**31:
                continue  # the late answer to a request that timed out: nobody wants it
            break
        expected = REPLY_HEADER.size + n * size * size_w
        if magic != REPLY or answered != request or n != count or len(reply) != expected:
            raise GeneratorProcessError(f"generator {self.name!r} sent a malformed reply")
        self.last_seconds = seconds
        return np.frombuffer(reply, np.uint8, n * size * size_w, REPLY_HEADER.size).reshape(
            n, size, size_w
        )

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def close(self) -> None:
        """Stop the child (politely when it is idle, else firmly) and the reply reader."""
        if not self._pending:  # a busy or hung child might never read STOP
            with contextlib.suppress(OSError, ValueError):
                self._conn.send_bytes(STOP)
            self._process.join(timeout=5.0)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=2.0)
        reader = getattr(self, "_reader", None)  # absent if the child failed to start
        if reader is not None:
            reader.join(timeout=2.0)  # the child's end is closed: the reader sees EOF
        self._conn.close()
