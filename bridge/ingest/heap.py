"""Keep the C heap from growing as tracks come and go.

Each track allocates a 768 KB ring and its analyser a few hundred KB more, and frees them
when it leaves. glibc's ``malloc`` serves blocks above its *mmap threshold* with their own
``mmap`` (returned to the system on ``free``), but it raises that threshold dynamically after
such a block is freed, so later rings come from the heap, whose holes are reused only by
chance: with 16 devices coming and going, the bridge's RSS crept up by ~0.25 MB/min while
nothing was referenced any more (bench/soak.py; tracemalloc showed no Python-level growth).
Fixing the threshold (``mallopt(M_MMAP_THRESHOLD, …)``, which also turns the dynamic
adjustment off, see ``man 3 mallopt``) keeps every large block an ``mmap``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

#: ``mallopt`` parameter number of M_MMAP_THRESHOLD in glibc's <malloc.h>.
M_MMAP_THRESHOLD = -3
#: Blocks at least this big get their own mapping (glibc's initial default, 128 KiB).
MMAP_THRESHOLD_BYTES = 128 * 1024

_done = False


def keep_large_blocks_mapped() -> bool:
    """Fix glibc's mmap threshold once per process; False where there is no glibc (macOS,
    Windows, musl), where nothing needs doing or nothing can be done."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _done = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    if not _done:
        log.debug("mallopt(M_MMAP_THRESHOLD) refused; the heap may grow with track churn")
    return _done
