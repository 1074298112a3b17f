"""Tooling around the platform: the simulator, the local stack and the `hotline` command line.

Tooling may import the runtime (`hotline`, `services`); the runtime never imports tooling, and
the production image does not carry it. The direction is checked by import-linter
(`[tool.importlinter]` in pyproject.toml, run by tests/unit/deploy/test_import_contract.py).
"""
