"""Ableton Link: tempo and beat from any Link peer when Live's transport does not arrive.

Link (Ableton's open protocol; Live, Bitwig, Traktor, Resolume and phone apps speak it)
shares a tempo and a beat timeline between peers on the local network over multicast. The
bridge joins a session with ``--link`` and, while no Live transport message has arrived for
:data:`~bridge.ingest.transport.TIMEOUT_SECONDS`, feeds the peers' tempo and beat into the
same :class:`~bridge.ingest.transport.TransportClock` Live's messages update, so beat-locked
motion and bars work as with Live. Live's own transport, when it arrives, always wins.

The binding is ``aalink`` (GPL-3.0), an optional extra (``pip install synaesthete[link]``):
synaesthete itself is MIT and never imports it unless ``--link`` is given.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from bridge.ingest.transport import TIMEOUT_SECONDS, BeatState, TransportClock

log = logging.getLogger(__name__)

#: How often the session is read (Live's device sends its transport ~30 times a second).
POLL_HZ = 30.0
#: Beats per bar the session's phase is aligned to (Link's "quantum"): 4/4 bars.
QUANTUM = 4.0


class LinkUnavailableError(RuntimeError):
    """aalink is not installed or cannot start; the message says how to get it."""


@dataclass(frozen=True)
class LinkState:
    """One reading of a Link session.

    Attributes:
        tempo: BPM shared by the session.
        beat: position on the session's beat timeline (quarter notes), phase-aligned to
            :data:`QUANTUM` across peers, so ``beat // 4`` counts bars alike everywhere.
        peers: other Link peers connected (0: alone, the timeline is only ours).
    """

    tempo: float
    beat: float
    peers: int


class ArbitratedClock:
    """Stands in for the ingest's :class:`TransportClock`: Live's transport messages go
    through :meth:`update` as before (and are remembered); Link's readings are applied by
    :meth:`offer_link` only while Live has been silent for ``timeout`` seconds.

    Pure logic with injected times; the caller holds the ingest's lock. :meth:`offer` is
    the seam for any other beat source (a tempo tracker on the sound-card audio).
    """

    def __init__(self, clock: TransportClock, timeout: float = TIMEOUT_SECONDS) -> None:
        self.clock = clock
        self.timeout = timeout
        self.last_live: float | None = None
        #: Link readings applied / ignored because Live's transport was running.
        self.link_applied = 0
        self.link_ignored = 0

    # The ingest's view of a TransportClock: update (from Live), has_transport, state.
    def update(self, now: float, **transport: Any) -> None:
        """A transport message from Live (the applier calls this)."""
        self.last_live = now
        self.clock.update(now, **transport)

    @property
    def has_transport(self) -> bool:
        return self.clock.has_transport

    def state(self, now: float) -> BeatState:
        return self.clock.state(now)

    def live_running(self, now: float) -> bool:
        """Whether Live's transport arrived within the timeout."""
        return self.last_live is not None and now - self.last_live <= self.timeout

    def offer(
        self, now: float, tempo: float, beat: float, numerator: int = 4, denominator: int = 4
    ) -> bool:
        """A transport from a source other than Live (Link, or a tempo tracker listening to
        the audio): applied unless Live's transport is running; returns whether it was."""
        if self.live_running(now):
            return False
        self.clock.update(
            now, tempo=tempo, playing=True, beat=beat, numerator=numerator, denominator=denominator
        )
        return True

    def offer_link(self, now: float, reading: LinkState) -> bool:
        """Apply a Link reading unless Live's transport is running or no peer is there;
        returns whether it was applied."""
        if reading.peers < 1 or not self.offer(now, reading.tempo, reading.beat):
            self.link_ignored += 1
            return False
        self.link_applied += 1
        return True


def require_aalink() -> Any:
    try:
        import aalink
    except ImportError as exc:
        raise LinkUnavailableError(
            "Ableton Link needs the optional aalink package (GPL-3.0): "
            "pip install 'synaesthete[link]'"
        ) from exc
    return aalink


class LinkSession:
    """A Link peer on its own thread (aalink needs a running asyncio loop to start).

    Args:
        tempo: the tempo proposed to the session (peers already there decide).
        on_reading: called ``POLL_HZ`` times a second with a :class:`LinkState`, on the
            session's thread; exceptions are logged and counted, never raised.

    Raises:
        LinkUnavailableError: aalink is missing (from :meth:`start`).
    """

    def __init__(self, tempo: float = 120.0, on_reading: Any = None) -> None:
        self.tempo = tempo
        self.on_reading = on_reading
        self.errors = 0
        self.latest: LinkState | None = None
        self._wanted_tempo: float | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="link", daemon=True)

    def start(self) -> LinkSession:
        require_aalink()  # fail here, with the install hint, not on the thread
        self._thread.start()
        self._ready.wait(5.0)
        if self._failure is not None:
            raise LinkUnavailableError(f"Ableton Link could not start: {self._failure}")
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)

    def __enter__(self) -> LinkSession:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def propose_tempo(self, tempo: float) -> None:
        """Change the session's tempo (every peer follows), as a peer's tempo control does."""
        self._wanted_tempo = tempo

    def _run(self) -> None:
        try:
            asyncio.run(self._session())
        except BaseException as exc:  # reported by start(); the show goes on without Link
            self._failure = exc
            self._ready.set()

    async def _session(self) -> None:
        link = require_aalink().Link(self.tempo)
        link.quantum = QUANTUM
        link.enabled = True
        self._ready.set()
        try:
            while not self._stop.is_set():
                wanted, self._wanted_tempo = self._wanted_tempo, None
                if wanted is not None:
                    link.tempo = wanted
                reading = LinkState(float(link.tempo), float(link.beat), int(link.num_peers))
                self.latest = reading
                if self.on_reading is not None:
                    try:
                        self.on_reading(reading)
                    except Exception:
                        self.errors += 1
                        log.exception("Link reading could not be applied")
                await asyncio.sleep(1.0 / POLL_HZ)
        finally:
            link.enabled = False


class LinkFollower:
    """Joins a Link session and feeds the bridge's transport clock from it (see module).

    Args:
        service: the bridge (its ingest's clock is wrapped in an :class:`ArbitratedClock`).
    """

    def __init__(self, service: Any) -> None:
        self.service = service
        ingest = service.ingest
        if not isinstance(ingest.clock, ArbitratedClock):
            ingest.clock = ArbitratedClock(ingest.clock)
        self.arbiter: ArbitratedClock = ingest.clock
        self.session = LinkSession(on_reading=self._apply)
        self._peers = 0

    def _apply(self, reading: LinkState) -> None:
        if reading.peers != self._peers:
            log.info("Link: %d peer(s), %.1f BPM", reading.peers, reading.tempo)
            self._peers = reading.peers
        with self.service.lock:
            self.arbiter.offer_link(time.monotonic(), reading)

    def start(self) -> LinkFollower:
        self.session.start()
        log.info("joined the Ableton Link session (tempo follows its peers)")
        return self

    def stop(self) -> None:
        self.session.stop()

    def __enter__(self) -> LinkFollower:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def status(self) -> dict[str, int]:
        return {
            "link_peers": self._peers,
            "link_applied": self.arbiter.link_applied,
            "link_ignored": self.arbiter.link_ignored,
        }
