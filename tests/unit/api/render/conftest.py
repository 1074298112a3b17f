"""The brief documents the render tests draw: tests/fixtures/brief-example.json (a city's weekly
brief) and brief-department.json (the same week for a department's token), fresh per test so a
test may change its copy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def doc() -> dict[str, Any]:
    return load("brief-example.json")


@pytest.fixture
def dept_doc() -> dict[str, Any]:
    return load("brief-department.json")
