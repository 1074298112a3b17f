"""A batch touching more ids than fit one query under ClickHouse's default limits (256 KiB of
query text, 50 000 AST elements) is refreshed, not refused (and then retried forever)."""

import uuid

import pytest

from hotline.storage import facts
from hotline.storage.client import WRITER_SETTINGS, connect

pytestmark = pytest.mark.clickhouse


def test_refresh_of_60000_long_ids_is_accepted(local_stack):
    client = connect(local_stack.clickhouse, **WRITER_SETTINGS)
    ids = [f"limits-{uuid.uuid4()}" for _ in range(60_000)]  # ~2.6 MB of ids in all
    try:
        facts.refresh(client, local_stack.clickhouse.database, "Asia/Shanghai", "ticket", ids)
        facts.refresh(client, local_stack.clickhouse.database, "Asia/Shanghai", "call", ids)
    finally:
        client.disconnect()
