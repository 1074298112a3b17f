"""The pure pieces of the latency benchmark (bench/stages/latency.py, measure_http.py): percentile
math, the derived event rate, and the events it sends being contract-valid and out of the
simulator's way."""

from __future__ import annotations

import itertools

import pytest

from bench.stages.latency import busiest_day_share, busy_rate, distribution, probe, traffic
from bench.stages.measure_http import pctl, summary
from hotline.contract import validate_event


def test_nearest_rank_percentile_is_always_a_sample():
    xs = [float(x) for x in range(1, 101)]  # 1 … 100
    assert pctl(xs, 50) == 50.0
    assert pctl(xs, 95) == 95.0
    assert pctl(xs, 99) == 99.0
    assert pctl(xs, 100) == 100.0
    assert pctl([3.0, 1.0, 2.0], 50) == 2.0
    assert pctl([7.0], 99) == 7.0
    assert pctl([1.0, 2.0], 0) == 1.0


def test_summary_turns_seconds_into_milliseconds():
    s = summary([0.001, 0.003, 0.002, 0.010], percentiles=True)
    assert s == {"n": 4, "median_ms": 2.5, "min_ms": 1.0, "max_ms": 10.0, "p95_ms": 10.0, "p99_ms": 10.0}
    assert "p95_ms" not in summary([0.001])


def test_distribution_of_nothing_says_so():
    assert distribution([]) == {"n": 0}
    assert distribution([0.5, 1.5]) == {"n": 2, "p50_ms": 500.0, "p95_ms": 1500.0, "p99_ms": 1500.0, "max_ms": 1500.0}


def test_busy_rate():
    # 3.6 M events a year; a day with 1/360 of them; an hour with a tenth of that day:
    # 10,000 events a day, 1,000 in that hour.
    assert busy_rate(600_000, 600_000, 3.0, 1 / 360, 0.1) == pytest.approx(1000 / 3600)
    assert busy_rate(1_450_700, 1_649_300, 3.53, 0.00378, 0.0921) == pytest.approx(1.0575, abs=1e-3)


def test_busiest_day_of_2023_is_a_summer_monday():
    # Without noise the busiest day weighs Monday (1.16) × July/August (1.12) = 1.2992 against a
    # year of weights summing to about 344: a share near 1/265.
    assert busiest_day_share(2023) == pytest.approx(1 / 265, rel=0.03)


def test_traffic_is_valid_and_leaves_inbound_calls_alone():
    events = list(itertools.islice(traffic("r1", seed=3, clock=lambda: "2023-09-25T10:00:00.000+08:00"), 300))
    for e in events:
        validate_event(e)
        assert e["source"] == "/bench/latency"
        assert e["id"].startswith("lat-r1-") and e["subject"].startswith("lat-r1-")
        assert not (e["type"] == "hotline.call.offered" and e["data"]["direction"] == "inbound")
    assert len({e["id"] for e in events}) == 300
    assert {e["type"] for e in events} >= {"hotline.ticket.created", "hotline.call.offered", "hotline.call.ended"}


def test_probe_is_an_inbound_offer_then_its_abandonment():
    offer, abandon = probe("r1", 7, clock=lambda: "2023-09-25T10:00:00.000+08:00")
    validate_event(offer)
    validate_event(abandon)
    assert (offer["type"], offer["data"]["direction"], abandon["type"]) == ("hotline.call.offered", "inbound",
                                                                           "hotline.call.abandoned")
    assert offer["subject"] == abandon["subject"] == "lat-r1-p7"
    assert offer["id"] != abandon["id"]
