"""The brief routes (services/api/routes/briefs.py) through the real API app on a real ClickHouse
database: periods, parameters, formats, a department's token, no data. The figures are those of
the report tests' hand-checked events (tests/support/report_events.py: T4, T5, T6 of 2023); every
figure of a brief is held to the definitions by tests/integration/api/test_weekly_brief.py.
"""

from __future__ import annotations

import jsonschema
import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from services.api.settings import ApiSettings
from tests.support.report_db import fresh_database, write
from tests.support.report_events import CALLS, TICKETS

DB = "hotline_brief_routes_test"
CITY = {"Authorization": "Bearer dev-token"}
HOUSING = {"Authorization": "Bearer housing-token-0123456789"}
TOKENS = {"dev-token": {"reader": "dev"},
          "housing-token-0123456789": {"reader": "housing", "department": "市住建局"}}


@pytest.fixture(scope="module")
def api(local_stack):
    settings = fresh_database(DB)
    write(settings, CALLS + TICKETS)
    with TestClient(create_app(ApiSettings(clickhouse=settings, tokens=TOKENS))) as client:
        yield client


def get(api, path: str, headers=CITY, **params):
    r = api.get(path, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r


def test_week_18_of_2023_in_figures(api):
    # W18 = Mon 1 May .. Sun 7 May 2023: T4 (110 -> 市公安局, late) and T5 (110 -> specialist).
    doc = get(api, "/v1/reports/weekly/2023-W18").json()
    assert (doc["report"], doc["label"], doc["period"]["from"], doc["period"]["to"]) == \
        ("weekly", "2023-W18", "2023-05-01", "2023-05-07")
    assert doc["period"]["as_of"] == "2023-05-08T00:00:00+08:00"
    # The week before is held (the data runs from 10 May 2022); W18 of 2022 (2-8 May) is not.
    assert doc["period"]["previous"] == {"from": "2023-04-24", "to": "2023-04-30", "has_data": True}
    assert doc["period"]["last_year"] == {"from": "2022-05-02", "to": "2022-05-08", "has_data": False}
    rows = {r["key"]: (r["value"], r["previous"], r["change_pct"], r["last_year"], r["yoy_pct"])
            for r in doc["summary"]["rows"]}
    assert rows["demands"] == (2, 0, None, None, None)
    assert rows["source_transfer_in"] == (2, 0, None, None, None)
    assert rows["handling_online_specialist"] == (1, 0, None, None, None)
    assert rows["handling_department"] == (1, 0, None, None, None)
    assert rows["calls_offered"] == (0, 0, None, None, None)
    assert rows["answer_rate_pct"] == (None, None, None, None, None)
    # 市公安局: T4 completed after its deadline, 44 working hours; evaluated yes/yes on 8 May.
    assert doc["departments"]["rows"] == [{
        "rank": 1, "department": "市公安局", "dispatched": 1, "completed": 1, "completion_rate_pct": 100.0,
        "on_time": 0, "on_time_pct": 0.0, "avg_handling_workdays": 1.833, "evaluation_requests": 1,
        "evaluations": 1, "evaluation_response_rate_pct": 100.0, "rated": 1, "satisfied": 1,
        "satisfaction_pct": 100.0, "unsatisfied": 0, "supervised": 0, "transferred_out": 0, "overdue": 0,
        "score": 70.0}]  # 0.4 × 100 + 0.3 × 0 + 0.3 × 100
    assert doc["departments"]["total"]["department"] == "全市"
    assert doc["departments"]["total"]["score"] == 70.0
    # T5's evaluation said the agent's service was unsatisfying, the resolution unrated: not
    # unsatisfied by default, once unsatisfied when either answer counts.
    assert doc["unsatisfied"]["tickets"] == []
    any_ = get(api, "/v1/reports/weekly/2023-W18", unsatisfied_on="any").json()
    assert [(t["ticket_id"], t["department"], t["level"], t["status"]) for t in any_["unsatisfied"]["tickets"]] == \
        [("rt-T5", "", 1, "completed")]
    assert any_["unsatisfied"]["total"] == {"once": 1, "twice": 0, "total": 1}


def test_overdue_is_the_backlog_at_the_end_of_the_week(api):
    # T6 (created 1 June, W22) dispatched to 市住建局 with a deadline of Thu 8 June 18:00 and never
    # completed: overdue at the end of W23 (12 June 00:00) by 3.25 days, though created before it.
    doc = get(api, "/v1/reports/weekly/2023-W23").json()
    assert doc["supervision"]["overdue"] == [{
        "ticket_id": "rt-T6", "department": "市住建局", "deadline": "2023-06-08T18:00:00+08:00",
        "overdue_days": 3.25, "status": "open"}]
    assert doc["supervision"]["rows"] == [{"department": "市住建局", "supervised": 0, "overdue": 1}]
    # In W23 the department has no ticket created: a row without rates, unranked.
    [row] = doc["departments"]["rows"]
    assert (row["department"], row["dispatched"], row["overdue"], row["score"], row["rank"]) == \
        ("市住建局", 0, 1, None, None)


def test_a_department_token_reads_its_own_brief(api):
    doc = get(api, "/v1/reports/weekly/2023-W23", headers=HOUSING).json()
    assert doc["department"] == "市住建局"
    assert doc["clusters"] is None and doc["hot"]["alerts"] is None and doc["departments"]["total"] is None
    assert [r["key"] for r in doc["summary"]["rows"]][-1] == "handling_department"  # no call rows
    assert [t["ticket_id"] for t in doc["supervision"]["overdue"]] == ["rt-T6"]
    w18 = get(api, "/v1/reports/weekly/2023-W18", headers=HOUSING).json()
    assert w18["departments"]["rows"] == [] and w18["summary"]["rows"][0]["value"] == 0


def test_monthly_and_the_department_table_alone(api):
    doc = get(api, "/v1/reports/monthly/2023-05").json()
    assert (doc["report"], doc["label"], doc["period"]["previous"]["from"], doc["period"]["last_year"]["from"]) == \
        ("monthly", "2023-05", "2023-04-01", "2022-05-01")
    assert doc["period"]["last_year"]["has_data"] is True  # May 2022 holds Q1 (10 May)
    table = get(api, "/v1/reports/departments", **{"from": "2023-01-01", "to": "2023-12-31"}).json()
    assert set(table) == {"report", "city", "timezone", "period", "parameters", "generated_at", "coverage",
                          "departments"}
    # 市市场监管局: T3 and T9 completed in time, no rated evaluation -> (0.3 × 100 + 0.3 × 100) / 0.6;
    # 市公安局: T4 as above; 市住建局: T2 on time but its resolution unsatisfied, T6 open ->
    # 0.4 × 0 + 0.3 × 50 + 0.3 × 50.
    assert [(r["rank"], r["department"], r["score"]) for r in table["departments"]["rows"]] == [
        (1, "市市场监管局", 100.0), (2, "市公安局", 70.0), (3, "市住建局", 30.0)]


@pytest.mark.parametrize("fmt,media", [("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                                       ("csv", "application/zip"), ("html", "text/html; charset=utf-8")])
def test_formats(api, fmt, media):
    r = get(api, "/v1/reports/weekly/2023-W18", format=fmt)
    assert r.headers["content-type"] == media
    assert len(r.content) > 1000


@pytest.mark.parametrize("path,parameter", [
    ("/v1/reports/weekly/2023-18", "week"), ("/v1/reports/weekly/2021-W53", "week"),
    ("/v1/reports/monthly/2023-13", "month"), ("/v1/reports/weekly/2023-W18?top_n=0", "top_n"),
    ("/v1/reports/weekly/2023-W18?evaluations=first", "evaluations"),
    ("/v1/reports/weekly/2023-W18?efficiency_scope=all", "efficiency_scope"),
])
def test_bad_parameters_are_named(api, path, parameter):
    r = api.get(path, headers=CITY)
    assert r.status_code == 400, r.text
    assert r.json()["parameter"] == parameter


def test_a_week_with_no_event_at_all_is_404(api):
    r = api.get("/v1/reports/weekly/2031-W01", headers=CITY)
    assert r.status_code == 404, r.text
    assert "2022-05-10" in r.json()["detail"]


def test_answers_validate_against_the_published_schema(api):
    schema = api.get("/v1/schemas/brief.json").json()  # served without a token, like the report's
    assert schema["$id"] == "urn:hotline:schema:brief:v1"
    v = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    for path, headers, params in (("/v1/reports/weekly/2023-W18", CITY, {}),
                                  ("/v1/reports/weekly/2023-W23", HOUSING, {}),
                                  ("/v1/reports/monthly/2023-05", CITY, {"unsatisfied_on": "any"}),
                                  ("/v1/reports/departments", CITY, {"from": "2023-01-01", "to": "2023-12-31"})):
        doc = get(api, path, headers=headers, **params).json()
        assert [e.message for e in v.iter_errors(doc)] == [], path
