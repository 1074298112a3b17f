"""Load test of the whole pipeline on loopback with wrk: single events and batches, a fixed-rate
phase and a closed-loop step test.

    .venv/bin/python bench/load.py                 # phase 1 (600 s) + three step series, ~23 min
    .venv/bin/python bench/load.py --short         # phase 1 of 20 s, steps of 5 s (a smoke run)
    .venv/bin/python bench/load.py --help

Starts its own stack with the project's `hotline up` on private ports (33000-33006, state
.state/load; any HOTLINE_* variable already set wins), from an empty state, and stops and
purges it at the end (`--keep` leaves it up). Not a test: figures vary by machine. The load
generator is wrk (Debian's package, installed by scripts/bootstrap.sh) with the script
bench/load/events.lua, which sends the simulator's events from pre-built body files, every
request under ids never sent before, with the development bearer token.

1. Phase 1: `--factor` × the peak hour of a busy day of the Huai'an 2023 profile, for
   `--phase1-s` seconds, on a fixed schedule (wrk's delay(): open loop): a share `--singles` of
   the events one per request (application/cloudevents+json, a PBX), the rest in batches of
   what a second gathers (application/cloudevents-batch+json, the portal). Must end with no
   failed request and every accepted event in ClickHouse.
2. Step test, closed loop, once for single events and once for each batch size of `--batch`
   (50 and 500 events a request): wrk with 1, 2, 4 … 64 connections (`--connections`),
   `--step-s` seconds each, each connection sending its next request as soon as the previous
   one was answered. Per step: requests/s, events/s, latency p50/p95/p99, errors, non-200
   answers; ingest's accepted events against ClickHouse's rows every second (the backlog) and
   the aggregate worker's consumer lag; CPU per process.
   After each step the pipeline is left to drain (the time it took is recorded) and the
   step's events are counted in ClickHouse (uniqExact(source, id) of its ids). Before the
   first step, `--warmup-s` of single events on 16 connections (not a step: the broker's JVM
   compiles its hot paths under load, and the first step would pay for it).

Writes docs/benchmarks/load.json (`--short`: .state/load-short.json). Exit status 0 only if
phase 1 had no failed request and no accepted event is missing from ClickHouse.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.stages.common import cpu_model  # noqa: E402
from bench.load_measure import (  # noqa: E402
    BATCH, SINGLE, Pipeline, analyse, derive_rate, drained_after, event_pool, fell_behind, marked, phase1_split,
    run_wrk, step_record, wrk_argv, write_bodies,
)

P99_LIMIT_MS = 100.0
# After a run's sending window, wrk runs this much longer so that the requests in flight are
# answered (and counted); less than ingest's keep-alive timeout (uvicorn's 5 s), which would
# otherwise close the idle connections and count as wrk read errors.
GRACE_S = 3.0
# Private ports (33000-33999) and state: never the developer's stack, the tests' or the other benchmarks'.
DEFAULTS = {
    "HOTLINE_STATE_DIR": str(REPO / ".state" / "load"),
    "HOTLINE_CLICKHOUSE_PORT": "33000", "HOTLINE_CLICKHOUSE_HTTP_PORT": "33001",
    "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:33002", "HOTLINE_BROKER_CONTROLLER_PORT": "33003",
    "HOTLINE_INGEST_PORT": "33004", "HOTLINE_API_PORT": "33005", "HOTLINE_AGGREGATE_PORT": "33006", "HOTLINE_ALERTS_PORT": "33007",
    "HOTLINE_ENV": "development",
}


T0 = time.monotonic()


def say(line: str) -> None:
    """A line of the run's log, after the minutes:seconds since the start."""
    m, sec = divmod(int(time.monotonic() - T0), 60)
    print(f"[{m:02d}:{sec:02d}] {line}", flush=True)


def hotline(*args: str) -> None:
    r = subprocess.run([sys.executable, "-m", "tooling.cli", *args], cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"hotline {' '.join(args)} failed:\n{r.stdout}{r.stderr}")


def commit() -> str:
    """The checked-out commit, "+dirty" when the work tree has changes."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                           capture_output=True, text=True)
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def stack_pids() -> dict[str, int]:
    from tooling.stack import stack

    return {c.name: c.pid for c in stack.status(stack.Settings.from_env()) if c.pid}


def fmt_cpu(pipeline: dict[str, Any]) -> str:
    cores = " ".join(f"{k} {v:.2f}" for k, v in pipeline.get("cores_used", {}).items() if v >= 0.01)
    return f"cores: {cores}; machine {pipeline.get('machine_busy_pct')}% busy"


class Run:
    def __init__(self, args: argparse.Namespace, url: str, pipeline: Pipeline, pids: dict[str, int]) -> None:
        self.args, self.url, self.pipeline, self.pids = args, url, pipeline, pids
        self.accepted_by_wrk = 0

    def verify(self, tags: dict[str, int], got: dict[str, Any], window_s: float) -> dict[str, Any]:
        """Each tag's accepted events (wrk's count of the answers) against its distinct events
        in ClickHouse, once the pipeline drained; how long after the sending window it took."""
        waited = self.pipeline.wait_caught_up(self.args.drain_timeout)
        start = min(w["start_s"] for w in got["wrk"])
        drained = drained_after(got["samples"].backlog(start), window_s, got["run_s"] - start, waited)
        stored = {t: self.pipeline.stored_distinct(t) for t in tags}
        lost = sum(max(0, tags[t] - stored[t]) for t in tags)
        extra = sum(max(0, stored[t] - tags[t]) for t in tags)
        return {"drained_after_s": drained, "stored_distinct_events": sum(stored.values()),
                "data_lost": lost, "stored_unanswered": extra}

    def phase1(self, rate: float, split: dict[str, Any], bodies: dict[str, Path]) -> dict[str, Any]:
        a, b = self.args, split["batch_events_per_request"]
        streams = [("single", 1, split["single_requests_per_s"], "p1s"),
                   ("batch", b, split["batch_requests_per_s"], "p1b")]
        streams = [s for s in streams if s[2] > 0]
        for kind, _, req_rate, _ in streams:
            idle = a.phase1_connections / req_rate
            if idle > 4:
                say(f"warning: phase 1's {kind} connections idle {idle:.1f} s between requests; ingest closes "
                      "a connection idle for 5 s and wrk counts that as a read error (fewer --phase1-connections)")
        argv = [wrk_argv(self.url, bodies["single" if kind == "single" else f"batch-{n}"],
                         SINGLE if kind == "single" else BATCH, n, tag, a.token,
                         connections=a.phase1_connections, threads=1, send_s=a.phase1_s, grace_s=GRACE_S,
                         rate=req_rate)
                for kind, n, req_rate, tag in streams]
        say(f"phase 1: {rate:.2f} events/s for {a.phase1_s:g} s: "
              + ", ".join(f"{kind} {r:.3f} requests/s of {n}" for kind, n, r, _ in streams))
        got = run_wrk(argv, self.pipeline, self.pids)
        by_kind: dict[str, Any] = {}
        tags: dict[str, int] = {}
        for (kind, n, req_rate, tag), w in zip(streams, got["wrk"]):
            tags[tag] = w["accepted_events"]
            self.accepted_by_wrk += w["accepted_events"]
            by_kind[kind] = {
                "events_per_request": n, "target_requests_per_s": req_rate, "requests": w["answered"],
                "requests_per_s": round(w["requests_per_s"], 2), "accepted_events": w["accepted_events"],
                "latency_ms": w["latency_ms"], "late_max_ms": w["late_max_ms"],
                "errors": w["socket_errors"], "socket_errors": w["errors"], "non200": w["non200"],
                "partial": w["partial"], "error_sample": w["sample"] or None, "unanswered": w["unanswered"],
            }
        accepted = sum(tags.values())
        start = min(w["start_s"] for w in got["wrk"])
        failed = sum(k["errors"] + k["non200"] + k["partial"] + k["unanswered"] for k in by_kind.values())
        check = self.verify(tags, got, a.phase1_s)
        out = {
            "target_events_per_s": rate, "seconds": a.phase1_s,
            "accepted_events": accepted, "events_per_s": round(accepted / a.phase1_s, 2),
            "failed_requests": failed, **by_kind,
            "pipeline": got["samples"].summary(start, start + a.phase1_s),
            "load_average_1m_end": got["load_average_1m_end"], **check,
        }
        out["passed"] = failed == 0 and check["data_lost"] == 0 and check["drained_after_s"] is not None
        lat = "; ".join(f"{k} p50/p95/p99 {v['latency_ms']['p50']}/{v['latency_ms']['p95']}/"
                        f"{v['latency_ms']['p99']} ms" for k, v in by_kind.items())
        say(f"phase 1: {accepted:,} events accepted ({out['events_per_s']}/s), failed {failed}; {lat}; "
              f"lag max {out['pipeline']['consumer_lag_messages']['max']}, backlog max "
              f"{out['pipeline']['backlog_events']['max']}; drained after {check['drained_after_s']} s, "
              f"data lost {check['data_lost']}; {fmt_cpu(out['pipeline'])}")
        return out

    def series(self, kind: str, per_body: int, body_file: Path, connections: list[int] | None = None,
               send_s: float | None = None, tag_prefix: str = "") -> list[dict[str, Any]]:
        a, steps = self.args, []
        for c in connections or a.connections:
            tag = tag_prefix + (f"s{c}" if per_body == 1 else f"b{per_body}x{c}")
            argv = wrk_argv(self.url, body_file, SINGLE if per_body == 1 else BATCH, per_body, tag, a.token,
                            connections=c, threads=a.wrk_threads, send_s=send_s or a.step_s, grace_s=GRACE_S)
            got = run_wrk(argv, self.pipeline, self.pids)
            w = got["wrk"][0]
            self.accepted_by_wrk += w["accepted_events"]
            step = step_record(kind, c, per_body, w)
            samples = got["samples"]
            step["pipeline"] = samples.summary(w["start_s"], w["start_s"] + w["window_s"])
            inside = [(t, b) for t, b in samples.backlog(w["start_s"]) if t <= w["window_s"] + 0.5]
            step["pipeline_fell_behind"] = fell_behind(inside, step["events_per_s"] or 0)
            step["load_average_1m_end"] = got["load_average_1m_end"]
            step.update(self.verify({tag: w["accepted_events"]}, got, w["window_s"]))
            steps.append(step)
            lat = step["latency_ms"]
            p = step["pipeline"]
            say(f"{kind:<9} c={c:<3} {step['requests_per_s']:>8.1f} req/s {step['events_per_s']:>9.1f} events/s "
                  f"p50/p95/p99 {lat['p50']}/{lat['p95']}/{lat['p99']} ms errors {step['errors']} "
                  f"non-200 {step['non200']}"
                  + (f" unanswered {step['unanswered']}" if step["unanswered"] else "")
                  + f" | ClickHouse {p.get('clickhouse_events_per_s')}/s, backlog end "
                  f"{p['backlog_events']['end']}, lag max {p['consumer_lag_messages']['max']}, drained after "
                  f"{step['drained_after_s']} s, lost {step['data_lost']}"
                  + (f" | BEHIND: {step['pipeline_fell_behind']}" if step["pipeline_fell_behind"] else "")
                  + f" | {fmt_cpu(p)}")
        return steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phase1-s", type=float, default=600, help="phase 1's length (0: skip phase 1)")
    ap.add_argument("--factor", type=float, default=10, help="phase 1's rate: this × the busy day's peak hour")
    ap.add_argument("--singles", type=float, default=0.5, help="phase 1: share of events sent one per request")
    ap.add_argument("--phase1-connections", type=int, default=2, help="phase 1: connections of each wrk")
    ap.add_argument("--step-s", type=float, default=30, help="each step's sending window")
    ap.add_argument("--warmup-s", type=float, default=15,
                    help="before the steps, single events on 16 connections (the broker's JVM compiles its hot "
                         "paths under load; the first step would pay for it); 0: none")
    ap.add_argument("--connections", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4, 8, 16, 32, 64],
                    help="the steps' connection counts (comma-separated)")
    ap.add_argument("--series", type=lambda s: s.split(","), default=["single", "batch"],
                    help="step series to run: single, batch or both (comma-separated)")
    ap.add_argument("--batch", type=lambda s: [int(x) for x in s.split(",")], default=[50, 500],
                    help="events per request of the batch series, one series per size (comma-separated); "
                         "the first also caps phase 1's batches")
    ap.add_argument("--wrk-threads", type=int, default=1, help="wrk's -t in the steps (at most the connections)")
    ap.add_argument("--drain-timeout", type=float, default=600, help="seconds to wait for ClickHouse after a run")
    ap.add_argument("--pool-scale", type=float, default=0.05, help="simulator scale of the event pool")
    ap.add_argument("--token", default="dev-token", help="ingest bearer token (the development one)")
    ap.add_argument("--short", action="store_true", help="phase 1 of 20 s and steps of 5 s (unless given)")
    ap.add_argument("--keep", action="store_true", help="leave the stack running")
    ap.add_argument("--out", type=Path, help="default: docs/benchmarks/load.json (--short: .state/load-short.json)")
    args = ap.parse_args()
    given = set(a.split("=")[0] for a in sys.argv[1:])
    if args.short:
        args.phase1_s = args.phase1_s if "--phase1-s" in given else 20
        args.step_s = args.step_s if "--step-s" in given else 5
        args.warmup_s = args.warmup_s if "--warmup-s" in given else 5
    if args.out is None:
        args.out = REPO / (".state/load-short.json" if args.short else "docs/benchmarks/load.json")
    unknown = set(args.series) - {"single", "batch"}
    if unknown:
        raise SystemExit(f"--series: unknown {sorted(unknown)}")
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk not found: apt-get install -y wrk (scripts/bootstrap.sh installs it)")
    wrk_version = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout.splitlines()[0]

    for k, v in DEFAULTS.items():
        os.environ.setdefault(k, v)
    started = time.time()
    doc = json.loads((REPO.parent / "shared" / "spec" / "report-huaian-2023.json").read_text())
    pool, pool_info = event_pool(doc, args.pool_scale)
    say(f"event pool: {len(pool):,} simulator events (scale {args.pool_scale}), {pool_info['bytes_avg']} B on average")
    derivation = derive_rate(doc, args.factor, pool_info)
    for line in derivation["explained"]:
        say(line)
    rate = derivation["rate_events_per_s"]
    split = phase1_split(rate, args.singles, args.batch[0])
    runs = [("single", 1)] if "single" in args.series else []
    runs += [(f"batch-{n}", n) for n in args.batch] if "batch" in args.series else []

    with tempfile.TemporaryDirectory(prefix="hotline-load-") as tmp:
        events = [marked(e) for e in pool]
        del pool
        sizes = {*args.batch, split["batch_events_per_request"]}
        per_body = {"single": 1, **{f"batch-{n}": n for n in sorted(sizes)}}
        files = {name: Path(tmp) / f"{name}.jsonl" for name in per_body}
        bodies_info = {name: write_bodies(events, files[name], n, array=name != "single")
                       for name, n in per_body.items()}
        del events
        say("bodies: " + ", ".join(f"{name} {i['bodies']:,} x {i['bytes_avg']:,} B" for name, i in bodies_info.items()))

        hotline("down", "--purge")
        say("stack: hotline up (state " + os.environ["HOTLINE_STATE_DIR"] + ")")
        hotline("up")
        say("stack: up")
        phase1: dict[str, Any] | None = None
        warmup: dict[str, Any] | None = None
        series: dict[str, list[dict[str, Any]]] = {}
        try:
            from hotline.settings import ClickHouseSettings
            from services.aggregate.settings import AggregateSettings
            from services.ingest.settings import IngestSettings

            ingest, agg = IngestSettings(), AggregateSettings()
            pipeline = Pipeline(ClickHouseSettings(), f"http://{ingest.host}:{ingest.port}/metrics",
                                f"http://{agg.host}:{agg.port}/metrics")
            run = Run(args, f"http://{ingest.host}:{ingest.port}/v1/events", pipeline, stack_pids())
            if args.phase1_s > 0:
                phase1 = run.phase1(rate, split, files)
            if args.warmup_s > 0 and runs:
                say(f"warm-up (not a step): single events, 16 connections, {args.warmup_s:g} s")
                warmup = run.series("warm-up", 1, files["single"], [16], args.warmup_s, "w")[0]
            for name, n in runs:
                series[name] = run.series(name, n, files[name])
            ingest_total = pipeline.accepted()
            stored_total = pipeline.stored_distinct()
            accepted_by_wrk = run.accepted_by_wrk
        finally:
            if not args.keep:
                hotline("down", "--purge")

    analysis = {kind: analyse(steps, P99_LIMIT_MS) for kind, steps in series.items()}
    lost = sum(r["data_lost"] for r in (phase1, warmup) if r) + sum(
        s["data_lost"] for steps in series.values() for s in steps)
    result = {
        "machine": {"cpus": os.cpu_count(), "cpu_model": cpu_model(), "python": platform.python_version(),
                    "platform": platform.platform(), "load_generator": wrk_version},
        "commit": commit(),
        "command": " ".join([".venv/bin/python bench/load.py", *sys.argv[1:]]),
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(time.time() - started),
        "broker": "Apache Kafka (hotline up, KRaft, one node)",
        "derivation": derivation, "pool": pool_info,
        "bodies": {name: {k: v for k, v in info.items() if k != "path"} for name, info in bodies_info.items()},
        "phase1": phase1,
        "warmup": warmup,
        "steps": series,
        "saturation": analysis,
        "end": {"accepted_by_wrk": accepted_by_wrk, "accepted_by_ingest": ingest_total,
                "stored_distinct_events": stored_total, "data_lost": lost,
                "missing_overall": (ingest_total or 0) - stored_total},
    }
    for kind, a in analysis.items():
        s, pk, w = a["saturation"], a["peak"], a["within_limits"]
        say(f"{kind}: saturation at {s['connections']} connections: {s['requests_per_s']} requests/s, "
              f"{s['events_per_s']} events/s, p50/p95/p99 {s['latency_ms']['p50']}/{s['latency_ms']['p95']}/"
              f"{s['latency_ms']['p99']} ms; peak {pk['events_per_s']} events/s at {pk['connections']}; "
              f"within limits up to {w['connections'] if w else None} connections; pipeline kept up to "
              f"{a['pipeline']['kept_up_up_to_events_per_s']} events/s, fell behind from "
              f"{a['pipeline']['fell_behind_from']}")
    say(f"accepted (wrk) {accepted_by_wrk:,}, accepted (ingest) {ingest_total}, in ClickHouse {stored_total:,}: "
          f"data lost = {lost}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    say(f"written to {args.out} after {result['duration_s']} s")
    # Fewer stored than accepted is a loss. More is not: a request answered 503 after the publish
    # timeout may have written some of its events (the answer says so), and they are kept.
    failed = (phase1 is not None and not phase1["passed"]) or lost or stored_total < ingest_total
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
