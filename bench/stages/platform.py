"""Stages 1 and 2: the platform itself.

1. `through_http`: the simulator sends the city-year to ingest in HTTP batches (the way a
   telephony or ticketing system would); ingest → broker → aggregate workers → ClickHouse.
   Timed from the first send until the facts hold every distinct event the simulator generated
   (the run's ground truth); then the annual report is fetched from the API and compared with
   the profile's published figures.
2. `from_kafka`: the same topics, already full, drained again by fresh workers (a new consumer
   group) into an emptied database: the stream-processing cost alone, with no producer running.

CPU and peak memory count the stack's server processes (ingest, broker, workers, ClickHouse,
API); the simulator's own CPU (the load generator, in this process) is given apart in notes.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

from bench.stages.common import StageResult, measure
from bench.stages.windows import Windows, breakdown
from tooling.simulator import catchup
from tooling.simulator.compare import compare, summary
from tooling.simulator.demo import fetch_report, report_params
from tooling.simulator.run import RunResult, simulate
from tooling.simulator.settings import SimulatorSettings
from tooling.simulator.sinks import HttpSink
from tooling.stack import stack
from tooling.stack.server import start_together
from tooling.stack.services import SERVICES, LocalService
from hotline.settings import CitySettings
from hotline.storage import work_calendar
from hotline.storage.client import connect
from hotline.storage.migrate import migrate

AGGREGATE = next(s for s in SERVICES if s.name == "aggregate")
API = next(s for s in SERVICES if s.name == "api")
ALERTS = next(s for s in SERVICES if s.name == "alerts")


def stop_alerts(s: stack.Settings) -> None:
    """The alerts service runs through stage 1 (the platform at work) and is stopped after it.
    Replaying a year at a hundred times its pace, each detection cycle evaluates weeks of events
    (cycles of up to 600 s in the run of 2026-12-07), and those cycles took the cores from every
    later stage and latency step, none of which is about alerts (`./run alerts-eval` measures the
    detectors)."""
    LocalService(s.stack, ALERTS).stop()


@dataclass
class Sent:
    """What stage 1 sent: the ground truth the later stages are checked against."""

    run: RunResult
    prefix: str  # ids of the simulated calls and tickets start with it
    with_previous: bool

    @property
    def distinct_events(self) -> int:
        return self.run.stats.events

    @property
    def calls(self) -> int:
        return sum(self.run.stats.calls.values())

    @property
    def tickets(self) -> int:
        return sum(self.run.stats.tickets.values())


def server_pids(s: stack.Settings) -> list[int]:
    return [p for p in (x.pid for x in stack.status(s)) if p]


def cpu_by_server(s: stack.Settings, by_pid: dict[int, float]) -> str:
    """"clickhouse 812 s, ingest 420 s, …": where a stage's CPU went (the bottleneck question)."""
    names = {x.pid: x.name for x in stack.status(s) if x.pid}
    spent = sorted(((cpu, names.get(pid, str(pid))) for pid, cpu in by_pid.items()), reverse=True)
    return "CPU by process: " + ", ".join(f"{name} {cpu:.0f} s" for cpu, name in spent if cpu >= 0.5)


def through_http(s: stack.Settings, doc: dict[str, Any], scale: float, seed: int, with_previous: bool,
                 say=print) -> tuple[StageResult, Sent, dict, list[dict]]:
    """Stage 1; also returns its windows (one per simulated month, bench/stages/windows.py)."""
    sim = SimulatorSettings()
    sink = HttpSink(sim.ingest_url, sim.ingest_token.get_secret_value(), batch_size=sim.batch_size,
                    concurrency=sim.concurrency)
    prefix = f"sim{seed}-"
    client = connect(s.clickhouse)
    db = s.clickhouse.database
    try:
        processes = {x.name: x.pid for x in stack.status(s) if x.pid}
        windows = Windows({**processes, "simulator": os.getpid()},
                          lambda: client.execute(f"SELECT count() FROM {db}.events")[0][0], CitySettings().timezone)
        gen0 = time.process_time()
        with measure(server_pids(s)) as m:
            result = simulate(doc, sink, scale=scale, seed=seed, with_previous=with_previous, progress=windows)
            windows.end(result.sent)
            say(f"  sent {result.sent:,} events in {result.wall_s:.0f} s "
                f"(accepted {result.accepted:,}, rejected {result.rejected:,}); waiting for the facts")
            waited = catchup.wait(client, db, prefix, result.stats.events, timeout_s=7200)
        generator_cpu = time.process_time() - gen0
        sent = Sent(result, prefix, with_previous)
        checked = facts_match(client, db, sent)
        rows = windows.rows()
        breakdown(client, db, rows)
    finally:
        client.disconnect()
    report = check_report(doc, scale, with_previous)
    notes = (f"{sim.batch_size}-event batches, {sim.concurrency} connections; caught up {waited:.1f} s after the "
             f"last send; {checked}; report: {report['passed']} of {report['checked']} published figures within "
             f"tolerance; {cpu_by_server(s, m.by_pid)}; simulator CPU {generator_cpu:.0f} s (not counted)")
    return m.result("1 platform: HTTP → facts", result.stats.events, notes), sent, report, rows


def from_kafka(s: stack.Settings, sent: Sent, workers: int, say=print) -> StageResult:
    """Stop the workers and the API, empty the database, start `workers` fresh workers in a new
    consumer group (so they read the topics from offset 0) and time them to the same facts."""
    services = [LocalService(s.stack, AGGREGATE, i) for i in range(max(workers, 2))]
    readers = [LocalService(s.stack, API)]
    for svc in (*services, *readers):
        svc.stop()  # the API too: its live refresh and compactor would read a missing table
    admin = connect(s.clickhouse, database=False)
    try:
        admin.execute(f"DROP DATABASE IF EXISTS {s.clickhouse.database}")
        migrate(admin, s.clickhouse.database)
        work_calendar.sync(admin, s.clickhouse.database, CitySettings().timezone)
    finally:
        admin.disconnect()
    group = f"bench-drain-{uuid.uuid4().hex[:8]}"
    os.environ["HOTLINE_AGGREGATE_APP_ID"] = group  # the workers' settings read it at start
    client = connect(s.clickhouse)
    try:
        base = server_pids(s)
        with measure(base) as m:
            start_together(services[:workers])
            m.pids = (*m.pids, *(p for p in (svc.pid() for svc in services[:workers]) if p))
            waited = catchup.wait(client, s.clickhouse.database, sent.prefix, sent.distinct_events, timeout_s=7200)
        checked = facts_match(client, s.clickhouse.database, sent)
    finally:
        client.disconnect()
    by_server = cpu_by_server(s, m.by_pid)
    for svc in readers:
        svc.start()
    say(f"  drained in {waited:.0f} s")
    return m.result("2 platform: Kafka → facts", sent.distinct_events,
                    f"{workers} workers, new group {group} (its join included); {checked}; {by_server}")


def facts_match(client, database: str, sent: Sent) -> str:
    """One facts row per simulated call and ticket, every distinct event folded once."""
    q = ("SELECT count(), sum(events) FROM {db}.{e}_facts FINAL WHERE {e}_id LIKE %(p)s")
    (calls, c_ev), = client.execute(q.format(db=database, e="call"), {"p": sent.prefix + "%"})
    (tickets, t_ev), = client.execute(q.format(db=database, e="ticket"), {"p": sent.prefix + "%"})
    problems = [f"{what} {got:,} != {want:,}" for what, got, want in (
        ("call facts", calls, sent.calls), ("ticket facts", tickets, sent.tickets),
        ("events folded", c_ev + t_ev, sent.distinct_events)) if got != want]
    if problems:
        raise AssertionError("the facts differ from the simulation's ground truth: " + "; ".join(problems))
    return f"facts = ground truth ({calls:,} calls, {tickets:,} tickets, {c_ev + t_ev:,} events)"


def check_report(doc: dict[str, Any], scale: float, with_previous: bool) -> dict:
    """The annual report from the API against the profile's published figures (as `hotline
    simulate --compare`); without the previous year the year-over-year figures are left out."""
    report = fetch_report(SimulatorSettings(), int(doc["year"]), report_params(doc), timeout_s=600)
    rows = [r for r in compare(doc, report, scale) if with_previous or r.measure != "yoy"]
    out = summary(rows)
    out["failed_paths"] = [f"{r.path}: {r.computed} vs {r.expected} ± {r.tolerance}" for r in rows if r.ok is False]
    return out
