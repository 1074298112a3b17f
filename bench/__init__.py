"""Benchmarks: scripts run from the repository (`.venv/bin/python bench/<name>.py`, `./run bench`).

Tooling: may import the runtime, never imported by it (pyproject.toml, [tool.importlinter]).
"""
