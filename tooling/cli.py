"""`hotline`: the platform's command line (local stack: up, down, status; schema: migrate).

Every expected failure is a HotlineError and ends as a message and exit status 1, never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from pydantic import ValidationError

from tooling import cli_alerts, cli_calendar
from hotline.errors import HotlineError

if TYPE_CHECKING:
    from tooling.stack.stack import ComponentStatus


def _cmd_up(args: argparse.Namespace) -> int:
    import os

    from tooling.stack import stack

    if args.cluster:
        if args.aggregate_workers:
            os.environ["HOTLINE_CLUSTER_AGGREGATE_WORKERS"] = str(args.aggregate_workers)
        from tooling.stack import cluster

        cluster.up(stack.Settings.from_env(), cluster.ClusterSettings())
        return _cmd_status(args)

    if args.aggregate_workers:
        os.environ["HOTLINE_AGGREGATE_WORKERS"] = str(args.aggregate_workers)

    stack.up(stack.Settings.from_env())
    return _cmd_status(args)


def _cmd_down(args: argparse.Namespace) -> int:
    from tooling.stack import stack

    if args.cluster:
        from tooling.stack import cluster

        cluster.down(stack.Settings.from_env(), cluster.ClusterSettings(), purge=args.purge)
        return 0
    stack.down(stack.Settings.from_env(), purge=args.purge)
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from tooling.stack import stack

    if args.cluster:
        from tooling.stack import cluster

        rows = cluster.status(stack.Settings.from_env(), cluster.ClusterSettings())
        _print_status(rows)
        # Every member of the cluster should answer.
        return 1 if any(r.healthy is not True for r in rows) else 0

    rows = stack.status(stack.Settings.from_env())
    width = _print_status(rows)
    # Non-zero when something that should answer does not: scripts can wait on it.
    bad = [r for r in rows if r.healthy is False or (r.state == "stopped" and r.name in ("clickhouse", "broker"))]
    if any(r.name == "clickhouse" and r.healthy for r in rows):
        print(f"{'calendar':<{width}}  {cli_calendar.coverage_line()}")
    return 1 if bad else 0


def _cmd_env(args: argparse.Namespace) -> int:
    """The environment the cluster's services run with, as shell `export` lines: `eval` them to
    point any `hotline` command (simulate, alerts, calendar, …) at the cluster."""
    import shlex

    from tooling.stack import cluster, stack

    for key, value in cluster.service_env(stack.Settings.from_env(), cluster.ClusterSettings()).items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


def _print_status(rows: "list[ComponentStatus]") -> int:
    """Print one line per component; returns the width of the name column."""
    width = max(len(r.name) for r in rows)
    for r in rows:
        health = {True: "healthy", False: "UNHEALTHY", None: "-"}[r.healthy]
        pid = f"pid {r.pid}" if r.pid else ""
        print(f"{r.name:<{width}}  {r.state:<13}  {health:<9}  {r.address}  {pid}".rstrip())
    return width


def _cmd_migrate(args: argparse.Namespace) -> int:
    from hotline.storage.__main__ import apply_migrations

    print(apply_migrations())
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    import datetime as dt

    from services.aggregate.replay import replay
    from services.aggregate.settings import AggregateSettings

    since = None
    if args.since:
        try:
            since = dt.datetime.fromisoformat(args.since)
        except ValueError:
            print(f"hotline replay: --since {args.since!r} is not an ISO date or date-time", file=sys.stderr)
            return 2
        if since.tzinfo is None:
            from zoneinfo import ZoneInfo

            since = since.replace(tzinfo=ZoneInfo(AggregateSettings().city.timezone))
    r = replay(AggregateSettings(), since=since)
    print(f"replayed {r.messages} messages: {r.written} events written, {r.rejected} invalid (not dead-lettered again)")
    return 0


def _cmd_rebuild(args: argparse.Namespace) -> int:
    from hotline.settings import CitySettings, ClickHouseSettings
    from hotline.storage import facts
    from hotline.storage.shards import targets

    settings, tz = ClickHouseSettings(), CitySettings().timezone
    places = targets(settings)
    for i, (client, database) in enumerate(places):  # each shard rebuilds its own, on a cluster
        where = f" (shard {i + 1})" if len(places) > 1 else ""
        for entity in ("call", "ticket"):
            if args.state:
                facts.refold_state(client, database, entity)
                print(f"{entity}_state re-folded from the event archive{where}")
            facts.rebuild(client, database, tz, entity)
            print(f"{entity}_facts rebuilt{where}")
        client.disconnect()
    return 0


def _cmd_compact(args: argparse.Namespace) -> int:
    from hotline.settings import ClickHouseSettings
    from hotline.storage import compaction, open_tickets
    from hotline.storage.shards import targets

    settings = ClickHouseSettings()
    places = targets(settings)
    for i, (client, database) in enumerate(places):  # each shard compacts its own, on a cluster
        where = f", shard {i + 1}" if len(places) > 1 else ""
        for entity in ("ticket", "call"):
            days = compaction.compact(client, database, entity)
            print(f"{entity}_facts compacted ({days} days recorded clean{where})")
        dropped = open_tickets.prune(client, database)
        print(f"ticket_open pruned ({dropped} old minutes dropped{where})")
        client.disconnect()
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from hotline.settings import KafkaSettings
    from tooling.simulator import demo, inject, injections, profile
    from tooling.simulator.faults import FaultRates
    from tooling.simulator.pacing import parse_speed
    from tooling.simulator.period import PeriodError, between, month
    from tooling.simulator.progress import Progress
    from tooling.simulator.run import estimate, simulate
    from tooling.simulator.settings import SimulatorSettings
    from tooling.simulator.sinks import open_sink

    settings = SimulatorSettings()
    doc = profile.load(args.profile)
    if args.year:
        doc = {**doc, "year": args.year}
    if not 0 < args.scale <= 1:
        print(f"hotline simulate: --scale {args.scale} is not in (0, 1]", file=sys.stderr)
        return 2
    if args.to == "file" and not args.out:
        print("hotline simulate: --to file needs --out PATH (.ndjson, .ndjson.gz, or - for stdout)", file=sys.stderr)
        return 2
    if args.injected_only and not args.inject:
        print("hotline simulate: --injected-only needs at least one --inject", file=sys.stderr)
        return 2
    if args.injected_only and (args.wait or args.compare):
        print("hotline simulate: --injected-only cannot --wait or --compare (use hotline alerts --wait)", file=sys.stderr)
        return 2
    if (args.wait or args.compare) and args.to == "file":
        print("hotline simulate: --wait and --compare need --to http or kafka", file=sys.stderr)
        return 2
    try:
        period = (month(args.month) if args.month else
                  between(args.from_, args.until, int(doc.get("year") or 0)) if args.from_ or args.until else None)
    except PeriodError as exc:
        print(f"hotline simulate: {exc}", file=sys.stderr)
        return 2
    try:
        specs = [(text, inject.parse(text)) for text in args.inject or ()]
        injected = injections.build(specs, doc, scale=args.scale, seed=args.seed,
                                    with_previous=not args.no_previous, period=period)
    except inject.InjectError as exc:
        print(f"hotline simulate: {exc}", file=sys.stderr)
        return 2
    faults = FaultRates.parse(args.faults) if args.faults else None
    sink = open_sink(args.to, url=settings.ingest_url, token=settings.ingest_token.get_secret_value(),
                     kafka=KafkaSettings(), path=args.out, batch_size=settings.batch_size,
                     concurrency=settings.concurrency)
    with_previous = not args.no_previous
    expected = estimate(doc, args.scale, with_previous)
    if period is not None:  # the progress bar's estimate only: the period's share of one year
        expected = int(estimate(doc, args.scale, False) * min(1.0, ((period.last - period.first).days + 1) / 365))
    progress = Progress(expected, tz=doc.get("timezone", "Asia/Shanghai"))
    result = simulate(doc, sink, scale=args.scale, seed=args.seed, with_previous=with_previous, faults=faults,
                      speed=parse_speed(args.speed), progress=progress, period=period, injected=injected.events,
                      injected_only=args.injected_only)
    say = demo.stderr
    if args.truth:
        with open(args.truth, "w", encoding="utf-8") as f:
            json.dump(injected.document(), f, ensure_ascii=False, indent=1)
    years = ", ".join(f"{y}: {result.stats.tickets[y]:,} tickets and {result.stats.calls[y]:,} calls"
                      for y in sorted(result.stats.tickets))
    say(f"simulated {years}; {result.stats.events:,} distinct events; sent {result.sent:,} in "
        f"{result.wall_s:.1f} s ({result.events_per_s:,.0f} events/s); accepted {result.accepted:,}, "
        f"rejected {result.rejected:,}")
    if specs:
        say(f"injected {injected.tickets:,} tickets ({len(injected.events):,} events) of "
            + ", ".join(t["kind"] for t in injected.truth)
            + (f"; the truth is in {args.truth}" if args.truth else "")
            + ("; the report now differs from the profile by them" if args.compare else ""))
    if result.faults:
        say("faults injected: " + ", ".join(f"{k} {v:,}" for k, v in sorted(result.faults.items())))
    for reason, n in result.reasons.most_common(6):
        say(f"  rejected {n:,}: {reason}")
    if args.wait or args.compare:
        waited = demo.wait_caught_up(result, args.seed, say, timeout_s=args.timeout)
        say(f"the pipeline caught up {waited:.1f} s after the last event was sent")
    if args.compare:
        ok = demo.side_by_side(doc, settings, args.scale, say=print)
        if args.addresses:
            demo.addresses(settings, int(doc.get("year") or 0))
        return 0 if ok else 3
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hotline", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start ClickHouse, the broker and the services (idempotent)")
    up.add_argument("--aggregate-workers", type=int, metavar="N", help="aggregate worker processes (default 1)")
    cluster_help = ("the local cluster instead (ZooKeeper, ClickHouse 2 shards × 2 replicas, 3 Kafka nodes; "
                    "docs/operations/running.md)")
    up.add_argument("--cluster", action="store_true", help=cluster_help)
    up.set_defaults(func=_cmd_up)
    down = sub.add_parser("down", help="stop what `up` started")
    down.add_argument("--purge", action="store_true", help="also delete all data for a clean start")
    down.add_argument("--cluster", action="store_true", help=cluster_help)
    down.set_defaults(func=_cmd_down)
    st = sub.add_parser("status", help="what runs, where, healthy or not")
    st.add_argument("--cluster", action="store_true", help=cluster_help)
    st.set_defaults(func=_cmd_status)
    env = sub.add_parser("env", help="the local cluster's settings as shell exports: eval \"$(hotline env --cluster)\"")
    env.add_argument("--cluster", action="store_true", required=True, help=cluster_help)
    env.set_defaults(func=_cmd_env)
    sub.add_parser("migrate", help="apply ClickHouse schema migrations").set_defaults(func=_cmd_migrate)
    rp = sub.add_parser("replay", help="re-read the event topics into ClickHouse (idempotent)")
    when = rp.add_mutually_exclusive_group(required=True)
    when.add_argument("--from-start", action="store_true", help="from the first retained message")
    when.add_argument("--since", metavar="DATE", help="messages published since DATE (ISO; city time if no offset)")
    rp.set_defaults(func=_cmd_replay)
    rb = sub.add_parser("rebuild", help="recompute the facts tables (idempotent)")
    rb.add_argument("--state", action="store_true", help="first re-fold the per-entity state from the raw event archive")
    rb.set_defaults(func=_cmd_rebuild)
    sub.add_parser("compact", help="merge the facts tables to one version per entity and drop ticket_open's "
                   "old minutes (the API also does, every HOTLINE_API_COMPACT_EVERY_S and "
                   "HOTLINE_API_PRUNE_OPEN_EVERY_S)").set_defaults(func=_cmd_compact)
    cli_calendar.add_parser(sub)
    cli_alerts.add_parser(sub)
    sim = sub.add_parser("simulate", help="generate a city-year of events from a profile and send them")
    sim.add_argument("--profile", default="huaian-2023",
                     help="a profile JSON file or a built-in name (huaian-2023, riverside-2023)")
    sim.add_argument("--year", type=int, help="simulate this year instead of the profile's")
    sim.add_argument("--scale", type=float, default=1.0, help="counts × scale, in (0, 1] (default 1.0)")
    sim.add_argument("--seed", type=int, default=1, help="the same seed gives the same events (default 1)")
    sim.add_argument("--to", choices=("http", "kafka", "file"), default="http",
                     help="the ingest service (default), the Kafka topics directly, or an NDJSON file")
    sim.add_argument("--out", help="with --to file: the file (.gz compresses; - is stdout)")
    sim.add_argument("--speed", default="fast", help="fast (default), realtime, or a factor like 3600x")
    sim.add_argument("--faults", help="e.g. duplicate=0.01,reorder=0.01,late=0.001,malformed=0.001")
    span = sim.add_mutually_exclusive_group()
    span.add_argument("--month", metavar="YYYY-MM", help="only the calls and tickets starting in this month")
    span.add_argument("--from", dest="from_", metavar="DATE", help="only calls and tickets starting on or after DATE")
    sim.add_argument("--until", metavar="DATE", help="... and on or before DATE (with --from or alone)")
    sim.add_argument("--no-previous", action="store_true", help="skip the previous year (no year-over-year)")
    sim.add_argument("--inject", action="append", metavar="SPEC",
                     help="add what the early warning must find (repeatable): "
                          "surge:category=C,district=D,start=YYYY-MM-DDTHH:MM,hours=H,factor=F[,subcategory=S], "
                          "cluster:subcategory=S,h3=CELL,start=...,days=N,tickets=T,callers=K, "
                          "pingpong:count=N[,start=...] (docs/simulator.md)")
    sim.add_argument("--truth", metavar="FILE", help="write what was injected (ticket ids, times, counts) as JSON")
    sim.add_argument("--injected-only", action="store_true",
                     help="send only the injected events (into a year already sent with the same options)")
    sim.add_argument("--wait", action="store_true", help="then wait until the facts hold every event")
    sim.add_argument("--compare", action="store_true",
                     help="then print the annual report side by side with the profile's figures (implies --wait)")
    sim.add_argument("--addresses", action="store_true", help=argparse.SUPPRESS)
    sim.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the pipeline (default 3600)")
    sim.set_defaults(func=_cmd_simulate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except HotlineError as exc:
        print(f"hotline {args.command}: {exc}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        print(f"hotline {args.command}: invalid settings: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file named on the command line or in settings
        print(f"hotline {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
