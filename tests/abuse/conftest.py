"""The abuse suite's own stack: `hotline up` on ports of its own (21500-21505), so that what it
finally reads back from Kafka and ClickHouse is exactly what the abusive requests let through.

`pytest tests/abuse` runs the fast part (in the default run too); `HOTLINE_ABUSE_SLOW=1 pytest
tests/abuse` the full suite (more generated requests, repeated rounds): docs/reliability/abuse.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.abuse import READ_TIMEOUT_S, TRIED, Stack
from tests.support.own_stack import own_stack

PORTS = {"HOTLINE_CLICKHOUSE_PORT": "21500", "HOTLINE_CLICKHOUSE_HTTP_PORT": "21501",
         "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:21502", "HOTLINE_INGEST_PORT": "21503",
         "HOTLINE_API_PORT": "21504", "HOTLINE_AGGREGATE_PORT": "21505", "HOTLINE_ALERTS_PORT": "21506",
         # short, so the slow-loris tests take seconds (the services' default is 30 s)
         "HOTLINE_INGEST_READ_TIMEOUT_S": str(READ_TIMEOUT_S), "HOTLINE_API_READ_TIMEOUT_S": str(READ_TIMEOUT_S)}


@pytest.fixture(scope="session")
def abuse_stack() -> Iterator[Stack]:
    """Started once for every abuse module, purged at the end of the session."""
    with own_stack("abuse", PORTS) as env:
        yield Stack(env, Path(env["HOTLINE_STATE_DIR"]))


def pytest_terminal_summary(terminalreporter) -> None:
    if TRIED:
        terminalreporter.write_sep("-", "abuse suite: requests tried")
        for kind, n in sorted(TRIED.items()):
            terminalreporter.write_line(f"{n:>8,}  {kind}")
        terminalreporter.write_line(f"{sum(TRIED.values()):>8,}  in all")
