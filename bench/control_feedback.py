"""What controller feedback and a MIDI burst cost the show thread.

1. Feedback, per publish, at 8, 32 and 64 layers: each publish (at most 30 a second, only
   while a controller, a MIDI output or OSCQuery listens) captures the state
   (:func:`bridge.control.state.capture_state`), flattens it to addresses and diffs it
   against what one registered controller was sent. The reference, in the same run, is the
   work the show does every frame anyway: ``Looks.all_settings()`` for the same layers.
2. A MIDI burst: one frame's :data:`~bridge.control.midi_port.TAKE_LIMIT` (512) events from
   8 faders mapped to layers, turned into controls and applied. "before" is the earlier
   path, in the same run: every event encoded to OSC, parsed back and applied; "now" is
   :meth:`~bridge.control.midi_map.MidiMap.take` (the last position of each fader, events
   made from a template) and the same apply.

Prints milliseconds, ratios, and the machine's load.

    .venv/bin/python bench/control_feedback.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.control.feedback import changes
from bridge.control.midi_map import MidiEvent, MidiMap, MidiSource, _scaled, target_arg
from bridge.control.show_controls import ShowControls
from bridge.control.state import capture_state
from bridge.ingest.osc_codec import decode_message, encode_message
from bridge.ingest.protocol import interpret
from bridge.ingest.registry import DeviceParams
from bridge.show.keyboard import LooksKeyboard
from bridge.show.looks import Looks, TrackInfo


def best_ms(work, repeats: int = 50) -> float:
    """The fastest of ``repeats`` runs (ms): the least disturbed by other processes."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best * 1000.0


def looks_of(count: int) -> Looks:
    looks = Looks()
    looks.sync(
        TrackInfo(i, f"{i:08d}-0000-4000-8000-000000000000", f"T{i}", 0, i, True, DeviceParams(), 1)
        for i in range(count)
    )
    return looks


def midi_burst() -> None:
    """512 events of 8 faders (64 values each) → controls → applied; before and now."""
    midi = MidiMap()
    targets = [f"/syn/layers/{n}/opacity" for n in range(1, 9)]
    for number, target in enumerate(targets):
        midi.bind(MidiSource("cc", 0, number), target)
    burst = [MidiEvent("cc", 0, i % 8, (i // 8) / 63.0, "ctl") for i in range(512)]
    controls = ShowControls(LooksKeyboard(looks_of(8)))

    def before() -> None:  # the earlier path: one OSC message per event, all applied
        for event in burst:
            target = targets[event.number]
            value = _scaled(target_arg(target), event.value)
            controls.apply(interpret(decode_message(encode_message(target, [value]))))

    def now() -> None:
        for control in midi.take(burst):
            controls.apply(control)

    old, new = best_ms(before, 20), best_ms(now, 20)
    print()
    print("| MIDI burst (512 events) | before ms | now ms | before / now |")
    print("|---|---|---|---|")
    print(f"| 8 faders: to controls, applied | {old:.2f} | {new:.3f} | {old / new:.0f} |")

    # Encoders: every tick counts; a frame's ticks are added up into one step.
    encoders = MidiMap()
    for number, target in enumerate(targets):
        encoders.bind(MidiSource("cc", 0, number), target, mode="relative")
    ticks = [MidiEvent("cc", 0, i % 8, 1 / 127.0, "ctl") for i in range(512)]

    def before_ticks() -> None:
        for event in ticks:
            message = encode_message(targets[event.number], ["+", 0.01])
            controls.apply(interpret(decode_message(message)))

    def now_ticks() -> None:
        for control in encoders.take(ticks):
            controls.apply(control)

    old, new = best_ms(before_ticks, 20), best_ms(now_ticks, 20)
    print(f"| 8 encoders: ticks added up, applied | {old:.2f} | {new:.2f} | {old / new:.1f} |")


def main() -> None:
    print("| layers | publish ms | all_settings ms | ratio |")
    print("|---|---|---|---|")
    for count in (8, 32, 64):
        looks = looks_of(count)
        order = list(range(count))  # the scene's draw order, as the show passes it
        keyboard = LooksKeyboard(looks, draw_order=lambda order=order: order)
        sent = dict(capture_state(keyboard).values)
        looks.set_override(0, "opacity", 0.5)  # one change to find

        def publish(keyboard=keyboard, sent=sent) -> None:
            changes(sent, capture_state(keyboard).values)

        ms, reference = best_ms(publish), best_ms(looks.all_settings)
        print(f"| {count} | {ms:.3f} | {reference:.3f} | {ms / reference:.2f} |")
    midi_burst()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
