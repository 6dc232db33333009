#!/usr/bin/env bash
# Install synaesthete into the virtualenv whose python is $1.
# Prefers a CPU-only torch wheel when one is reachable (pip's find-links on CPU build
# machines carry one); a plain `torch` from PyPI on Linux is a multi-GB CUDA build.
set -euo pipefail
PY="$1"
if ! "$PY" -c "import torch" 2>/dev/null; then
  "$PY" -m pip install --quiet "torch==2.13.0+cpu" \
    || echo "install: no local CPU torch wheel; pip will resolve torch from pyproject.toml"
fi
"$PY" -m pip install --quiet -e ".[dev]"
