"""The query API's pure core: periods, cubes, figures, year-over-year, rounding, the answer
cache and the settings. Expected figures are written out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from hotline.settings import ClickHouseSettings
from services.api.cache import AnswerCache
from services.api.report.assemble import CALL_DIMS, rounded, yoy
from services.api.report.cube import Cube
from services.api.report.errors import BadPeriod
from services.api.report.figures import ServiceLevel, calls, pct
from services.api.report.period import Period
from services.api.settings import ApiSettings

D = dt.date


def test_periods_and_their_comparison_period():
    assert Period.year(2023) == Period(D(2023, 1, 1), D(2023, 12, 31))
    assert Period.year(2023).previous() == Period(D(2022, 1, 1), D(2022, 12, 31))
    assert Period(D(2024, 2, 29), D(2024, 3, 1)).previous() == Period(D(2023, 2, 28), D(2023, 3, 1))
    assert Period(D(2022, 6, 1), D(2023, 6, 30)).previous() is None  # longer than a year: no yoy
    with pytest.raises(BadPeriod) as e:
        Period.between(D(2023, 3, 2), D(2023, 3, 1))
    assert e.value.parameter == "to"
    with pytest.raises(BadPeriod):
        Period.year(1999)
    with pytest.raises(BadPeriod):
        Period.between(D(2020, 1, 1), D(2023, 1, 1), max_days=366)


def test_cube_slices_and_collapse():
    c = Cube([{"a": 1, "b": "x", "n": 2, "longest_t": 5}, {"a": 1, "b": "y", "n": 3, "longest_t": 9},
              {"a": 2, "b": "x", "n": 4, "longest_t": 1}], ("a", "b"))
    assert c.where(b="x").sum("n") == 6 and c.where(a=(1, 2), b="y").sum("n") == 3
    folded = c.collapse(["a"])
    assert sorted((r["a"], r["n"], r["longest_t"]) for r in folded.rows) == [(1, 5, 9), (2, 4, 1)]
    assert c.where(a=3).max("longest_t") is None


def _calls(**inbound):
    base = {"cur": 1, "bucket": 0, "direction": "inbound", "offered": 0, "answered": 0, "abandoned": 0,
            "short_abandoned": 0, "answered_within": 0, "abandoned_within": 0, "wait_ms_sum": 0, "talked": 0,
            "talk_ms_sum": 0, "over_10min": 0, "longest_talk_ms": -1}
    return Cube([{**base, **inbound}], CALL_DIMS)


def test_service_level_denominators_and_short_abandons():
    # 10 offered: 6 answered (5 within 30 s), 4 abandoned (2 within 30 s, 1 of them within 5 s)
    cube = _calls(offered=10, answered=6, abandoned=4, answered_within=5, abandoned_within=1, short_abandoned=1,
                  wait_ms_sum=60_000, talked=6, talk_ms_sum=1_200_000, over_10min=1, longest_talk_ms=700_000)
    assert calls(cube, ServiceLevel(30, "offered", 5))["inbound"]["service_level_30s_pct"] == pytest.approx(500 / 9)
    assert calls(cube, ServiceLevel(30, "answered", 5))["inbound"]["service_level_30s_pct"] == pytest.approx(500 / 6)
    assert calls(cube, ServiceLevel(30, "abandon_ignored", 5))["inbound"]["service_level_30s_pct"] == pytest.approx(500 / 8)
    inbound = calls(cube, ServiceLevel(30, "offered", 5))["inbound"]
    assert (inbound["offered"], inbound["abandoned"], inbound["short_abandoned"]) == (9, 3, 1)
    assert (inbound["avg_wait_s"], inbound["avg_talk_s"], inbound["longest_talk_s"]) == (10.0, 200.0, 700.0)


def test_no_calls_means_no_rate_rather_than_zero():
    figures = calls(_calls(), ServiceLevel())
    assert figures["inbound"]["service_level_30s_pct"] is None and figures["inbound"]["avg_wait_s"] is None
    assert figures["all"]["longest_talk_s"] is None and pct(0, 0) is None


def test_year_over_year_and_rounding():
    assert yoy(1438746, 1577057) == pytest.approx(-8.77, abs=0.005)
    assert yoy(5, 0) is None and yoy(None, 3) is None and yoy(0, 4) == -100.0
    tree = {"x_pct": 12.3456, "avg_wait_s": 13.926, "avg_handling_workdays": 0.12345, "count": 7,
            "yoy_pct": {"a": 1.23456, "b": {"c": 2.34567}}, "rows": [{"share_pct": 16.9756}]}
    assert rounded(tree) == {"x_pct": 12.35, "avg_wait_s": 13.93, "avg_handling_workdays": 0.123, "count": 7,
                             "yoy_pct": {"a": 1.23, "b": {"c": 2.35}}, "rows": [{"share_pct": 16.98}]}


def test_cache_serves_an_answer_only_under_its_validator():
    cache = AnswerCache(2)
    cache.put("a", (1, 0), "A1")
    assert cache.get("a", (1, 0)) == "A1" and cache.get("a", (2, 0)) is None
    cache.put("b", (1, 0), "B")
    cache.get("a", (1, 0))
    cache.put("c", (1, 0), "C")  # evicts b, the least recently used
    assert cache.get("b", (1, 0)) is None and cache.get("a", (1, 0)) == "A1"


def test_settings_production_refuses_the_development_token(monkeypatch):
    monkeypatch.delenv("HOTLINE_API_TOKENS", raising=False)
    assert set(ApiSettings().tokens) == {"dev-token"}
    with pytest.raises(ValidationError) as e:
        ApiSettings(env="production")
    assert "HOTLINE_API_TOKENS" in str(e.value)
    with pytest.raises(ValidationError) as e:
        ApiSettings(env="production", tokens={"dev-token": {"reader": "x"}})
    assert "token no. 1 (reader 'x')" in str(e.value) and "dev-token" not in str(e.value)
    good = "Zk3v9QmW2xR7tY1uP8sL4nB6cV0aJ5"
    ch = ClickHouseSettings(password="pW7-xQ2mZ9rT4vL8")
    assert ApiSettings(env="production", tokens={good: {"reader": "office"}}, clickhouse=ch).tokens[good].scopes == ["read"]


def test_report_defaults_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("HOTLINE_API_REPORT__TOP_N", "7")
    monkeypatch.setenv("HOTLINE_API_REPORT__SERVICE_LEVEL_DENOMINATOR", "answered")
    d = ApiSettings().report
    assert (d.top_n, d.service_level_denominator, d.service_level_threshold_s) == (7, "answered", 30)


def test_the_access_log_drops_query_strings():
    import logging

    from services.api.access_log import DropQueryString

    record = logging.LogRecord("uvicorn.access", logging.INFO, "h", 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/v1/series?from=13913570018&to=x", "1.1", 400), None)
    assert DropQueryString().filter(record)
    assert record.getMessage() == '127.0.0.1:5 - "GET /v1/series?… HTTP/1.1" 400'
