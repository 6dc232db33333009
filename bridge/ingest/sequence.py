"""Sequence-number bookkeeping for one pcm stream: what to do with each arriving message.

UDP can lose, duplicate and reorder datagrams. The policy (docs/protocol.md) keeps the
picture live rather than perfect: a short gap is filled with silence at once, anything
that then arrives late is dropped, and a big jump means the sender restarted. This module
only decides; :mod:`bridge.ingest.stream` carries the decision out.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

SEQ_MODULUS = 2**31
#: Missing messages filled with silence before a jump counts as a restart.
MAX_GAP_MESSAGES = 8
#: How far behind a message may be and still count as late/duplicate, not a restart.
REORDER_WINDOW = 64


class Action(Enum):
    ACCEPT = "accept"  # append (after filling `missing` messages with silence)
    DUPLICATE = "duplicate"  # drop: this seq was already received
    LATE = "late"  # drop: its slot was filled with silence already
    RESET = "reset"  # restart the stream at this message


@dataclass(frozen=True)
class Decision:
    action: Action
    missing: int = 0  # messages to fill with silence before appending (ACCEPT only)


class SequenceTracker:
    """Decides, message by message, how an arriving ``seq`` fits the stream so far."""

    def __init__(self) -> None:
        self._expected: int | None = None
        self._recent: deque[int] = deque(maxlen=REORDER_WINDOW)
        self._recent_set: set[int] = set()

    @property
    def expected(self) -> int | None:
        """The next seq that continues the stream, or None before the first message."""
        return self._expected

    def reset(self) -> None:
        self._expected = None
        self._recent.clear()
        self._recent_set.clear()

    def _remember(self, seq: int) -> None:
        if len(self._recent) == self._recent.maxlen:
            self._recent_set.discard(self._recent[0])
        self._recent.append(seq)
        self._recent_set.add(seq)

    def decide(self, seq: int) -> Decision:
        """Classify ``seq`` and advance the state as if the decision is carried out."""
        seq %= SEQ_MODULUS
        if self._expected is None:
            self._expected = (seq + 1) % SEQ_MODULUS
            self._remember(seq)
            return Decision(Action.ACCEPT)
        ahead = (seq - self._expected) % SEQ_MODULUS
        if ahead <= MAX_GAP_MESSAGES:
            self._expected = (seq + 1) % SEQ_MODULUS
            self._remember(seq)
            return Decision(Action.ACCEPT, missing=ahead)
        behind = (self._expected - seq) % SEQ_MODULUS
        if 1 <= behind <= REORDER_WINDOW:
            return Decision(Action.DUPLICATE if seq in self._recent_set else Action.LATE)
        self.reset()
        self._expected = (seq + 1) % SEQ_MODULUS
        self._remember(seq)
        return Decision(Action.RESET)
