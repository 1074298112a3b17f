"""The aggregate service (not built yet: see the issue tracker)."""
