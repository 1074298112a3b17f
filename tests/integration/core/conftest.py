"""Fixtures of the storage tests that run on the local stack's ClickHouse."""

from __future__ import annotations

import uuid

import pytest

from hotline.storage.migrate import migrate


@pytest.fixture
def database(clickhouse):
    """A database of the test's own, migrated, dropped afterwards."""
    name = f"core_{uuid.uuid4().hex[:12]}"
    migrate(clickhouse, name)
    yield name
    clickhouse.execute(f"DROP DATABASE IF EXISTS {name}")
