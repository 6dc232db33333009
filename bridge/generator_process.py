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
import struct
import threading
import time
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
        self._pending = 0
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

    def audio_to_image(self, windows: np.ndarray) -> np.ndarray:
        """Generate pictures for ``windows`` (B, mels, frames) and wait for them."""
        with self._lock:
            self._submit(windows)
            return self._collect()

    def submit(self, windows: np.ndarray) -> None:
        """Start generating ``windows`` without waiting; fetch them with :meth:`collect`.

        One request may be outstanding at a time: this is how an offline render keeps the
        child busy with the next frame while the current one is drawn and encoded.
        """
        self._lock.acquire()
        try:
            self._submit(windows)
        except BaseException:
            self._lock.release()
            raise

    def collect(self) -> np.ndarray:
        """The pictures for the request started by :meth:`submit`."""
        try:
            return self._collect()
        finally:
            self._lock.release()

    def _submit(self, windows: np.ndarray) -> None:
        batch = np.ascontiguousarray(windows, dtype=np.float32)
        if batch.ndim != 3:
            raise ValueError(f"expected windows (B, mels, frames), got shape {batch.shape}")
        count, height, width = batch.shape
        self._request = (self._request + 1) % 2**32
        self._pending = count
        try:
            self._conn.send_bytes(
                HEADER.pack(REQUEST, self._request, count, height, width) + batch.tobytes()
            )
        except (OSError, BrokenPipeError) as exc:
            raise GeneratorProcessError(f"generator {self.name!r} died: {exc}") from exc

    def _collect(self) -> np.ndarray:
        try:
            if not self._conn.poll(REPLY_TIMEOUT):
                raise GeneratorProcessError(f"generator {self.name!r} stopped answering")
            reply = self._conn.recv_bytes()
        except (EOFError, OSError) as exc:
            raise GeneratorProcessError(f"generator {self.name!r} died: {exc}") from exc
        if len(reply) < REPLY_HEADER.size:
            raise GeneratorProcessError(f"generator {self.name!r} sent a malformed reply")
        magic, answered, n, size, size_w, seconds = REPLY_HEADER.unpack_from(reply)
        expected = REPLY_HEADER.size + n * size * size_w
        if (
            magic != REPLY
            or answered != self._request
            or n != self._pending
            or len(reply) != expected
        ):
            raise GeneratorProcessError(f"generator {self.name!r} sent a malformed reply")
        self.last_seconds = seconds
        return np.frombuffer(reply, np.uint8, n * size * size_w, REPLY_HEADER.size).reshape(
            n, size, size_w
        )

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    def close(self) -> None:
        """Stop the child (politely, then firmly)."""
        with contextlib.suppress(OSError, ValueError):
            self._conn.send_bytes(STOP)
        self._process.join(timeout=5.0)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=2.0)
        self._conn.close()
