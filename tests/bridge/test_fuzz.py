"""Property-based fuzzing of the datagram path: it counts and drops, it never raises."""

from __future__ import annotations

import queue

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.ingest.applier import Ingest
from bridge.ingest.osc_codec import encode_message
from bridge.ingest.receiver import Arrival, DatagramHandler
from bridge.ingest.registry import TrackRegistry
from bridge.ingest.transport import TransportClock
from bridge.simulate import device_messages as dm

UUID = "0a0b0c0d-1111-4222-8333-444455556666"
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def make_path() -> tuple[DatagramHandler, Ingest]:
    out: queue.SimpleQueue[Arrival] = queue.SimpleQueue()
    handler = DatagramHandler(out)
    ingest = Ingest(out, TrackRegistry(), TransportClock())
    return handler, ingest


def drain(handler: DatagramHandler, ingest: Ingest) -> None:
    while True:
        try:
            ingest.apply(handler.out.get_nowait())
        except queue.Empty:
            return


def run(handler: DatagramHandler, ingest: Ingest, data: bytes) -> None:
    handler.handle(data, "127.0.0.1", 0.0)
    drain(handler, ingest)
    assert handler.counters["internal_error"] == 0  # the validator never crashed
    assert ingest.counters["internal_error"] == 0


VALID = [
    dm.hello(UUID, 3, 44100.0, 2),
    dm.meta(UUID, 3, "Lead", 0x00FF00, 4),
    dm.params(UUID, 3),
    dm.pcm(UUID, 3, 17, np.linspace(-1, 1, 512)),
    dm.transport(128.0, True, 4.0, 4, 4),
    dm.bye(UUID, 3),
    encode_message("/syn/layer/opacity", ["Lead", 0.5]),
]


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(data: bytes) -> None:
    handler, ingest = make_path()
    run(handler, ingest, data)
    assert handler.datagrams == 1


@FUZZ
@given(st.sampled_from(VALID), st.data())
def test_truncations_and_bit_flips_never_raise(valid: bytes, data: st.DataObject) -> None:
    handler, ingest = make_path()
    cut = data.draw(st.integers(0, len(valid)))
    run(handler, ingest, valid[:cut])
    flipped = bytearray(valid)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(valid) - 1))
        flipped[position] ^= 1 << data.draw(st.integers(0, 7))
    run(handler, ingest, bytes(flipped))


ARG = st.one_of(
    st.integers(-(2**31), 2**31 - 1),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.text(
        alphabet=st.characters(exclude_characters="\x00", exclude_categories=("Cs",)),
        max_size=300,
    ),
    st.binary(max_size=40),
    st.booleans(),
    st.none(),
)
ADDRESSES = st.sampled_from(
    [
        "/syn/hello",
        "/syn/transport",
        f"/syn/{UUID}/pcm",
        f"/syn/{UUID}/meta",
        f"/syn/{UUID}/params",
        f"/syn/{UUID}/bye",
        "/syn/layer/opacity",
        "/syn/layer/3/blend",
        "/syn/master/trails",
        "/syn/preset/load",
        "/syn/layer/reset",
        "/nope",
    ]
)


@FUZZ
@given(ADDRESSES, st.lists(ARG, max_size=8))
def test_wrongly_typed_messages_are_counted(address: str, args: list) -> None:
    handler, ingest = make_path()
    run(handler, ingest, encode_message(address, args))
    refused = sum(handler.counters.values())
    applied = handler.enqueued
    assert refused + applied >= 1


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.integers(-(2**31), 2**31 - 1),
    st.booleans(),
)
CONTROL_ADDRESSES = st.sampled_from(
    [f"/syn/layer/2/{prop}" for prop in ("opacity", "blend", "mute", "x", "rotation")]
    + [f"/syn/master/{prop}" for prop in ("opacity", "trails", "background", "freeze")]
)


@FUZZ
@given(CONTROL_ADDRESSES, NUMBERS)
def test_any_number_for_any_control_is_validated(address: str, value: object) -> None:
    handler, ingest = make_path()
    run(handler, ingest, encode_message(address, [value]))
    assert handler.enqueued + sum(handler.counters.values()) == 1


@FUZZ
@given(st.integers(0, 5000))
def test_huge_float_lists_are_refused(count: int) -> None:
    handler, ingest = make_path()
    samples = np.zeros(count, np.float32)
    data = encode_message(f"/syn/{UUID}/pcm", [1, 2, samples])
    run(handler, ingest, data)
    if len(data) > 4096:
        assert handler.counters["oversize"] == 1
    elif not 1 <= count <= 512:
        assert handler.counters["bad_types"] == 1
    else:
        assert ingest.registry.stream_totals()["samples"] == count


@settings(max_examples=60, deadline=None)
@given(st.permutations(list(range(40))), st.sets(st.integers(0, 39), max_size=10))
def test_loss_and_reorder_keep_counts_consistent(order: list[int], lost: set[int]) -> None:
    """Simulated network: drop some messages, deliver the rest in any order. Every
    delivered message is accepted, late or duplicate, and accepted + filled never exceeds
    what was sent."""
    handler, ingest = make_path()
    sent = [seq for seq in order if seq not in lost]
    for seq in sent:
        handler.handle(dm.pcm(UUID, 9, seq, np.ones(16)), "127.0.0.1", 0.0)
    drain(handler, ingest)
    c = next(iter(ingest.registry.tracks.values())).stream.counters
    assert c.packets + c.late + c.duplicate == len(sent)
    assert c.duplicate == 0
    if c.resets == 0:
        assert c.packets + c.lost <= 40


def test_a_full_queue_counts_overruns_instead_of_growing() -> None:
    handler = DatagramHandler(queue.SimpleQueue(), limit=3)
    for seq in range(5):
        handler.handle(dm.pcm(UUID, 1, seq, np.zeros(8)), "127.0.0.1", 0.0)
    assert handler.enqueued == 3 and handler.counters["overrun"] == 2
