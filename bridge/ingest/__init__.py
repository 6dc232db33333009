"""bridge/ingest."""
