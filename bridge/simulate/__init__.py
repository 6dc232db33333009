"""bridge/simulate."""
