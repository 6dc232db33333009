"""bridge/show."""
