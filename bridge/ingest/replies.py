"""The bridge's replies: OSC sent back to a device or a controller over UDP.

A device that wants to know whether a bridge is listening gives a reply port in its hello
(protocol v2, docs/protocol.md "Replies"); the ingest thread answers each such hello with
``/syn/status`` sent to the hello's source address at that port. Sending is one
non-blocking ``sendto`` per answer, rate-limited per destination so a flood of hellos
cannot turn the bridge into an amplifier. Controller feedback
(:mod:`bridge.control.feedback`) goes out of the same socket through :meth:`Replier.send`.
"""

from __future__ import annotations

import logging
import socket
from collections import Counter

from bridge.ingest.osc_codec import encode_message
from bridge.ingest.protocol import PROTOCOL_VERSION, SPECS

log = logging.getLogger(__name__)

#: Least time between two status replies to one destination (s). Devices say hello about
#: once a second and call a bridge gone after 3 s without a status.
MIN_INTERVAL = 0.25


def status_message(tracks: int) -> bytes:
    """The ``/syn/status`` datagram: this bridge's protocol version and its track count."""
    return encode_message(SPECS["status"].address, [PROTOCOL_VERSION, int(tracks)])


class Replier:
    """Owns one unbound UDP socket and sends replies from it; never raises."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._last: dict[tuple[str, int], float] = {}
        self.counters: Counter[str] = Counter()

    def status(self, host: str, port: int, tracks: int, now: float) -> bool:
        """Send a status to ``host:port`` unless one went there less than
        :data:`MIN_INTERVAL` ago; True when sent."""
        destination = (host, port)
        if now - self._last.get(destination, -1e9) < MIN_INTERVAL:
            self.counters["replies_skipped"] += 1
            return False
        if len(self._last) > 1024:  # destinations come and go; keep only the recent ones
            self._last = {d: t for d, t in self._last.items() if now - t < MIN_INTERVAL}
        self._last[destination] = now
        try:
            self._sock.sendto(status_message(tracks), destination)
        except OSError as exc:  # unreachable, full buffer: the device will ask again
            self.counters["reply_errors"] += 1
            log.debug("status to %s:%d failed: %s", host, port, exc)
            return False
        self.counters["replies"] += 1
        return True

    def send(self, datagram: bytes, host: str, port: int, counter: str = "feedback") -> bool:
        """Send one datagram to ``host:port`` from the reply socket (controller feedback);
        counts ``counter`` when sent, ``{counter}_errors`` when the network refused it."""
        try:
            self._sock.sendto(datagram, (host, port))
        except OSError as exc:  # unreachable, full buffer: the next change is sent again
            self.counters[f"{counter}_errors"] += 1
            log.debug("%s to %s:%d failed: %s", counter, host, port, exc)
            return False
        self.counters[counter] += 1
        return True

    def close(self) -> None:
        self._sock.close()
