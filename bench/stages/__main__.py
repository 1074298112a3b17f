"""One command, one simulated city-year through the platform and its alternatives, side by side.

    ./run bench [--scale 1.0] [--seed 1] [--previous] [--workers 2] [--history N] [--stages 1,2,3,4,5]

Starts a stack of its own (`hotline up` on private ports, state in .state/bench-city, purged
first), then, one after another on the same events:
  1. the platform: simulator → ingest (HTTP batches) → broker → aggregate workers → facts,
     until the facts equal the run's ground truth; the annual report is then checked against
     the profile's published figures; measured in windows of one simulated month each
     (events/s and CPU µs per event of every process against the history stored,
     bench/stages/windows.py); with `--history N` the N years before are loaded first
     (bench/stages/history.py) and only stage 1 runs; the alerts service runs through this
     stage only (bench/stages/platform.py stop_alerts);
  2. the platform from Kafka: fresh workers drain the topics stage 1 filled into an emptied
     database (the stream-processing cost alone);
  3. the physical floor: the same event rows loaded with clickhouse-client (JSONEachRow), then
     the facts built in SQL;
  4. the ClickHouse-native peer: the Kafka table engine and a materialized view on the topics;
  5. a naive consumer: aiokafka → orjson → clickhouse-driver, no Faust, no validation;
then latencies on the loaded stack: annual report cold and cached, /v1/live under load, ingest
single events, freshness (accepted → visible in /v1/live). Prints a table and writes
docs/benchmarks/city-year.json and .md (city-year-history.* with --history), and the chart of
the windows of both, docs/benchmarks/city-year-windows.svg. Stops the stack at the end, also on
error. Not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time

from bench.stages import chart, floor, history, naive, peer
from bench.stages import platform as the_platform
from bench.stages.common import StageResult, cpu_model
from bench.stages.windows import flatness
from bench.stages.report import write
from bench.stages.stack import bench_stack, clickhouse_errors, clickhouse_pid
from bench.stages.topics import messages
from hotline.settings import REPO_ROOT, CitySettings
from tooling.simulator import profile
from tooling.stack import stack

PROFILE = "huaian-2023"


def say(line: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {line}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(prog="./run bench", description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="the city-year × scale (default 1.0: full Huai'an)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--previous", action="store_true",
                    help="also the previous year (doubles the events; the report's year-over-year is then checked)")
    ap.add_argument("--workers", type=int, default=2, help="aggregate workers (default 2)")
    ap.add_argument("--floor-clients", type=int, default=2, help="parallel clickhouse-client inserts in stage 3")
    ap.add_argument("--history", type=int, default=0, metavar="N",
                    help="load the N years before the profile's year first (three years of history: 2); "
                         "then only stage 1 runs")
    ap.add_argument("--without-alerts", action="store_true",
                    help="stop the alerts service before stage 1 too (its replay cycles move the months' rates)")
    ap.add_argument("--stages", default="1,2,3,4,5", help="which throughput stages (1 always; default all)")
    ap.add_argument("--skip-latency", action="store_true", help="only the throughput stages")
    ap.add_argument("--out", default=None,
                    help="write OUT.json and OUT.md (default docs/benchmarks/city-year, "
                         "or docs/benchmarks/city-year-history with --history)")
    args = ap.parse_args()
    if not 0 < args.scale <= 1:
        ap.error(f"--scale {args.scale} is not in (0, 1]")
    try:
        wanted = {int(x) for x in args.stages.split(",")}
    except ValueError:
        ap.error(f"--stages {args.stages!r} is not a comma-separated list of stage numbers")
    if not wanted <= {1, 2, 3, 4, 5} or 1 not in wanted:
        ap.error(f"--stages {args.stages!r}: stages are 1–5 and every later stage reads what stage 1 sent")
    if args.history < 0 or (args.history and args.previous):
        ap.error("--history takes a number of years ≥ 0 and replaces --previous")
    if args.history:
        wanted = {1}  # the later stages drain the topics, which then hold the history too
    base = REPO_ROOT / "docs" / "benchmarks"
    out = args.out or str(base / ("city-year-history" if args.history else "city-year"))
    doc = profile.load(PROFILE)
    tz = CitySettings().timezone
    started = time.monotonic()
    res: dict = {
        "date": dt.date.today().isoformat(), "cores": os.cpu_count(), "machine": platform.machine(),
        "cpu": cpu_model(), "python": platform.python_version(), "commit": _commit(),
        "command": " ".join(["./run bench", *sys.argv[1:]]), "profile": PROFILE, "scale": args.scale,
        "seed": args.seed, "previous_year": args.previous, "workers": args.workers, "stages_run": sorted(wanted),
        "alerts_in_stage_1": not args.without_alerts,
    }
    stages: list[StageResult] = []
    with bench_stack(args.workers, say=say) as s:
        res["clickhouse_version"] = _clickhouse_version(s)
        if args.history:
            say(f"history: the {args.history} years before {doc['year']} stored as the workers store them, facts built in SQL")
            res["history"] = history.load(s, doc, args.history, args.scale, say=say).as_dict()
        if args.without_alerts:
            the_platform.stop_alerts(s)
        say(f"stage 1: the platform through HTTP (scale {args.scale:g}{', with the previous year' if args.previous else ''})")
        r1, sent, report, windows = the_platform.through_http(s, doc, args.scale, args.seed, args.previous, say=say)
        stages.append(r1)
        res["report_check"] = report
        res["windows"], res["flatness"] = windows, flatness(windows)
        say(f"  windows: {json.dumps(res['flatness'])}")
        the_platform.stop_alerts(s)
        res["ground_truth"] = {"distinct_events": sent.distinct_events, "calls": sent.calls, "tickets": sent.tickets,
                               "sent": sent.run.sent, "accepted": sent.run.accepted, "rejected": sent.run.rejected}
        say(f"  {r1.events:,} events in {r1.wall_s:.0f} s = {r1.events_per_s:,.0f} events/s; "
            f"report {report['passed']}/{report['checked']} figures within tolerance")
        if 2 in wanted:
            say("stage 2: the platform draining the filled topics")
            stages.append(the_platform.from_kafka(s, sent, args.workers, say=say))
            say(f"  {stages[-1].events_per_s:,.0f} events/s")
        if 3 in wanted:
            say("stage 3: the physical floor (clickhouse-client JSONEachRow, facts in SQL)")
            stages += floor.run(s.clickhouse, tz, sent, s.stack.state_dir / "work", clickhouse_pid(s),
                                clients=args.floor_clients, say=say)
            say(f"  {stages[-3].events_per_s:,.0f} events/s")
        if wanted & {4, 5}:
            in_topics = messages(s.kafka)
            res["messages_in_topics"] = in_topics
            servers = [clickhouse_pid(s), *_broker_pid(s)]
        if 4 in wanted:
            say(f"stage 4: the ClickHouse Kafka engine peer ({in_topics:,} messages)")
            stages.append(peer.run(s.kafka, s.clickhouse, in_topics, pids=servers, server_log=clickhouse_errors(s)))
            say(f"  {stages[-1].events_per_s:,.0f} events/s {'' if stages[-1].events else stages[-1].notes}")
        if 5 in wanted:
            say("stage 5: a naive aiokafka → clickhouse-driver consumer")
            stages.append(naive.run(s.kafka, s.clickhouse, in_topics, pids=servers))
            say(f"  {stages[-1].events_per_s:,.0f} events/s")
        res["stages"] = [r.as_dict() for r in stages]
        res["ratios"] = ratios(stages)
        res["total_wall_s"] = round(time.monotonic() - started)
        write(res, out)  # the throughput figures are kept even if a latency step fails
        if not args.skip_latency:
            res["latency"] = _latency(s, int(doc["year"]))
    res["total_wall_s"] = round(time.monotonic() - started)
    md = write(res, out)
    if args.out is None:  # the default records of both variants, drawn together
        runs = [p for p in (base / "city-year.json", base / "city-year-history.json") if p.exists()]
        chart.write(runs, base / "city-year-windows.svg")
    else:
        chart.write([out + ".json"], out + "-windows.svg")
    print(md)
    return 0


def ratios(stages: list[StageResult]) -> dict:
    by = {r.stage.split(" ", 1)[0]: r for r in stages}

    def ratio(a: str, b: str) -> float | None:
        x, y = by.get(a), by.get(b)
        return round(x.events_per_s / y.events_per_s, 3) if x and y and x.events and y.events else None

    return {"platform / floor": ratio("1", "3"), "platform / peer": ratio("1", "4"),
            "platform from Kafka / peer": ratio("2", "4"), "platform from Kafka / floor": ratio("2", "3"),
            "platform from Kafka / naive": ratio("2", "5")}


def _latency(s, year: int) -> dict:
    from bench.stages import latency
    from tooling.stack.services import SERVICES, LocalService
    from tooling.simulator.settings import SimulatorSettings

    sim = SimulatorSettings()
    api = LocalService(s.stack, next(x for x in SERVICES if x.name == "api"))
    e = latency.Endpoints(ingest_url=sim.ingest_url, api_url=sim.api_url, token=sim.api_token.get_secret_value(),
                          clickhouse=s.clickhouse, api_pid=api.pid())
    out = {}
    for name, fn in (("annual_report", lambda: latency.report_latency(e, year)),
                     ("live", lambda: latency.live_latency(e)),
                     ("ingest", lambda: latency.ingest_latency(e)),
                     ("freshness", lambda: latency.freshness(e))):
        say(f"latency: {name}")
        try:
            out[name] = fn()
        except Exception as exc:  # one failed measurement must not lose the others: it is reported
            out[name] = {"failed": f"{type(exc).__name__}: {exc}"}
        say(f"  {json.dumps(out[name], ensure_ascii=False)[:400]}")
    return out


def _broker_pid(s) -> list[int]:
    return [c.pid for c in stack.status(s) if c.name == "broker" and c.pid]


def _clickhouse_version(s) -> str:
    from hotline.storage.client import connect

    client = connect(s.clickhouse, database=False)
    try:
        return client.execute("SELECT version()")[0][0]
    finally:
        client.disconnect()


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
