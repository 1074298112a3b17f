"""One fault-suite run: the same simulated month streamed over HTTP into a clean stack and into
a stack that suffers faults meanwhile; then what each holds, side by side.

Judged (see `judge`): the annual report's JSON byte for byte (its `generated_at` stamp set to
"-" in both), the facts tables byte for byte (every row read with FINAL, sorted by id, every
column but `refreshed_at`, the wall time of the refresh, as ClickHouse's TabSeparated), every
event the faulted producer was told "accepted" present in the event table, and no entity
counted twice (one facts row per id; the facts' event counts add up to the events generated).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from hotline.settings import ClickHouseSettings
from tooling.simulator import catchup, profile
from tooling.simulator.generator import Stats, generate
from tooling.simulator.period import month
from tooling.simulator.run import simulate
from hotline.storage.client import connect
from hotline.tokens import DEV_TOKEN
from tests.support.fault_sink import Fault, FaultingSink, RecordingHttpSink
from tests.support.fault_stack import FaultStack

PROFILE, YEAR, DB = "huaian-2023", 2023, "hotline"
FACTS = {"call_facts": "call_id", "ticket_facts": "ticket_id"}
GENERATED_AT = re.compile(rb'"generated_at":\s*"[^"]*"')


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: int
    scale: float
    month: str
    faults: tuple[tuple[str, float], ...]  # (kind, fraction of the stream sent before it fires)
    duration_s: float  # the faulted stream is spread over about this long
    send_batch: int = 1000  # events per simulator flush (split into HTTP batches below)
    http_batch: int = 250
    concurrency: int = 4
    http_timeout_s: float = 4.0
    clickhouse_down_s: float = 30.0
    broker_down_s: float = 3.0
    backlog_s: float = 5.0  # the aggregate is stopped this long before a broker restart
    restart_after_s: float = 2.0
    catchup_timeout_s: float = 300.0


def _actions(stack: FaultStack, sink: RecordingHttpSink, sc: Scenario) -> dict[str, Callable[[], dict]]:
    # The time.sleep calls below are the faults themselves (how long a component stays down, a
    # backlog builds, a restart waits: the scenario's durations), not waits for a condition.
    def counts_during(fn: Callable[[], dict]) -> dict:
        before = Counter(sink.counts)
        seen = fn()
        delta = Counter(sink.counts)
        delta.subtract(before)
        return {**seen, "producer": {k: v for k, v in sorted(delta.items()) if v}}

    def aggregate_sigkill() -> dict:
        pid = stack.sigkill("aggregate")
        time.sleep(sc.restart_after_s)
        stack.up()
        return {"killed_pid": pid, "restarted_pid": stack.pid("aggregate")}

    def stopped_for(name: str, seconds: float) -> dict:
        """Stop `name` (SIGTERM), leave it down `seconds`, `hotline up`; how long each step took."""
        t0, pid = time.monotonic(), stack.pid(name)
        stack.stop(name)
        t1 = time.monotonic()
        time.sleep(seconds)
        t2 = time.monotonic()
        if name == "clickhouse":
            stack.clickhouse_up.set()
        stack.up()
        t3 = time.monotonic()
        return {"stopped_pid": pid, "restarted_pid": stack.pid(name), "stopping_s": round(t1 - t0, 1),
                "stopped_s": round(t2 - t1, 1), "hotline_up_s": round(t3 - t2, 1)}

    def with_backlog(then: Callable[[], dict]) -> dict:
        """The aggregate is stopped first, so the broker holds messages no consumer has read and
        offsets it must keep when `then` strikes it; `hotline up` brings everything back."""
        def go() -> dict:
            stack.stop("aggregate")
            time.sleep(sc.backlog_s)
            accepted, folded = len(sink.accepted_ids), _folded(stack, sc.seed)
            return {"aggregate_stopped_s": sc.backlog_s, "accepted_not_yet_in_facts": accepted - folded, **then()}
        return counts_during(go)

    def broker_sigkill() -> dict:
        """SIGKILLed with a backlog, no clean shutdown; restarted on its own data by `hotline up`."""
        def then() -> dict:
            pid = stack.sigkill("broker")
            time.sleep(sc.broker_down_s)
            t0 = time.monotonic()
            stack.up()
            return {"killed_pid": pid, "restarted_pid": stack.pid("broker"), "hotline_up_s": round(time.monotonic() - t0, 1)}
        return with_backlog(then)

    def broker_data_lost() -> dict:
        """The control: the broker's data deleted while it is down (a lost disk). Every message
        accepted but not yet folded is gone; the suite must say so, not pass."""
        def then() -> dict:
            pid = stack.sigkill("broker")
            stack.lose_broker_data()
            stack.up()
            return {"killed_pid": pid, "restarted_pid": stack.pid("broker")}
        return with_backlog(then)

    def clickhouse_stop() -> dict:
        stack.clickhouse_up.clear()
        try:
            return stopped_for("clickhouse", sc.clickhouse_down_s)
        finally:
            stack.clickhouse_up.set()

    def ingest_sigkill_mid_batch() -> dict:
        def go() -> dict:
            # Killed while a request is on the wire, not after a guessed pause: a fixed 0.15 s
            # once fell between two sends and cut nothing (a clean-clone run, 2026-11-24).
            in_flight: list[bool] = []
            pid = stack.sigkill("ingest", just_before=lambda: in_flight.append(sink.wait_in_flight(10.0)))
            time.sleep(sc.restart_after_s / 2)
            stack.up()
            return {"killed_pid": pid, "restarted_pid": stack.pid("ingest"), "request_in_flight": in_flight[0]}
        return counts_during(go)

    def producer_timeout() -> dict:
        def go() -> dict:
            time.sleep(0.1)
            frozen = sc.http_timeout_s + 3
            stack.freeze("ingest", frozen)
            return {"ingest_frozen_s": frozen, "producer_timeout_s": sc.http_timeout_s}
        return counts_during(go)

    return {f.__name__: f for f in (aggregate_sigkill, broker_sigkill, broker_data_lost, clickhouse_stop,
                                     ingest_sigkill_mid_batch, producer_timeout)}


def stream(stack: FaultStack, sc: Scenario, faulted: bool) -> dict:
    """Stream the scenario's month into `stack` (with its faults if `faulted`), bring everything
    back with `hotline up`, and wait until the facts hold every event generated."""
    doc, period = profile.load(PROFILE), month(sc.month)
    stats = Stats()
    total = sum(1 for _ in generate(doc, scale=sc.scale, seed=sc.seed, with_previous=False, stats=stats, period=period))
    inner = RecordingHttpSink(stack.ingest_url, DEV_TOKEN, batch_size=sc.http_batch, concurrency=sc.concurrency,
                              timeout_s=sc.http_timeout_s, retries=12, max_backoff_s=8.0)
    acts = _actions(stack, inner, sc)
    faults = [Fault(at, kind, acts[kind]) for kind, at in sc.faults] if faulted else []
    sink = FaultingSink(inner, total, faults, sc.duration_s if faulted else 0.0)
    result = simulate(doc, sink, scale=sc.scale, seed=sc.seed, with_previous=False, batch=sc.send_batch,
                      period=period)
    t_sent = sink.elapsed()
    stack.up()
    client = connect(_ch(stack))
    try:
        waited: float | None = catchup.wait(client, DB, f"sim{sc.seed}-", stats.events,
                                           timeout_s=sc.catchup_timeout_s, every_s=1.0)
    except catchup.NotCaughtUp:
        waited = None  # judged all the same: the checks say what is missing
    finally:
        client.disconnect()
    return {
        "events": stats.events, "calls": stats.calls[YEAR], "tickets": stats.tickets[YEAR],
        "sent": result.sent, "accepted": result.accepted, "rejected": result.rejected,
        "stream_s": round(t_sent, 1), "caught_up_after_s": None if waited is None else round(waited, 1),
        "producer": dict(sorted(inner.counts.items())),
        "faults": [{"kind": f.kind, "at_event": f.at_event, "started_s": f.started_s, "ended_s": f.ended_s,
                    **f.observed} for f in sink.fired],
        "_accepted_ids": inner.accepted_ids,
    }


def _folded(stack: FaultStack, seed: int) -> int:
    client = connect(_ch(stack))
    try:
        return catchup.folded(client, DB, f"sim{seed}-")
    finally:
        client.disconnect()


def _ch(stack: FaultStack) -> ClickHouseSettings:
    return ClickHouseSettings(port=stack.base_port, http_port=stack.base_port + 1, database=DB)


def _ch_http(stack: FaultStack, sql: str) -> bytes:
    req = urllib.request.Request(f"{stack.clickhouse_http}/?" + urllib.parse.urlencode({"database": DB}),
                                 data=sql.encode(), method="POST")
    with urllib.request.urlopen(req, timeout=120) as resp:
        return resp.read()


def snapshot(stack: FaultStack, seed: int) -> dict:
    """What the stack holds: the report's bytes, each facts table's bytes, the stored event ids
    and the counts that show double counting."""
    req = urllib.request.Request(f"{stack.api_url}/v1/reports/annual/{YEAR}",
                                 headers={"Authorization": f"Bearer {DEV_TOKEN}"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        report = GENERATED_AT.sub(b'"generated_at":"-"', resp.read())
    facts = {}
    for table, key in FACTS.items():
        described = _ch_http(stack, f"DESCRIBE TABLE {table} FORMAT TabSeparated").decode().splitlines()
        cols = [c for c in (line.split("\t")[0] for line in described) if c != "refreshed_at"]
        facts[table] = _ch_http(stack, f"SELECT {', '.join(cols)} FROM {table} FINAL ORDER BY {key} FORMAT TabSeparated")
    client = connect(_ch(stack))
    try:
        like = {"p": f"sim{seed}-%"}
        ids = set(client.execute(f"SELECT DISTINCT source, id FROM {DB}.events WHERE subject LIKE %(p)s", like))
        rows, distinct = client.execute(
            f"SELECT count(), uniqExact(subject, source, id) FROM {DB}.events WHERE subject LIKE %(p)s", like)[0]
        twice = sum(client.execute(
            f"SELECT count() - uniqExact({key}) FROM {DB}.{table} FINAL WHERE {key} LIKE %(p)s", like)[0][0]
            for table, key in FACTS.items())
        folded = catchup.folded(client, DB, f"sim{seed}-")
    finally:
        client.disconnect()
    return {"report": report, "facts": facts, "ids": ids, "event_rows": rows, "events_distinct": distinct,
            "facts_rows_counted_twice": twice, "facts_events_folded": folded}


def _first_difference(a: bytes, b: bytes) -> str | None:
    """Where two byte strings first differ: line, byte offset and the bytes around it."""
    if a == b:
        return None
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    lo, line = max(0, i - 60), a[:i].count(b"\n") + 1
    return (f"line {line}, byte {i} (lengths {len(a)} and {len(b)}): "
            f"clean {a[lo:i + 60]!r} / faulted {b[lo:i + 60]!r}")


def judge(clean: dict, faulted: dict, accepted_ids: set[tuple[str, str]], events: int) -> dict:
    """The comparison; `differences` counts every check that failed (0 is a pass)."""
    sha = lambda b: hashlib.sha256(b).hexdigest()  # noqa: E731
    checks: dict = {
        "report": {"bytes": len(clean["report"]), "sha256_clean": sha(clean["report"]),
                   "sha256_faulted": sha(faulted["report"]),
                   "difference": _first_difference(clean["report"], faulted["report"])},
        "facts": {t: {"rows": clean["facts"][t].count(b"\n"), "bytes": len(clean["facts"][t]),
                      "sha256_clean": sha(clean["facts"][t]), "sha256_faulted": sha(faulted["facts"][t]),
                      "difference": _first_difference(clean["facts"][t], faulted["facts"][t])} for t in FACTS},
        "accepted_ids": len(accepted_ids),
        "accepted_missing_from_events": sorted(accepted_ids - faulted["ids"])[:20],
        "accepted_missing_count": len(accepted_ids - faulted["ids"]),
        "events_generated": events,
        "events_distinct": {"clean": clean["events_distinct"], "faulted": faulted["events_distinct"]},
        "event_rows_with_duplicates": {"clean": clean["event_rows"], "faulted": faulted["event_rows"]},
        "facts_events_folded": {"clean": clean["facts_events_folded"], "faulted": faulted["facts_events_folded"]},
        "facts_rows_counted_twice": {"clean": clean["facts_rows_counted_twice"],
                                     "faulted": faulted["facts_rows_counted_twice"]},
    }
    failed = [
        checks["report"]["difference"] is not None,
        *(checks["facts"][t]["difference"] is not None for t in FACTS),
        checks["accepted_missing_count"] != 0,
        len(accepted_ids) != events,  # every event of the month was answered "accepted" in the end
        *(n != events for n in checks["events_distinct"].values()),
        *(n != events for n in checks["facts_events_folded"].values()),
        *(n != 0 for n in checks["facts_rows_counted_twice"].values()),
    ]
    checks["differences"] = sum(failed)
    return checks


def run(sc: Scenario, clean_port: int, faulted_port: int) -> dict:
    """Both stacks up (in parallel), the clean stream and the faulted one (in parallel), both
    judged; both stacks purged afterwards, whatever happened."""
    stacks = {"clean": FaultStack(f"faults-{sc.name}-clean", clean_port),
              "faulted": FaultStack(f"faults-{sc.name}-faulted", faulted_port)}
    out: dict = {}
    errors: list[BaseException] = []

    def one(role: str) -> None:
        try:
            stacks[role].down()
            stacks[role].up()
            out[role] = stream(stacks[role], sc, faulted=role == "faulted")
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread below
            errors.append(exc)

    t0 = time.monotonic()
    try:
        threads = [threading.Thread(target=one, args=(role,)) for role in stacks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        accepted = out["faulted"].pop("_accepted_ids")
        out["clean"].pop("_accepted_ids")
        snaps = {role: snapshot(s, sc.seed) for role, s in stacks.items()}
        checks = judge(snaps["clean"], snaps["faulted"], accepted, out["faulted"]["events"])
    finally:
        for s in stacks.values():
            s.down()
    return {"scenario": sc.name, "ran_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "profile": PROFILE, "month": sc.month, "scale": sc.scale, "seed": sc.seed,
            "schedule": [{"kind": kind, "at_fraction": at} for kind, at in sc.faults],
            "producer_settings": {"events_per_send": sc.send_batch, "http_batch": sc.http_batch,
                                  "concurrency": sc.concurrency, "timeout_s": sc.http_timeout_s},
            "events": out["faulted"]["events"], "calls": out["faulted"]["calls"], "tickets": out["faulted"]["tickets"],
            "faults_injected": len(out["faulted"]["faults"]), "wall_s": round(time.monotonic() - t0, 1),
            "clean": out["clean"], "faulted": out["faulted"], "checks": checks}
