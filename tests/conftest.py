"""Shared fixtures. Integration tests run against a real local stack that this session starts
with the project's own code (ClickHouse 18.16 and Apache Kafka) and stops at the end."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _load_test_env() -> None:
    """Point every setting at the test stack (tests/local-stack.env) unless already set."""
    for line in (REPO / "tests" / "local-stack.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            if key == "HOTLINE_STATE_DIR" and not os.path.isabs(value):
                value = str(REPO / value)
            os.environ.setdefault(key, value)


_load_test_env()


# Tests that run only when a -m expression names their marker, never as part of a plain `pytest`
# or another marker's run: the full fault suite takes minutes (`./run faults`); the cluster
# starts eight servers of its own (`./run cluster`).
OPT_IN_MARKERS = ("faults", "cluster")


def pytest_collection_modifyitems(config, items):
    markexpr = config.getoption("markexpr") or ""
    for marker in OPT_IN_MARKERS:
        if marker in markexpr:
            continue
        drop = [item for item in items if item.get_closest_marker(marker)]
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = [item for item in items if not item.get_closest_marker(marker)]


@pytest.fixture(scope="session")
def stack_settings():
    from tooling.stack.stack import Settings

    return Settings.from_env()


@pytest.fixture(scope="session")
def local_stack(stack_settings):
    """The real local stack, up for the whole session; torn down even when tests fail."""
    from tooling.stack import stack

    lines: list[str] = []
    try:
        stack.up(stack_settings, say=lines.append)
        yield stack_settings
    finally:
        stack.down(stack_settings, say=lines.append)


@pytest.fixture(scope="module")
def clickhouse(local_stack):
    """A clickhouse-driver client on the migrated `hotline` database (one per test module)."""
    from hotline.storage.client import connect

    client = connect(local_stack.clickhouse)
    yield client
    client.disconnect()


@pytest.fixture
def kafka_settings(local_stack):
    return local_stack.kafka


@pytest.fixture(scope="session")
def chdb_engine():
    """The suite's one in-process current ClickHouse engine (chdb allows one per process)."""
    pytest.importorskip("chdb")
    from tests.support.chdb_engine import ChdbEngine

    engine = ChdbEngine()
    yield engine
    engine.close()
