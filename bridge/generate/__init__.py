"""bridge/generate."""
