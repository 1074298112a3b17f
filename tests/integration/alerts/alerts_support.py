"""What the alerts service's integration tests share (tests/integration/alerts/test_alerts_*.py).

* `story(run)`: a hand-built ticket stream that makes each kind of alert happen for sure: twelve
  quiet days of two series, then a surge of one of them, five tickets from five callers in one H3
  cell within two hours (a cluster), and one ticket dispatched A, returned, B, returned, A again
  (ping-pong). With the surge baseline shortened to 7 days (ENV below), the quiet days are its
  history.
* `Isolated`: a fresh database and fresh topics on the session's ClickHouse and Kafka, with an
  aggregate worker and an alerts service of their own (own names, ports, consumer group), so that
  the watermark, the open alerts and the topic hold only what the test sent.
* `backfilled(env, events)`: the same events as a backfill, into a database and an alerts topic
  of their own, detected by one cycle run in the test's process (as the service runs it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import h3
import orjson
from kafka import KafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from hotline import broker
from hotline.events import to_record
from hotline.judge import Accepted, judge
from hotline.settings import ClickHouseSettings, KafkaSettings, PrivacySettings
from hotline.storage import facts, work_calendar
from hotline.storage.client import connect
from hotline.storage.event_rows import insert_sql, to_row
from hotline.storage.migrate import migrate
from services.aggregate.settings import AggregateSettings
from services.alerts.cycle import Cycle
from services.alerts.metrics import Metrics
from services.alerts.publish import Publisher
from services.alerts.reader import Reader, Storage
from services.alerts.settings import AlertsSettings
from services.alerts.store import AlertStore
from tests.integration.ingest.ingest_support import read_topic
from tests.support.pipeline import produce
from tests.support.waiting import eventually
from tooling.stack.process import tail
from tooling.stack.services import SERVICES, LocalService

TZ = ZoneInfo("Asia/Shanghai")
H = 3_600_000
FIRST_DAY = dt.datetime(2024, 5, 6, tzinfo=TZ)  # a Monday
BURST_DAY = FIRST_DAY + dt.timedelta(days=12)
CELL = h3.latlng_to_cell(33.61, 119.02, 9)
# What the alerts services of these tests run with: a short surge baseline (the stream's quiet
# days), a fast cycle, and little settling (the facts refresh follows the events within a second).
ENV = {"HOTLINE_ALERTS_EVERY_S": "0.5", "HOTLINE_ALERTS_SETTLE_S": "2",
       "HOTLINE_ALERTS_SURGE__BASELINE_DAYS": "7"}
ALERTS_SPEC = next(s for s in SERVICES if s.name == "alerts")
AGGREGATE_SPEC = next(s for s in SERVICES if s.name == "aggregate")


def iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="seconds")


def event(run: str, n: int, type_: str, subject: str, at: dt.datetime, data: dict) -> dict:
    return {"specversion": "1.0", "id": f"{run}-{n}", "source": "/test/alerts", "type": f"hotline.ticket.{type_}",
            "time": iso(at), "subject": subject, "data": data}


def created(category: str, district: str, subcategory: str = "", location: dict | None = None) -> dict:
    data = {"requester": "citizen", "channel": "phone", "kind": "non_consult", "category": category,
            "subcategory": subcategory or category, "district": district}
    if location:
        data["location"] = location
    return data


def story(run: str) -> list[dict]:
    """The whole stream, in time order (ties by id)."""
    out: list[tuple[dt.datetime, str, str, dict]] = []
    n = 0

    def ticket(at: dt.datetime, data: dict) -> str:
        nonlocal n
        n += 1
        subject = f"{run}-t{n}"
        out.append((at, "created", subject, data))
        return subject

    for day in range(13):
        midnight = FIRST_DAY + dt.timedelta(days=day)
        for hour in range(24):
            at = midnight + dt.timedelta(hours=hour, minutes=5)
            ticket(at, created("城乡建设", "清河区", "道路维修"))
            if hour % 4 == 1:
                ticket(at + dt.timedelta(minutes=20), created("环境保护", "淮阴区", "大气污染"))
    for hour in range(8, 14):  # the surge: eight tickets an hour where one in four hours was usual
        for k in range(8):
            ticket(BURST_DAY + dt.timedelta(hours=hour, minutes=7 * k + 1), created("环境保护", "淮阴区", "大气污染"))
    for k in range(5):  # the cluster: five callers, one cell, two hours
        ticket(BURST_DAY + dt.timedelta(hours=10, minutes=30 * k + 3),
               created("市容环卫", "清江浦区", "噪音扰民", {"community": f"{run}社区", "h3": CELL}))
    pp = ticket(BURST_DAY + dt.timedelta(hours=9), created("住房保障", "清江浦区", "物业管理"))
    for hours, type_, department in ((10, "dispatched", "市住建局"), (12, "returned", "市住建局"),
                                     (13, "dispatched", "清江浦区政府"), (15, "returned", "清江浦区政府"),
                                     (16, "dispatched", "市住建局")):
        out.append((BURST_DAY + dt.timedelta(hours=hours), type_, pp, {"department": department}))
    out.sort(key=lambda x: (x[0], x[2], x[1]))
    return [event(run, i, type_, subject, at, data) for i, (at, type_, subject, data) in enumerate(out)]


def pingpong_story(run: str, start: dt.datetime) -> list[dict]:
    """One ticket: created, dispatched A, returned A, dispatched B, returned B, dispatched A."""
    subject = f"{run}-pp"
    steps = [("created", created("住房保障", "清江浦区", "物业管理")), ("dispatched", {"department": "A局"}),
             ("returned", {"department": "A局"}), ("dispatched", {"department": "B局"}),
             ("returned", {"department": "B局"}), ("dispatched", {"department": "A局"})]
    return [event(run, i, t, subject, start + dt.timedelta(hours=i), d) for i, (t, d) in enumerate(steps)]


def epoch_ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp() * 1000)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Isolated:
    """A fresh database and topics named after `run`, its own aggregate worker and alerts service."""

    def __init__(self, local_stack, run: str, extra_env: dict[str, str] | None = None) -> None:
        self.run = run
        self.stack = local_stack.stack
        self.clickhouse = ClickHouseSettings(**{**local_stack.clickhouse.model_dump(), "database": f"alerts_{run}"})
        self.kafka = KafkaSettings(**{**local_stack.kafka.model_dump(), "topic_calls": f"{run}.calls",
                                      "topic_tickets": f"{run}.tickets", "topic_deadletter": f"{run}.deadletter",
                                      "topic_alerts": f"{run}.alerts"})
        self.alerts_port, self.aggregate_port = free_port(), free_port()
        self.env = {**ENV, **(extra_env or {}),
                    "HOTLINE_CLICKHOUSE_DATABASE": self.clickhouse.database,
                    "HOTLINE_KAFKA_TOPIC_CALLS": self.kafka.topic_calls,
                    "HOTLINE_KAFKA_TOPIC_TICKETS": self.kafka.topic_tickets,
                    "HOTLINE_KAFKA_TOPIC_DEADLETTER": self.kafka.topic_deadletter,
                    "HOTLINE_KAFKA_TOPIC_ALERTS": self.kafka.topic_alerts,
                    "HOTLINE_AGGREGATE_APP_ID": f"aggregate-{run}",
                    "HOTLINE_AGGREGATE_PORT": str(self.aggregate_port),
                    "HOTLINE_ALERTS_PORT": str(self.alerts_port)}
        self.alerts = ExtraService(self.stack, dataclasses.replace(ALERTS_SPEC, name=f"alerts-{run}"), self.env,
                               AlertsSettings(port=self.alerts_port))
        self.aggregate = ExtraService(self.stack, dataclasses.replace(AGGREGATE_SPEC, name=f"aggregate-{run}"), self.env,
                                  AggregateSettings(port=self.aggregate_port))
        self.db = connect(self.clickhouse, database=False)

    def __enter__(self) -> "Isolated":
        migrate(self.db, self.clickhouse.database)
        work_calendar.sync(self.db, self.clickhouse.database, "Asia/Shanghai")
        broker.ensure_topics(self.kafka)
        self.aggregate.start()
        self.alerts.start()
        return self

    def __exit__(self, *exc) -> None:
        self.alerts.stop()
        self.aggregate.stop()
        self.db.execute(f"DROP DATABASE IF EXISTS {self.clickhouse.database}")
        self.db.disconnect()
        admin = KafkaAdminClient(bootstrap_servers=self.kafka.bootstrap_servers)
        try:
            admin.delete_topics(list(self.kafka.all_topics))
        finally:
            admin.close()

    # -- reading what the service did -----------------------------------------------------------
    def metrics(self) -> dict[tuple[str, tuple], float]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.alerts_port}/metrics", timeout=5) as resp:
            text = resp.read().decode()
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text) for s in family.samples}

    def stored_events(self) -> int:
        return self.db.execute(f"SELECT uniqExact(source, id) FROM {self.clickhouse.database}.events")[0][0]

    def wait_stored(self, n: int) -> None:
        """Until `n` distinct events are stored and every created ticket has its facts."""
        db = self.clickhouse.database
        eventually(lambda: (self.stored_events(),
                            self.db.execute(f"SELECT count() FROM {db}.ticket_facts FINAL WHERE created_ms > 0")[0][0],
                            self.db.execute(f"SELECT uniqExact(subject) FROM {db}.events "
                                            f"WHERE type = 'hotline.ticket.created'")[0][0]),
                   until=lambda got: got[0] >= n and got[1] == got[2], timeout_s=120, interval_s=0.2,
                   what=f"{n} events stored and the facts of every created ticket refreshed")

    def wait_done(self, watermark_ms: int, timeout_s: float = 180) -> None:
        """Until the service evaluated up to `watermark_ms` and a later cycle found nothing to do."""
        def probe() -> tuple[float, float]:
            m = self.metrics()
            failed = m.get(("hotline_alerts_cycle_errors_total", ()), 0.0)
            # A cycle may fail while the service starts; failing on and on is a bug: say which.
            assert failed < 20, f"{failed:g} cycles failed; the service's log ends:\n{tail(self.alerts.log_path)}"
            return (m.get(("hotline_alerts_watermark_timestamp_seconds", ()), 0.0),
                    m.get(("hotline_alerts_cycles_total", (("outcome", "skipped"),)), 0.0))

        _, skipped = eventually(probe, until=lambda got: got[0] == watermark_ms / 1000, timeout_s=timeout_s,
                                interval_s=0.25, ignoring=(OSError,), what=f"the alerts evaluated up to {watermark_ms}")
        eventually(probe, until=lambda got: got[1] > skipped, timeout_s=60, interval_s=0.25, ignoring=(OSError,),
                   what="a cycle with nothing left to do")

    def send_live(self, events: list[dict]) -> None:
        """The stream in time order (batches_by_hour), each batch stored before the next is sent."""
        sent = 0
        for batch in batches_by_hour(events, quiet_until=BURST_DAY):
            produce(self.kafka, batch)
            sent += len(batch)
            self.wait_stored(sent)

    def assert_each_alert_once(self, kinds: set[str]) -> None:
        """Every episode stored once (one newest state per id), of exactly `kinds`, and raised
        once on the alerts topic after dropping repeated event ids (what a consumer does)."""
        db = self.clickhouse.database
        [(distinct, final)] = self.db.execute(f"SELECT uniqExact(id), (SELECT count() FROM {db}.alerts FINAL) "
                                              f"FROM {db}.alerts")
        assert distinct == final
        rows = self.alert_rows()
        assert {kind for _, kind, *_ in rows} == kinds
        published = [orjson.loads(r.value) for r in read_topic(self.kafka, self.kafka.topic_alerts, since_ms=0)]
        raised = {e["id"]: e for e in published if e["type"] == "hotline.alert.raised"}
        assert sorted(e["subject"] for e in raised.values()) == sorted(row[0] for row in rows)

    def alert_rows(self, database: str | None = None) -> list[tuple]:
        """(id, kind, series, started_ms, detected_ms, status, observed) of every stored alert, newest state."""
        return sorted(self.db.execute(
            f"SELECT id, kind, series, started_ms, detected_ms, status, observed "
            f"FROM {database or self.clickhouse.database}.alerts FINAL"))


@contextmanager
def backfilled(env: Isolated, events: list[dict]) -> Iterator[tuple[str, str]]:
    """Every event at once, shuffled, straight into a fresh database; one detection cycle run in
    this process (as the service runs it, with the settings of ENV) publishing on a fresh alerts
    topic. Yields (database, topic); both are dropped afterwards."""
    database, topic = f"{env.clickhouse.database}_backfill", f"{env.run}.backfill.alerts"
    db = env.db
    broker.ensure_topics(KafkaSettings(**{**env.kafka.model_dump(), "topic_alerts": topic}))
    try:
        migrate(db, database)
        work_calendar.sync(db, database, "Asia/Shanghai")
        shuffled = list(events)
        random.Random(7).shuffle(shuffled)
        now = int(dt.datetime.now(dt.timezone.utc).timestamp())
        rows = []
        for n, e in enumerate(shuffled):
            verdict = judge(e, PrivacySettings().hash_key)
            assert isinstance(verdict, Accepted), verdict
            rows.append(to_row(to_record(verdict.event, TZ), "backfill", 0, n, now))
        db.execute(insert_sql(database), rows)
        facts.rebuild(db, database, "Asia/Shanghai", "ticket")
        settings = AlertsSettings(
            clickhouse=ClickHouseSettings(**{**env.clickhouse.model_dump(), "database": database}),
            kafka=KafkaSettings(**{**env.kafka.model_dump(), "topic_alerts": topic}),
            surge={"baseline_days": 7}, settle_s=0)
        storage = Storage(settings.clickhouse)
        publisher = Publisher(settings.kafka, TZ, 10)
        try:
            cycle = Cycle(settings, Reader(storage), AlertStore(storage, TZ, "backfill"), publisher, Metrics())
            outcome = cycle.run()
            assert not outcome.skipped and outcome.changes
            assert cycle.run().skipped  # nothing left: one cycle did the whole backfill
        finally:
            publisher.close()
            storage.close()
        yield database, topic
    finally:
        db.execute(f"DROP DATABASE IF EXISTS {database}")
        admin = KafkaAdminClient(bootstrap_servers=env.kafka.bootstrap_servers)
        try:
            admin.delete_topics([topic])
        finally:
            admin.close()


class ExtraService(LocalService):
    def __init__(self, stack, spec, env: dict[str, str], settings) -> None:
        self._env = env
        super().__init__(stack, spec, 0, settings)

    def env(self) -> dict[str, str]:
        return self._env


def batches_by_hour(events: list[dict], quiet_until: dt.datetime) -> Iterator[list[dict]]:
    """The stream in time order: one batch per day before `quiet_until`, then one per clock hour
    (a cycle that runs while a batch is being stored sees complete data for every earlier hour)."""
    key = lambda e: (dt.datetime.fromisoformat(e["time"]).astimezone(TZ).strftime("%Y-%m-%d")  # noqa: E731
                     if dt.datetime.fromisoformat(e["time"]) < quiet_until
                     else dt.datetime.fromisoformat(e["time"]).astimezone(TZ).strftime("%Y-%m-%dT%H"))
    batch: list[dict] = []
    for e in events:
        if batch and key(batch[-1]) != key(e):
            yield batch
            batch = []
        batch.append(e)
    if batch:
        yield batch
