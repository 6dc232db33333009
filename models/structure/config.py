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
            maximum) is silent (its motif is None); a slot below it is inactive.
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
        min_section_bars: boundaries are at least this many bars apart.
        section_same: a new section whose bars are at least this similar to an earlier
            section's (mean bar similarity) takes that section's label.
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
    min_section_bars: int = 2
    section_same: float = 0.6
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


DEFAULT_STRUCTURE = StructureConfig()
