"""The trend's band and the hot ranking (services/api/brief/expected.py), figures worked by hand."""

from __future__ import annotations

from datetime import date as D

import pytest

from services.api.brief import expected
from services.api.report.period import Period

WEEK = Period(D(2024, 6, 17), D(2024, 6, 23))  # Mon .. Sun


def test_the_baseline_is_the_28_days_before_from_the_first_day_held():
    assert expected.baseline(WEEK, D(2024, 1, 1)) == Period(D(2024, 5, 20), D(2024, 6, 16))
    assert expected.baseline(WEEK, D(2024, 6, 10)) == Period(D(2024, 6, 10), D(2024, 6, 16))
    assert expected.baseline(WEEK, D(2024, 6, 17)) is None
    assert expected.baseline(WEEK, None) is None


def test_band_mean_and_two_spreads_with_the_poisson_floor():
    # counts 10, 12, 14: mean 12, sample sd 2, √12 = 3.464 > 2 -> 12 ∓ 6.928
    b = expected.band([10, 12, 14])
    assert (b.expected, round(b.low, 3), round(b.high, 3)) == (12.0, 5.072, 18.928)
    # counts 0, 20: mean 10, sd 14.142 > √10 -> 10 ∓ 28.284, low clipped at 0
    b = expected.band([0, 20])
    assert (b.expected, b.low, round(b.high, 3)) == (10.0, 0.0, 38.284)
    assert expected.band([]) is None


def test_trend_days_take_the_band_of_their_own_day_type():
    base = Period(D(2024, 6, 10), D(2024, 6, 16))
    # Working days 10-14 June: 10, 12, 14, 12, 12 -> mean 12, sd √2 = 1.414 < √12 -> 12 ∓ 6.928.
    # Rest days 15-16 June: 4 and nothing (0) -> mean 2, sd 2.828 > √2 -> 2 ∓ 5.657.
    daily = {D(2024, 6, 10): 10, D(2024, 6, 11): 12, D(2024, 6, 12): 14, D(2024, 6, 13): 12,
             D(2024, 6, 14): 12, D(2024, 6, 15): 4, D(2024, 6, 17): 30, D(2024, 6, 22): 1}
    days = expected.trend(WEEK, base, daily, lambda d: d.weekday() < 5, last_day=D(2024, 6, 22))
    assert [(d["day"], d["workday"], d["demands"]) for d in days] == [
        ("2024-06-17", True, 30), ("2024-06-18", True, 0), ("2024-06-19", True, 0), ("2024-06-20", True, 0),
        ("2024-06-21", True, 0), ("2024-06-22", False, 1), ("2024-06-23", False, None)]  # 23rd not held yet
    assert [round(days[0][k], 3) for k in ("expected", "low", "high")] == [12.0, 5.072, 18.928]
    assert [round(days[5][k], 3) for k in ("expected", "low", "high")] == [2.0, 0.0, 7.657]


def test_trend_without_baseline_has_no_band():
    days = expected.trend(WEEK, None, {}, lambda d: True, last_day=None)
    assert {(d["expected"], d["low"], d["high"]) for d in days} == {(None, None, None)}


def test_ranking_by_excess_over_the_share_of_the_baseline():
    # Baseline: A 50, B 30, C 20 (of 100). Period: A 40, B 40, C 10, D 10 (of 100).
    # Expected: A 50, B 30, C 20, D 0 -> excess A -10, B +10, C -10, D +10 (D: ratio undefined).
    rows = expected.ranking({"A": 40, "B": 40, "C": 10, "D": 10}, {"A": 50, "B": 30, "C": 20}, top_n=10)
    assert rows == [{"key": "B", "observed": 40, "expected": 30.0, "excess": 10.0, "ratio": pytest.approx(4 / 3)},
                    {"key": "D", "observed": 10, "expected": 0.0, "excess": 10.0, "ratio": None}]
    assert [r["key"] for r in expected.ranking({"A": 40, "B": 40, "C": 10, "D": 10},
                                               {"A": 50, "B": 30, "C": 20}, top_n=1)] == ["B"]


def test_ranking_without_baseline_tickets_is_empty():
    assert expected.ranking({"A": 3}, {}, top_n=5) == []
