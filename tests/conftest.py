"""Settings for every test: compiled generator packages (:mod:`models.aot`) go to a folder
of their own under the system's temporary folder, never the user's cache. Packages are
content-addressed, so test runs share them (as PyTorch's own inductor cache is shared)."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault(
    "SYNAESTHETE_CACHE", os.path.join(tempfile.gettempdir(), "synaesthete-test-cache")
)
