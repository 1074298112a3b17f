"""Department tokens through real ClickHouse and the real API app: a department sees its own
tickets only, never city-wide figures, is cached apart, and every answer it gets is in the
data-share log, from which the year's table "共享数据情况" comes.

The event set is tests/support/report_events.py; the figures below are worked out by hand from
its comments: 市住建局 has T2 (citizen, phone, 住房保障, completed, evaluated) and T6 (citizen,
码上议 = transfer in, 城乡建设, open, tag epidemic) in 2023 and Q2 (citizen, phone) in 2022;
市市场监管局 has T3 and T9 (both enterprise); T9 went to 市发改委 first and then to 市市场监管局, so
市发改委 has no ticket (its final handling is elsewhere).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from fastapi.testclient import TestClient

from hotline.storage.client import connect
from services.api.app import create_app
from services.api.settings import ApiSettings
from tests.support.report_db import fresh_database, write
from tests.support.report_events import CALLS, LATE_EVENTS, TICKETS

pytestmark = pytest.mark.clickhouse

DB = "hotline_department_test"
SHARES_DB = "hotline_department_shares_test"
CITY = "city-token-9d2f7a1c5e3b8f6a4d0c"
HOUSING = "housing-token-3b8e1f6a9c2d7e5f0a4b"
MARKET = "market-token-7c1d9e3f5a2b8c6d4e0f"
NDRC = "ndrc-token-2e6a0c4f8b1d5e9a3c7f"
TOKENS = {
    CITY: {"reader": "office", "scopes": ["read", "supply"]},
    HOUSING: {"reader": "housing", "department": "市住建局"},
    MARKET: {"reader": "market", "department": "市市场监管局", "level": "清江浦区"},
    NDRC: {"reader": "ndrc", "department": "市发改委"},
}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def ch_settings(local_stack):
    settings = fresh_database(DB)
    write(settings, CALLS + TICKETS)
    write(settings, LATE_EVENTS, offset=10_000)
    return settings


@pytest.fixture(scope="module")
def api(ch_settings):
    with TestClient(create_app(ApiSettings(clickhouse=ch_settings, tokens=TOKENS))) as client:
        # Supplied figures exist for 2023: a department must still not get them.
        r = client.put("/v1/reports/annual/2023/supplied", json={"platform": {"agents_total": 252}},
                       headers=auth(CITY))
        assert r.status_code == 204 or r.status_code == 200, r.text
        yield client


def shares(ch_settings, database: str) -> list[tuple]:
    client = connect(ch_settings)
    try:
        return client.execute(f"SELECT reader, department, level, method, route, table_name, format, "
                              f"period_from, period_to, tickets FROM {database}.data_shares ORDER BY shared_at, route")
    finally:
        client.disconnect()


def test_a_department_sees_its_own_tickets_only(api):
    r = api.get("/v1/reports/annual/2023", headers=auth(HOUSING))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["department"] == "市住建局"
    rows = {k: {c: v[c] for c in ("total", "phone", "internet", "transfer_in", "online_agent", "department")}
            for k, v in doc["demands"]["rows"].items()}
    assert rows == {
        "citizen": {"total": 2, "phone": 1, "internet": 0, "transfer_in": 1, "online_agent": 0, "department": 2},
        "enterprise": {"total": 0, "phone": 0, "internet": 0, "transfer_in": 0, "online_agent": 0, "department": 0},
        "all": {"total": 2, "phone": 1, "internet": 0, "transfer_in": 1, "online_agent": 0, "department": 2},
    }
    assert doc["demands"]["completion_rate_pct"] == 50.0  # T2 completed, T6 open
    assert doc["demands"]["yoy_pct"]["all"]["total"] == 100.0  # 2 against Q2 alone
    assert [(x["department"], x["count"]) for x in doc["top_departments"]["rows"]] == [("市住建局", 2)]
    assert [(x["tag"], x["count"]) for x in doc["tags"]["rows"]] == [("epidemic", 1)]
    # Calls and supplied figures are the city's, not the department's tickets.
    assert "calls" not in doc and "supplied" not in doc
    assert doc["monthly"]["rows"] == [{"month": "2023-06", "demands": 1}, {"month": "2023-09", "demands": 1}]


def test_a_department_report_validates_against_the_published_schema(api):
    schema = api.get("/v1/schemas/report.json", headers=auth(HOUSING)).json()
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    doc = api.get("/v1/reports/annual/2023", headers=auth(HOUSING)).json()
    assert [e.message for e in validator.iter_errors(doc)] == []
    # The schema can fail: a city report without its calls table, a department's with one.
    city = api.get("/v1/reports/annual/2023", headers=auth(CITY)).json()
    assert list(validator.iter_errors({k: v for k, v in city.items() if k != "calls"}))
    assert list(validator.iter_errors({**doc, "calls": city["calls"]}))


def test_a_ticket_dispatched_elsewhere_afterwards_leaves_the_first_department(api):
    ndrc = api.get("/v1/reports/annual/2023", headers=auth(NDRC)).json()
    assert ndrc["demands"]["rows"]["all"]["total"] == 0  # T9 ended at 市市场监管局
    market = api.get("/v1/reports/annual/2023", headers=auth(MARKET)).json()
    assert market["demands"]["rows"]["enterprise"]["total"] == 2 and market["demands"]["rows"]["all"]["total"] == 2


def test_cached_answers_are_kept_per_department(api):
    city = api.get("/v1/reports/annual/2023", params={"top_n": 7}, headers=auth(CITY))
    assert (city.status_code, city.headers["x-cache"]) == (200, "miss")
    assert city.json()["demands"]["rows"]["all"]["total"] == 10 and "department" not in city.json()
    housing = api.get("/v1/reports/annual/2023", params={"top_n": 7}, headers=auth(HOUSING))
    assert housing.headers["x-cache"] == "miss" and housing.json()["demands"]["rows"]["all"]["total"] == 2
    again = api.get("/v1/reports/annual/2023", params={"top_n": 7}, headers=auth(HOUSING))
    assert again.headers["x-cache"] == "hit" and again.content == housing.content
    market = api.get("/v1/reports/annual/2023", params={"top_n": 7}, headers=auth(MARKET))
    assert market.headers["x-cache"] == "miss" and market.json()["department"] == "市市场监管局"
    city_again = api.get("/v1/reports/annual/2023", params={"top_n": 7}, headers=auth(CITY))
    assert city_again.headers["x-cache"] == "hit" and city_again.content == city.content


@pytest.mark.parametrize("path, why", [
    ("/v1/live", "live figures"),
    ("/v1/reports/annual/2023/tables/calls", "calls table"),
    ("/v1/reports/annual/2023/tables/supplied", "supplied figures"),
    ("/v1/reports/annual/2023/supplied", "supplied figures"),
    ("/v1/reports/annual/2023/data-shares", "data-share table"),
])
def test_city_wide_data_is_refused_naming_why(api, path, why):
    r = api.get(path, headers=auth(HOUSING))
    assert r.status_code == 403, r.text
    detail = r.json()["detail"]
    assert why in detail and "市住建局" in detail and "city-wide" in detail


def test_a_department_cannot_supply(api):
    r = api.put("/v1/reports/annual/2023/supplied", json={"x": 1}, headers=auth(HOUSING))
    assert r.status_code == 403 and "supply" in r.json()["detail"]


def test_every_format_holds_the_department_only(api):
    z = api.get("/v1/reports/annual/2023", params={"format": "csv"}, headers=auth(HOUSING))
    assert z.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert "calls.csv" not in names and "supplied.csv" not in names and "demands.csv" in names
    html = api.get("/v1/reports/annual/2023", params={"format": "html"}, headers=auth(HOUSING)).text
    assert "淮安市12345热线（市住建局）2023年度" in html and "话务服务" not in html and "报送数据" not in html
    x = api.get("/v1/reports/annual/2023", params={"format": "xlsx"}, headers=auth(HOUSING))
    assert x.status_code == 200 and x.headers["content-disposition"].endswith('-department.xlsx"')
    monthly = api.get("/v1/reports/annual/2023/tables/monthly", params={"format": "csv"}, headers=auth(HOUSING))
    assert monthly.content.decode("utf-8-sig").splitlines() == ["月份,诉求量(件)", "2023-06,1", "2023-09,1"]


def test_period_report_and_series(api):
    p = api.get("/v1/reports/period", params={"from": "2023-06-01", "to": "2023-06-30"}, headers=auth(HOUSING))
    assert p.status_code == 200 and p.json()["demands"]["rows"]["all"]["total"] == 1  # T6
    s = api.get("/v1/series", params={"from": "2023-01-01", "to": "2023-12-31", "interval": "month"},
                headers=auth(HOUSING)).json()
    assert s["department"] == "市住建局"
    assert [(x["bucket"], x["demands"]["total"]) for x in s["points"]] == [("2023-06-01", 1), ("2023-09-01", 1)]
    assert all("calls_inbound" not in x and "calls_outbound" not in x for x in s["points"])


def test_every_share_is_logged_and_tabled(local_stack):
    """On a database and an app of its own, with the answers it asks for itself: the log it
    reads holds exactly those, whichever tests ran before."""
    settings = fresh_database(SHARES_DB)
    write(settings, CALLS + TICKETS)
    write(settings, LATE_EVENTS, offset=10_000)
    with TestClient(create_app(ApiSettings(clickhouse=settings, tokens=TOKENS))) as api:
        housing_answers = [
            api.get("/v1/reports/annual/2023", headers=auth(HOUSING)),
            api.get("/v1/reports/annual/2023", headers=auth(HOUSING)),  # the cached answer: shared again
            api.get("/v1/reports/annual/2023", params={"format": "csv"}, headers=auth(HOUSING)),
            api.get("/v1/reports/annual/2023/tables/monthly", params={"format": "csv"}, headers=auth(HOUSING)),
            api.get("/v1/reports/period", params={"from": "2023-06-01", "to": "2023-06-30"}, headers=auth(HOUSING)),
            api.get("/v1/series", params={"from": "2023-01-01", "to": "2023-12-31", "interval": "month"},
                    headers=auth(HOUSING)),
        ]
        assert [r.status_code for r in housing_answers] == [200] * 6
        # Refused (403): no data, no share.
        assert api.get("/v1/reports/annual/2023/tables/calls", headers=auth(HOUSING)).status_code == 403
        assert api.get("/v1/reports/annual/2023", headers=auth(NDRC)).status_code == 200
        assert api.get("/v1/reports/annual/2023", headers=auth(MARKET)).status_code == 200
        assert api.get("/v1/reports/annual/2023", headers=auth(CITY)).status_code == 200
        logged = shares(settings, SHARES_DB)
        housing = [r for r in logged if r[1] == "市住建局"]
        y23 = (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
        # Each answer with data is one row; refusals (403) are none.
        assert ("housing", "市住建局", "市本级", "接口共享", "annual", "", "json", *y23, 2) in housing
        assert ("housing", "市住建局", "市本级", "接口共享", "annual_table", "monthly", "csv", *y23, 2) in housing
        assert ("housing", "市住建局", "市本级", "接口共享", "period", "", "json",
                dt.date(2023, 6, 1), dt.date(2023, 6, 30), 1) in housing
        assert ("housing", "市住建局", "市本级", "接口共享", "series", "", "json", *y23, 2) in housing
        assert not [r for r in housing if r[5] in ("calls", "supplied")]
        assert len(housing) == len(housing_answers)
        assert [r for r in logged if r[1] == "市发改委"] == [
            ("ndrc", "市发改委", "市本级", "接口共享", "annual", "", "json", *y23, 0)]
        assert not [r for r in logged if r[0] == "office"]  # city-wide answers are not shares

        year = dt.datetime.now(ZoneInfo("Asia/Shanghai")).year  # shares are tabled by the year they were made
        table = api.get(f"/v1/reports/annual/{year}/data-shares", headers=auth(CITY)).json()
        assert table["label"] == f"{year} 年 12345 热线共享数据情况"
        got = [(r["no"], r["level"], r["department"], r["method"], r["tickets"]) for r in table["rows"]]
        # 市住建局: the year 2023 (2 tickets) + June 2023 (1); 市发改委: 2023 (0); 市市场监管局: 2023 (2).
        assert got == [(1, "市本级", "市住建局", "接口共享", 3), (None, "市本级", "市发改委", "接口共享", 0),
                       (2, "清江浦区", "市市场监管局", "接口共享", 2)]
        assert table["total"] == 5
        assert table["rows"][0]["subjects"] == [
            "年度报告（2023.1.1-2023.12.31）", "年度报告·月度诉求量（2023.1.1-2023.12.31）",
            "趋势序列（2023.1.1-2023.12.31）", "时段报告（2023.6.1-2023.6.30）"]
        csv = api.get(f"/v1/reports/annual/{year}/data-shares", params={"format": "csv"}, headers=auth(CITY))
        lines = csv.content.decode("utf-8-sig").splitlines()
        assert lines[0] == "序号,行政层级,共享部门,共享方式,共享主题,共享诉求数据量（件）"
        assert lines[2] == ",市本级,市发改委,接口共享,年度报告（2023.1.1-2023.12.31）,0"
        assert lines[-1] == "总计,,,,,5"
        assert api.get(f"/v1/reports/annual/{year - 1}/data-shares", headers=auth(CITY)).json()["rows"] == []


def test_an_unlogged_share_is_not_made(local_stack):
    """The log table is gone: the department gets a 503 saying why, and none of its data."""
    settings = fresh_database("hotline_department_nolog")
    write(settings, TICKETS)
    client = connect(settings)
    client.execute("DROP TABLE hotline_department_nolog.data_shares")
    client.disconnect()
    with TestClient(create_app(ApiSettings(clickhouse=settings, tokens=TOKENS))) as api:
        r = api.get("/v1/reports/annual/2023", headers=auth(HOUSING))
        assert r.status_code == 503, r.text
        assert "could not be logged" in r.json()["detail"] and "demands" not in r.text
        again = api.get("/v1/reports/annual/2023", headers=auth(HOUSING))  # the cached answer neither
        assert again.status_code == 503
        assert api.get("/v1/reports/annual/2023", headers=auth(CITY)).status_code == 200
