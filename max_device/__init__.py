"""max_device package."""
