"""The ingest service (not built yet: see the issue tracker)."""
