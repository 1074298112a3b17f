"""Latency stages of the platform benchmark, against a stack that is already up and filled.

Four measurements, each a function of `Endpoints` returning a JSON-serialisable dict with a
"what" line: the annual report over HTTP (cold and cached), /v1/live under concurrent clients,
single-event and batch ingest, and end-to-end freshness (accepted by ingest → visible in
/v1/live). Nothing is started, stopped or read from the environment; the functions block for
their run (the async parts run in their own event loop, so call them from synchronous code).

Events sent here are contract-valid, stamped with the current Asia/Shanghai time, from source
`/bench/latency` with subjects and ids starting with `lat-<run>-` (the simulator's start with
`sim`), so they never collide with the simulated city-year and never touch its report figures.
They do count in today's /v1/live figures of the stack they are sent to.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import orjson
import uvloop

from bench.stages.common import cpu_s
from bench.stages.measure_http import invalidate, live_load, pctl, summary
from hotline.settings import ClickHouseSettings
from tooling.simulator import rhythm
from hotline.storage.client import connect
from services.aggregate.settings import AggregateSettings
from services.api.settings import ApiSettings

TZ = ZoneInfo("Asia/Shanghai")
SOURCE = "/bench/latency"
CE_ONE, CE_BATCH = "application/cloudevents+json", "application/cloudevents-batch+json"
BATCH_EVENTS, BATCHES, WARM_UP = 500, 5, 20
VISIBLE_TIMEOUT_S, POLL_S = 30.0, 0.02
# Huai'an 2023 at full scale as `hotline simulate --profile huaian-2023 --scale 0.01` drew it
# (14,507 tickets, 16,493 calls incl. abandoned and outbound; 3.53 events per call or ticket over
# both simulated years, 228,249 events / 64,612 entities) — the published report has no abandoned calls.
CITY_TICKETS, CITY_CALLS, EVENTS_PER_ENTITY = 1_450_700, 1_649_300, 3.53


@dataclass
class Endpoints:
    ingest_url: str
    api_url: str
    token: str
    clickhouse: ClickHouseSettings
    api_pid: int | None = None


# -- pure pieces ---------------------------------------------------------------------------------

def busy_rate(tickets: int, calls: int, events_per_entity: float, day_share: float, hour_share: float) -> float:
    """Events per second in an hour that holds `hour_share` of a day holding `day_share` of the year."""
    return (tickets + calls) * events_per_entity * day_share * hour_share / 3600


class _NoNoise:
    """Stands in for the generator rhythm.day_weights draws its day-to-day noise from, so the
    busiest day is the calendar's (weekday × month × holiday), not one lucky draw."""

    @staticmethod
    def lognormal(mean: float, sigma: float, size: int) -> np.ndarray:
        return np.ones(size)


def busiest_day_share(year: int) -> float:
    return float(rhythm.day_weights(year, _NoNoise()).max())


def derived_rates(year: int = 2023) -> dict:
    """The real-time event rates of the simulated city: year average, busiest day, its peak hour."""
    per_year = (CITY_TICKETS + CITY_CALLS) * EVENTS_PER_ENTITY
    day, hour = busiest_day_share(year), float(rhythm.HOURS.max())
    return {"events_per_year": round(per_year), "year_average_per_s": round(per_year / (365 * 86400), 3),
            "busiest_day_average_per_s": round(per_year * day / 86400, 3),
            "busiest_day_peak_hour_per_s": round(busy_rate(CITY_TICKETS, CITY_CALLS, EVENTS_PER_ENTITY, day, hour), 3),
            "how": f"({CITY_TICKETS:,} tickets + {CITY_CALLS:,} calls) × {EVENTS_PER_ENTITY} events each; busiest "
                   f"day {day:.5f} of the year (tooling.simulator.rhythm without noise), its peak hour "
                   f"{hour:.4f} of the day (rhythm.HOURS)"}


def distribution(xs_s: list[float]) -> dict:
    """p50/p95/p99/max in ms (nearest rank); an empty list gives only n = 0."""
    if not xs_s:
        return {"n": 0}
    ms = [x * 1000 for x in xs_s]
    return {"n": len(ms), "p50_ms": round(pctl(ms, 50), 1), "p95_ms": round(pctl(ms, 95), 1),
            "p99_ms": round(pctl(ms, 99), 1), "max_ms": round(max(ms), 1)}


def now_iso() -> str:
    return dt.datetime.now(TZ).isoformat(timespec="milliseconds")


def _event(type_: str, subject: str, n: int, time_: str, data: dict) -> dict:
    return {"specversion": "1.0", "id": f"{subject}-{n}", "source": SOURCE, "type": f"hotline.{type_}",
            "time": time_, "subject": subject, "data": data}


def traffic(run: str, seed: int = 9, clock: Callable[[], str] = now_iso) -> Iterator[dict]:
    """Endless lifecycles of tickets and outbound calls, one event at a time, each stamped by
    `clock` when drawn. None moves calls.offered_today of /v1/live (inbound calls only), the
    figure the freshness probes watch, so they can run beside the probes."""
    rng = random.Random(seed)
    for i in itertools.count():
        if rng.random() < 0.5:
            subject = f"lat-{run}-t{i}"
            steps = [("ticket.created", {"requester": "citizen", "channel": "phone", "kind": rng.choice(["consult", "non_consult"]),
                                         "category": rng.choice(["民生保障", "经济综合", "住房保障", "交通出行"])})]
            if rng.random() < 0.55:
                steps.append(("ticket.answered", {"by": "agent"}))
            else:
                deadline = (dt.datetime.now(TZ) + dt.timedelta(days=5)).isoformat(timespec="seconds")
                steps += [("ticket.dispatched", {"department": rng.choice(["市公安局", "市住建局"]), "deadline": deadline}),
                          ("ticket.completed", {})]
        else:
            subject = f"lat-{run}-c{i}"
            steps = [("call.offered", {"direction": "outbound"}), ("call.answered", {"agent_id": f"a{rng.randrange(120)}"}),
                     ("call.ended", {})]
        for n, (type_, data) in enumerate(steps):
            yield _event(type_, subject, n, clock(), data)


def probe(run: str, i: int, clock: Callable[[], str] = now_iso) -> tuple[dict, dict]:
    """An inbound call offered now (moves calls.offered_today by one) and its abandonment, sent
    once it was seen so the probes do not pile up as calls waiting."""
    subject = f"lat-{run}-p{i}"
    return (_event("call.offered", subject, 0, clock(), {"direction": "inbound"}),
            _event("call.abandoned", subject, 1, clock(), {}))


def _run_id() -> str:
    return uuid.uuid4().hex[:10]


def _auth(e: Endpoints) -> dict[str, str]:
    return {"Authorization": f"Bearer {e.token}"}


def _api_cpu(e: Endpoints) -> float | None:
    return cpu_s(e.api_pid) if e.api_pid else None


def _per(cpu0: float | None, e: Endpoints, n: int, scale: float = 1.0) -> float | None:
    return None if cpu0 is None or not n else round((_api_cpu(e) - cpu0) / n * scale, 4)


# -- measurements --------------------------------------------------------------------------------

def report_latency(e: Endpoints, year: int, cold_n: int = 5, cached_n: int = 200) -> dict:
    """The annual report JSON: `cold_n` misses, each after a facts_changes row for a day of `year`
    (so computed afresh with FINAL reads), then `cached_n` sequential hits."""
    problems: list[str] = []
    url = f"/v1/reports/annual/{year}"
    ch = connect(e.clickhouse)
    out: dict = {"what": f"GET {url} (JSON) over HTTP, sequential, one keep-alive connection. Cold: each after an "
                         f"INSERT into {e.clickhouse.database}.facts_changes for {year}-06-01, which moves the API's "
                         "cache validator (X-Cache: miss, facts read with FINAL). Cached: the same request "
                         "again (X-Cache: hit). ms from request to full body.", "year": year}

    with httpx.Client(base_url=e.api_url, headers=_auth(e), timeout=300) as client:
        def get(want: str) -> tuple[float, httpx.Response]:
            t = time.perf_counter()
            r = client.get(url)
            took = time.perf_counter() - t
            if r.status_code != 200 or r.headers.get("x-cache") != want:
                problems.append(f"status {r.status_code}, X-Cache {r.headers.get('x-cache')} (wanted {want}): {r.text[:200]}")
            return took, r

        cpu0, cold = _api_cpu(e), []
        try:
            for _ in range(cold_n):
                invalidate(ch, e.clickhouse.database, year)
                took, r = get("miss")
                cold.append(took)
        finally:
            ch.disconnect()
        out["cold"] = {**summary(cold), "api_cpu_s_per_report": _per(cpu0, e, cold_n)}
        cpu0 = _api_cpu(e)
        cached = [get("hit")[0] for _ in range(cached_n)]
        out["cached"] = {**summary(cached, percentiles=True), "api_cpu_ms_per_request": _per(cpu0, e, cached_n, 1000)}
    out["bytes"] = len(r.content)
    if r.status_code == 200:
        doc = r.json()
        out["check"] = {"tickets": doc["demands"]["rows"]["all"]["total"],
                        "inbound_answered": doc["calls"]["inbound"]["answered"]}
    out["problems"] = problems
    return out


def live_latency(e: Endpoints, clients: int = 20, seconds: float = 20.0) -> dict:
    cpu0 = _api_cpu(e)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        run = runner.run(live_load(e.api_url, clients, seconds, "aiohttp", _auth(e)))
    return {"what": f"GET /v1/live from {clients} concurrent aiohttp clients (one event loop in this process, one "
                    f"connection each) for {seconds:g} s, each sending its next request when the previous answered; "
                    "ms per request; the load generator shares the machine's cores with the stack.",
            **run, "api_cpu_s": None if cpu0 is None else round(_api_cpu(e) - cpu0, 1)}


def ingest_latency(e: Endpoints, n: int = 2000) -> dict:
    """`n` single events one after the other, then BATCHES batches of BATCH_EVENTS."""
    events, statuses = traffic(_run_id()), Counter()
    with httpx.Client(base_url=e.ingest_url, headers=_auth(e), timeout=60) as client:
        def post(body: bytes, ctype: str) -> tuple[float, httpx.Response]:
            t = time.perf_counter()
            r = client.post("/v1/events", content=body, headers={"Content-Type": ctype})
            took = time.perf_counter() - t
            statuses[r.status_code] += 1
            return took, r

        for _ in range(WARM_UP):
            post(orjson.dumps(next(events)), CE_ONE)
        statuses.clear()
        cpu0 = time.process_time()
        # The body is built before the clock starts: what is timed is the service's answer.
        single = [post(orjson.dumps(next(events)), CE_ONE)[0] for _ in range(n)]
        client_cpu = time.process_time() - cpu0
        batch, accepted = [], 0
        for _ in range(BATCHES):
            took, r = post(orjson.dumps([next(events) for _ in range(BATCH_EVENTS)]), CE_BATCH)
            batch.append(took)
            accepted += r.json().get("accepted", 0) if r.status_code in (200, 207) else 0
    return {"what": f"POST /v1/events from one client, one keep-alive connection, sequential: {n} single structured "
                    f"events (after {WARM_UP} not counted), then {BATCHES} batches of {BATCH_EVENTS} "
                    f"({CE_BATCH}); tickets and outbound calls stamped now, source {SOURCE}. An answer "
                    "means the broker acknowledged (acks=all). ms from request to answer.",
            "single": {**distribution(single), "events_per_s": round(n / sum(single)), "client_cpu_s": round(client_cpu, 1)},
            f"batch_of_{BATCH_EVENTS}": {**summary(batch), "accepted": accepted,
                                         "events_per_s": round(BATCHES * BATCH_EVENTS / sum(batch))},
            "statuses": {str(k): v for k, v in statuses.items()}}


def freshness(e: Endpoints, probes: int = 100, background_events_per_s: float = 1.2) -> dict:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        res = runner.run(_freshness(e, probes, background_events_per_s))
    refresh = ApiSettings.model_fields["live_refresh_s"].default
    batch = AggregateSettings.model_fields["batch_max_latency_s"].default
    return {"what": f"{probes} probes, one at a time: an inbound hotline.call.offered stamped now (Asia/Shanghai) is "
                    "POSTed to ingest; from its answer (accepted = acknowledged by the broker) GET /v1/live is polled "
                    f"every {POLL_S * 1000:g} ms until calls.offered_today has grown by one; the delay is ms from the "
                    f"answer to the poll answer that shows it. Not visible within {VISIBLE_TIMEOUT_S:g} s: counted in "
                    "not_visible, left out of the percentiles. The live snapshot is recomputed every "
                    f"HOTLINE_API_LIVE_REFRESH_S (default {refresh:g} s; snapshot_age_s below is what was served), "
                    f"after the aggregate worker's batch of at most HOTLINE_AGGREGATE_BATCH_MAX_LATENCY_S (default {batch:g} s) "
                    "and the facts refresh. A random pause of up to one refresh interval between probes keeps them "
                    "from falling at the same point of the refresh cycle. Meanwhile a background task POSTs "
                    "tickets and outbound calls (which do not move offered_today) evenly spaced at the rate given.",
            "live_refresh_s_default": refresh, **res,
            "background": {**res["background"], "rate_used_per_s": background_events_per_s,
                           "derived_rates_huaian_2023": derived_rates()}}


async def _freshness(e: Endpoints, probes: int, rate: float) -> dict:
    run, loop = _run_id(), asyncio.get_running_loop()
    delays, via_snapshot, ages, post_ms, not_visible = [], [], [], [], 0
    statuses, rejected = Counter(), Counter()
    bg = {"sent": 0, "statuses": Counter()}
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=e.ingest_url, headers=_auth(e), timeout=30) as ingest, \
            httpx.AsyncClient(base_url=e.api_url, headers=_auth(e), timeout=30) as api:
        async def send(event: dict) -> httpx.Response:
            return await ingest.post("/v1/events", content=orjson.dumps(event), headers={"Content-Type": CE_ONE})

        async def offered() -> tuple[int, float] | None:
            """calls.offered_today and the wall time its snapshot was computed, or None (e.g. a 503)."""
            r = await api.get("/v1/live")
            statuses[r.status_code] += 1
            if r.status_code != 200:
                return None
            j = r.json()
            ages.append(j["snapshot_age_s"])
            return j["calls"]["offered_today"], time.time() - j["snapshot_age_s"]

        async def settled(quiet_s: float = 3.0, limit_s: float = 60.0) -> int:
            """The figure once it has not moved for `quiet_s`: a probe that came too late must not
            count as the next one."""
            last, since, deadline = None, loop.time(), loop.time() + limit_s
            while loop.time() < deadline:
                now = await offered()
                if now is not None and (last is None or now[0] != last):
                    last, since = now[0], loop.time()
                elif now is not None and loop.time() - since >= quiet_s:
                    break
                await asyncio.sleep(0.1)
            if last is None:
                raise RuntimeError("GET /v1/live did not answer 200 within a minute")
            return last

        async def background() -> None:
            events, next_at = traffic(run, seed=11), loop.time()
            while not stop.is_set():
                r = await send(next(events))
                bg["sent"] += 1
                bg["statuses"][r.status_code] += 1
                next_at += 1 / rate
                await asyncio.sleep(max(next_at - loop.time(), 0))

        base = await settled()
        t_bg = loop.time()
        sender = asyncio.create_task(background()) if rate > 0 else None
        refresh = ApiSettings.model_fields["live_refresh_s"].default
        try:
            for i in range(probes):
                await asyncio.sleep(random.uniform(0, refresh))
                offer, abandon = probe(run, i)
                t = time.perf_counter()
                r = await send(offer)
                accepted_wall, accepted = time.time(), time.perf_counter()
                post_ms.append((accepted - t) * 1000)
                if r.status_code != 200:
                    rejected[str(r.status_code)] += 1
                    continue
                visible = None
                while visible is None and time.perf_counter() - accepted < VISIBLE_TIMEOUT_S:
                    seen = await offered()
                    if seen is not None and seen[0] > base:
                        visible = seen[0]
                        delays.append(time.perf_counter() - accepted)
                        via_snapshot.append(max(seen[1] - accepted_wall, 0))
                    else:
                        await asyncio.sleep(POLL_S)
                await send(abandon)
                if visible is None:
                    not_visible += 1
                    # The late probe may still arrive: wait it out rather than take it for the next one.
                    base = await settled()
                else:
                    base = visible
        finally:
            stop.set()
            if sender:
                await sender
    wall = loop.time() - t_bg
    return {"probes": probes, "not_visible": not_visible, "timeout_s": VISIBLE_TIMEOUT_S,
            "probes_not_accepted": dict(rejected),
            "delay": distribution(delays),
            "snapshot_computed_after": {**distribution(via_snapshot), "note": "from the answer to the start of "
                                        "the live refresh that first showed the probe: the delay without the "
                                        "wait for the next poll"},
            "probe_post_ms_median": round(statistics.median(post_ms), 1) if post_ms else None,
            "snapshot_age_s_served": {"median": round(statistics.median(ages), 3), "max": round(max(ages), 3)} if ages else None,
            "live_statuses": {str(k): v for k, v in statuses.items()},
            "background": {"sent": bg["sent"], "achieved_per_s": round(bg["sent"] / wall, 2),
                           "statuses": {str(k): v for k, v in bg["statuses"].items()}}}


if __name__ == "__main__":
    # .venv/bin/python -m bench.stages.latency [API_PID], with the HOTLINE_* environment of a running stack.
    import json
    import os
    import sys

    from hotline.tokens import DEV_TOKEN

    chs = ClickHouseSettings()
    ends = Endpoints(f"http://127.0.0.1:{os.environ.get('HOTLINE_INGEST_PORT', '8080')}",
                     f"http://127.0.0.1:{os.environ.get('HOTLINE_API_PORT', '8090')}", DEV_TOKEN, chs,
                     int(sys.argv[1]) if len(sys.argv) > 1 else None)
    print(json.dumps({"report": report_latency(ends, 2023, cold_n=3, cached_n=100),
                      "live": live_latency(ends, clients=20, seconds=5),
                      "ingest": ingest_latency(ends, n=300),
                      "freshness": freshness(ends, probes=20)}, ensure_ascii=False, indent=1))
