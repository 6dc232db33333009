"""A real JACK server for tests: ``jackd -d dummy`` under a unique name, started and stopped.

The dummy backend needs no sound hardware: it runs a real JACK graph on a timer, with
``system:capture_N`` and ``system:playback_N`` ports, so PortAudio's JACK host API and
JACK command-line clients (``jack_metro``, ``jack_connect``) work exactly as on a studio
machine. Each probe that fails skips with its reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

#: The rate and period the dummy server runs at.
JACK_RATE = 48000
JACK_PERIOD = 512


def jack_tool(name: str) -> str:
    """The path of a JACK command-line tool, or skip saying how to get it."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not found: install jackd2 (.ci/system-deps.sh does, as root)")
    return path


def jack(*args: str, timeout: float = 5.0) -> subprocess.CompletedProcess[str]:
    """Run one JACK tool against the server named in JACK_DEFAULT_SERVER."""
    return subprocess.run(
        [jack_tool(args[0]), *args[1:]], capture_output=True, text=True, timeout=timeout
    )


def ports(pattern: str = "") -> list[str]:
    """The server's port names (``jack_lsp``), those containing ``pattern``."""
    return [p for p in jack("jack_lsp").stdout.splitlines() if pattern in p]


def wait_for_port(pattern: str, timeout: float = 5.0) -> list[str]:
    """Ports containing ``pattern`` once at least one exists (empty after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = ports(pattern)
        if found:
            return found
        time.sleep(0.05)
    return []


@contextmanager
def dummy_server(log_dir: Path, capture: int = 2, playback: int = 2) -> Iterator[str]:
    """Start ``jackd -n NAME -d dummy`` and point JACK clients of this process at it.

    Sets JACK_DEFAULT_SERVER (libjack's server name) and JACK_NO_START_SERVER (no client
    may start a server of its own) for the duration; yields the server's name.
    """
    jackd = jack_tool("jackd")
    jack_tool("jack_wait")
    name = f"syn-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    saved = {k: os.environ.get(k) for k in ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER")}
    os.environ["JACK_DEFAULT_SERVER"] = name
    os.environ["JACK_NO_START_SERVER"] = "1"
    log_path = log_dir / "jackd.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [
                jackd,
                "-n",
                name,
                "-d",
                "dummy",
                "-r",
                str(JACK_RATE),
                "-p",
                str(JACK_PERIOD),
                "-C",
                str(capture),
                "-P",
                str(playback),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        ready = jack("jack_wait", "-w", "-t", "5", timeout=10.0)
        if "available" not in ready.stdout or server.poll() is not None:
            pytest.skip(
                f"jackd -d dummy did not start ({ready.stdout.strip()}): "
                f"{log_path.read_text()[-500:]}"
            )
        yield name
    finally:
        server.terminate()
        try:
            server.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
