"""Load test of the whole pipeline on loopback: many producers at once, single events and batches.

    .venv/bin/python bench/load.py [--phase1-s 600] [--factor 10] [--step-s 30] [--keep]

Starts the stack with the project's own `hotline up` (ports and state folder from the usual
HOTLINE_* variables; default state .state/load), from an empty state, and stops and purges it at
the end (`--keep` leaves it up). Not a test: figures vary by machine. Two phases:

1. `--factor` × the peak hour of a busy day of the Huai'an 2023 profile, for `--phase1-s`
   seconds. The rate is derived (and printed) from the published report and the simulator's
   rhythm: events a year (the simulator's 2023 stream, counted at a small scale) × the busiest
   day's share of the year × the peak hour's share of a day. Must end with no error and every
   accepted event in ClickHouse.
2. A step test: the rate grows by `--step-factor` every `--step-s` seconds until ingest p99 passes 100 ms, a
   request fails, or the pipeline's backlog grows without bound (ClickHouse falls behind what
   ingest accepted); the saturation point is the last step that passed.

Events are the simulator's (hotline/simulator), sent in its order: a share `--singles` as one
event per request (a PBX), the rest gathered each second into batches of at most `--batch`
(portal, app), by `--producers` concurrent producers, each with its own connections. Latency is
taken from the moment a request was due, so a producer falling behind counts (no coordinated
omission).
Writes docs/benchmarks/load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.load_measure import Backlog, Phase, derive_rate, event_pool  # noqa: E402

P99_LIMIT_MS = 100.0


def hotline(env: dict[str, str], *args: str) -> None:
    r = subprocess.run([sys.executable, "-m", "hotline.cli", *args], env=env, cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"hotline {' '.join(args)} failed:\n{r.stdout}{r.stderr}")


class Connection:
    """One keep-alive HTTP/1.1 connection: a request's bytes out, the answer's status and body
    in. A few dozen lines instead of an HTTP library: the load generator shares the 2 cores with
    what it measures, and httpx costs ~10x the CPU per request."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0.0

    async def post(self, body: bytes, content_type: bytes) -> tuple[int, bytes]:
        # uvicorn closes a connection idle for 5 s (--timeout-keep-alive): a new one before then
        if self.writer is None or self.writer.is_closing() or time.monotonic() - self.used > KEEP_ALIVE_S:
            if self.writer is not None:
                self.writer.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.used = time.monotonic()
        self.writer.write(b"POST /v1/events HTTP/1.1\r\nhost: load\r\nauthorization: Bearer dev-token\r\n"
                          b"content-type: " + content_type + b"\r\ncontent-length: " + str(len(body)).encode()
                          + b"\r\n\r\n" + body)
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        answer = await self.reader.readexactly(length)
        if b"connection: close" in head.lower():
            self.writer.close()
        return int(head[9:12]), answer


KEEP_ALIVE_S = 4.0
SINGLE, BATCH = b"application/cloudevents+json", b"application/cloudevents-batch+json"


class Producers:
    """Open-loop senders. A single-event producer's request k is due at t0 + k / its rate; a
    batch producer sends, every second, the events its rate gathered meanwhile (in requests of
    at most `batch`). A request goes out when due, or as soon as one of its producer's
    `IN_FLIGHT` connections is free; its latency counts from when it was due."""

    IN_FLIGHT = 8

    def __init__(self, host: str, port: int, pool: list[bytes], producers: int, singles: float, batch: int) -> None:
        self.host, self.port, self.pool = host, port, pool
        self.producers, self.singles, self.batch = producers, singles, batch
        self.next = 0

    def take(self, n: int) -> list[bytes]:
        out = []
        for _ in range(n):
            i, lap = self.next % len(self.pool), self.next // len(self.pool)
            e = self.pool[i]
            # a second lap through the pool: the same events under new ids
            out.append(e if lap == 0 else e.replace(b'"id":"', b'"id":"lap%d-' % lap, 1))
            self.next += 1
        return out

    async def run(self, rate: float, seconds: float, phase: Phase) -> None:
        n_single = round(self.producers * self.singles)
        n_batch = self.producers - n_single
        t0 = time.monotonic() + 0.5
        jobs = [self._producer(i, True, rate * self.singles / n_single, t0, seconds, phase) for i in range(n_single)]
        jobs += [self._producer(i, False, rate * (1 - self.singles) / n_batch, t0, seconds, phase) for i in range(n_batch)]
        await asyncio.gather(*jobs)

    async def _producer(self, i: int, single: bool, per_s: float, t0: float, seconds: float, phase: Phase) -> None:
        free: asyncio.LifoQueue[Connection] = asyncio.LifoQueue()  # the warmest connection first
        for _ in range(self.IN_FLIGHT):
            free.put_nowait(Connection(self.host, self.port))
        interval = 1.0 / per_s if single else 1.0
        start = t0 + interval * i / self.producers  # producers spread over an interval
        tasks, k, owed = [], 0, 0.0
        while (due := start + k * interval) < t0 + seconds:
            k += 1
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if single:
                sizes = [1]
            else:
                owed += per_s * interval
                n, owed = int(owed), owed - int(owed)
                sizes = [min(self.batch, n - j) for j in range(0, n, self.batch)]
            for size in sizes:
                events = self.take(size)
                body = events[0] if single else b"[" + b",".join(events) + b"]"
                conn = await free.get()
                tasks.append(asyncio.create_task(self._send(conn, free, body, single, size, due, phase)))
        await asyncio.gather(*tasks)
        while not free.empty():
            c = free.get_nowait()
            if c.writer is not None:
                c.writer.close()

    async def _send(self, conn: Connection, free: asyncio.Queue, body: bytes, single: bool, n: int,
                    due: float, phase: Phase) -> None:
        kind = "single" if single else "batch"
        try:
            status, answer = await asyncio.wait_for(conn.post(body, SINGLE if single else BATCH), 30)
            ok = status == 200 and orjson.loads(answer)["accepted"] == n
            phase.record(kind, time.monotonic() - due, n, ok, None if ok else f"{status} {answer[:200]!r}")
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            if conn.writer is not None:
                conn.writer.close()
            phase.record(kind, time.monotonic() - due, n, False, f"{type(exc).__name__}: {exc}")
        finally:
            free.put_nowait(conn)


async def run_phase(name: str, producers: Producers, backlog: Backlog, rate: float, seconds: float) -> Phase:
    phase = Phase(name, rate, seconds)
    sampler = asyncio.create_task(backlog.sample_every(1.0, phase))
    try:
        await producers.run(rate, seconds, phase)
    finally:
        sampler.cancel()
    phase.finish()
    backlog.close_phase(phase)
    print(phase.line(), flush=True)
    return phase


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phase1-s", type=float, default=600)
    ap.add_argument("--factor", type=float, default=10)
    ap.add_argument("--step-s", type=float, default=30)
    ap.add_argument("--first-step", type=float, default=50, help="events/s of the first step")
    ap.add_argument("--step-factor", type=float, default=1.5, help="each step's rate over the previous one's")
    ap.add_argument("--max-step", type=float, default=50_000)
    ap.add_argument("--producers", type=int, default=32)
    ap.add_argument("--singles", type=float, default=0.5, help="share of events sent one per request")
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--pool-scale", type=float, default=0.05, help="simulator scale of the event pool")
    ap.add_argument("--keep", action="store_true", help="leave the stack running")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks" / "load.json")
    args = ap.parse_args()

    env = {**os.environ}
    env.setdefault("HOTLINE_STATE_DIR", str(REPO / ".state" / "load"))
    doc = json.loads((REPO.parent / "shared" / "spec" / "report-huaian-2023.json").read_text())
    pool, pool_info = event_pool(doc, args.pool_scale)
    print(f"event pool: {len(pool):,} simulator events (scale {args.pool_scale}), {pool_info['bytes_avg']} B on average")
    derivation = derive_rate(doc, args.factor, pool_info)
    for line in derivation["explained"]:
        print(line)

    hotline(env, "down", "--purge")
    hotline(env, "up")
    phases: list[Phase] = []
    try:
        from services.aggregate.settings import AggregateSettings
        from services.ingest.settings import IngestSettings
        from hotline.settings import ClickHouseSettings

        old = dict(os.environ)
        os.environ.update(env)
        ingest, agg, ch = IngestSettings(), AggregateSettings(), ClickHouseSettings()
        os.environ.clear()
        os.environ.update(old)
        backlog = Backlog(ch, f"http://{agg.host}:{agg.port}/metrics")
        producers = Producers(ingest.host, ingest.port, pool, args.producers, args.singles, args.batch)
        rate = derivation["rate_events_per_s"]
        print(f"phase 1: {rate:.1f} events/s for {args.phase1_s:.0f} s", flush=True)
        p1 = asyncio.run(run_phase("phase1", producers, backlog, rate, args.phase1_s))
        p1.caught_up_s = backlog.wait_caught_up(timeout_s=300)
        phases.append(p1)
        step, saturation, stop_reason = args.first_step, None, f"reached --max-step {args.max_step:g}"
        while step <= args.max_step:
            p = asyncio.run(run_phase(f"step {step:g}", producers, backlog, step, args.step_s))
            phases.append(p)
            reason = p.saturated(P99_LIMIT_MS)
            if reason:
                stop_reason = f"{step:g} events/s: {reason}"
                break
            saturation = step
            step = round(step * args.step_factor)
        drained = backlog.wait_caught_up(timeout_s=600)
        stored, accepted = backlog.stored_distinct(), backlog.accepted_done
    finally:
        if not args.keep:
            hotline(env, "down", "--purge")

    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "command": " ".join([".venv/bin/python bench/load.py", *sys.argv[1:]]),
        "derivation": derivation, "pool": pool_info,
        "producers": {"count": args.producers, "singles_share": args.singles, "batch_size": args.batch},
        "phase1": p1.summary(),
        "steps": [p.summary() for p in phases[1:]],
        "saturation": {"last_passing_events_per_s": saturation, "stopped_at": stop_reason,
                       "criteria": f"ingest p99 > {P99_LIMIT_MS:g} ms, any failed request, or the backlog "
                                   "(accepted - stored) growing through the step"},
        "end": {"accepted_events": accepted, "stored_distinct_events": stored, "data_lost": accepted - stored,
                "drained_after_s": drained},
    }
    print(f"saturation: {saturation} events/s passed; stopped at {stop_reason}")
    print(f"accepted {accepted:,}, in ClickHouse {stored:,}: data lost = {accepted - stored}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {args.out}")
    failed = p1.failed or p1.caught_up_s is None or accepted != stored
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
