"""Fixtures for the device tests: the patcher, node, and the bridge's view of a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.ingest.osc_codec import decode_message, encode_message
from bridge.ingest.protocol import Event, interpret
from max_device.build import PATCHER_NAME, SOURCE_DIR
from max_device.patcher import Patcher
from tests.max_device.js_runner import NODE, NODE_MISSING, Run, Scenario, run_scenario
from tests.max_device.patch_sim import Datagram, PatchSimulator


@pytest.fixture(scope="session")
def patcher() -> Patcher:
    return Patcher.load(SOURCE_DIR / PATCHER_NAME)


@pytest.fixture
def run_js(tmp_path: Path):
    """Run a scenario under node; skips the test where node is missing."""
    if NODE is None:
        pytest.skip(NODE_MISSING)

    def run(scenario: Scenario) -> Run:
        result = run_scenario(scenario, tmp_path)
        assert result.errors == [], "the device script raised:\n" + "\n".join(result.errors)
        assert result.posts == [], f"a shipped device prints nothing, got {result.posts}"
        return result

    return run


def wire_bytes(datagram: Datagram) -> bytes:
    """The UDP payload udpsend sends for ``datagram`` (Max ints i, floats f, symbols s)."""
    return encode_message(datagram.address, [atom.python() for atom in datagram.args])


def bridge_events(sim: PatchSimulator) -> list[Event]:
    """What the bridge makes of everything the patch sent; any rejection fails the test."""
    return [interpret(decode_message(wire_bytes(datagram))) for datagram in sim.sent]


@pytest.fixture
def world(patcher: Patcher, tmp_path: Path):
    """Make a :class:`MaxWorld` (the patch, the real script, Max's queues); skips without node."""
    if NODE is None:
        pytest.skip(NODE_MISSING)
    from tests.max_device.max_world import MaxWorld

    made: list[MaxWorld] = []

    def make(**options) -> MaxWorld:
        made.append(MaxWorld(patcher, tmp_path, **options))
        return made[-1]

    yield make
    for item in made:
        item.close()
        assert item.errors == [], "the device script raised:\n" + "\n".join(item.errors)
        assert item.posts == [], f"a shipped device prints nothing, got {item.posts}"
