"""Benchmark: aggregate workers draining pre-filled topics into queryable facts.

    .venv/bin/python bench/aggregate.py [--periods day,week,month] [--workers 1,2] [--events simulator,shuffled] [--out F]

Starts its own local stack (state in .state/bench, its own ports, purged first: the simulator's
ids repeat for a seed, and facts left by an earlier run would count as folded), and for each kind
of events, period and worker count: stops the workers, fills the topics with that period's
events, starts N workers and times until every event is in the facts (the sum of the facts'
event counts equals the distinct events sent). Two rates: from the workers' start (process
start and consumer-group join included, a fixed few seconds that dominate a day's backlog), and
from the moment the first worker has partitions assigned (its `hotline_aggregate_assigned_partitions`
gauge, polled every 20 ms) — the rate of folding itself. Prints a table and writes
docs/benchmarks/aggregate.json. Not a test: figures depend on the machine's load.

Two kinds of events:
- `simulator`: the Huai'an 2023 profile at full scale (`hotline simulate`'s generator), a
  Monday, the week from it, and March 2023, in time order as the city's systems publish them;
- `shuffled`: the same volumes from tests/support/bulk.py, every event of the period in random
  order, so each call's and ticket's events are spread over the whole backlog (a stress case:
  each entity's facts are refreshed about once per event instead of about once).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BENCH_ENV = {
    "HOTLINE_STATE_DIR": str(REPO / ".state" / "bench"), "HOTLINE_CLICKHOUSE_PORT": "19300",
    "HOTLINE_CLICKHOUSE_HTTP_PORT": "18323", "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:19392",
    "HOTLINE_INGEST_PORT": "18380", "HOTLINE_API_PORT": "18390", "HOTLINE_AGGREGATE_PORT": "16366", "HOTLINE_ALERTS_PORT": "18395",
}
os.environ.update(BENCH_ENV)

from bench.stages.common import cpu_s, scrape  # noqa: E402
from bench.stages.stack import clickhouse_pid  # noqa: E402
from tooling.stack import stack  # noqa: E402
from tooling.stack.server import start_together  # noqa: E402
from tooling.stack.services import SERVICES, LocalService  # noqa: E402
from hotline.storage.client import connect  # noqa: E402
from tests.support import bulk  # noqa: E402
from tests.support.pipeline import produce  # noqa: E402
from tooling.simulator import profile  # noqa: E402
from tooling.simulator.catchup import folded  # noqa: E402
from tooling.simulator.generator import Stats, generate  # noqa: E402
from tooling.simulator.period import between  # noqa: E402

# Events of one simulated day at Huai'an's 2023 volume: 1.45 M tickets and 1.58 M calls a year,
# ~3 events a call and ~4 a ticket.
PERIODS = {"day": 30_000, "week": 210_000, "month": 900_000}
# The simulator's periods: a Monday, the week from it, a month (2023-03 has no holiday).
SIMULATED = {"day": ("2023-03-06", "2023-03-06"), "week": ("2023-03-06", "2023-03-12"),
             "month": ("2023-03-01", "2023-03-31")}
AGGREGATE = next(s for s in SERVICES if s.name == "aggregate")


def shuffled_events(period: str) -> tuple[str, list[dict], int]:
    run = f"b{uuid.uuid4().hex[:8]}"
    calls, tickets = bulk.population(seed=1, run=run, events=PERIODS[period])
    return run, bulk.at_least_once(1, calls + tickets, duplicate_rate=0.0), sum(len(es) for es in calls + tickets)


def simulated_events(period: str, seed: int) -> tuple[str, list[dict], int]:
    """The period's events in time order; each run its own seed, so ids never repeat a run's."""
    stats = Stats()
    first, last = SIMULATED[period]
    events = [e for _, e in generate(profile.load("huaian-2023"), scale=1.0, seed=seed, with_previous=False,
                                     stats=stats, period=between(first, last, 2023))]
    return f"sim{seed}-", events, stats.events


class FirstAssignment:
    """Polls the workers' /metrics from a thread until one has partitions; `at` is that moment
    (time.monotonic). A thread because starting the workers blocks until they answer their
    health checks."""

    def __init__(self, ports: list[int]):
        self.ports, self.at = ports, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            for port in self.ports:
                # None while the worker is not listening yet
                if (scrape(f"http://127.0.0.1:{port}/metrics", "hotline_aggregate_assigned_partitions", 1.0) or 0) > 0:
                    self.at = time.monotonic()
                    return
            time.sleep(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_once(s, ch, kind: str, period: str, workers: int, seed: int) -> dict:
    run, wire, total = simulated_events(period, seed) if kind == "simulator" else shuffled_events(period)
    svcs = [LocalService(s.stack, AGGREGATE, i) for i in range(2)]
    for w in svcs:
        w.stop()
    t = time.monotonic()
    produce(s.kafka, wire)
    fill_s = time.monotonic() - t
    clickhouse = clickhouse_pid(s)
    ch_cpu0 = cpu_s(clickhouse)
    t0 = time.monotonic()
    first = FirstAssignment([w.port for w in svcs[:workers]])
    # Together, as a deployment starts its replicas (and `hotline up` its workers). Not always
    # one rebalance: the local broker forms the group as soon as the first member joins
    # (group.initial.rebalance.delay.ms=0), so a worker joining even 50 ms later costs a
    # second one, while the first already folds; assigned_after_s is the first assignment.
    start_together(svcs[:workers])
    pids = [w.pid() for w in svcs[:workers]]
    while folded(ch, s.clickhouse.database, run) < total:
        time.sleep(0.1)
        if time.monotonic() - t0 > 3600:
            raise SystemExit(f"{kind} {period}/{workers}: not done after an hour")
    done = time.monotonic()
    first.stop()
    if first.at is None:
        raise SystemExit(f"{kind} {period}/{workers}: no worker reported assigned partitions")
    wall, folding = done - t0, done - first.at
    cpu = sum(cpu_s(p) for p in pids)
    ch_cpu = cpu_s(clickhouse) - ch_cpu0
    return {"events_kind": kind, "period": period, "workers": workers, "events": total, "fill_s": round(fill_s, 1),
            "drain_s": round(wall, 1), "events_per_s": round(total / wall),
            "assigned_after_s": round(first.at - t0, 2), "folding_s": round(folding, 2),
            "events_per_s_from_assignment": round(total / folding), "worker_cpu_s": round(cpu, 1),
            "clickhouse_cpu_s": round(ch_cpu, 1),
            "refresh_max_events": int(os.environ.get("HOTLINE_AGGREGATE_REFRESH_MAX_EVENTS", 100_000))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--periods", default="day,week,month")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--events", default="simulator,shuffled", help="simulator (time order) and/or shuffled")
    ap.add_argument("--out", default=str(REPO / "docs" / "benchmarks" / "aggregate.json"))
    args = ap.parse_args()
    s = stack.Settings.from_env()
    stack.down(s, purge=True, say=lambda line: None)
    stack.up(s, say=lambda line: None)
    ch = connect(s.clickhouse)
    results = []
    try:
        runs = [(k, p, n) for k in args.events.split(",") for p in args.periods.split(",")
                for n in map(int, args.workers.split(","))]
        for seed, (kind, period, n) in enumerate(runs, start=101):
            r = run_once(s, ch, kind, period, n, seed)
            results.append(r)
            print(f"{r['events_kind']:>9} {r['period']:>6} {r['workers']} worker(s): {r['events']:>8} events in "
                  f"{r['drain_s']:>6} s = {r['events_per_s']:>6} events/s; from assignment ({r['assigned_after_s']} s) "
                  f"{r['folding_s']} s = {r['events_per_s_from_assignment']:>6} events/s (worker CPU {r['worker_cpu_s']} s, "
                  f"ClickHouse CPU {r['clickhouse_cpu_s']} s; fill {r['fill_s']} s)", flush=True)
    finally:
        stack.down(s, say=lambda line: None)
    out = {"date": dt.date.today().isoformat(), "cores": os.cpu_count(), "machine": platform.machine(),
           "note": "drain = workers started on a pre-filled backlog until every event is in the facts "
                   "(process start and group join included); folding = from the first worker's partition "
                   "assignment to the same end", "runs": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
