"""The bridge's terminal view: one line per track with a level meter and packet counts.

:func:`format_view` is pure (snapshot in, text out) so it is tested without a terminal;
:class:`TerminalView` adds the rates between refreshes and the printing.
"""

from __future__ import annotations

import sys
from typing import TextIO

from bridge.ingest.service import Snapshot, TrackView

METER_WIDTH = 20
METER_FLOOR_DB = -60.0
_BLOCKS = " ▏▎▍▌▋▊▉█"


def level_meter(level_db: float, width: int = METER_WIDTH) -> str:
    """A bar of ``width`` cells: empty at -60 dBFS or below, full at 0 dBFS."""
    fraction = min(max((level_db - METER_FLOOR_DB) / -METER_FLOOR_DB, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, rest = divmod(eighths, 8)
    bar = "█" * full + (_BLOCKS[rest] if rest else "")
    return bar.ljust(width)


def _rate(track: TrackView, previous: Snapshot | None, now: float) -> float:
    if previous is None or now <= previous.time:
        return 0.0
    for old in previous.tracks:
        if old.uuid == track.uuid and old.nonce == track.nonce:
            return (track.counters["packets"] - old.counters["packets"]) / (now - previous.time)
    return 0.0


def format_view(snapshot: Snapshot, previous: Snapshot | None = None) -> str:
    """The whole view as text: header, one row per track, and the drop counters."""
    host, port = snapshot.address
    lines = []
    transport = "no transport"
    if snapshot.transport is not None:
        t = snapshot.transport
        state = "playing" if t.playing else "stopped"
        transport = (
            f"{t.tempo:.1f} BPM {state}  bar {t.bar + 1} beat {int(t.beat % t.bar_length) + 1}"
        )
    lines.append(
        f"synaesthete bridge  {host}:{port}  tracks {len(snapshot.tracks)}/"
        f"{snapshot.max_tracks}  {transport}"
    )
    lines.append(
        f"{'#':>3}  {'track':<16} {'level':<{METER_WIDTH}} {'dB':>5} {'pkt/s':>6} "
        f"{'lost':>5} {'late':>5} {'dup':>4} {'bad':>4}  state"
    )
    for track in snapshot.tracks:
        c = track.counters
        index = str(track.track_index) if track.track_index >= 0 else "-"
        lines.append(
            f"{index:>3}  {track.name[:16]:<16} {level_meter(track.level_db)} "
            f"{max(track.level_db, -99):5.0f} {_rate(track, previous, snapshot.time):6.1f} "
            f"{c['lost']:5d} {c['late']:5d} {c['duplicate']:4d} "
            f"{c['malformed'] + c['nonfinite']:4d}  {track.state}"
        )
    if not snapshot.tracks:
        lines.append("     (no devices yet: start Live with the device, or `synaesthete simulate`)")
    dropped = {k: v for k, v in sorted(snapshot.counters.items()) if v and k != "controls"}
    summary = ", ".join(f"{k} {v}" for k, v in dropped.items()) or "none"
    lines.append(f"datagrams {snapshot.datagrams}  dropped: {summary}")
    for key, value in snapshot.extra.items():
        lines.append(f"{key}: {value}")
    return "\n".join(lines)


class TerminalView:
    """Prints the view in place on a terminal, or as plain blocks into a log/pipe."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.previous: Snapshot | None = None
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())

    def show(self, snapshot: Snapshot) -> None:
        text = format_view(snapshot, self.previous)
        self.previous = snapshot
        if self.interactive:
            self.stream.write("\x1b[H\x1b[J" + text + "\n")
        else:
            self.stream.write(text + "\n\n")
        self.stream.flush()
