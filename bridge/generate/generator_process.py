"""A style's generator in a child process, so pictures and the show each get a core.

Measured on a 2-core machine (docs/architecture.md): a generator and the compositor in
separate single-threaded processes ran side by side without slowing each other, while
the same two as threads of one process lost a third of their speed to each other. So the
bridge runs each style in a child process and talks to it over a pipe.

Requests and replies cross the pipe as raw bytes — a fixed header, float32 windows and one
float32 expression (head strength) per window one way, uint8 images the other — never as
pickled objects. (Only multiprocessing's own start-up
hand-over, from this process to its child, uses pickle; nothing the bridge receives from
outside ever does.)

A generator runs on a ``device`` (``auto|cpu|cuda|mps``) with an ``engine``
(``auto|eager|compiled|live``, :mod:`models.inference`). A ``compiled`` (or CPU ``auto``)
child builds its graphs before it answers: it says so first (``COMPILING``), and the parent
then waits up to ``compile_timeout`` rather than ``start_timeout`` for it to be ready. A
``live`` child answers at once with eager pictures and switches to compiled ones when they
are built (the bits may change once); an offline render must not use ``live``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import queue
import struct
import threading
import time
from collections import deque
from multiprocessing.connection import Connection

import numpy as np

from bridge.generate.generator_api import GeneratorLostError
from models.style_interface import head_strengths

log = logging.getLogger(__name__)

#: magic, request id, batch size, height, width (little-endian); then ``B × H × W``
#: float32 windows and ``B`` float32 expressions.
HEADER = struct.Struct("<4sIIII")
#: A reply's header: the same, then the seconds the child spent generating.
REPLY_HEADER = struct.Struct("<4sIIIId")
REQUEST = b"SYNW"
REPLY = b"SYNI"
READY = b"READY"
COMPILING = b"COMPILING"
FAILED = b"ERROR"
STOP = b"STOP"
START_TIMEOUT = 120.0
#: How long a collect waits by default. Generous: an offline render on a slow machine may
#: queue big batches. The live show passes its own, much shorter deadline.
REPLY_TIMEOUT = 30.0
#: How long a child may spend building compiled graphs before it is ready: about 15 s per
#: batch size without PyTorch's on-disk cache, a few seconds with it.
COMPILE_TIMEOUT = 300.0


class GeneratorProcessError(GeneratorLostError):
    """The generator process failed to start, died, hung, or answered nonsense."""


def serve(
    conn: Connection,
    name: str,
    threads: int,
    device: str = "cpu",
    engine: str = "eager",
    niceness: int = 0,
    precision: str = "auto",
) -> None:
    """The child's main loop: load the style on ``device`` with ``engine`` (sending
    ``COMPILING`` first when that waits for compiled graphs), send ``READY`` and the style's
    description, then answer requests until STOP or EOF. A failure to load is sent as
    ``ERROR`` and a message instead."""
    if niceness > 0:  # the live show's picture goes first; pictures take what is left
        with contextlib.suppress(OSError, AttributeError):
            os.nice(niceness)
    try:
        from models.inference import resolve_device, resolve_engine
        from models.style import Style

        if resolve_engine(engine, resolve_device(device)) == "compiled":
            conn.send_bytes(COMPILING)
        style = Style.load(name, threads=threads, device=device, engine=engine, precision=precision)
        info = style.info()
    except Exception as exc:  # report any failure to the parent instead of dying silently
        conn.send_bytes(FAILED + f"{type(exc).__name__}: {exc}".encode())
        return
    conn.send_bytes(READY + json.dumps(info.to_json()).encode())
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if message == STOP:
            return
        magic, request, count, height, width = HEADER.unpack_from(message)
        values = count * height * width
        if magic != REQUEST or len(message) != HEADER.size + 4 * (values + count):
            conn.send_bytes(REPLY_HEADER.pack(FAILED[:4], request, 0, 0, 0, 0.0))  # parent raises
            continue
        windows = np.frombuffer(message, np.float32, values, HEADER.size)
        expression = np.frombuffer(message, np.float32, count, HEADER.size + 4 * values)
        started = time.perf_counter()
        try:
            images = style.audio_to_image(windows.reshape(count, height, width), expression)
        except ValueError:  # the parent checks both; a bad request fails alone
            conn.send_bytes(REPLY_HEADER.pack(FAILED[:4], request, 0, 0, 0, 0.0))
            continue
        images = np.ascontiguousarray(images)
        seconds = time.perf_counter() - started
        size = images.shape[-1]
        conn.send_bytes(
            REPLY_HEADER.pack(REPLY, request, count, size, size, seconds) + images.tobytes()
        )


class RemoteStyle:
    """Stands in for :class:`models.style.Style` (``audio_to_image``) in the bridge,
    running the real one in a child process.

    Args:
        name: the style's name.
        threads: torch threads in the child.
        reply_timeout: seconds :meth:`collect` waits.
        start_timeout: seconds to wait for the child to load the style (or to say it is
            compiling).
        device: ``"cpu"`` (the default), ``"auto"``, ``"cuda"`` or ``"mps"``.
        engine: ``"eager"`` (the default), ``"compiled"``, ``"live"`` or ``"auto"``
            (:mod:`models.inference`); ``info.engine`` says which one the child resolved.
        compile_timeout: seconds to wait for a compiling child to be ready.
        precision: ``"auto"``, ``"float32"``, ``"float16"`` or ``"bfloat16"``
            (:class:`models.style.Style`); ``info.precision`` says what the child runs.
        niceness: how much lower the child's scheduling priority is (``os.nice``; 0 keeps
            it). The live show lowers it so that, when the CPU is short, the display keeps
            its frame rate and generation gives way (bench/latency.py, 8 tracks: 53 → 57
            display fps).
        wait: wait here for the child to load the style (the default); False returns at
            once, and :meth:`ready` waits (the child loads while the caller prepares the
            rest: an offline render's start-up, ``bench/render.py``).

    Raises:
        ValueError: the child could not load the style (the message says why, e.g. an
            unknown style name, or a device this machine lacks).
        GeneratorProcessError: the child did not start or compile in time.
    """

    def __init__(
        self,
        name: str,
        *,
        threads: int = 1,
        reply_timeout: float = REPLY_TIMEOUT,
        start_timeout: float = START_TIMEOUT,
        device: str = "cpu",
        engine: str = "eager",
        compile_timeout: float = COMPILE_TIMEOUT,
        niceness: int = 0,
        precision: str = "auto",
        wait: bool = True,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.name = name
        #: Seconds :meth:`collect` waits before it calls the child hung.
        self.reply_timeout = reply_timeout
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=serve,
            args=(child, name, threads, device, engine, niceness, precision),
            name=f"generator-{name}",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._lock = threading.Lock()
        self._request = 0
        self._pending: deque[tuple[int, int]] = deque()  # (request id, count), oldest first
        self._abandoned = 0  # requests whose collect gave up: the child still owes them
        #: Seconds the child spent on the last collected request.
        self.last_seconds = 0.0
        self._start_timeout, self._compile_timeout = start_timeout, compile_timeout
        self._started = time.monotonic()
        self._waited = False
        self._compiled = False  # the child loaded (perhaps built) compiled graphs at start
        if wait:
            self.ready()

    def ready(self) -> RemoteStyle:
        """Wait for the child to load the style (at once after the first time); returns
        this style.

        Raises:
            ValueError, GeneratorProcessError: as the constructor's (the child is closed).
        """
        if self._waited:
            return self
        name = self.name
        if not self._conn.poll(max(0.0, self._started + self._start_timeout - time.monotonic())):
            self.close()
            raise GeneratorProcessError(f"generator for style {name!r} did not start")
        try:
            hello = self._conn.recv_bytes()
            self._compiled = hello == COMPILING
            if hello == COMPILING:
                if not self._conn.poll(self._compile_timeout):
                    self.close()
                    raise GeneratorProcessError(
                        f"generator for style {name!r} did not compile in {self._compile_timeout} s"
                    )
                hello = self._conn.recv_bytes()
        except EOFError:
            self.close()
            raise GeneratorProcessError(f"generator for style {name!r} exited at start") from None
        if hello.startswith(FAILED):
            self.close()
            raise ValueError(hello[len(FAILED) :].decode(errors="replace"))
        from models.style_interface import StyleInfo

        try:
            #: The style as it describes itself (analysis, picture size, cost).
            self.info = StyleInfo.from_json(json.loads(hello[len(READY) :]))
        except ValueError as exc:
            self.close()
            raise GeneratorProcessError(f"generator for style {name!r}: {exc}") from None
        # Requests are written and replies read on threads of their own. Reading: with several
        # requests outstanding, a child blocked writing a reply nobody reads while this process
        # is blocked writing the next request would deadlock (socket buffers can be 8 KB).
        # Writing: a child that hangs (rather than dies) stops reading, and the caller's next
        # write would then block for good; this way only :meth:`collect` waits, with a deadline.
        self._replies: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._gone = threading.Event()  # the reader saw the child's end close
        self._reader = threading.Thread(
            target=self._read_replies, name=f"generator-{name}-replies", daemon=True
        )
        self._writer = threading.Thread(
            target=self._write_requests, name=f"generator-{name}-requests", daemon=True
        )
        self._reader.start()
        self._writer.start()
        self._waited = True
        return self

    def _read_replies(self) -> None:
        while True:
            try:
                reply = self._conn.recv_bytes()
            except (EOFError, OSError):
                self._gone.set()
                self._replies.put(None)  # the child is gone
                return
            self._replies.put(reply)

    def _write_requests(self) -> None:
        while (message := self._outbox.get()) is not None:
            try:
                self._conn.send_bytes(message)
            except (OSError, ValueError):  # the child is gone; collect() reports it
                return

    def audio_to_image(
        self, windows: np.ndarray, expression: float | np.ndarray | None = None
    ) -> np.ndarray:
        """Generate pictures for ``windows`` (B, mels, frames) and wait for them;
        ``expression`` as :meth:`models.style.Style.audio_to_image`."""
        with self._lock:
            if self._pending:
                raise RuntimeError("audio_to_image() while submitted requests are uncollected")
            self._submit(windows, expression)
            return self._collect()

    def submit(self, windows: np.ndarray, expression: float | np.ndarray | None = None) -> None:
        """Start generating ``windows`` without waiting; fetch them with :meth:`collect`.
        ``expression``: one head strength in [0, 1] for all, or ``(B,)``; None is 1.0.

        Several requests may be outstanding; they are answered in order. This is how an
        offline render keeps the child busy with the next frames while one is drawn.

        Raises:
            ValueError: windows not ``(B, mels, frames)``, or expressions outside [0, 1].
        """
        with self._lock:
            self._submit(windows, expression)

    def collect(self) -> np.ndarray:
        """The pictures for the oldest request started by :meth:`submit`."""
        with self._lock:
            if not self._pending:
                raise RuntimeError("collect() without submit()")
            return self._collect()

    def _submit(self, windows: np.ndarray, expression: float | np.ndarray | None) -> None:
        if not self._waited:
            self.ready()
        batch = np.ascontiguousarray(windows, dtype=np.float32)
        if batch.ndim != 3:
            raise ValueError(f"expected windows (B, mels, frames), got shape {batch.shape}")
        count, height, width = batch.shape
        strengths = head_strengths(1.0 if expression is None else expression, count)
        if self._gone.is_set():
            raise GeneratorProcessError(f"generator {self.name!r} died")
        self._request = (self._request + 1) % 2**32
        header = HEADER.pack(REQUEST, self._request, count, height, width)
        self._outbox.put(header + batch.tobytes() + strengths.tobytes())
        self._pending.append((self._request, count))

    def _collect(self) -> np.ndarray:
        request, count = self._pending.popleft()
        deadline = time.monotonic() + self.reply_timeout
        while True:
            try:
                reply = self._replies.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self._abandoned += 1
                raise GeneratorProcessError(f"generator {self.name!r} stopped answering") from None
            if reply is None:
                self._replies.put(None)  # every later collect fails the same way
                raise GeneratorProcessError(f"generator {self.name!r} died")
            if len(reply) < REPLY_HEADER.size:
                raise GeneratorProcessError(f"generator {self.name!r} sent a malformed reply")
            magic, answered, n, size, size_w, seconds = REPLY_HEADER.unpack_from(reply)
            if magic == REPLY and 0 < (request - answered) % 2**32 < 2**31:
                self._abandoned -= 1
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

    def close(self, wait: bool = True) -> None:
        """Stop the child (politely when it is idle, else firmly) and both I/O threads.

        ``wait=False``: an idle child is only told to stop and exits on its own (its
        interpreter's exit took 0.3–0.4 s of an offline render's wall time; the
        interpreter's own exit terminates it if this process ends first). Not a child that
        compiled at start: one that built a package and was ended so left a semaphore for
        the resource tracker to warn about."""
        writer = getattr(self, "_writer", None)  # absent if the child failed to start
        if writer is not None:
            idle = not self._pending and not self._abandoned  # else it may never read STOP
            if idle:
                self._outbox.put(STOP)
            self._outbox.put(None)  # the writer ends after what is queued
            if idle and not wait and not self._compiled:
                return
            if idle:
                self._process.join(timeout=5.0)
        for stop in (self._process.terminate, self._process.kill):  # kill: even a stopped one
            if not self._process.is_alive():
                break
            stop()
            self._process.join(timeout=1.0)
        for thread in (writer, getattr(self, "_reader", None)):
            if thread is not None:
                thread.join(timeout=2.0)  # the child's end is closed: both see it
        self._conn.close()
