"""Every tunable of the structure analysis in one frozen record (tuned on the tuning seeds
of ``bench/structure.py``; see ``docs/structure.md``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StructureConfig:
    """Parameters of the structure analysis.

    Attributes:
        bands: coarse spectral bands a bar fingerprint keeps per slot (pooled from the
            analysis window's 64 mel bands).
        slots_per_quarter: fingerprint slots per quarter note (2 = eighth notes: 8 slots in
            4/4, 6 in 3/4, 7 in 7/8).
        slot_lead: each slot starts this share of a slot before its nominal time, so notes
            played up to that early (humanised timing) still fall in their own slot.
        silence_db: a bar whose loudest frame is below this level (dBFS, per mel band
            maximum) is silent (its motif is None); a slot about it is heard in part
            (``fingerprint.HEARD_RAMP_DB``).
        repeat_slot: a repeat needs every slot's similarity at least this.
        repeat_mean: ... and the mean slot similarity at least this.
        variation_mean: below a repeat, a mean slot similarity at least this makes a
            variation of the closest motif; below it the bar is a new motif.
        first_slot_weight: how much of its shortfall from 1 the first slot's similarity
            keeps when a bar is matched against the motifs (it also holds the end of what
            was played before, through the slot lead: the same loop heard after another
            motif differs there). 1 (the default) counts it in full; 0.5 lifts the report
            set's keys motif F from 0.905 to 0.920 but costs section boundaries (the mix's
            offline F 0.901 → 0.868), see docs/structure.md.
        memory: motifs a track remembers (the least recently heard is forgotten first).
        kernel_bars: half-width in bars of the offline checkerboard kernel.
        novelty_offline: an offline novelty peak at least this is a section boundary.
        novelty_live: a live novelty at least this is a boundary (one bar of look-ahead).
            0.25 (was 0.2) on the tuning set: live boundaries F 0.916 → 0.969 with the
            transport, 0.910 → 0.949 with the tracker, 0.758 → 0.825 for the mix as one
            file (0.22 and 0.3 both less).
        novelty_live_cycle: live, a continuation novelty (the two bars before a bar went
            on by some period, it and the next do not; see ``sections.py``) at least this
            is a boundary too. 0.45 on the tuning side (36 pieces: the tuning set, 18 more
            seeds and the tuning seeds with the report set's programs): the mix as one file
            live 0.731 → 0.803, no stem path lower (0.4 and 0.5 less on the mix).
        novelty_offline_cycle: offline, the continuation novelty that counts as
            ``novelty_offline`` (both are peak-picked together). 0.3 on the tuning side:
            the mix as one file offline 0.893 → 0.910 (tuning set), 0.867 → 0.893 (18 more
            seeds), stems unchanged.
        cycle_lags: the periods (1 … this many bars) a bar may go on by.
        settle_bars: offline, a boundary's bar that matches one of this many bars before it
            better than any of this many after it starts the section one bar later (a fill
            closing a section raises the novelty a bar early; see
            ``sections.settle_boundary``). 0 turns it off. 2 on the tuning side (27
            pieces): the mix as one file offline 0.896 → 0.933, no other path lower.
        live_settle_bars: live and without a transport (the tracker's bars), a boundary
            whose bar matches one of this many bars before it better than the bar after
            it is taken for a fill: the boundary is reported at the next bar instead (still
            one bar of delay; see ``sections.is_fill``). 0 turns it off. 2 on the tuning
            side (27 pieces): the mix as one file live 0.898 → 0.900 (tuning set), 0.784 →
            0.808 (18 more seeds); with a transport it cost 0.947 → 0.936, so it is off
            there.
        min_section_bars: boundaries are at least this many bars apart.
        section_same: a new section whose bars are at least this similar to an earlier
            section's (each bar's best match, see ``sections.matched_similarity``) takes
            that section's label. 0.7 (0.6 with the mean over all pairs of bars) on the
            tuning side: offline section labels' pairwise F 0.898 → 0.934.
        late_bars: a track that has not delivered a bar when another track is this many
            bars further is counted late and reads as silent in that bar.
    """

    bands: int = 8
    slots_per_quarter: int = 2
    slot_lead: float = 0.25
    silence_db: float = -60.0
    repeat_slot: float = 0.45
    repeat_mean: float = 0.86
    variation_mean: float = 0.55
    first_slot_weight: float = 1.0
    memory: int = 64
    kernel_bars: int = 3
    novelty_offline: float = 0.08
    novelty_live: float = 0.25
    novelty_live_cycle: float = 0.45
    novelty_offline_cycle: float = 0.3
    cycle_lags: int = 4
    settle_bars: int = 2
    live_settle_bars: int = 2
    min_section_bars: int = 2
    section_same: float = 0.7
    late_bars: int = 2

    def __post_init__(self) -> None:
        if self.bands < 1 or self.slots_per_quarter < 1 or self.memory < 1:
            raise ValueError("bands, slots_per_quarter and memory must be at least 1")
        if not 0.0 <= self.slot_lead < 1.0:
            raise ValueError(f"slot_lead must be in [0, 1), got {self.slot_lead}")
        if not self.variation_mean <= self.repeat_mean <= 1.0:
            raise ValueError("need variation_mean <= repeat_mean <= 1")
        if not 0.0 <= self.first_slot_weight <= 1.0:
            raise ValueError(f"first_slot_weight must be in [0, 1], got {self.first_slot_weight}")
        if self.kernel_bars < 1 or self.min_section_bars < 1 or self.late_bars < 1:
            raise ValueError("kernel_bars, min_section_bars and late_bars must be at least 1")
        if self.settle_bars < 0 or self.live_settle_bars < 0:
            raise ValueError("settle_bars and live_settle_bars must be at least 0")
        if self.cycle_lags < 1 or min(self.novelty_live_cycle, self.novelty_offline_cycle) <= 0:
            raise ValueError(
                "cycle_lags must be at least 1, novelty_live_cycle and novelty_offline_cycle "
                "above 0"
            )


DEFAULT_STRUCTURE = StructureConfig()
