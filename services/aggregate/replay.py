"""Replay: re-read the event topics from the start, or from a date, into the same tables.

Runs beside (or instead of) the workers, outside their consumer group, and commits nothing:
it assigns every partition, reads up to the end offsets it found when it began, and writes
with the same pure `prepare` and the same writer as the workers. Idempotent, like everything
downstream of the events table. Dead letters are not produced again (they were the first time);
their count is reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from kafka import KafkaConsumer, TopicPartition

from hotline.errors import HotlineError
from services.aggregate.prepare import Incoming, prepare
from services.aggregate.settings import AggregateSettings
from services.aggregate.writer import ClickHouseWriter


class ReplayError(HotlineError):
    pass


@dataclass
class ReplayResult:
    messages: int = 0
    written: int = 0
    rejected: int = 0


def replay(settings: AggregateSettings, since: dt.datetime | None = None, batch_size: int = 50_000,
           say: Callable[[str], None] = print) -> ReplayResult:
    k = settings.kafka
    consumer = KafkaConsumer(bootstrap_servers=k.bootstrap_servers, enable_auto_commit=False,
                             group_id=None, consumer_timeout_ms=5000, max_poll_records=10_000)
    writer = ClickHouseWriter(settings.clickhouse, settings.city.timezone)
    tz = ZoneInfo(settings.city.timezone)
    result = ReplayResult()
    try:
        parts = [TopicPartition(t, p) for t in (k.topic_calls, k.topic_tickets)
                 for p in sorted(consumer.partitions_for_topic(t) or ())]
        consumer.assign(parts)
        # What was published until now; events published meanwhile reach the workers anyway.
        ends = consumer.end_offsets(parts)
        done: set[TopicPartition] = set()
        if since is None:
            consumer.seek_to_beginning(*parts)
        else:
            found = consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in parts})
            for tp in parts:
                if found.get(tp) is None:
                    done.add(tp)  # nothing published since then
                else:
                    consumer.seek(tp, found[tp].offset)
            consumer.pause(*done)
        batch: list[Incoming] = []
        idle = 0
        while len(done) < len(parts) or batch:
            polled = consumer.poll(timeout_ms=1000) if len(done) < len(parts) else {}
            idle = idle + 1 if len(done) < len(parts) and not polled else 0
            if idle > 30:
                raise ReplayError(f"no messages for 30 s from {sorted(map(str, set(parts) - done))}: broker unreachable?")
            for tp, msgs in polled.items():
                batch.extend(Incoming(tp.topic, tp.partition, m.offset, m.value, list(m.headers or ()))
                             for m in msgs)
            for tp in set(parts) - done:
                if consumer.position(tp) >= ends[tp]:
                    done.add(tp)
                    consumer.pause(tp)
            if len(batch) >= batch_size or (batch and len(done) == len(parts)):
                prepared = prepare(batch, tz, settings.privacy.hash_key, now=dt.datetime.now(dt.timezone.utc))
                writer.write(prepared)
                result.messages += len(batch)
                result.written += len(prepared.rows)
                result.rejected += len(prepared.dead_letters)
                say(f"replay: {result.messages} messages read, {result.written} events written")
                batch = []
    finally:
        consumer.close()
        writer.close()
    return result
