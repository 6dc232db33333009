"""Macro-structure of music, bar by bar: bars, bar fingerprints, motifs and sections.

Pure analysis (numpy/scipy only, no I/O): feed each track's PCM (any block size, any rate)
with Live's transport when there is one, and read one :class:`BarResult` per bar; or
analyse whole signals at once with :func:`analyse_signals`, which runs the same stream and
adds the offline (look-ahead) sections. See ``docs/structure.md``.
"""

from models.structure.clock import Transport
from models.structure.config import StructureConfig
from models.structure.offline import analyse_signals
from models.structure.results import BarResult, MotifResult, Section, Structure
from models.structure.stream import StructureStream

__all__ = [
    "BarResult",
    "MotifResult",
    "Section",
    "Structure",
    "StructureConfig",
    "StructureStream",
    "Transport",
    "analyse_signals",
]
