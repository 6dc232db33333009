"""The UDP receive thread: datagrams in, validated events out, nothing heavy.

The thread only reads the socket, decodes, validates and enqueues; sequence handling and
the rings are the ingest thread's, and analysis the inference worker's, so a burst of
packets never waits on either. Every datagram that cannot be used is counted under a reason from
:mod:`bridge.ingest.protocol` and dropped; the loop itself never raises.
"""

from __future__ import annotations

import ipaddress
import logging
import queue
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bridge.ingest.osc_codec import OscParseError, decode_packet
from bridge.ingest.protocol import (
    MALFORMED,
    MAX_DATAGRAM_BYTES,
    OVERSIZE,
    Event,
    ProtocolError,
    interpret,
)

log = logging.getLogger(__name__)

#: Kernel receive buffer asked for: ~1.5 s of 32 tracks of pcm, so a scheduling hiccup
#: on a busy machine does not overflow it (the kernel may grant less; we log what it gave).
RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
#: Events waiting for the ingest thread, at most; beyond this they are dropped (overrun).
QUEUE_LIMIT = 20000


@dataclass(frozen=True)
class Arrival:
    """One queued item: an event or a refusal, with its arrival time (monotonic s)."""

    time: float
    event: Event | None = None
    error: ProtocolError | None = None
    sender: str = ""  # the datagram's source address (replies go there)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_binding(host: str, allow: Iterable[str]) -> frozenset[str]:
    """Validate the bind address and allow list; return the allowed sender addresses.

    Raises:
        ValueError: a non-loopback host without an allow list, or an invalid address.
    """
    allowed = set()
    for entry in allow:
        try:
            allowed.add(str(ipaddress.ip_address(entry)))
        except ValueError as exc:
            raise ValueError(f"--allow {entry!r} is not an IP address") from exc
    if not is_loopback(host) and not allowed:
        raise ValueError(
            f"binding to {host} would accept OSC from any machine on the network; "
            "list the senders with --allow ADDRESS (for example the laptop running Live)"
        )
    return frozenset(allowed)


class DatagramHandler:
    """Turns datagrams into queued arrivals; pure apart from the queue, so tests (and the
    fuzzer) drive it without a socket. Counts every datagram it cannot use."""

    def __init__(
        self,
        out: queue.SimpleQueue[Arrival],
        allowed: frozenset[str] = frozenset(),
        limit: int = QUEUE_LIMIT,
    ) -> None:
        self.out = out
        self.limit = limit
        self.allowed = allowed
        self.counters: Counter[str] = Counter()
        self.datagrams = 0
        self.bytes = 0
        self.enqueued = 0

    def handle(self, data: bytes, sender: str, now: float) -> None:
        """Validate one datagram and enqueue its events (or count why not)."""
        self.datagrams += 1
        self.bytes += len(data)
        if self.allowed and sender not in self.allowed:
            self.counters["not_allowed"] += 1
            return
        if len(data) > MAX_DATAGRAM_BYTES:
            self.counters[OVERSIZE] += 1
            return
        try:
            messages = decode_packet(data)
        except OscParseError:
            self.counters[MALFORMED] += 1
            return
        for message in messages:
            try:
                arrival = Arrival(now, event=interpret(message), sender=sender)
            except ProtocolError as error:
                self.counters[error.reason] += 1
                if error.uuid is None:
                    continue
                arrival = Arrival(now, error=error, sender=sender)
            except Exception:  # a validator bug must not stop the receive thread
                self.counters["internal_error"] += 1
                log.exception("could not interpret %s", message.address[:60])
                continue
            if self.out.qsize() >= self.limit:
                self.counters["overrun"] += 1
                continue
            self.out.put(arrival)
            self.enqueued += 1


class Receiver:
    """Owns the UDP socket and the receive thread; hands datagrams to a handler."""

    def __init__(
        self,
        out: queue.SimpleQueue[Arrival],
        *,
        host: str = "127.0.0.1",
        port: int = 9000,
        allow: Iterable[str] = (),
    ) -> None:
        self.handler = DatagramHandler(out, check_binding(host, allow))
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
            self._sock.bind((host, port))
        except OSError:
            self._sock.close()
            raise
        self.receive_buffer = self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        self._sock.settimeout(0.2)
        self.address: tuple[str, int] = self._sock.getsockname()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="osc-receive", daemon=True)

    @property
    def counters(self) -> Counter[str]:
        return self.handler.counters

    @property
    def datagrams(self) -> int:
        return self.handler.datagrams

    @property
    def enqueued(self) -> int:
        return self.handler.enqueued

    def start(self) -> None:
        log.info(
            "listening for OSC on %s:%d (receive buffer %d KB)",
            *self.address,
            self.receive_buffer // 1024,
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        self._sock.close()

    def _run(self) -> None:
        buffer = bytearray(65536)  # any UDP datagram fits, so oversize is detectable
        view = memoryview(buffer)
        handle = self.handler.handle
        while not self._stop.is_set():
            try:
                size, sender = self._sock.recvfrom_into(buffer)
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                self.handler.counters["socket_error"] += 1
                time.sleep(0.01)
                continue
            handle(bytes(view[:size]), sender[0], time.monotonic())
