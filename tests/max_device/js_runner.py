"""Run the device's JavaScript under node (tests/max_device/max_js_harness.js).

Scenarios are built with :class:`Scenario`, a small fluent list of harness steps, so each
test reads as "load, set the sample rate, turn the dial, one matrix arrives...".
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from max_device.build import SOURCE_DIR

HARNESS = Path(__file__).with_name("max_js_harness.js")
DEVICE_SCRIPT = SOURCE_DIR / "synaesthete.js"
NODE = shutil.which("node")
NODE_MISSING = "node is not installed; the device's JavaScript tests need node (v18 or later)"

TRACK_ID, SONG_ID, DEVICE_ID = 3, 1, 7
COUNTER_MODULO = 4194304  # count~ 0 4194304 in the patch; equals the script's constant


def counter_cell(index: int, decimation: int) -> float:
    """Plane 1 of stream sample ``index``: count~ averaged over ``decimation`` samples."""
    first = index * decimation
    values = [(first + k) % COUNTER_MODULO for k in range(decimation)]
    return sum(values) / decimation


def default_lom(
    *,
    name: str = "Bass",
    color: int = 0xFF3300,
    index: int = 2,
    tempo: float = 128.0,
    playing: int = 1,
    numerator: int = 7,
    denominator: int = 8,
    song_time: float = 33.5,
) -> dict[str, Any]:
    """A Live set with the device directly on a regular track."""
    return {
        "this_device": DEVICE_ID,
        "objects": {
            str(SONG_ID): {
                "path": "live_set",
                "type": "Song",
                "canonical_parent": 0,
                "props": {
                    "tempo": tempo,
                    "is_playing": playing,
                    "signature_numerator": numerator,
                    "signature_denominator": denominator,
                    "current_song_time": song_time,
                    "tracks": ["id", TRACK_ID],
                },
            },
            str(TRACK_ID): {
                "path": f"live_set tracks {index}",
                "type": "Track",
                "canonical_parent": SONG_ID,
                "props": {"name": name, "color": color},
            },
            str(DEVICE_ID): {
                "path": f"live_set tracks {index} devices 0",
                "type": "Device",
                "canonical_parent": TRACK_ID,
                "props": {"name": "Synaesthete"},
            },
        },
    }


@dataclass
class Scenario:
    """Harness steps for one run of the device script."""

    seed: int = 1
    lom: dict[str, Any] | None = field(default_factory=default_lom)
    instances: int = 1
    steps: list[dict[str, Any]] = field(default_factory=list)
    current: int = 0
    counters: dict[int, int] = field(default_factory=dict)  # stream samples caught so far

    def use(self, instance: int) -> Scenario:
        """Send the following steps to device ``instance`` (all share one Max Global)."""
        assert 0 <= instance < self.instances
        self.current = instance
        return self

    def _step(self, step: dict[str, Any]) -> Scenario:
        self.steps.append({**step, "instance": self.current})
        return self

    def call(self, name: str, *args: Any) -> Scenario:
        return self._step({"call": name, "args": list(args)})

    def matrix(
        self,
        name: str,
        rows: list[list[float]],
        *,
        width: int | None = None,
        decimation: int = 2,
        skip: int = 0,
    ) -> Scenario:
        """A matrix as jit.catch~ 2 outputs it: plane 0 the samples, plane 1 count~.

        The counter continues from this instance's previous matrix; ``skip`` stream
        samples are left out first, as a stall that overflowed the catch's buffer would.
        """
        width = width or (len(rows[0]) if rows else 0)
        start = self.counters.get(self.current, 0) + skip
        data: list[float] = []
        for index, value in enumerate(v for row in rows for v in row):
            data += [value, counter_cell(start + index, decimation)]
        self.counters[self.current] = start + width * len(rows)
        spec = {"name": name, "dim": [width, len(rows)], "planecount": 2, "data": data}
        return self._step({"matrix": spec})

    def advance(self, ms: int) -> Scenario:
        return self._step({"advance": ms})

    def lom_set(self, object_id: int, prop: str, value: Any) -> Scenario:
        return self._step({"lom_set": [object_id, prop, value]})

    def eval(self, expression: str) -> Scenario:
        return self._step({"eval": expression})

    def loaded(self, rate: float = 44100.0) -> Scenario:
        """The usual start: live.thisdevice bangs, then dspstate~ reports the rate."""
        return self.call("samplerate", rate).call("bang").call("restored")


@dataclass(frozen=True)
class Run:
    """What the script did: outlet calls in order, posts, evaluated values, errors."""

    emitted: list[dict[str, Any]]
    posts: list[str]
    evals: list[Any]
    errors: list[str]

    def on(self, outlet: int) -> list[list[Any]]:
        return [r["atoms"] for r in self.emitted if "script" not in r and r["outlet"] == outlet]


def run_scenario(scenario: Scenario, tmp_path: Path, script: Path = DEVICE_SCRIPT) -> Run:
    """Run ``scenario`` and return what happened; harness failures fail the test."""
    if NODE is None:  # pragma: no cover - guarded by the fixture
        raise RuntimeError(NODE_MISSING)
    spec = tmp_path / f"scenario-{len(list(tmp_path.glob('scenario-*')))}.json"
    spec.write_text(
        json.dumps(
            {
                "seed": scenario.seed,
                "instances": scenario.instances,
                "lom": scenario.lom,
                "steps": scenario.steps,
            }
        )
    )
    done = subprocess.run(
        [NODE, str(HARNESS), str(script), str(spec)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"harness failed ({done.returncode}):\n{done.stderr}")
    result = json.loads(done.stdout)
    return Run(result["emitted"], result["posts"], result["evals"], result["errors"])
