"""Serving the OSCQuery namespace: HTTP (the standard library's server, on its own thread)
and zeroconf advertisements: ``_oscjson._tcp`` (the OSCQuery server, for OSCQuery browsers)
and ``_osc._udp`` (the bridge's OSC port itself, which TouchOSC's connection browser lists).

``GET /`` gives the whole tree, ``GET /syn/master`` one node with its children,
``GET /syn/master/opacity?VALUE`` one attribute (``{"VALUE": [1.0]}``), ``?CONTENTS`` a
node's children, ``GET /?HOST_INFO`` where to send OSC. Unknown paths answer 404, an
attribute a node lacks 204 (as the proposal says). A connection idle for
:data:`REQUEST_TIMEOUT` seconds is closed, so idle clients cannot hold threads. The show
thread hands each new state to :meth:`OscQueryServer.update` (one reference
assignment); the HTTP thread builds the tree from the latest state when asked, so serving
never holds up a frame. Bound to 127.0.0.1 unless told otherwise, like the bridge itself;
zeroconf then announces it on that interface only.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from bridge.control import DEFAULT_OSCQUERY_PORT
from bridge.control.oscquery import find, host_info, namespace
from bridge.control.state import ControlState

log = logging.getLogger(__name__)

SERVICE_TYPE = "_oscjson._tcp.local."
#: The OSC port itself, as TouchOSC and other OSC apps browse for it.
OSC_SERVICE_TYPE = "_osc._udp.local."
#: Seconds a connection may sit idle (waiting for a request line or a header) before it
#: is closed.
REQUEST_TIMEOUT = 10.0
#: Longest request path answered (anything longer is not one of ours).
MAX_PATH_CHARS = 512


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        try:
            self._answer()
        except Exception:  # a bug answers 500; the server goes on
            log.exception("OSCQuery request %s", self.path[:80])
            self._send(500, None)

    def _answer(self) -> None:
        if len(self.path) > MAX_PATH_CHARS:
            self._send(414, None)
            return
        parts = urlsplit(self.path)
        path, query = unquote(parts.path), parts.query
        owner = self.server.owner
        if query == "HOST_INFO":
            self._send(200, owner.host_info())
            return
        node = find(owner.tree(), path)
        if node is None:
            self._send(404, None)
        elif not query:
            self._send(200, node)
        elif query in node:
            self._send(200, {query: node[query]})
        else:
            self._send(204, None)

    def _send(self, code: int, body: object | None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(code)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)
        self.server.owner.requests += 1

    def log_message(self, format: str, *args: object) -> None:
        log.debug("oscquery: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: OscQueryServer


class OscQueryServer:
    """The HTTP server (and, with ``advertise``, its zeroconf record); start, update, stop."""

    def __init__(
        self,
        *,
        osc_port: int,
        host: str = "127.0.0.1",
        port: int = DEFAULT_OSCQUERY_PORT,
        name: str = "synaesthete",
        advertise: bool = True,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        """Bind the HTTP port (0: any free one); ``request_timeout`` in seconds.

        Raises:
            OSError: the port is taken or the address is not this machine's.
        """
        self.osc_host = host
        self.osc_port = osc_port
        self.name = name
        self.advertise = advertise
        self.requests = 0
        self.state = ControlState()
        self._tree: tuple[ControlState, dict] | None = None
        self._tree_lock = threading.Lock()
        handler = type("_TimedHandler", (_Handler,), {"timeout": request_timeout})
        self._http = _Server((host, port), handler)
        self._http.owner = self
        self.address: tuple[str, int] = self._http.server_address[:2]  # type: ignore[assignment]
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="oscquery", daemon=True
        )
        self._zeroconf = None
        self._infos: list = []
        self._announcer: threading.Thread | None = None
        self._zc_lock = threading.Lock()  # the announcer registers, stop unregisters
        self._stopping = False
        self.advertise_error = ""

    def update(self, state: ControlState) -> None:
        """The show's newest state (called on the show thread)."""
        self.state = state

    def tree(self) -> dict:
        state = self.state
        with self._tree_lock:
            if self._tree is None or self._tree[0] is not state:
                self._tree = (state, namespace(state))
            return self._tree[1]

    def host_info(self) -> dict[str, object]:
        return host_info(self.name, self.osc_host, self.osc_port)

    def start(self) -> OscQueryServer:
        self._thread.start()
        if self.advertise:
            # Registering probes the network for ~0.5 s: off the caller's thread.
            self._announcer = threading.Thread(target=self._announce, name="zeroconf", daemon=True)
            self._announcer.start()
        log.info("OSCQuery on http://%s:%d/", *self.address)
        return self

    def _announce(self) -> None:
        try:
            from zeroconf import ServiceInfo, Zeroconf

            wide = self.address[0] in ("0.0.0.0", "")
            zc = Zeroconf() if wide else Zeroconf(interfaces=[self.address[0]])
            hosts = _local_addresses() if wide else [self.address[0]]
            addresses = [socket.inet_aton(a) for a in hosts]
            server = f"{socket.gethostname().split('.')[0]}-synaesthete.local."
            infos = [
                ServiceInfo(
                    SERVICE_TYPE,
                    f"{self.name}-{self.osc_port}.{SERVICE_TYPE}",
                    addresses=addresses,
                    port=self.address[1],
                    properties={"osc_port": str(self.osc_port), "osc_transport": "UDP"},
                    server=server,
                ),
                ServiceInfo(
                    OSC_SERVICE_TYPE,
                    f"{self.name}-{self.osc_port}.{OSC_SERVICE_TYPE}",
                    addresses=addresses,
                    port=self.osc_port,
                    server=server,
                ),
            ]
            with self._zc_lock:
                self._zeroconf = zc
                if self._stopping:  # stop came first: register nothing
                    return
            for info in infos:
                zc.register_service(info, allow_name_change=True)
                self._infos.append(info)
        except Exception as exc:  # no multicast, no interface: serve HTTP all the same
            self.advertise_error = str(exc) or type(exc).__name__
            log.warning("OSCQuery not announced over zeroconf: %s", self.advertise_error)

    def stop(self) -> None:
        """Withdraw the zeroconf records (goodbye packets) and stop serving; safe to call
        while the announcement is still under way, and more than once."""
        with self._zc_lock:
            self._stopping = True
        if self._announcer is not None:
            self._announcer.join(timeout=10.0)
        with self._zc_lock:
            zc, self._zeroconf = self._zeroconf, None
        if zc is not None:
            try:
                zc.unregister_all_services()
            except Exception as exc:  # the records then expire on their own (2 minutes)
                log.warning("zeroconf records not withdrawn: %s", exc)
            finally:
                zc.close()
            self._infos = []
        if self._thread.is_alive():
            self._http.shutdown()
            self._thread.join(timeout=2.0)
        self._http.server_close()

    def __enter__(self) -> OscQueryServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _local_addresses() -> list[str]:
    """This machine's IPv4 addresses (for announcing a server bound to all of them), from
    ``ifaddr``, zeroconf's own interface listing (zeroconf's ``get_all_addresses`` is
    deprecated in its favour)."""
    import ifaddr

    found = [
        str(ip.ip)
        for adapter in ifaddr.get_adapters()
        for ip in adapter.ips
        if isinstance(ip.ip, str) and not ip.ip.startswith("127.")
    ]
    return found or ["127.0.0.1"]
