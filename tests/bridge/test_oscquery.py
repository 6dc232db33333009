"""OSCQuery: the namespace generated from the protocol table, served over HTTP to a real
client, and announced as ``_oscjson._tcp`` over zeroconf (browsed on loopback)."""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bridge.control.oscquery import find, host_info, namespace
from bridge.control.oscquery_server import OSC_SERVICE_TYPE, SERVICE_TYPE, OscQueryServer
from bridge.control.state import ControlState, LayerState
from bridge.ingest.protocol import LAYER_PROPS, MASTER_PROPS, MESSAGES

VALUES = (0.5, "screen", "squiggle", 1.0, 0, 1, 0.0, 0.0, 1.0, 0.0, "auto", 1.0)
MASTER = (1.0, 1.0, 0.0, 0, 0, "stage", "stroke", "track", 1, 0)


def state(*names_and_indexes: tuple[str, int], selected: int = 1) -> ControlState:
    layers = tuple(
        LayerState(n, f"k{n}", name, f"uuid-{n}", index, VALUES)
        for n, (name, index) in enumerate(names_and_indexes, start=1)
    )
    return ControlState(layers, selected if layers else 0, MASTER)


def test_every_control_address_is_in_the_namespace() -> None:
    root = namespace(state(("Kick", 0), ("Bass", 3)))
    for spec in MESSAGES:
        if spec.direction != "control":
            continue
        for prop in spec.props or [None]:
            address = spec.address.replace("{prop}", str(prop))
            address = address.replace("{number}", "2").replace("{index|uuid}", "3")
            node = find(root, address)
            assert node is not None, f"{spec.name}: {address} missing"
            assert node["FULL_PATH"] == address
            assert node["ACCESS"] & 2, address  # every control can be written
    assert find(root, "/syn/hello") is None  # device messages are for devices
    # Every reply a controller is sent is there to read; a device's status is not.
    for spec in MESSAGES:
        if spec.direction == "reply" and "{number}" not in spec.address:
            assert (find(root, spec.address) is not None) == (spec.name != "status"), spec.name
    assert find(root, "/syn/layers/2/motif")["ACCESS"] == 1


def test_host_info_leaves_out_a_wildcard_address() -> None:
    assert host_info("s", "127.0.0.1", 9000)["OSC_IP"] == "127.0.0.1"
    for wide in ("0.0.0.0", "", "::"):
        info = host_info("s", wide, 9000)
        assert "OSC_IP" not in info and info["OSC_PORT"] == 9000


def test_nodes_carry_type_range_value_and_description() -> None:
    root = namespace(state(("Kick", 0), ("Bass", 3), selected=2))
    opacity = find(root, "/syn/layers/2/opacity")
    assert opacity["TYPE"] == "f" and opacity["RANGE"] == [{"MIN": 0.0, "MAX": 1.0}]
    assert opacity["VALUE"] == [0.5] and opacity["ACCESS"] == 3
    assert "opacity" in opacity["DESCRIPTION"]
    blend = find(root, "/syn/selected/blend")
    assert blend["TYPE"] == "s" and blend["VALUE"] == ["screen"]
    assert "overlay" in blend["RANGE"][0]["VALS"]
    assert find(root, "/syn/layers/2/name") == {
        **find(root, "/syn/layers/2/name"),
        "ACCESS": 1,
        "VALUE": ["Bass"],
        "TYPE": "s",
    }
    assert find(root, "/syn/select")["VALUE"] == [2]
    by_selector = find(root, "/syn/layer/opacity")
    assert by_selector["TYPE"] == "sf" and by_selector["ACCESS"] == 2
    assert sorted(find(root, "/syn/master")["CONTENTS"]) == sorted(MASTER_PROPS)
    assert set(LAYER_PROPS) <= set(find(root, "/syn/layers/1")["CONTENTS"])


def test_layer_nodes_appear_and_vanish_with_tracks() -> None:
    two = namespace(state(("Kick", 0), ("Bass", 3)))
    assert sorted(find(two, "/syn/layers")["CONTENTS"]) == ["1", "2", "count"]
    assert find(two, "/syn/layer/3/opacity") is not None  # Live's track 3
    one = namespace(state(("Kick", 0)))
    assert find(one, "/syn/layers/2") is None and find(one, "/syn/layer/3") is None
    none = namespace(state())
    assert sorted(find(none, "/syn/layers")["CONTENTS"]) == ["count"]
    assert find(none, "/syn/selected/opacity")["ACCESS"] == 2  # nothing to read


def get(url: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read()
            return response.status, json.loads(body) if body else None
    except urllib.error.HTTPError as error:
        return error.code, None


def test_a_real_http_client_reads_the_tree_nodes_attributes_and_host_info() -> None:
    with OscQueryServer(osc_port=9123, port=0, advertise=False) as server:
        base = f"http://127.0.0.1:{server.address[1]}"
        status, root = get(base + "/")
        assert status == 200 and root["FULL_PATH"] == "/" and "syn" in root["CONTENTS"]
        status, info = get(base + "/?HOST_INFO")
        assert info["OSC_PORT"] == 9123 and info["OSC_TRANSPORT"] == "UDP"
        assert info["EXTENSIONS"]["VALUE"] is True
        assert get(base + "/syn/layers/1/opacity")[0] == 404  # no layers yet
        server.update(state(("Kick", 0)))
        status, node = get(base + "/syn/layers/1/opacity")
        assert status == 200 and node["VALUE"] == [0.5]
        assert get(base + "/syn/layers/1/opacity?VALUE") == (200, {"VALUE": [0.5]})
        assert get(base + "/syn/layers/1/opacity?RANGE")[1] == {"RANGE": [{"MIN": 0.0, "MAX": 1.0}]}
        assert get(base + "/syn/layer/opacity?VALUE")[0] == 204  # write-only: no value
        status, contents = get(base + "/syn/master?CONTENTS")
        assert status == 200 and sorted(contents["CONTENTS"]) == sorted(MASTER_PROPS)
        assert get(base + "/nowhere")[0] == 404
        assert get(base + "/" + "x" * 600)[0] == 414
        assert server.requests >= 8


def multicast_on_loopback() -> str:
    """Why zeroconf cannot run on loopback here, or "" when it can."""
    try:
        flags = int(Path("/sys/class/net/lo/flags").read_text().strip(), 16)
    except (OSError, ValueError) as exc:
        return f"cannot read the loopback interface's flags: {exc}"
    if not flags & 0x1000:  # IFF_MULTICAST
        return "multicast is off on lo (ip link set lo multicast on, as root)"
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
    except OSError as exc:
        return f"cannot send multicast from 127.0.0.1: {exc}"
    finally:
        probe.close()
    return ""


def test_a_server_on_every_interface_tells_no_wildcard_and_idle_clients_are_dropped() -> None:
    with OscQueryServer(
        osc_port=9125, host="0.0.0.0", port=0, advertise=False, request_timeout=0.3
    ) as server:
        status, info = get(f"http://127.0.0.1:{server.address[1]}/?HOST_INFO")
        assert status == 200 and "OSC_IP" not in info and info["OSC_PORT"] == 9125
        idle = socket.create_connection(("127.0.0.1", server.address[1]), timeout=5.0)
        try:
            idle.sendall(b"GET / HTTP/1.1\r\n")  # and then nothing more
            assert idle.recv(4096) == b""  # the server hung up; it did not wait for ever
        finally:
            idle.close()
        assert get(f"http://127.0.0.1:{server.address[1]}/")[0] == 200  # still serving


@pytest.mark.slow
def test_a_zeroconf_browse_on_loopback_finds_the_server() -> None:
    why = multicast_on_loopback()
    if why:
        pytest.skip(why)
    from zeroconf import ServiceBrowser, ServiceListener, Zeroconf

    found: dict[str, object] = {}
    seen = threading.Event()

    class Listener(ServiceListener):
        def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            info = zc.get_service_info(type_, name, timeout=3000)
            if info is not None:
                found[name] = info
                seen.set()

        def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            pass

        def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            found.pop(name, None)

    osc_found: dict[str, object] = {}
    osc_seen = threading.Event()
    gone = threading.Event()

    class OscListener(ServiceListener):
        def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            info = zc.get_service_info(type_, name, timeout=3000)
            if info is not None and name.startswith("syn-test"):
                osc_found[name] = info
                osc_seen.set()

        def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            pass

        def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            if name.startswith("syn-test"):
                gone.set()

    server = OscQueryServer(osc_port=9124, port=0, name="syn-test").start()
    browser_zc = Zeroconf(interfaces=["127.0.0.1"])
    try:
        ServiceBrowser(browser_zc, SERVICE_TYPE, Listener())
        ServiceBrowser(browser_zc, OSC_SERVICE_TYPE, OscListener())
        assert seen.wait(10.0), f"not found; announcer said: {server.advertise_error!r}"
        (info, *_) = [i for n, i in found.items() if n.startswith("syn-test")]
        assert info.port == server.address[1]
        assert info.parsed_addresses() == ["127.0.0.1"]
        assert info.properties[b"osc_port"] == b"9124"
        # What it finds is the server: its HOST_INFO over HTTP.
        status, host = get(f"http://127.0.0.1:{info.port}/?HOST_INFO")
        assert status == 200 and host["OSC_PORT"] == 9124
        # TouchOSC's browser looks for the OSC port itself.
        assert osc_seen.wait(10.0), "_osc._udp not found"
        (osc_info,) = osc_found.values()
        assert osc_info.port == 9124 and osc_info.parsed_addresses() == ["127.0.0.1"]
        # Stopping withdraws the records: browsers see them go (no 2-minute ghost).
        server.stop()
        assert gone.wait(10.0), "the records were not withdrawn"
    finally:
        server.stop()
        browser_zc.close()


def test_the_bridge_session_serves_its_own_osc_port(tmp_path) -> None:
    from bridge.control.session import ControlOptions, ControlSession
    from bridge.ingest.service import BridgeService

    with BridgeService(port=0) as service:
        options = ControlOptions(oscquery_port=0, oscquery_advertise=False, presets_dir=tmp_path)
        with ControlSession(options, service) as session:
            assert session.io.on_state is not None and session.io.learner is None
            port = session.oscquery.address[1]
            status, info = get(f"http://127.0.0.1:{port}/?HOST_INFO")
            assert status == 200 and info["OSC_PORT"] == service.address[1]
            session.io.on_state(state(("Kick", 0)))
            assert get(f"http://127.0.0.1:{port}/syn/layers/1/name?VALUE")[1] == {"VALUE": ["Kick"]}


def test_command_line_control_options(capsys) -> None:
    import argparse

    from cli.control import OSCQUERY_PORT, add_control_options, control_options

    parser = argparse.ArgumentParser()
    add_control_options(parser)
    plain = control_options(parser.parse_args([]))
    assert plain.midi is None and plain.oscquery_port is None and plain.feedback == []
    args = parser.parse_args(
        ["--midi", "--midi", "nano", "--feedback", "127.0.0.1:9002", "--oscquery"]
    )
    options = control_options(args)
    assert options.midi == ["nano"] and options.feedback == [("127.0.0.1", 9002)]
    assert options.oscquery_port == OSCQUERY_PORT
    assert control_options(parser.parse_args(["--midi"])).midi == []  # every input
    with pytest.raises(SystemExit):
        parser.parse_args(["--feedback", "localhost"])
    # A host name is resolved once, at start; one that does not resolve is a clear error.
    named = control_options(parser.parse_args(["--feedback", "localhost:9002"]))
    assert named.feedback == [("127.0.0.1", 9002)]
    with pytest.raises(SystemExit):
        parser.parse_args(["--feedback", "no-such-host.invalid:9002"])
    assert "cannot resolve 'no-such-host.invalid'" in capsys.readouterr().err
