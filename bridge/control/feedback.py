"""OSC feedback: registered controllers are sent the show's state, and every change to it.

A controller (TouchOSC, Open Stage Control, a Lemur patch) sends
``/syn/feedback/register PORT``; from then on the bridge sends, to the controller's host at
``PORT``, every value in :attr:`~bridge.control.state.ControlState.values` — layer count,
names, each layer's properties by number, the selected layer and its properties, the
master — first all of them, then only what changed, never a value back to the host that
just set it. The addresses are the ones a controller
sends to, so one fader both sets and shows a value. ``--feedback HOST:PORT`` registers one
for the whole run.

Bounded: at most :data:`MAX_CONTROLLERS` (more are refused and counted), a registration
expires after :data:`EXPIRY_SECONDS` unless renewed, and at most :data:`MESSAGES_PER_FRAME`
messages go to one controller per frame (the rest the next frame). Sending is a
non-blocking ``sendto`` from the reply socket (:class:`~bridge.ingest.replies.Replier`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from bridge.control.state import ControlState, OscValue
from bridge.ingest.osc_codec import encode_message
from bridge.ingest.protocol import FeedbackRegister
from bridge.ingest.replies import Replier

log = logging.getLogger(__name__)

MAX_CONTROLLERS = 16
#: How long a registration lasts without being renewed (s).
EXPIRY_SECONDS = 600.0
#: Messages sent to one controller per frame, at most.
MESSAGES_PER_FRAME = 256


@dataclass
class Controller:
    """One registered controller and what it was last sent (address → value)."""

    host: str
    port: int
    expires: float | None  # None: registered for the whole run
    sent: dict[str, OscValue] = field(default_factory=dict)


def changes(sent: dict[str, OscValue], values: dict[str, OscValue]) -> list[tuple[str, OscValue]]:
    """What to send a controller that was sent ``sent`` so that it shows ``values``: changed
    and new values, and for every address it was sent that is gone (a layer that went, the
    selected layer's values when none is selected) an empty value of the same type — "",
    0 or 0.0 — so its labels and faders clear."""
    out = [(address, value) for address, value in values.items() if sent.get(address) != value]
    for address, value in sent.items():
        if address not in values:
            empty = type(value)()
            if value != empty:
                out.append((address, empty))
    return out


class FeedbackRegistry:
    """The registered controllers; pure apart from the clock passed in."""

    def __init__(
        self,
        *,
        cap: int = MAX_CONTROLLERS,
        expiry: float = EXPIRY_SECONDS,
        static: Iterable[tuple[str, int]] = (),
    ) -> None:
        self.cap = cap
        self.expiry = expiry
        self.controllers: dict[tuple[str, int], Controller] = {
            (host, port): Controller(host, port, None) for host, port in static
        }
        self.counters: Counter[str] = Counter()

    def register(self, host: str, port: int, now: float) -> bool:
        """Register (or renew) ``host:port``; False (counted) when the cap is reached."""
        self.expire(now)
        known = self.controllers.get((host, port))
        if known is not None:
            if known.expires is not None:
                known.expires = now + self.expiry
            known.sent.clear()  # a controller that asks again is sent everything again
            return True
        if len(self.controllers) >= self.cap:
            self.counters["feedback_refused"] += 1
            return False
        self.controllers[(host, port)] = Controller(host, port, now + self.expiry)
        self.counters["feedback_registered"] += 1
        return True

    def unregister(self, host: str, port: int) -> bool:
        return self.controllers.pop((host, port), None) is not None

    def expire(self, now: float) -> None:
        gone = [
            key for key, c in self.controllers.items() if c.expires is not None and c.expires <= now
        ]
        for key in gone:
            del self.controllers[key]
        self.counters["feedback_expired"] += len(gone)

    def handle(self, event: FeedbackRegister, now: float) -> str:
        """Apply a register/unregister message; a line for the HUD."""
        if not event.host:
            self.counters["feedback_no_host"] += 1
            return "feedback: the controller's address is unknown"
        if not event.register:
            self.unregister(event.host, event.port)
            return f"feedback to {event.host}:{event.port} stopped"
        if self.register(event.host, event.port, now):
            return f"feedback to {event.host}:{event.port}"
        return f"feedback: {self.cap} controllers already registered"


class FeedbackSender:
    """Sends each registered controller what changed, from the reply socket."""

    def __init__(self, registry: FeedbackRegistry, replier: Replier) -> None:
        self.registry = registry
        self.replier = replier

    def publish(
        self,
        state: ControlState,
        now: float,
        quiet: Mapping[str, Collection[str]] | None = None,
    ) -> int:
        """Send what changed since each controller's last message; returns messages sent.

        ``quiet``: address → hosts that set it themselves since the last publish; they are
        not sent it (a fader being dragged would jump back to an older value), and it counts
        as shown there."""
        self.registry.expire(now)
        if not self.registry.controllers:
            return 0
        values = state.values
        sent = 0
        for controller in self.registry.controllers.values():
            todo = changes(controller.sent, values)
            if len(todo) > MESSAGES_PER_FRAME:
                self.registry.counters["feedback_deferred"] += len(todo) - MESSAGES_PER_FRAME
                todo = todo[:MESSAGES_PER_FRAME]
            for address, value in todo:
                if quiet and controller.host in quiet.get(address, ()):
                    controller.sent[address] = value
                    self.registry.counters["feedback_quiet"] += 1
                    continue
                if not self.replier.send(
                    encode_message(address, [value]), controller.host, controller.port
                ):
                    break  # try again next frame
                if address in values:
                    controller.sent[address] = value
                else:
                    controller.sent.pop(address, None)
                sent += 1
        return sent
