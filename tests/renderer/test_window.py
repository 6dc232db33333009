"""A real glfw window under a display (Xvfb in CI): frames, keys, HUD hooks, screenshots.

The checks live in ``window_checks.py`` and run in one child process (see its docstring for
why). Without DISPLAY they skip and say why; ``make test`` runs the suite through
``.ci/with-display.sh``, which starts Xvfb when it is installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.renderer.window_checks import CHECKS

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.window,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY"),
        reason="no X display: run under .ci/with-display.sh (Xvfb) to test the glfw window",
    ),
]


@pytest.fixture(scope="module")
def outcomes() -> dict[str, str]:
    """Run every window check once in a fresh process; map check name -> "ok" or traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.renderer.window_checks"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"window checks crashed:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_window(outcomes, name):
    assert outcomes[name] == "ok", outcomes[name]
