"""Fixtures for bridge tests that use real UDP sockets on 127.0.0.1."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest

from bridge.ingest.service import BridgeService


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` passes (for asynchronous I/O)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def bridge() -> Iterator[BridgeService]:
    """A running bridge on an ephemeral loopback port."""
    service = BridgeService(host="127.0.0.1", port=0)
    with service:
        yield service


@pytest.fixture
def sender() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    yield sock
    sock.close()
