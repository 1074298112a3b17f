"""Benchmark of the ingest service: accepted events/s in batches, and single-event latency.

    .venv/bin/python bench/ingest.py [--events 200000] [--batch 500] [--clients 4] [--singles 2000]

Starts what it measures and nothing else: the stack's broker (Apache Kafka in KRaft mode,
LocalBroker) on free ports, its broker and controller listeners, with its data in a temporary
folder, and the service as `hotline up` runs it (uvicorn, one worker, a subprocess); both are
stopped and the folder deleted at the end. Then:

1. throughput: `--events` valid events as batches of `--batch`, posted by `--clients`
   concurrent HTTP clients; accepted events / wall time (every answer must be 200);
2. latency: `--singles` single-event requests, one after the other; p50 / p99 / max.

Prints a table and writes docs/benchmarks/ingest.json. Targets (docs/performance.md, 2 cores):
>= 20,000 events/s in batches, p99 of a single event <= 20 ms. Not a test: figures vary by machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import httpx
import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.stages.common import cpu_model  # noqa: E402
from hotline import broker  # noqa: E402
from hotline.settings import KafkaSettings, StackSettings  # noqa: E402
from tooling.stack.broker_server import LocalBroker, LocalKafkaSettings  # noqa: E402

TOKEN = "dev-token"
STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"


def free_ports(n: int) -> list[int]:
    """`n` distinct ports free now (all bound at once, so the OS cannot hand out one twice)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def events(n: int, run: str) -> list[dict]:
    """A realistic mix: a call's offered/answered/ended and a ticket's created/dispatched."""
    out = []
    for i in range(n):
        k = i % 5
        call, ticket = f"call-{run}-{i // 5:08d}", f"T{run}{i // 5:08d}"
        # ids as producers send them (UUIDs), so events are about the ~360 B of docs/architecture.md
        base = {"specversion": "1.0", "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run}/{i}")),
                "time": "2024-03-01T08:00:00.000+08:00", "datacontenttype": "application/json"}
        if k == 0:
            e = {**base, "source": "/pbx/main", "type": "hotline.call.offered", "subject": call,
                 "data": {"direction": "inbound", "line": "12345", "caller": f"138{i:08d}"}}
        elif k == 1:
            e = {**base, "source": "/pbx/main", "type": "hotline.call.answered", "subject": call,
                 "data": {"agent_id": f"A{i % 300:03d}"}}
        elif k == 2:
            e = {**base, "source": "/pbx/main", "type": "hotline.call.ended", "subject": call}
        elif k == 3:
            e = {**base, "source": "/portal/web", "type": "hotline.ticket.created", "subject": ticket,
                 "data": {"requester": "citizen", "channel": "web", "kind": "non_consult",
                          "category": "民生保障", "district": "鼓楼区", "tags": ["heat"]}}
        else:
            e = {**base, "source": "/portal/web", "type": "hotline.ticket.dispatched", "subject": ticket,
                 "data": {"department": "市住建局", "deadline": "2024-03-08T18:00:00+08:00"}}
        out.append(e)
    return out


def wait_ready(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the service at {url} did not become ready in {timeout_s:.0f} s")


async def throughput(url: str, bodies: list[bytes], per_body: int, clients: int) -> tuple[float, int]:
    queue = list(reversed(bodies))
    accepted = 0

    async def client() -> None:
        nonlocal accepted
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            while queue:
                body = queue.pop()
                r = await http.post("/v1/events", content=body, headers={
                    "authorization": f"Bearer {TOKEN}", "content-type": BATCH})
                if r.status_code != 200:
                    raise SystemExit(f"batch answered {r.status_code}: {r.text[:300]}")
                accepted += orjson.loads(r.content)["accepted"]

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - start
    if accepted != len(bodies) * per_body:
        raise SystemExit(f"accepted {accepted} of {len(bodies) * per_body}")
    return elapsed, accepted


async def latency(url: str, singles: list[bytes]) -> list[float]:
    out = []
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        headers = {"authorization": f"Bearer {TOKEN}", "content-type": STRUCTURED}
        for body in singles:
            start = time.perf_counter()
            r = await http.post("/v1/events", content=body, headers=headers)
            out.append(time.perf_counter() - start)
            if r.status_code != 200:
                raise SystemExit(f"single event answered {r.status_code}: {r.text[:300]}")
    return out


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--singles", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks" / "ingest.json")
    args = ap.parse_args()

    state = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    kafka_port, controller_port, port = free_ports(3)
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{kafka_port}")
    br = LocalBroker(StackSettings(state_dir=state), kafka, LocalKafkaSettings(controller_port=controller_port))
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HOTLINE_ENV": "development", "HOTLINE_INGEST_PORT": str(port),
           "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers}
    server = None
    try:
        br.start()
        broker.ensure_topics(kafka)
        # Exactly the command `hotline up` runs (tooling/stack/services.py).
        with open(state / "ingest.log", "wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "services.ingest.app:app", "--host", "127.0.0.1",
                 "--port", str(port)], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_ready(url)

        run = f"{int(time.time())}"
        evs = events(args.events, run)
        bodies = [orjson.dumps(evs[i:i + args.batch]) for i in range(0, len(evs), args.batch)]
        bodies = [b for b in bodies if b.count(b'"specversion"') == args.batch]  # whole batches only
        warm = [orjson.dumps(events(args.batch, run + "w")) for _ in range(10)]
        asyncio.run(throughput(url, warm, args.batch, args.clients))
        elapsed, accepted = asyncio.run(throughput(url, bodies, args.batch, args.clients))
        rate = accepted / elapsed

        singles = [orjson.dumps(e) for e in events(args.singles + 200, run + "s")]
        lat = asyncio.run(latency(url, singles))[200:]  # the first 200 warm up
        result = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "platform": platform.platform(), "processor": cpu_model()},
            "command": " ".join([".venv/bin/python bench/ingest.py", *sys.argv[1:]]),
            "batches": {"events": accepted, "batch_size": args.batch, "clients": args.clients,
                        "seconds": round(elapsed, 3), "events_per_s": round(rate),
                        "event_bytes_avg": round(sum(map(len, bodies)) / max(accepted, 1))},
            "single_event_latency_ms": {
                "requests": len(lat), "p50": round(pct(lat, 50) * 1000, 2),
                "p99": round(pct(lat, 99) * 1000, 2), "max": round(max(lat) * 1000, 2)},
            "targets": {"events_per_s": 20000, "p99_ms": 20},
        }
    except BaseException:
        if (state / "ingest.log").exists():
            print("last lines of the service's log:", *(state / "ingest.log").read_text(
                errors="replace").splitlines()[-20:], sep="\n  ", file=sys.stderr)
        raise
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        br.stop()
        shutil.rmtree(state, ignore_errors=True)

    b, s = result["batches"], result["single_event_latency_ms"]
    print(f"{'measure':<38}{'result':>14}{'target':>12}")
    label = "events/s, batches of %d (%d clients)" % (b["batch_size"], b["clients"])
    print(f"{label:<38}{b['events_per_s']:>14,}{'>= 20,000':>12}")
    print(f"{'single event p50 (ms)':<38}{s['p50']:>14}{'':>12}")
    print(f"{'single event p99 (ms)':<38}{s['p99']:>14}{'<= 20':>12}")
    print(f"{'single event max (ms)':<38}{s['max']:>14}{'':>12}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {args.out.relative_to(REPO) if args.out.is_relative_to(REPO) else args.out}")


if __name__ == "__main__":
    main()
