"""Stage "naive": what a user might write in an afternoon. One Python process: aiokafka
`getmany` -> orjson -> flattened columns -> clickhouse-driver insert of ~50 k rows, commit,
repeat. No Faust, no validation, no dedup token, insert on the event loop (it blocks it).

Timed from the consumer's start (the group join included) until every event is inserted.
CPU and peak memory count this process plus the `pids` given (the servers).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Sequence

import orjson
from aiokafka import AIOKafkaConsumer

from bench.stages.common import StageResult, measure
from bench.stages.rows import create_table, insert, to_columns
from hotline.settings import ClickHouseSettings, KafkaSettings
from hotline.storage.client import connect

STAGE = "5 naive: aiokafka → rows"
TABLE = "bench_naive_events"
BATCH = 50_000
STALL_S = 60.0  # no new message for this long: the topics hold fewer events than expected


class Stalled(Exception):
    """The topics ran dry before `events` were read."""


def run(kafka: KafkaSettings, clickhouse: ClickHouseSettings, events: int, *,
        pids: Sequence[int] = ()) -> StageResult:
    """Drain both event topics from the start with a fresh consumer group into TABLE (recreated).

    Blocks until `events` rows are inserted, or STALL_S without a new message (then the result
    says so in notes). Commits after each insert, so a crash re-inserts at most one batch.
    """
    db = clickhouse.database
    client = connect(clickhouse, database=False)
    client.execute(f"CREATE DATABASE IF NOT EXISTS {db}")
    client.execute(f"DROP TABLE IF EXISTS {db}.{TABLE}")
    client.execute(create_table(db, TABLE))
    group = f"bench-naive-{uuid.uuid4().hex[:8]}"  # a new group: read from offset 0, not from a past run
    marks: dict[str, float] = {}
    notes = f"group {group}; cpu and rss = this process + server pids {list(pids)}"
    try:
        with measure([os.getpid(), *pids]) as m:
            inserted = asyncio.run(_drain(kafka, client, insert(db, TABLE), events, group, marks))
        stored = client.execute(f"SELECT count() FROM {db}.{TABLE}")[0][0]
    except Stalled as exc:
        return m.result(STAGE, 0, f"{notes}; FAILED: {exc}")
    finally:
        client.disconnect()
    join_s = marks.get("first_message", 0.0) - marks.get("start", 0.0)
    notes += (f"; batches of {BATCH}; first message after {join_s:.1f} s (group join);"
              f" rows in table {stored}")
    return m.result(STAGE, inserted, notes)


async def _drain(kafka: KafkaSettings, client, sql: str, events: int, group: str,
                 marks: dict[str, float]) -> int:
    consumer = AIOKafkaConsumer(
        kafka.topic_calls, kafka.topic_tickets, bootstrap_servers=kafka.bootstrap_servers,
        group_id=group, auto_offset_reset="earliest", enable_auto_commit=False)
    marks["start"] = time.perf_counter()
    await consumer.start()
    done, batch, last_message = 0, [], time.monotonic()
    try:
        while done < events:
            got = await consumer.getmany(timeout_ms=500, max_records=BATCH)
            for messages in got.values():
                batch.extend(orjson.loads(msg.value) for msg in messages)
            if got:
                last_message = time.monotonic()
                marks.setdefault("first_message", time.perf_counter())
            elif time.monotonic() - last_message > STALL_S:
                raise Stalled(f"no message for {STALL_S:.0f} s after {done + len(batch)} of {events} events")
            if len(batch) >= BATCH or (batch and done + len(batch) >= events):
                client.execute(sql, to_columns(batch), columnar=True)
                done += len(batch)
                batch = []
                await consumer.commit()  # after the insert: at-least-once
    finally:
        await consumer.stop()
    return done
