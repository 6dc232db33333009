"""Bar fingerprints: a bar summarised slot by slot (eighth notes by default), and how alike
two bars are.

Each slot keeps its coarse spectral shape (band levels relative to the bar's loudest,
in dB), its pitch-class content (energy-weighted chroma), its attack (strongest onset) and
how active it is relative to the bar's loudest moment in its own band. The first slot
keeps only what was struck in it (not the bar before's ring), and where that is in doubt
its difference counts less; a ring against a strike of the same pitch is alike (a note
re-struck on the pitch held before it, heard struck in one bar and not in the next). Where
the bar before still rings on through the bar (a fill's last tom), the fingerprint also
keeps the bar with that ring taken out (:attr:`Fingerprint.unrung`): a ring only dies away,
so it cannot stand for what is struck anew. A slot about the silence level is heard in
part (a humanised note dying away to it is on either side of it from hearing to hearing).
Levels enter only relative to the bar, so a bar played a few dB louder or softer keeps its
fingerprint; a changed note, a changed rhythm or a changed sound does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from models.structure.clock import RawBar
from models.structure.config import StructureConfig
from models.structure.frames import Frames, rise_lag

#: A slot this far (dB) under the bar's loudest, in the coarse band where it is loudest
#: (see :func:`_activity`), counts as inactive; activity ramps up linearly over
#: :data:`ACTIVITY_RAMP_DB` above it.
ACTIVITY_FLOOR_DB = 50.0
ACTIVITY_RAMP_DB = 10.0
#: A slot is heard (may be active at all) in full from this many dB over the silence level
#: (:attr:`StructureConfig.silence_db`) and not at all from this many under it, linearly
#: between: a note humanised by ±6 dB that has died away to about that level by a slot (a
#: piano chord held over most of a bar, 40 dB down by its sixth eighth) is heard there in
#: one hearing and not in the next.
HEARD_RAMP_DB = 6.0
#: Bands this far (dB) under the bar's loudest band are their own reference for activity.
BAND_SPAN_DB = 30.0
#: Onset strength (mean dB rise) at which a slot counts as half attacked.
ATTACK_DB = 2.0
#: Attack activations below this count as no attack (noise in the onset strength).
ATTACK_FLOOR = 0.5
#: Strength of an attack pattern that counts as clear: the sum of its activations above the
#: floor over halves and bands (a piano chord's strike ≈ 2.9, a hi-hat over three bands ≈
#: 1.2, a held chord's partials beating in one band ≈ 0.05–0.25). Fainter patterns are
#: compared against this, not against each other. The sum, not the length, of the pattern:
#: a broad rise counts more than as high a rise in one band, so the beating of a held,
#: humanised chord (which moves from one hearing to the next) barely counts.
ATTACK_CLEAR = 0.6
#: A slot counts as struck (its attack pattern compared) as far as its strongest onset
#: (mean dB rise over the mel bands) is above :data:`QUIET_ONSET_DB`, fully from
#: :data:`SURE_ONSET_DB`: on the tuning material a held chord's slots (its partials
#: beating) stay under 0.64 dB in 99 %, struck slots of every stem are over 1.5 dB in 99 %
#: (hi-hats re-struck over a ringing one are the faintest).
QUIET_ONSET_DB = 0.3
SURE_ONSET_DB = 1.3
#: Onset strength (dB) above which a slot counts as struck (active), fully at twice it.
HIT_DB = 3.0
#: Onset strength (dB) from which a frame of a bar's first slot begins the bar's own sound
#: (see :func:`_own`): a held note's tail beating over the bar line rises up to 1.4 dB on
#: the tuning set's leads, a note struck there at least 2.6 dB (a bass note struck on its
#: own ringing tail from 1.0 dB, below 2 in 8 of 1068 bars).
STRIKE_DB = 2.0
#: How far (dB) from :data:`STRIKE_DB` the first slot's strongest onset must be for the
#: slot's belonging to be sure: nearer, the slot may be a strike in one hearing and the
#: bar before's ring in the next (a saw lead's ring beats with onsets about 2 dB), and
#: its difference counts only as far as it is sure (see :attr:`Fingerprint.sure`).
STRIKE_DOUBT_DB = 1.0
#: Power-law compression of chroma shares (and their frames' weights).
CHROMA_POWER = 0.5
#: Weight of pitch content against attack + shape (1) in a tonal slot, and the largest
#: chroma component at which a slot counts as fully tonal (0.58 = an even triad).
PITCH_WEIGHT = 2.0
ATTACK_WEIGHT = 1.5
SHAPE_WEIGHT = 0.5
TONAL_PEAK = 0.55
#: Shares of a slot's sound with a pitch below which its chroma does not count, and from
#: which it counts fully.
VOICED_FLOOR = 0.25
VOICED_FULL = 0.6
#: A bar without any attack that fades by this much (dB) by its end holds only the tail
#: of the bar before: it counts as silent.
TAIL_DROP_DB = 30.0
TAIL_START_DB = 6.0
#: Band level differences up to this many dB are tolerated (humanised velocities)...
SHAPE_TOLERANCE_DB = 3.0
#: ... and the mean excess over it at which the shape similarity falls to 1/e.
SHAPE_DB = 4.0
#: The bar's sound as a whole (see :func:`_sound_similarity`): the share of a slot's
#: similarity it can take away, the difference (dB) tolerated (on repeats of the tuning set
#: the mean shape difference stays below 1.9 dB in 99 %), the excess at which the
#: similarity falls to 1/e, and the weight of the sustain's difference in it.
SOUND_DEPTH = 0.3
SOUND_TOLERANCE_DB = 2.2
SOUND_DB = 0.5
SUSTAIN_SHARE = 0.25
#: A slot's spectral shape spans this many dB below its loudest band.
SHAPE_RANGE_DB = 40.0
#: The bar before's ring (see :func:`_unrung`): the least it dies away (dB per second)
#: wherever it is hidden under the bar's own sound, the level (dB) a band is left at when
#: all of it was ring, and the least it must move some band of the bar to be heard.
RING_DECAY_DB_S = 5.0
RING_FLOOR_DB = -100.0
RING_MIN_DB = 1.0


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """One bar of one track (or of the mix).

    Attributes:
        slots: number of slots (``round(bar quarters × slots_per_quarter)``).
        activity: ``(slots,)`` 0 (silent) … 1 (within the bar's loud range).
        shape: ``(slots, bands)`` band levels relative to the slot's loudest band, dB
            (``-SHAPE_RANGE_DB`` … 0).
        chroma: ``(slots, 12)`` unit-length pitch-class vectors (0 where no pitch).
        pitched: ``(slots,)`` 0 … 1, the share of the slot's sound (amplitude-weighted
            frames) that has a pitch at all: pitch counts only as far as it is there (a
            kick's tail below the chroma's range leaves only noise in its chroma).
        sustain: ``(slots,)`` mean level of the slot's frames relative to its loudest, dB
            (``-SHAPE_RANGE_DB`` … 0): how a sound holds between its attacks (a plucked
            note near -20, an opened, held one near -5), whatever the bar's level.
        attack: ``(slots, 2, bands)`` 0 … 1, how strong the strongest onset is in each
            half of the slot and each band.
        power: ``(slots, bands)`` mean band power (linear), for mixing fingerprints.
        level: the bar's loudest frame, dB.
        covered: ``(slots,)`` whether the slot was heard (False at the end of a bar cut
            short, and for the first slot of a bar whose lead was not heard).
        silent: the whole bar is below the silence level.
        broad: ``(slots,)`` 0 … 1, how broadly the slot was struck (its strongest onset
            between :data:`QUIET_ONSET_DB` and :data:`SURE_ONSET_DB`): attack patterns
            count as far as one of two slots was struck.
        lead_missing: the frames before the bar's start (its slot lead) were not heard
            (the stream's first bar): its first slot may lack the tail of a bar before, or
            hold one as if struck, so it is not compared.
        sure: ``(slots,)`` 0 … 1, how sure it is that the slot holds what it holds (1 but
            in the first slot, whose strongest onset within :data:`STRIKE_DOUBT_DB` of
            :data:`STRIKE_DB` leaves open whether it was struck or holds the bar before's
            ring); a slot's difference from another counts only as far as both are sure.
            None: sure throughout.
        ring: ``(slots,)`` 0 … 1, nonzero only in a first slot that sounded without a
            strike (it reads inactive: the bar before's last note ringing on), as active
            as that ring was; :attr:`chroma` then holds the ring's pitch there. A note
            re-struck on the pitch the bar before held is heard as a strike in one hearing
            and as that ring in the next (a synth's new voice meeting the old one's
            release, in phase or not): against a struck first slot, a ring of the same
            pitch is alike (see :func:`slot_similarity`). None: no ring.
        unrung: the same bar with the bar before's ring taken out of its levels (power,
            shape, activity, sustain; see :func:`_unrung`), where one was heard: a drum
            fill's last tom ringing on through the loop's next bar. Motifs match it only
            where the bar as heard repeats nothing (see ``motifs.py``). None: no ring.
    """

    slots: int
    activity: np.ndarray
    shape: np.ndarray
    chroma: np.ndarray
    attack: np.ndarray
    power: np.ndarray
    level: float
    covered: np.ndarray
    silent: bool
    pitched: np.ndarray
    sustain: np.ndarray
    broad: np.ndarray
    lead_missing: bool = False
    sure: np.ndarray | None = None
    ring: np.ndarray | None = None
    unrung: Fingerprint | None = None


def slot_count(length: float, cfg: StructureConfig) -> int:
    """Slots of a bar ``length`` quarters long (at least 1)."""
    return max(1, round(length * cfg.slots_per_quarter))


def fingerprint(bar: RawBar, cfg: StructureConfig) -> Fingerprint:
    """The fingerprint of one track's bar."""
    slots = slot_count(bar.length, cfg)
    frames = bar.frames
    bands = cfg.bands
    if len(frames) == 0:
        return _silent(slots, bands, np.zeros(slots, bool))
    slot_len = bar.length / slots
    position = (bar.beats - bar.start_beat) / slot_len + cfg.slot_lead
    which = np.clip(np.floor(position).astype(np.int64), 0, slots - 1)
    covered = np.bincount(which, minlength=slots) > 0
    lead_missing = bool(position[0] > cfg.slot_lead / 2) if cfg.slot_lead > 0 else False
    # the tail of the bar before: loud from the window's first frame (nothing rises), no
    # attack after the first slot (which may hold the bar before's late onsets), and
    # fading away by the end; only where the window's start was heard (a sound from the
    # stream's first sample began there)
    top = float(frames.level.max())
    last = int(np.flatnonzero(covered)[-1]) if covered.any() else 0
    last_level = float(frames.level[which == last].max())
    later = frames.onset[which >= 1]
    tail_only = (
        not lead_missing
        and float(frames.level[0]) >= top - TAIL_START_DB
        and (later.size == 0 or float(later.max()) < HIT_DB)
        and last_level < top - TAIL_DROP_DB
    )
    if top < cfg.silence_db or tail_only:
        return _silent(slots, bands, covered, _mean_power(frames, which, slots), top)
    sure = None
    ring_chroma = None
    unrung_bands = None
    if lead_missing:
        # what sounds from the stream's first sample may have been struck there or be the
        # ring of a bar never heard: the first slot is not compared (as if not heard)
        covered = covered.copy()
        covered[0] = False
    else:
        kept, doubt = _own(frames, which)
        sure = np.ones(slots)
        sure[0] = 1.0 - doubt
        if not kept.any():
            return _silent(slots, bands, covered, _mean_power(frames, which, slots), top, sure)
        first = which == 0
        if first.any() and not kept[first].any():
            ring_activity = float(_activity(frames.bands, which, slots)[0])
            if ring_activity > 0.0 and float(frames.level[first].max()) >= cfg.silence_db:
                ring_chroma = (ring_activity, _pooled_chroma(frames.take(first)))
        unrung_bands = _unrung(frames, kept)
        frames, position, which = frames.take(kept), position[kept], which[kept]
    level = float(frames.level.max())
    power, shape, activity, sustain, heard = _levels(frames.bands, frames.level, which, slots, cfg)
    # compressed (power ** CHROMA_POWER) so the quieter notes of a chord still count: a
    # humanised chord's notes differ by up to 12 dB
    weight = 10.0 ** (CHROMA_POWER * frames.level / 10.0)
    chroma = np.zeros((slots, 12))
    np.add.at(chroma, which, frames.chroma**CHROMA_POWER * weight[:, None])
    norm = np.linalg.norm(chroma, axis=1, keepdims=True)
    chroma = np.divide(chroma, norm, out=np.zeros_like(chroma), where=norm > 0)
    ring = None
    if ring_chroma is not None:
        ring = np.zeros(slots)
        ring[0], chroma[0] = ring_chroma
    has_pitch = frames.chroma.sum(axis=1) > 0
    total = np.bincount(which, weight, minlength=slots)
    voiced = np.bincount(which, weight * has_pitch, minlength=slots)
    pitched = np.divide(voiced, total, out=np.zeros(slots), where=total > 0)
    onset = np.zeros(slots)
    np.maximum.at(onset, which, frames.onset)
    # a band rise is placed in the middle of the span it was measured over
    rise_at = position - rise_lag() * bar.tempo / 60.0 / slot_len
    rise_slot = np.clip(np.floor(rise_at).astype(np.int64), 0, slots - 1)
    half = np.clip(np.floor((rise_at - rise_slot) * 2).astype(np.int64), 0, 1)
    halves = np.zeros((slots, 2, bands))
    np.maximum.at(halves, (rise_slot, half), frames.band_onset)
    attack = halves / (halves + ATTACK_DB)
    # how broadly the slot was struck: a held chord's partials beating rise a few dB in a
    # band or two, with hardly any onset
    broad = np.clip((onset - QUIET_ONSET_DB) / (SURE_ONSET_DB - QUIET_ONSET_DB), 0.0, 1.0)
    # a clear attack makes a slot active however quiet it is (a soft hi-hat)
    struck = np.clip((onset - HIT_DB) / HIT_DB, 0.0, 1.0)
    activity = np.maximum(activity, struck * heard)
    unrung = None
    if unrung_bands is not None:
        u_bands, u_level = unrung_bands
        u_power, u_shape, u_activity, u_sustain, u_heard = _levels(
            u_bands, u_level, which, slots, cfg
        )
        unrung = (u_power, u_shape, np.maximum(u_activity, struck * u_heard), u_sustain)
    print_ = Fingerprint(
        slots=slots,
        activity=activity,
        shape=shape,
        chroma=chroma,
        attack=attack,
        power=power,
        level=level,
        covered=covered,
        silent=False,
        pitched=pitched,
        sustain=sustain,
        broad=broad,
        lead_missing=lead_missing,
        sure=sure,
        ring=ring,
    )
    if unrung is None:
        return print_
    u_power, u_shape, u_activity, u_sustain = unrung
    return replace(
        print_,
        unrung=replace(
            print_, power=u_power, shape=u_shape, activity=u_activity, sustain=u_sustain
        ),
    )


def _levels(
    bands_db: np.ndarray,
    level_db: np.ndarray,
    which: np.ndarray,
    slots: int,
    cfg: StructureConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(power, shape, activity, sustain, heard)`` of a bar's own frames (coarse band
    levels ``bands_db`` (frames, bands) and loudest-band levels ``level_db``, dB, in slots
    ``which``): activity without the strikes (see :func:`fingerprint`), scaled by how far
    each slot is heard, and ``heard`` ``(slots,)`` 0 … 1: 1 where the slot's loudest frame is
    :data:`HEARD_RAMP_DB` or more over the silence level, 0 that far under it."""
    count = np.maximum(np.bincount(which, minlength=slots), 1).astype(np.float64)
    power = np.zeros((slots, bands_db.shape[1]))
    np.add.at(power, which, 10.0 ** (bands_db / 10.0))
    power /= count[:, None]
    slot_level = np.full(slots, -200.0)
    np.maximum.at(slot_level, which, level_db)
    heard = np.clip(0.5 + (slot_level - cfg.silence_db) / (2.0 * HEARD_RAMP_DB), 0.0, 1.0)
    activity = _activity(bands_db, which, slots) * heard
    shape = _shape(10.0 * np.log10(np.maximum(power, 1e-10)))
    below = np.maximum(level_db - slot_level[which], -SHAPE_RANGE_DB)
    sustain = np.bincount(which, below, minlength=slots) / count
    return power, shape, activity, sustain, heard


def _unrung(frames: Frames, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The bar's own frames (``kept``) with the bar before's ring taken out, or None where
    no ring is heard.

    The ring is what sounded at the bar line (the first slot's frames before the bar's
    first strike) in each coarse band, and a ring only dies away: in a band, it can be no
    louder at any moment than the band itself then, nor than the band at any earlier moment
    since the bar line less :data:`RING_DECAY_DB_S` per second since. The largest ring so
    bounded is taken out (powers subtract); what is struck anew over it (a kick, an open
    hat in its own slot) stands out of it and stays, as do attacks, pitch and onsets.

    Returns:
        ``(bands, level)`` of the kept frames (dB), or None when taking the ring out moves
        no band of them by :data:`RING_MIN_DB` or more.
    """
    if kept.all() or kept[0]:
        return None  # nothing heard before the first strike (the slot's frames come first)
    time = frames.time - frames.time[0]
    drop = RING_DECAY_DB_S * time[:, None]
    # the largest ring each band allows: its lowest level since the bar line, decayed since
    ring_db = (np.minimum.accumulate(frames.bands + drop, axis=0) - drop)[kept]
    bands = frames.bands[kept]
    power = 10.0 ** (bands / 10.0)
    left = np.maximum(power - 10.0 ** (ring_db / 10.0), 10.0 ** (RING_FLOOR_DB / 10.0))
    out = 10.0 * np.log10(left)
    if float((bands - out).max(initial=0.0)) < RING_MIN_DB:
        return None
    # the loudest mel band moves as the coarse bands' total does
    scale = 10.0 * np.log10(left.sum(axis=1) / np.maximum(power.sum(axis=1), 1e-30))
    return out, frames.level[kept] + scale


def _pooled_chroma(frames: Frames) -> np.ndarray:
    """``(12,)`` the unit, compressed chroma of ``frames`` pooled as a slot's is."""
    weight = 10.0 ** (CHROMA_POWER * frames.level / 10.0)
    pooled = (frames.chroma**CHROMA_POWER * weight[:, None]).sum(axis=0)
    norm = float(np.linalg.norm(pooled))
    return pooled / norm if norm > 0 else pooled


def _activity(bands_db: np.ndarray, which: np.ndarray, slots: int) -> np.ndarray:
    """``(slots,)`` 0 … 1: how loud each slot is, in the coarse band where it is loudest
    relative to that band's loudest in the bar (a band more than :data:`BAND_SPAN_DB` under
    the bar's loudest band is measured from there): a hi-hat far below the kick's low band
    counts against the hats and snare in its own bands, where a note's fading tail still
    counts against the note."""
    slot_band = np.full((slots, bands_db.shape[1]), -200.0)
    np.maximum.at(slot_band, which, bands_db)
    peak = slot_band.max(axis=0)
    ref = np.maximum(peak, peak.max() - BAND_SPAN_DB)
    rel = (slot_band - ref).max(axis=1)
    return np.clip((rel + ACTIVITY_FLOOR_DB) / ACTIVITY_RAMP_DB, 0.0, 1.0)


def _mean_power(frames: Frames, which: np.ndarray, slots: int) -> np.ndarray:
    """``(slots, bands)`` mean band power (linear) of each slot's frames."""
    count = np.maximum(np.bincount(which, minlength=slots), 1).astype(np.float64)
    power = np.zeros((slots, frames.bands.shape[1]))
    np.add.at(power, which, 10.0 ** (frames.bands / 10.0))
    return power / count[:, None]


def _own(frames: Frames, which: np.ndarray) -> tuple[np.ndarray, float]:
    """What of the bar's first slot is the bar's own (the slot lead holds the end of the bar
    before, and a note held over the bar line rings on into it).

    Returns:
        ``(len(frames),)`` whether each frame belongs to the bar: all but what still sounds
        from before the bar's first strike (onset at least :data:`STRIKE_DB`) in its first
        slot (without a strike in it, none of the slot); and the doubt about it, 0 … 1: 1
        where the slot's strongest onset is :data:`STRIKE_DB` itself, 0 from
        :data:`STRIKE_DOUBT_DB` away.
    """
    first = which == 0
    struck = np.flatnonzero(first & (frames.onset >= STRIKE_DB))
    own = np.ones(len(frames), bool)
    own[first] = False
    if struck.size:
        own[struck[0] :] = True
    own[~first] = True
    top = float(frames.onset[first].max()) if first.any() else -math.inf
    doubt = float(np.clip(1.0 - abs(top - STRIKE_DB) / STRIKE_DOUBT_DB, 0.0, 1.0))
    return own, doubt


def _shape(band_db: np.ndarray) -> np.ndarray:
    """Band levels relative to each slot's loudest band, floored at -:data:`SHAPE_RANGE_DB`."""
    return np.maximum(band_db - band_db.max(axis=1, keepdims=True), -SHAPE_RANGE_DB)


def _silent(
    slots: int,
    bands: int,
    covered: np.ndarray,
    power: np.ndarray | None = None,
    level: float = -math.inf,
    sure: np.ndarray | None = None,
) -> Fingerprint:
    zero = np.zeros(slots)
    return Fingerprint(
        slots=slots,
        activity=zero,
        shape=np.full((slots, bands), -SHAPE_RANGE_DB),
        chroma=np.zeros((slots, 12)),
        attack=np.zeros((slots, 2, bands)),
        power=np.zeros((slots, bands)) if power is None else power,
        level=level,
        covered=covered,
        silent=True,
        pitched=zero,
        sustain=np.full(slots, -SHAPE_RANGE_DB),
        broad=zero,
        sure=sure,
    )


def mix(prints: list[Fingerprint], cfg: StructureConfig) -> Fingerprint:
    """The mix's fingerprint from its tracks' (band powers add, chroma and attacks weigh by
    power): an approximation of fingerprinting the summed audio, at no audio cost.

    All prints must have the same slot count; an empty list gives a silent print of 1 slot.
    """
    if not prints:
        return _silent(1, cfg.bands, np.ones(1, bool))
    slots = prints[0].slots
    if any(p.slots != slots for p in prints):
        raise ValueError("tracks disagree on the bar's slot count")
    power = np.sum([p.power for p in prints], axis=0)
    covered = np.any([p.covered for p in prints], axis=0)
    levels = [p.level for p in prints if not p.silent]
    if not levels:
        return _silent(slots, cfg.bands, covered, power)
    level = max(levels)
    total = power.sum(axis=1)
    weights = np.array([p.power.sum(axis=1) for p in prints])  # (tracks, slots)
    chroma = np.einsum("ts,tsc->sc", weights, np.array([p.chroma for p in prints]))
    norm = np.linalg.norm(chroma, axis=1, keepdims=True)
    chroma = np.divide(chroma, norm, out=np.zeros_like(chroma), where=norm > 0)
    pitched = np.einsum("ts,ts->s", weights, np.array([p.pitched for p in prints]))
    pitched = np.divide(pitched, total, out=np.zeros(slots), where=total > 0)
    attack = np.array([p.attack for p in prints]).max(axis=0)
    band_db = 10.0 * np.log10(np.maximum(power, 1e-10))
    slot_db = 10.0 * np.log10(np.maximum(power.max(axis=1), 1e-10))
    top = float(slot_db.max())
    activity = np.clip((slot_db - (top - ACTIVITY_FLOOR_DB)) / ACTIVITY_RAMP_DB, 0.0, 1.0)
    activity[total <= 0] = 0.0
    shape = _shape(band_db)
    sustain = np.einsum("ts,ts->s", weights, np.array([p.sustain for p in prints]))
    sustain = np.divide(sustain, total, out=np.full(slots, -SHAPE_RANGE_DB), where=total > 0)
    broad = np.array([p.broad for p in prints]).max(axis=0)
    sure = np.array([_sure(p) for p in prints]).min(axis=0)
    return Fingerprint(
        slots=slots,
        activity=activity,
        shape=shape,
        chroma=chroma,
        attack=attack,
        power=power,
        level=level,
        covered=covered,
        silent=False,
        pitched=pitched,
        sustain=sustain,
        broad=broad,
        sure=sure,
    )


def slot_similarity(a: Fingerprint, b: Fingerprint) -> np.ndarray:
    """``(slots,)`` similarity of two bars slot by slot, each in ``[0, 1]``.

    Two inactive slots are alike (1); an active slot against an inactive one is not (0);
    two active slots compare pitch content (cosine of chroma, as far as both are tonal),
    attack pattern and spectral shape. Bars of different slot counts (other meters) are
    not alike at all (zeros). Slots not covered by both (a bar cut short) count as alike,
    so they neither make nor break a repeat.
    """
    if a.slots != b.slots:
        return np.zeros(max(a.slots, b.slots))
    return _similarity_arrays(_arrays(a), _arrays(b))


@dataclass(frozen=True, eq=False)
class Stack:
    """Fingerprints of one slot count stacked for comparing a bar with all at once."""

    slots: int
    arrays: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, prints: list[Fingerprint]) -> Stack:
        """Raises ValueError for an empty list or mixed slot counts."""
        if not prints or any(p.slots != prints[0].slots for p in prints):
            raise ValueError("need fingerprints of one slot count")
        columns = zip(*(_arrays(p) for p in prints), strict=True)
        return cls(prints[0].slots, tuple(np.stack(c) for c in columns))

    def __len__(self) -> int:
        return int(self.arrays[0].shape[0])

    def put(self, row: int, print_: Fingerprint) -> None:
        """Replace the print at ``row`` in place (same slot count; else ValueError)."""
        if print_.slots != self.slots:
            raise ValueError(f"a print of {print_.slots} slots in a stack of {self.slots}")
        for column, values in zip(self.arrays, _arrays(print_), strict=True):
            column[row] = values


def slot_similarity_many(a: Fingerprint, stack: Stack) -> np.ndarray:
    """``(len(stack), slots)``: :func:`slot_similarity` of ``a`` with each stacked print
    (zeros when the slot counts differ)."""
    count = len(stack.arrays[0])
    if a.slots != stack.slots:
        return np.zeros((count, max(a.slots, stack.slots)))
    return _similarity_arrays(tuple(x[None] for x in _arrays(a)), stack.arrays)


def _arrays(p: Fingerprint) -> tuple[np.ndarray, ...]:
    return (
        p.activity,
        p.chroma,
        p.attack,
        p.shape,
        p.covered,
        p.pitched,
        p.sustain,
        p.broad,
        _sure(p),
        np.zeros(p.slots) if p.ring is None else p.ring,
    )


def _sure(p: Fingerprint) -> np.ndarray:
    return np.ones(p.slots) if p.sure is None else p.sure


def _similarity_arrays(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> np.ndarray:
    act_a, chroma_a, attack_a, shape_a, cov_a, pitched_a, sustain_a, broad_a, sure_a, ring_a = a
    act_b, chroma_b, attack_b, shape_b, cov_b, pitched_b, sustain_b, broad_b, sure_b, ring_b = b
    both = np.minimum(act_a, act_b)
    either = np.maximum(act_a, act_b)
    has_a = chroma_a.any(axis=-1)
    has_b = chroma_b.any(axis=-1)
    cosine = np.sum(chroma_a * chroma_b, axis=-1)
    pitch = np.where(has_a & has_b, cosine, np.where(has_a | has_b, 0.0, 1.0))
    attack = _attack_similarity(attack_a, attack_b)
    excess = np.maximum(np.abs(shape_a - shape_b) - SHAPE_TOLERANCE_DB, 0.0)
    shape = np.exp(-excess.mean(axis=-1) / SHAPE_DB)
    sound = _sound_similarity(
        np.minimum(act_a, act_b) * (cov_a & cov_b), shape_a - shape_b, sustain_a - sustain_b
    )
    # pitch counts as far as both slots are tonal (a drum's chroma is mostly noise) and
    # their sound has a pitch at all
    tones = _tonality(chroma_a) * _tonality(chroma_b)
    voiced_a, voiced_b = _voiced(pitched_a), _voiced(pitched_b)
    tonal = np.sqrt(tones * voiced_a * voiced_b)
    weight = PITCH_WEIGHT * tonal
    # attack patterns differ only as far as either slot was struck: two held slots are
    # alike in that (a held chord's partials beating rise in a band or two at random)
    struck = np.maximum(broad_a, broad_b)
    attack = struck * attack + (1.0 - struck)
    content = (weight * pitch + ATTACK_WEIGHT * attack + SHAPE_WEIGHT * shape) / (
        weight + ATTACK_WEIGHT + SHAPE_WEIGHT
    )
    # a changed sound of the whole bar takes up to SOUND_DEPTH off every slot
    content = content * (1.0 - SOUND_DEPTH * (1.0 - sound))
    # both active → content; one active → 0; neither → 1
    sim = np.clip(both * content + (1.0 - either), 0.0, 1.0)
    # a first slot heard as the bar before's ring against one heard struck: alike as far
    # as the ring has the struck note's pitch (a note re-struck on the pitch held before
    # it, whose strike one hearing missed); both tonal, the struck one pitched
    if ring_a.any() or ring_b.any():
        ringing = np.maximum(ring_a * act_b, ring_b * act_a)
        same_note = np.sqrt(tones * np.maximum(voiced_a, voiced_b)) * np.maximum(cosine, 0.0)
        sim = np.maximum(sim, ringing * same_note)
    # a slot whose belonging is in doubt (a ring or a strike) is not held against a repeat
    sim = 1.0 - (1.0 - sim) * np.minimum(sure_a, sure_b)
    return np.where(cov_a & cov_b, sim, 1.0)


def _sound_similarity(
    weight: np.ndarray, shape_diff: np.ndarray, sustain_diff: np.ndarray
) -> np.ndarray:
    """``(..., 1)``: how alike the two bars' sound is as a whole: the bar's mean
    difference of spectral shape (per band, over the slots both play) and of sustain, in
    dB. A humanised velocity moves single notes' timbre, which averages out over a bar; a
    changed sound (a filter opened, more drive, longer notes) moves every note alike.

    ``weight`` ``(..., slots)``, ``shape_diff`` ``(..., slots, bands)``, ``sustain_diff``
    ``(..., slots)``.
    """
    total = weight.sum(axis=-1, keepdims=True)
    safe = np.maximum(total, 1e-9)
    tilt = np.einsum("...s,...sb->...b", weight, shape_diff) / safe
    held = np.sum(weight * sustain_diff, axis=-1, keepdims=True) / safe
    distance = np.abs(tilt).mean(axis=-1, keepdims=True) + SUSTAIN_SHARE * np.abs(held)
    sound = np.exp(-np.maximum(distance - SOUND_TOLERANCE_DB, 0.0) / SOUND_DB)
    return np.where(total > 0, sound, 1.0)


def _attack_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per slot, how alike the two slots' attack patterns (halves × bands) above
    :data:`ATTACK_FLOOR` are: their cosine as far as both are clear, 1 as far as neither
    is, 0 for a clear attack against none. A pattern's presence (its summed strength) grows
    continuously up to :data:`ATTACK_CLEAR`, so an attack just above the floor in one
    hearing and just below it in the next (a faint rise met by the frame grid at another
    phase, a held chord's beating partials) barely counts, and the cosine keeps a softer or
    louder bar alike."""
    fa = np.maximum(a - ATTACK_FLOOR, 0.0)
    fb = np.maximum(b - ATTACK_FLOOR, 0.0)
    fa = fa.reshape(*fa.shape[:-2], -1)
    fb = fb.reshape(*fb.shape[:-2], -1)
    na, nb = np.linalg.norm(fa, axis=-1), np.linalg.norm(fb, axis=-1)
    dot = np.sum(fa * fb, axis=-1)
    cosine = np.divide(
        dot, na * nb, out=np.zeros(np.broadcast_shapes(dot.shape, nb.shape)), where=na * nb > 0
    )
    pa = np.minimum(fa.sum(axis=-1) / ATTACK_CLEAR, 1.0)
    pb = np.minimum(fb.sum(axis=-1) / ATTACK_CLEAR, 1.0)
    return np.clip(np.minimum(pa, pb) * cosine + 1.0 - np.maximum(pa, pb), 0.0, 1.0)


def _tonality(chroma: np.ndarray) -> np.ndarray:
    """``(slots,)`` 0 for a flat (noisy) unit chroma, 1 for a chord of up to three notes."""
    flat = 1.0 / np.sqrt(12.0)
    return np.clip((chroma.max(axis=-1) - flat) / (TONAL_PEAK - flat), 0.0, 1.0)


def _voiced(pitched: np.ndarray) -> np.ndarray:
    """0 … 1: how far a slot's chroma speaks for its sound (0 below
    :data:`VOICED_FLOOR` of its sound pitched, 1 from :data:`VOICED_FULL`)."""
    return np.clip((pitched - VOICED_FLOOR) / (VOICED_FULL - VOICED_FLOOR), 0.0, 1.0)


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Mean :func:`slot_similarity` (1 for two silent bars, 0 for silent against sound)."""
    if a.silent or b.silent:
        return 1.0 if a.silent and b.silent else 0.0
    return float(slot_similarity(a, b).mean())
