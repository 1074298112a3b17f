"""Measuring the query API over HTTP: percentiles, timing loops, a /v1/live load, a cache invalidation.

Shared by bench/api.py (its own ClickHouse and API) and bench/stages/latency.py (a running stack).
Nothing here reads the environment or starts anything; every function takes its URLs, headers
and ClickHouse client from the caller.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import statistics
import time
from collections.abc import Callable

import aiohttp
import httpx
import orjson


def pctl(xs: list[float], q: float) -> float:
    """Nearest-rank percentile: always one of the samples, so a p99 of 100 samples is the worst
    but one, not an interpolation between two requests that never took that long."""
    s = sorted(xs)
    return s[max(math.ceil(q / 100 * len(s)) - 1, 0)]


def summary(xs_s: list[float], percentiles: bool = False) -> dict:
    """Seconds in, milliseconds out (2 decimals): n, median, min, max; p95 and p99 on request."""
    ms = [x * 1000 for x in xs_s]
    out = {"n": len(ms), "median_ms": round(statistics.median(ms), 2), "min_ms": round(min(ms), 2),
           "max_ms": round(max(ms), 2)}
    if percentiles:
        out.update({"p95_ms": round(pctl(ms, 95), 2), "p99_ms": round(pctl(ms, 99), 2)})
    return out


def timed(fn: Callable[[], object], n: int) -> list[float]:
    """Seconds each of `n` sequential calls of `fn` took."""
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def invalidate(ch, database: str, year: int = 2023) -> None:
    """Make the API's next report of `year` a miss, as a facts refresh of one of its days would:
    the cache validator sums facts_changes over the period (services/api/sql/changes.sql), so
    one more row moves it; the period is then no longer clean and its reads use FINAL."""
    ch.execute(f"INSERT INTO {database}.facts_changes (day, entity, changes) VALUES", [(dt.date(year, 6, 1), "ticket", 1)])


async def live_load(base: str, clients: int, seconds: float, library: str, headers: dict[str, str]) -> dict:
    """`clients` concurrent loops of GET /v1/live for `seconds`, in this process (one event loop).
    `library` is "aiohttp" or "httpx": httpx alone saturates a core before the API does."""
    lat, ages, statuses = [], [], {}
    stop_at = time.monotonic() + seconds

    def record(t: float, status: int, body: bytes) -> None:
        lat.append(time.perf_counter() - t)
        statuses[status] = statuses.get(status, 0) + 1
        if status == 200:
            ages.append(orjson.loads(body)["snapshot_age_s"])

    async def with_httpx(client: httpx.AsyncClient) -> None:
        while time.monotonic() < stop_at:
            t = time.perf_counter()
            r = await client.get("/v1/live", headers=headers)
            record(t, r.status_code, r.content)

    async def with_aiohttp(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < stop_at:
            t = time.perf_counter()
            async with session.get("/v1/live", headers=headers) as r:
                record(t, r.status, await r.read())

    t0, cpu0 = time.monotonic(), time.process_time()
    if library == "httpx":
        # One AsyncClient (one connection) per simulated client: a single shared pool of 20
        # connections costs httpx several times the CPU per request.
        pool = [httpx.AsyncClient(base_url=base, timeout=30) for _ in range(clients)]
        try:
            await asyncio.gather(*(with_httpx(c) for c in pool))
        finally:
            for c in pool:
                await c.aclose()
    else:
        async with aiohttp.ClientSession(base_url=base, connector=aiohttp.TCPConnector(limit=clients)) as session:
            await asyncio.gather(*(with_aiohttp(session) for _ in range(clients)))
    wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
    return {"client": library, "clients": clients, "seconds": round(wall, 1), "requests": len(lat),
            "requests_per_s": round(len(lat) / wall), **summary(lat, percentiles=True),
            "statuses": {str(k): v for k, v in statuses.items()},
            "snapshot_age_s": {"median": round(statistics.median(ages), 3), "max": round(max(ages), 3)} if ages else None,
            "load_generator_cpu_s": round(cpu, 1)}
