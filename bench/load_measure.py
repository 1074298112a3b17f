"""bench/load.py's measuring side: the target rate's derivation, the event pool, what a phase
recorded (latencies, failures, backlog samples) and how the backlog is read (ClickHouse rows
against accepted events; the aggregate worker's consumer lag gauge)."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from bench.stages.common import scrape
from hotline.settings import ClickHouseSettings
from hotline.simulator import rhythm
from hotline.simulator.generator import generate
from hotline.storage.client import connect

YEAR = 2023


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


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


@dataclass
class Phase:
    name: str
    rate: float
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"single": [], "batch": []})
    accepted: int = 0
    requests: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    samples: list[tuple[float, int | None, int]] = field(default_factory=list)  # (t, kafka lag, backlog)
    started: float = field(default_factory=time.monotonic)
    wall_s: float = 0.0
    caught_up_s: float | None = None
    load_average: float | None = None  # the machine's 1-minute load average when the phase ended

    def record(self, kind: str, latency_s: float, n: int, ok: bool, error: str | None) -> None:
        self.requests += 1
        self.latencies[kind].append(latency_s)
        if ok:
            self.accepted += n
        else:
            self.failures[(error or "?")[:120]] += 1

    def finish(self) -> None:
        self.wall_s = time.monotonic() - self.started
        self.load_average = round(os.getloadavg()[0], 2)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    def all_latencies(self) -> list[float]:
        return self.latencies["single"] + self.latencies["batch"]

    def backlog_growth(self) -> int:
        """Backlog at the end of the step minus at its middle (events)."""
        if len(self.samples) < 4:
            return 0
        return self.samples[-1][2] - self.samples[len(self.samples) // 2][2]

    def saturated(self, p99_limit_ms: float) -> str | None:
        p99 = pct(self.all_latencies(), 99) * 1000
        if self.failed:
            return f"{self.failed} failed requests ({next(iter(self.failures))})"
        if p99 > p99_limit_ms:
            return f"ingest p99 {p99:.0f} ms > {p99_limit_ms:g} ms"
        end = self.samples[-1][2] if self.samples else 0
        if self.backlog_growth() > 0.05 * self.rate * self.seconds / 2 and end > 2 * self.rate:
            return f"backlog growing: +{self.backlog_growth():,} events in the step's second half, {end:,} at its end"
        return None

    def summary(self) -> dict[str, Any]:
        ms = {k: {"requests": len(v), "p50": _ms(pct(v, 50)), "p95": _ms(pct(v, 95)), "p99": _ms(pct(v, 99)),
                  "max": _ms(max(v)) if v else None} for k, v in self.latencies.items()}
        lat = self.all_latencies()
        lags = [s[1] for s in self.samples if s[1] is not None]
        return {
            "name": self.name, "target_events_per_s": self.rate, "seconds": round(self.wall_s, 1),
            "requests": self.requests, "accepted_events": self.accepted,
            "achieved_events_per_s": round(self.accepted / self.wall_s, 1) if self.wall_s else None,
            "failed_requests": self.failed, "failures": dict(self.failures.most_common(5)),
            "latency_ms": {"all": {"p50": _ms(pct(lat, 50)), "p95": _ms(pct(lat, 95)), "p99": _ms(pct(lat, 99))}, **ms},
            "consumer_lag_messages": {"max": max(lags) if lags else None, "end": lags[-1] if lags else None},
            "backlog_events": {"max": max((s[2] for s in self.samples), default=None),
                               "end": self.samples[-1][2] if self.samples else None,
                               "growth_second_half": self.backlog_growth()},
            "caught_up_after_s": self.caught_up_s,
            "load_average_1m_end": self.load_average,
        }

    def line(self) -> str:
        s = self.summary()
        a = s["latency_ms"]["all"]
        return (f"{self.name:<14} target {self.rate:>9.1f}/s achieved {s['achieved_events_per_s']:>9}/s "
                f"p50 {a['p50']} p95 {a['p95']} p99 {a['p99']} ms failed {self.failed} "
                f"lag max {s['consumer_lag_messages']['max']} backlog end {s['backlog_events']['end']} "
                f"load {s['load_average_1m_end']}")


def _ms(seconds: float) -> float | None:
    return None if seconds != seconds else round(seconds * 1000, 1)


class Backlog:
    """Events accepted by ingest but not yet in ClickHouse, and the worker's consumer lag."""

    def __init__(self, clickhouse: ClickHouseSettings, metrics_url: str) -> None:
        self.ch = connect(clickhouse)
        self.metrics_url = metrics_url
        self.accepted_done = 0  # accepted in the phases that finished

    def stored(self) -> int:
        return self.ch.execute("SELECT count() FROM hotline.events")[0][0]

    def stored_distinct(self) -> int:
        return self.ch.execute("SELECT uniqExact(source, id) FROM hotline.events")[0][0]

    def kafka_lag(self) -> int | None:
        lag = scrape(self.metrics_url, "hotline_aggregate_consumer_lag_messages")
        return None if lag is None else int(lag)

    async def sample_every(self, every_s: float, phase: Phase) -> None:
        while True:
            stored, lag = await asyncio.gather(asyncio.to_thread(self.stored), asyncio.to_thread(self.kafka_lag))
            phase.samples.append((time.monotonic() - phase.started, lag, self.accepted_done + phase.accepted - stored))
            await asyncio.sleep(every_s)

    def close_phase(self, phase: Phase) -> None:
        self.accepted_done += phase.accepted

    def wait_caught_up(self, timeout_s: float) -> float | None:
        """Seconds until ClickHouse held every accepted event (None: not within `timeout_s`)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout_s:
            if self.stored_distinct() >= self.accepted_done:
                return round(time.monotonic() - start, 1)
            time.sleep(1)
        return None
