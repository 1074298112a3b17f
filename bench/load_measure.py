"""bench/load.py's measuring side: the target rate's derivation, the event pool and the wrk body
files made from it, how a wrk run is started and read, what the pipeline did meanwhile
(ingest's accepted events against ClickHouse's rows, the aggregate worker's consumer lag, CPU
per process), and the analysis of a step series (the saturation point).

The pure parts (derive_rate aside) are unit-tested in tests/unit/bench/test_bench_load.py.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from bench.stages.common import cpu_s, metric_sum
from hotline.settings import ClickHouseSettings
from tooling.simulator import rhythm
from tooling.simulator.generator import generate
from hotline.storage.client import connect

YEAR = 2023
SINGLE = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
MARKER = b"@@"  # the start of every id and subject in a body file; the wrk script replaces it
LUA = Path(__file__).resolve().parent / "load" / "events.lua"


# ---------------------------------------------------------------- the events and the target rate

def event_pool(doc: dict[str, Any], scale: float) -> tuple[list[bytes], dict[str, Any]]:
    """The simulator's 2023 stream at `scale`, serialized, and per clock hour how many events."""
    pool: list[bytes] = []
    hours: Counter[int] = Counter()
    for ms, e in generate(doc, scale=scale, seed=1, with_previous=False):
        pool.append(orjson.dumps(e))
        hours[ms // 3_600_000] += 1
    busiest = max(hours.values())
    return pool, {"events": len(pool), "scale": scale, "bytes_avg": round(sum(map(len, pool)) / len(pool)),
                  "busiest_clock_hour_events": busiest}


def derive_rate(doc: dict[str, Any], factor: float, pool_info: dict[str, Any]) -> dict[str, Any]:
    """`factor` × the events of the peak hour of the busiest day of the profile's year."""
    scale = pool_info["scale"]
    per_year = pool_info["events"] / scale
    days = rhythm.days_of(YEAR)
    weights = rhythm.day_weights(YEAR, np.random.default_rng(1))
    day_i, hour_i = int(weights.argmax()), int(rhythm.HOURS.argmax())
    day_share, hour_share = float(weights[day_i]), float(rhythm.HOURS[hour_i])
    peak_hour = per_year * day_share * hour_share
    rate = factor * peak_hour / 3600
    simulated_peak = pool_info["busiest_clock_hour_events"] / scale
    demands = doc["demands"]["rows"]["all"]["total"]
    return {
        "demands_per_year": demands, "events_per_year": round(per_year),
        "busiest_day": days[day_i].isoformat(), "busiest_day_share": round(day_share, 6),
        "peak_hour": f"{hour_i:02d}:00-{hour_i + 1:02d}:00", "peak_hour_share": round(hour_share, 5),
        "peak_hour_events": round(peak_hour), "factor": factor, "rate_events_per_s": round(rate, 2),
        "simulated_busiest_clock_hour_events": round(simulated_peak),
        "explained": [
            f"Huai'an 2023: {demands:,} demands a year (report-huaian-2023.json) -> the simulator's 2023 stream "
            f"holds {per_year:,.0f} events (counted at scale {scale}: {pool_info['events']:,} events / {scale})",
            f"busiest day (rhythm.day_weights, seed 1): {days[day_i]} with {day_share:.4%} of the year "
            f"({day_share * len(days):.2f} x an average day)",
            f"peak hour (rhythm.HOURS): {hour_i:02d}:00-{hour_i + 1:02d}:00 with {hour_share:.2%} of a day",
            f"peak hour = {per_year:,.0f} x {day_share:.6f} x {hour_share:.5f} = {peak_hour:,.0f} events "
            f"({peak_hour / 3600:.2f} events/s); the simulated stream's busiest clock hour: {simulated_peak:,.0f}",
            f"target = {factor:g} x {peak_hour / 3600:.3f} = {rate:.2f} events/s",
        ],
    }


def marked(event: bytes) -> bytes:
    """The event with MARKER put in front of its id and its subject (the wrk script replaces the
    marker by a per-request prefix, so ids stay unique however often the list is cycled, and
    each cycle is a new set of calls and tickets)."""
    e = orjson.loads(event)
    if MARKER.decode() in event.decode():
        raise ValueError(f"the marker {MARKER!r} occurs in an event already: {event[:200]!r}")
    e["id"] = MARKER.decode() + e["id"]
    e["subject"] = MARKER.decode() + e["subject"]
    return orjson.dumps(e)


def write_bodies(events: list[bytes], path: Path, per_body: int, array: bool | None = None) -> dict[str, Any]:
    """Request bodies of `marked` events, one a line: single events (a structured-mode event;
    `array` False, the default for `per_body` 1) or JSON arrays of `per_body` consecutive
    events (batch mode; the last, shorter group is left out)."""
    array = per_body > 1 if array is None else array
    if per_body > 1 and not array:
        raise ValueError("a body of more than one event is a JSON array")
    if per_body < 1:
        raise ValueError("per_body must be at least 1")
    n = len(events) // per_body
    if n == 0:
        raise ValueError(f"{len(events)} events cannot fill one body of {per_body}")
    total = 0
    with path.open("wb") as f:
        for k in range(n):
            group = events[k * per_body:(k + 1) * per_body]
            body = b"[" + b",".join(group) + b"]" if array else group[0]
            total += len(body)
            f.write(body + b"\n")
    return {"path": str(path), "bodies": n, "events_per_body": per_body, "array": array,
            "bytes_avg": round(total / n)}


def phase1_split(rate: float, singles: float, max_batch: int) -> dict[str, Any]:
    """Phase 1's two fixed-rate streams: `singles` of the events one per request, the rest in
    batches of what a second gathers (at least 1, at most `max_batch`)."""
    single_rate = rate * singles
    batch_events_rate = rate - single_rate
    batch = max(1, min(max_batch, round(batch_events_rate)))
    return {"single_requests_per_s": round(single_rate, 4), "batch_events_per_request": batch,
            "batch_requests_per_s": round(batch_events_rate / batch, 4) if batch_events_rate > 0 else 0.0,
            "events_per_s": rate}


# ---------------------------------------------------------------- one wrk run

def wrk_argv(url: str, bodies: Path, content_type: str, per_body: int, tag: str, token: str,
             connections: int, threads: int, send_s: float, grace_s: float,
             rate: float | None = None, wrk: str = "wrk") -> list[str]:
    """wrk's command line: `connections` over `threads`, new requests for `send_s` seconds, then
    `grace_s` for the answers still owed (wrk's -d is their sum, whole seconds). The timeout
    is longer than the run: wrk counts a connection that its delay() holds back as timed out,
    and the latency figures tell slow requests anyway."""
    threads = max(1, min(threads, connections))
    duration = math.ceil(send_s + grace_s)
    argv = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", f"{duration + 60}s",
            "-s", str(LUA), url, "--", str(bodies), content_type, str(per_body), tag, token,
            f"{send_s:g}", str(threads)]
    if rate is not None:
        argv.append(f"{rate:.6g}")
    return argv


def parse_wrk(stdout: str) -> dict[str, Any]:
    """The WRK_RESULT line of the script's done(), latencies turned into milliseconds."""
    for line in stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            r = json.loads(line[len("WRK_RESULT "):])
            r["latency_ms"] = {k: round(v / 1000, 2) for k, v in r.pop("latency_us").items()}
            r["socket_errors"] = sum(r["errors"].values())
            return r
    raise ValueError("no WRK_RESULT line in wrk's output:\n" + stdout[-2000:])


# ---------------------------------------------------------------- the pipeline while wrk runs

def ingest_accepted(metrics_text: str) -> int:
    """Events ingest answered accepted, from its /metrics (hotline_ingest_events, status
    "accepted", summed over producers and source prefixes)."""
    lines = [ln for ln in metrics_text.splitlines() if 'status="accepted"' in ln]
    return int(metric_sum("\n".join(lines), "hotline_ingest_events_total"))


def _get(url: str, timeout_s: float = 2.0) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as r:
            return r.read().decode()
    except OSError:
        return None


class Pipeline:
    """What ingest accepted (its counter) against what ClickHouse holds, and the worker's lag."""

    def __init__(self, clickhouse: ClickHouseSettings, ingest_metrics: str, aggregate_metrics: str) -> None:
        self.ch = connect(clickhouse)
        self.lock = threading.Lock()  # one clickhouse-driver connection, two threads
        self.ingest_metrics, self.aggregate_metrics = ingest_metrics, aggregate_metrics

    def query(self, sql: str, params: dict | None = None) -> Any:
        with self.lock:
            return self.ch.execute(sql, params or {})[0][0]

    def stored(self) -> int:
        return self.query("SELECT count() FROM hotline.events")

    def stored_distinct(self, tag: str | None = None) -> int:
        if tag is None:
            return self.query("SELECT uniqExact(source, id) FROM hotline.events")
        return self.query("SELECT uniqExact(source, id) FROM hotline.events WHERE startsWith(id, %(p)s)",
                          {"p": tag + "."})

    def accepted(self) -> int | None:
        text = _get(self.ingest_metrics)
        return None if text is None else ingest_accepted(text)

    def lag(self) -> int | None:
        text = _get(self.aggregate_metrics)
        return None if text is None else int(metric_sum(text, "hotline_aggregate_consumer_lag_messages"))

    def wait_caught_up(self, timeout_s: float) -> float | None:
        """Seconds until ClickHouse held as many rows as ingest accepted events (None: not
        within `timeout_s`)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout_s:
            accepted = self.accepted()
            if accepted is not None and self.stored() >= accepted:
                return time.monotonic() - start
            time.sleep(0.25)
        return None


@dataclass
class Row:
    """One sample: seconds on the sampler's clock, ingest's accepted events, ClickHouse's rows,
    the consumer lag, CPU seconds so far per process, and the machine's (busy, total) ticks."""

    t: float
    accepted: int | None
    stored: int
    lag: int | None
    cpu: dict[str, float] = field(default_factory=dict)
    machine: tuple[int, int] = (0, 0)


@dataclass
class Samples:
    rows: list[Row] = field(default_factory=list)

    def window(self, start: float = 0.0, end: float | None = None) -> list[Row]:
        return [r for r in self.rows if r.t >= start - 0.5 and (end is None or r.t <= end + 0.5)]

    def backlog(self, start: float = 0.0) -> list[tuple[float, int]]:
        """(seconds since `start`, accepted − stored) from `start` on."""
        return [(r.t - start, r.accepted - r.stored) for r in self.window(start) if r.accepted is not None]

    def summary(self, start: float = 0.0, end: float | None = None) -> dict[str, Any]:
        """Backlog (accepted − stored), lag, rates of accepted and stored events, and the cores
        each process used, over the rows from `start` to `end` (the sending window; seconds on
        the samples' clock)."""
        rows = self.window(start, end)
        backlog = [(r.t - start, r.accepted - r.stored) for r in rows if r.accepted is not None]
        lags = [r.lag for r in rows if r.lag is not None]
        out: dict[str, Any] = {
            "backlog_events": {"max": max((b for _, b in backlog), default=None),
                               "end": backlog[-1][1] if backlog else None,
                               "growth_second_half": backlog_growth(backlog)},
            "consumer_lag_messages": {"max": max(lags, default=None), "end": lags[-1] if lags else None},
        }
        if len(rows) >= 2 and rows[-1].t > rows[0].t:
            first, last = rows[0], rows[-1]
            dt = last.t - first.t
            both = first.accepted is not None and last.accepted is not None
            out["ingest_events_per_s"] = round((last.accepted - first.accepted) / dt, 1) if both else None
            out["clickhouse_events_per_s"] = round((last.stored - first.stored) / dt, 1)
            out["cores_used"] = {n: round((last.cpu[n] - first.cpu[n]) / dt, 2) for n in last.cpu if n in first.cpu}
            busy, total = last.machine[0] - first.machine[0], last.machine[1] - first.machine[1]
            out["machine_busy_pct"] = round(100 * busy / total, 1) if total > 0 else None
        return out


def backlog_growth(backlog: list[tuple[float, int]]) -> int:
    """Backlog at the end of the run minus at its middle (events); 0 with fewer than 4 samples."""
    if len(backlog) < 4:
        return 0
    return backlog[-1][1] - backlog[len(backlog) // 2][1]


def fell_behind(backlog: list[tuple[float, int]], events_per_s: float) -> str | None:
    """Why the pipeline did not keep up with ingest during a run, or None: the backlog grew in
    the run's second half by more than 5 % of what ingest took then and ended above 2 s of it."""
    if len(backlog) < 4 or events_per_s <= 0:
        return None
    half_s = backlog[-1][0] - backlog[len(backlog) // 2][0]
    growth, end = backlog_growth(backlog), backlog[-1][1]
    if growth > 0.05 * events_per_s * half_s and end > 2 * events_per_s:
        return f"backlog grew by {growth:,} events in the second half, {end:,} at the end"
    return None


def drained_after(backlog: list[tuple[float, int]], window_s: float, run_end_s: float,
                  waited_s: float | None) -> float | None:
    """Seconds from the end of the sending window until ClickHouse held every accepted event:
    the first sample after the window with no backlog, else the rest of the run plus what the
    wait after it took (`waited_s`; None: not caught up then either)."""
    for t, b in backlog:
        if t >= window_s and b <= 0:
            return round(t - window_s, 1)
    if waited_s is None:
        return None
    return round(max(0.0, run_end_s - window_s) + waited_s, 1)


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores so far (/proc/stat; idle and iowait are not busy)."""
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(f) - f[3] - f[4], sum(f)


class Sampler(threading.Thread):
    """Samples the pipeline and the CPU of `pids` (name → pid; more may be added while it runs)
    every `every_s` seconds."""

    def __init__(self, pipeline: Pipeline, pids: dict[str, int], every_s: float = 1.0) -> None:
        super().__init__(name="load-sampler", daemon=True)
        self.pipeline, self.pids, self.every_s = pipeline, dict(pids), every_s
        self.samples = Samples()
        self.stop = threading.Event()
        self.t0 = time.monotonic()

    def run(self) -> None:
        k = 0
        while not self.stop.is_set():
            try:
                t = time.monotonic() - self.t0
                cpu = {n: cpu_s(p) for n, p in list(self.pids.items())}
                machine = machine_ticks()
                accepted, stored, lag = self.pipeline.accepted(), self.pipeline.stored(), self.pipeline.lag()
                self.samples.rows.append(Row(round(t, 2), accepted, stored, lag, cpu, machine))
            except Exception:  # noqa: BLE001 - a missed sample is not worth stopping the run
                pass
            k += 1
            self.stop.wait(max(0.0, self.t0 + k * self.every_s - time.monotonic()))


def run_wrk(argv: list[str] | list[list[str]], pipeline: Pipeline, pids: dict[str, int]) -> dict[str, Any]:
    """One wrk run (or several at once: `argv` a list of command lines) with the pipeline and
    the CPU of the stack's processes and of wrk sampled every second; the parsed results, in
    `argv`'s order, each with its sending window's start on the samples' clock (`start_s`)."""
    many = argv if argv and isinstance(argv[0], list) else [argv]
    sampler = Sampler(pipeline, pids)
    sampler.start()
    procs = [subprocess.Popen(a, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for a in many]
    for k, p in enumerate(procs):
        sampler.pids[f"wrk{k + 1 if len(procs) > 1 else ''}"] = p.pid
    outs = [p.communicate() for p in procs]
    run_s = time.monotonic() - sampler.t0
    sampler.stop.set()
    sampler.join()
    results = []
    for p, (out, err), a in zip(procs, outs, many):
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(a)} exited {p.returncode}:\n{out[-2000:]}{err[-2000:]}")
        r = parse_wrk(out)
        r["start_s"] = r["start_monotonic_s"] - sampler.t0
        results.append(r)
    return {"wrk": results, "samples": sampler.samples, "run_s": run_s,
            "load_average_1m_end": round(os.getloadavg()[0], 2)}


# ---------------------------------------------------------------- a step series

def step_record(kind: str, connections: int, per_body: int, wrk: dict[str, Any]) -> dict[str, Any]:
    """A closed-loop step's figures from its parsed wrk result."""
    window = wrk["window_s"] or float("nan")
    return {
        "series": kind, "connections": connections, "events_per_request": per_body,
        "requests": wrk["answered"], "requests_per_s": round(wrk["requests_per_s"], 1),
        "accepted_events": wrk["accepted_events"],
        "events_per_s": round(wrk["accepted_events"] / window, 1) if window == window else None,
        "latency_ms": wrk["latency_ms"],
        "errors": wrk["socket_errors"], "socket_errors": wrk["errors"], "non200": wrk["non200"],
        "partial": wrk["partial"], "error_sample": wrk["sample"] or None,
        "unanswered": wrk.get("unanswered", 0), "window_s": wrk["window_s"],
    }


def analyse(steps: list[dict[str, Any]], p99_limit_ms: float = 100.0, knee: float = 0.9) -> dict[str, Any]:
    """A closed-loop series (connections ascending). `peak`: the step of most events/s.
    `saturation`: the first step that reached `knee` of that (past it, more connections add
    queueing, not throughput). `within_limits`: the last step, before any failing one, with no
    error, no non-200 or partial answer, no request left unanswered and p99 at most
    `p99_limit_ms`. `pipeline`: the fastest step
    during which the pipeline kept up with ingest (backlog not growing) and the first during
    which it did not, plus the fastest insert rate ClickHouse showed."""
    if not steps:
        return {}
    pick = ("connections", "requests_per_s", "events_per_s", "latency_ms", "errors", "non200")

    def brief(s: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if s is None else {k: s[k] for k in pick}

    peak = max(steps, key=lambda s: s["events_per_s"] or 0)
    saturation = next(s for s in steps if (s["events_per_s"] or 0) >= knee * (peak["events_per_s"] or 0))
    within = None
    for s in steps:
        if s["errors"] or s["non200"] or s["partial"] or s["unanswered"] or s["latency_ms"]["p99"] > p99_limit_ms:
            break
        within = s
    kept = [s for s in steps if s.get("pipeline_fell_behind") is None]
    behind = next((s for s in steps if s.get("pipeline_fell_behind")), None)
    ch_rates = [s["pipeline"].get("clickhouse_events_per_s") or 0 for s in steps if "pipeline" in s]
    return {
        "peak": brief(peak), "saturation": brief(saturation), "within_limits": brief(within),
        "criteria": f"saturation: the first step reaching {knee:.0%} of the peak's events/s; within limits: "
                    f"no error or non-200 answer and p99 <= {p99_limit_ms:g} ms",
        "pipeline": {
            "kept_up_up_to_events_per_s": max((s["events_per_s"] or 0 for s in kept), default=None),
            "fell_behind_from": None if behind is None else {
                "connections": behind["connections"], "events_per_s": behind["events_per_s"],
                "why": behind["pipeline_fell_behind"]},
            "clickhouse_events_per_s_max": max(ch_rates, default=None),
        },
    }
