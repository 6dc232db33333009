"""A one-slot mailbox: the producer overwrites, the consumer takes the newest.

Generated frames travel from the inference worker to the render loop through these, one
per track. A renderer that falls behind never works through a queue of stale pictures;
it always shows the latest one.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

#: Letter versions come from one counter for every mailbox, so a mailbox made again for a
#: track that came back (same key) never answers with versions its reader has seen already.
_versions = itertools.count(1)


@dataclass(frozen=True)
class Letter(Generic[T]):
    value: T
    version: int


class Mailbox(Generic[T]):
    """Holds the newest value and how many were ever posted. Versions increase across all
    mailboxes of the process, so a reader's ``seen_version`` stays valid for a new mailbox."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._letter: Letter[T] | None = None
        self._posted = 0
        self._taken_version = 0
        self.overwritten = 0  # values replaced before anyone took them

    def post(self, value: T) -> None:
        with self._lock:
            self._posted += 1
            if self._letter is not None and self._taken_version < self._letter.version:
                self.overwritten += 1
            self._letter = Letter(value, next(_versions))

    def take_new(self, seen_version: int) -> Letter[T] | None:
        """The newest letter if it is newer than ``seen_version``, else None."""
        with self._lock:
            letter = self._letter
            if letter is None or letter.version <= seen_version:
                return None
            self._taken_version = letter.version
            return letter
