"""Fixtures shared by the unit tests."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No HOTLINE_* variable from the caller's shell (or tests/local-stack.env) leaks into
    settings built here; returns the monkeypatch to set the ones a test wants."""
    for name in list(os.environ):
        if name.upper().startswith("HOTLINE_"):
            monkeypatch.delenv(name)
    return monkeypatch
