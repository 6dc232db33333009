"""Whether planning the stroke present pays on this machine now, decided by measuring it.

Skipping plain tiles (:mod:`renderer.present_plan`) trades work: the composite pass is read
back and planned on the calling thread, and in return the rasteriser shades only part of the
output. Which side wins depends on the scene, the frame size and what else the machine runs.
Measured on the 2-core development machine (llvmpipe, 1280×720, ``bench/latency.py``, the
same run): with 8 tracks the two came out even end to end (render p50 10–11 ms planned
against 11–13 ms); with 16 tracks planning lost (render p95 25–29 ms against 19–20 ms,
display 45–51 against 54 fps, pictures 6–11 against 10–12 per track and second): the
read-back waits for the composite and the planning competes with the generators for a core.
A fixed rule (the share of the frame left to the present, a layer count) cannot see that.

So :class:`PlanChoice` runs short trials: blocks of frames planned and not planned in turn,
measured by the process's CPU time per frame (every thread of the process, the rasteriser's
included, which is where both the saving and the cost land), and keeps the mode with the
lower median until the next trial. Every frame in either mode draws the same picture, so the
trials cannot be seen.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

#: Frames per trial block; blocks alternate planned, not planned, planned, not planned.
TRIAL_BLOCK = 8
TRIAL_BLOCKS = 4
#: Frames the winner is kept before the next trial (15 s at 60 fps).
KEEP_FRAMES = 900
#: Planning is kept only if its median CPU per frame is below this share of the other's:
#: when the two are even, the simpler path (no read-back) is the one to keep.
PLAN_MARGIN = 0.97


class PlanChoice:
    """Frame by frame: plan the stroke present or draw it whole.

    Call :meth:`frame_began` at the start of every frame and :meth:`plan` where the frame
    would plan (only frames that ask are measured and counted). ``clock`` returns seconds
    of CPU time (default :func:`time.process_time`: all threads of this process).
    """

    def __init__(self, clock: Callable[[], float] = time.process_time) -> None:
        self._clock = clock
        self._last: float | None = None
        self._asked: bool | None = None  # the mode the frame now ending used, if it asked
        self._trial: dict[bool, list[float]] = {True: [], False: []}
        self._step = 0  # frames asked so far in this trial, or in this keep
        self._trying = True
        self._kept = False
        #: Trials decided so far, and how many kept planning (for stats and tests).
        self.trials = 0
        self.kept_planning = 0
        #: The last trial's median CPU seconds per frame, planned and not (None before).
        self.last_medians: tuple[float, float] | None = None

    def frame_began(self) -> None:
        """A new frame starts: the CPU time since the last one belongs to the mode it used."""
        now = self._clock()
        if self._last is not None and self._asked is not None and self._trying:
            self._trial[self._asked].append(now - self._last)
            if self._step >= TRIAL_BLOCK * TRIAL_BLOCKS:
                self._decide()
        self._last = now
        self._asked = None

    def plan(self) -> bool:
        """Whether this frame should plan its present (call once per frame at most)."""
        if self._trying:
            choice = (self._step // TRIAL_BLOCK) % 2 == 0
        else:
            choice = self._kept
            if self._step >= KEEP_FRAMES:
                self._trying, self._step = True, 0
                choice = True
        self._step += 1
        self._asked = choice
        return choice

    def _decide(self) -> None:
        planned = statistics.median(self._trial[True])
        whole = statistics.median(self._trial[False])
        self._kept = planned < PLAN_MARGIN * whole
        self.last_medians = (planned, whole)
        self.trials += 1
        self.kept_planning += self._kept
        self._trial = {True: [], False: []}
        self._trying, self._step = False, 0
