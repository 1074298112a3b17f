"""The query API's pure core: periods, cubes, figures, year-over-year, rounding, the answer
cache and the settings. Expected figures are written out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from hotline.settings import ClickHouseSettings
from services.api.cache import AnswerCache
from services.api.report.assemble import (
    CALL_DIMS, CATEGORY_DIMS, DEPARTMENT_DIMS, TAG_DIMS, TICKET_DIMS, Cubes, ReportParams, report, rounded, yoy,
)
from services.api.report.cube import Cube
from services.api.report.errors import BadPeriod
from services.api.report.figures import ServiceLevel, calls, efficiency, pct
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


def _ticket(cur=1, kind="consult", **measures):
    """One row of ticket_cube.sql; measures not given are 0."""
    names = ("tickets", "completed_n", "work_s", "handling_known_n", "handling_pending_n", "on_time_n", "to_110_n",
             "evaluation_requests_n", "evaluations_n", "service_rated_n", "service_satisfied_n",
             "resolution_rated_n", "resolution_satisfied_n", "rated_tickets", "satisfied_tickets")
    assert set(measures) <= set(names)
    dims = {"cur": cur, "bucket": D(2023 - (1 - cur), 1, 1), "requester": "citizen", "source": "phone",
            "channel": "phone", "handling": "department", "kind": kind, "line": "main"}
    return {**dims, **{n: measures.get(n, 0) for n in names}}


def test_pending_handling_times_are_counted_not_averaged():
    # consult: 4 tickets, 3 completed; known handling times 86 400 s and 43 200 s (1 and 0.5
    # working days), the third completed one pending. Two rows, as the cube splits by channel.
    # non_consult: 2 tickets, both completed, both pending.
    cube = Cube([_ticket(tickets=3, completed_n=2, work_s=86400, handling_known_n=1, handling_pending_n=1),
                 {**_ticket(tickets=1, completed_n=1, work_s=43200, handling_known_n=1), "channel": "wechat"},
                 _ticket(kind="non_consult", tickets=2, completed_n=2, handling_pending_n=2)], TICKET_DIMS)
    e = efficiency(cube, "all")
    assert (e["consult"]["count"], e["consult"]["completed"], e["consult"]["handling_pending"]) == (4, 3, 1)
    assert e["consult"]["avg_handling_workdays"] == 0.75  # (86400 + 43200) / 2 known / 86400, not / 3
    assert (e["non_consult"]["count"], e["non_consult"]["completed"], e["non_consult"]["handling_pending"]) == (2, 2, 2)
    assert e["non_consult"]["avg_handling_workdays"] is None  # every completed one pending: no data
    # Nothing pending: the average is over every completed ticket, as before.
    done = efficiency(Cube([_ticket(tickets=2, completed_n=2, work_s=172800, handling_known_n=2)], TICKET_DIMS), "all")
    assert (done["consult"]["avg_handling_workdays"], done["consult"]["handling_pending"]) == (1.0, 0)
    assert (done["non_consult"]["avg_handling_workdays"], done["non_consult"]["handling_pending"]) == (None, 0)


COVERAGE = {"first_day": "2022-01-01", "last_day": "2023-12-31", "complete": True, "note": None}


def _report(tickets: list[dict]) -> dict:
    empty = {dims: Cube([], dims) for dims in (CALL_DIMS, CATEGORY_DIMS, DEPARTMENT_DIMS, TAG_DIMS)}
    cubes = Cubes(Cube(tickets, TICKET_DIMS), empty[CALL_DIMS], empty[CATEGORY_DIMS], empty[DEPARTMENT_DIMS],
                  empty[TAG_DIMS])
    year = Period.year(2023)
    return report(kind="annual", city="淮安市", timezone="Asia/Shanghai", period=year, previous=year.previous(),
                  cubes=cubes, params=ReportParams(), supplied=None, generated_at="2024-01-05T09:00:00+08:00",
                  coverage=COVERAGE)


def _schema_validator():
    import json
    from pathlib import Path

    import jsonschema

    root = Path(__file__).resolve().parents[3]
    schema = json.loads((root / "schemas/report/v1/report.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def test_a_comparison_year_without_events_has_no_data_and_no_change():
    # 2023: 4 consult tickets, 2 completed; 2022: none at all. Not "down 100 %" from nothing:
    # no yoy_pct in any table, and the previous period says it has no data.
    doc = _report([_ticket(tickets=4, completed_n=2, handling_known_n=2, work_s=86400)])
    assert doc["period"]["previous"] == {"from": "2022-01-01", "to": "2022-12-31", "has_data": False}
    tables = ("demands", "calls", "efficiency", "linkage_110", "talent_line", "maishangyi_demands", "tags")
    assert [t for t in tables if "yoy_pct" in doc[t]] == []
    assert doc["demands"]["rows"]["all"]["total"] == 4
    # The coverage comes right after generated_at, as given.
    keys = list(doc)
    assert keys[keys.index("generated_at") + 1] == "coverage" and doc["coverage"] == COVERAGE
    validator = _schema_validator()
    assert not list(validator.iter_errors(doc))
    # The schema can fail on it: a coverage without its note, or with a key of its own.
    assert list(validator.iter_errors({**doc, "coverage": {k: v for k, v in COVERAGE.items() if k != "note"}}))
    assert list(validator.iter_errors({**doc, "coverage": {**COVERAGE, "days": 3}}))


def test_report_with_pending_handling_times_validates_and_compares_averages():
    import json
    from pathlib import Path

    doc = _report([
        # 2023: consult 0.75 working days over 2 known (1 pending); non_consult all pending
        _ticket(tickets=3, completed_n=3, work_s=129600, handling_known_n=2, handling_pending_n=1),
        _ticket(kind="non_consult", tickets=2, completed_n=2, handling_pending_n=2),
        # 2022: consult 0.5 working days, non_consult 2 working days, nothing pending
        _ticket(cur=0, tickets=2, completed_n=2, work_s=86400, handling_known_n=2),
        _ticket(cur=0, kind="non_consult", tickets=1, completed_n=1, work_s=172800, handling_known_n=1),
    ])
    e = doc["efficiency"]
    consult = e["consult"]
    assert (consult["avg_handling_workdays"], consult["handling_pending"], consult["completed"]) == (0.75, 1, 3)
    assert (e["non_consult"]["avg_handling_workdays"], e["non_consult"]["handling_pending"]) == (None, 2)
    # Year-over-year stays the change of the averages: (0.75 - 0.5) / 0.5; none without an average.
    assert e["yoy_pct"]["consult_avg_handling"] == 50.0 and e["yoy_pct"]["non_consult_avg_handling"] is None

    root = Path(__file__).resolve().parents[3]
    validator = _schema_validator()
    assert not list(validator.iter_errors(doc))
    # A document made before handling_pending existed still validates; a negative count does not.
    older = json.loads((root / "tests/fixtures/report-example.json").read_text(encoding="utf-8"))
    assert "handling_pending" not in older["efficiency"]["consult"] and not list(validator.iter_errors(older))
    # The renderers say it under the efficiency table, in every format.
    import io

    import openpyxl

    from services.api.render import csv_out, html, tables, xlsx

    note = "另有 3 件已办结工单（咨询类 1 件，非咨询类 2 件）的办理时长待定"
    assert note in html.page(doc)
    assert note in csv_out.table_csv(tables.table(doc, "efficiency")).decode("utf-8-sig").splitlines()[-1]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.workbook(doc)))["热线服务效能"]
    assert sheet.cell(sheet.max_row, 1).value.startswith(note)

    e["consult"]["handling_pending"] = -1
    assert [err.validator for err in validator.iter_errors(doc)] == ["minimum"]


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
