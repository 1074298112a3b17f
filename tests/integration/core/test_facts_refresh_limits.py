"""A batch touching more ids than would fit one query's text under ClickHouse's default limits
(256 KiB, 50 000 AST elements) is refreshed, not refused (and then retried forever): the ids
travel as external data, not as text."""

import datetime as dt
import uuid

import pytest

from hotline.storage import facts
from hotline.storage.client import connect
from tests.support.report_db import write

pytestmark = pytest.mark.clickhouse


def test_refresh_of_60000_long_ids_is_accepted(local_stack):
    db = local_stack.clickhouse.database
    run = uuid.uuid4().hex[:8]
    real = [f"limits-{run}-{i}" for i in range(3)]
    created = [{"specversion": "1.0", "id": f"{t}-c", "source": "/crm/main", "type": "hotline.ticket.created",
                "time": "2023-05-04T10:00:00+08:00", "subject": t,
                "data": {"requester": "citizen", "channel": "phone", "kind": "consult", "category": "民生保障"}}
               for t in real]
    write(local_stack.clickhouse, created, refresh=False)  # the event rows only: no facts yet

    ids = [f"limits-{uuid.uuid4()}" for _ in range(60_000)] + real  # ~2.6 MB of ids in all
    assert sum(len(i) + 4 for i in ids) > 256 * 1024 and len(ids) > 50_000  # as query text, refused
    client = connect(local_stack.clickhouse)
    try:
        facts.refresh(client, db, "Asia/Shanghai", "ticket", ids)
        facts.refresh(client, db, "Asia/Shanghai", "call", ids)
        rows = client.execute(f"SELECT ticket_id, day FROM {db}.ticket_facts FINAL WHERE ticket_id IN %(ids)s",
                              {"ids": tuple(real)})
    finally:
        client.disconnect()
    assert sorted(rows) == [(t, dt.date(2023, 5, 4)) for t in real]
