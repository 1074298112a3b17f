"""The api service (not built yet: see the issue tracker)."""
