"""Stage "peer": ClickHouse's own Kafka table engine + a materialized view into a plain MergeTree
of flattened rows (rows.py) — how PostHog- or ClickPipes-style setups ingest. No Python on the
data path: this process only issues DDL and counts rows.

Timed from the view's creation (the consumer starts, joins its group, reads) until the target
holds `events` rows. CPU and peak memory count the `pids` given (the servers), nothing else.
The engine runs with ClickHouse's default librdkafka settings (no `<kafka>` section in the
server's config) and needs input_format_import_nested_json=1 in the default profile (to take
`data` apart), which bench/stages/stack.py writes into its private config dir.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from clickhouse_driver.errors import Error as ClickHouseError
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from bench.stages.common import StageResult, measure
from bench.stages.rows import DATA_FLAGS, DATA_STRINGS, ENVELOPE, create_table
from hotline.settings import ClickHouseSettings, KafkaSettings
from tooling.stack.process import tail
from hotline.storage.client import connect

STAGE = "4 peer: Kafka engine → rows"
TARGET, QUEUE, VIEW = "bench_peer_events", "bench_peer_queue", "bench_peer_view"
STALL_S = 60.0  # the row count has not moved for this long: the engine is stuck, say why


def run(kafka: KafkaSettings, clickhouse: ClickHouseSettings, events: int, *,
        pids: Sequence[int] = (), server_log: Path | None = None) -> StageResult:
    """Recreate TARGET, QUEUE (Kafka engine, a fresh group) and VIEW; wait for `events` rows.

    Never raises for a peer that does not work: the result has events=0 and the reason (the
    server's error text, or the log lines it left) in notes. The queue and view are dropped
    at the end, so the engine stops consuming.
    """
    db = clickhouse.database
    group = f"bench-peer-{uuid.uuid4().hex[:8]}"
    client = connect(clickhouse, database=False)
    notes = f"group {group}; cpu and rss = server pids {list(pids)}"
    try:
        server = dict(client.execute(
            "SELECT name, value FROM system.settings WHERE name IN "
            "('input_format_import_nested_json', 'stream_flush_interval_ms')"))
        if server.get("input_format_import_nested_json") != "1":
            return _failed(f"{notes}; not run: the server's default profile lacks "
                           "input_format_import_nested_json=1, so the Kafka engine cannot read `data`")
        client.execute(f"CREATE DATABASE IF NOT EXISTS {db}")
        for name in (VIEW, QUEUE, TARGET):
            client.execute(f"DROP TABLE IF EXISTS {db}.{name}")
        client.execute(create_table(db, TARGET))
        # ClickHouse 18.16 leaves librdkafka's auto.offset.reset at its default, `largest`: a
        # group with no committed offsets starts at the end of every partition and reads none
        # of what the topics hold (measured: 0 of 3,000 rows after 12 s, then exactly the 507
        # messages produced after the join). Commit the beginning offsets for the new group
        # first (what `kafka-consumer-groups.sh --reset-offsets --to-earliest` does).
        _commit_beginning(kafka, group)
        client.execute(_queue_ddl(db, kafka, group))
        with measure(pids) as m:
            client.execute(_view_ddl(db))  # attaching a view starts the engine's consumer
            _, steps, why = _wait(client, f"SELECT count() FROM {db}.{TARGET}", events)
        notes += "; rows at " + (", ".join(f"{t:.1f} s: {n}" for t, n in steps[-8:]) or "none")
        if why:
            return _failed(f"{notes}; {why}{_log_lines(server_log)}", m.result(STAGE, 0))
        unique = client.execute(f"SELECT uniqExact(id) FROM {db}.{TARGET}")[0][0]
        # The engine inserts a block when it is full or after stream_flush_interval_ms: the
        # last, partial one always waits out the interval, which is most of a small run.
        return m.result(STAGE, events, f"{notes}; stream_flush_interval_ms "
                                       f"{server.get('stream_flush_interval_ms')}; distinct ids {unique}")
    except (ClickHouseError, KafkaError, OSError) as exc:
        return _failed(f"{notes}; FAILED: {type(exc).__name__}: {exc}{_log_lines(server_log)}")
    finally:
        for name in (VIEW, QUEUE):
            try:
                client.execute(f"DROP TABLE IF EXISTS {db}.{name}")
            except (ClickHouseError, OSError):
                pass  # the server is gone; the stack stops it anyway
        client.disconnect()


def _queue_ddl(db: str, kafka: KafkaSettings, group: str) -> str:
    cols = [f"`{c}` String" for c in (*ENVELOPE, "time")]
    cols += [f"`data.{k}` String" for k in DATA_STRINGS] + [f"`data.{k}` UInt8" for k in DATA_FLAGS]
    topics = f"{kafka.topic_calls},{kafka.topic_tickets}"
    return (f"CREATE TABLE {db}.{QUEUE} ({', '.join(cols)}) ENGINE = Kafka("
            f"'{kafka.bootstrap_servers}', '{topics}', '{group}', 'JSONEachRow')")


def _view_ddl(db: str) -> str:
    select = [f"`{c}`" for c in ENVELOPE] + ["parseDateTimeBestEffort(`time`) AS `time`"]
    select += [f"`data.{k}` AS `data_{k}`" for k in DATA_STRINGS + DATA_FLAGS]
    return f"CREATE MATERIALIZED VIEW {db}.{VIEW} TO {db}.{TARGET} AS SELECT {', '.join(select)} FROM {db}.{QUEUE}"


def _commit_beginning(kafka: KafkaSettings, group: str) -> None:
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, group_id=group,
                             enable_auto_commit=False)
    try:
        parts = [TopicPartition(t, p) for t in (kafka.topic_calls, kafka.topic_tickets)
                 for p in sorted(consumer.partitions_for_topic(t) or ())]
        consumer.assign(parts)
        starts = consumer.beginning_offsets(parts)
        consumer.commit({tp: OffsetAndMetadata(starts[tp], "", -1) for tp in parts})
    finally:
        consumer.close()


def _wait(client, count_sql: str, events: int) -> tuple[int, list[tuple[float, int]], str]:
    """Poll the row count: (rows, [(seconds, rows) at each change], "" or why it stopped short)."""
    t0 = last_change = time.monotonic()
    stored, steps = 0, []
    while stored < events:
        time.sleep(0.1)
        now, n = time.monotonic(), client.execute(count_sql)[0][0]
        if n != stored:
            stored, last_change = n, now
            steps.append((now - t0, n))
        elif now - last_change > STALL_S:
            return stored, steps, f"FAILED: stuck at {stored} of {events} rows for {STALL_S:.0f} s"
    return stored, steps, ""


def _failed(notes: str, base: StageResult | None = None) -> StageResult:
    r = base or StageResult(STAGE, 0, 0.0, 0.0, 0.0, 0.0)
    r.events, r.events_per_s, r.notes = 0, 0.0, notes
    return r


def _log_lines(server_log: Path | None) -> str:
    """The server's last Kafka-related error lines: where the engine's own failures end up."""
    if server_log is None:
        return ""
    # The engine repeats one error every poll: keep each distinct message once, without stamps.
    seen = [ln.partition("} ")[2] or ln for ln in tail(server_log, 400).splitlines() if "afka" in ln]
    lines = list(dict.fromkeys(seen))[-3:]
    return ("; server log: " + " | ".join(ln[:300] for ln in lines)) if lines else ""
