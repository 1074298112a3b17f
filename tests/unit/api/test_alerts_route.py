"""GET /v1/alerts and /v1/alerts/{id} (services/api/routes/alerts.py) without a server: the period
as epoch milliseconds, a stored row as the answer's JSON, and the parameters refused, through
the router on a canned reader. Expected values are written out by hand."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.api import clock, errors
from services.api.app import create_app
from services.api.auth import Authenticator
from services.api.metrics import Metrics
from services.api.report.period import Period
from services.api.routes import alerts
from services.api.settings import ApiSettings, ReaderGrant

D = dt.date
READ = {"Authorization": "Bearer office-token-0123456789"}
DEPARTMENT = {"Authorization": "Bearer housing-token-0123456789"}
SUPPLY_ONLY = {"Authorization": "Bearer supplier-token-0123456789"}

SURGE_ID = "al-surge-0123456789abcdef0123"
CLUSTER_ID = "al-cluster-fedcba9876543210fedc"

# 2023-06-07 09:30:00 +08:00 = 1686101400 s; the others are offsets from it.
T0 = 1_686_101_400_000
SURGE = {  # open: closed_ms 0
    "id": SURGE_ID, "kind": "surge", "series": '{"category":"住房保障","district":"清江浦区"}',
    "started_ms": T0, "detected_ms": T0 + 3_600_000, "updated_ms": T0 + 5_400_250, "closed_ms": 0,
    "status": "open", "observed": 42.0, "expected": 12.5, "score": 6.25, "method": "poisson-cusum",
    "detail": "42 demands in 3 h against 12.5 expected", "callers": 0, "tickets": [],
}
CLUSTER = {
    "id": CLUSTER_ID, "kind": "cluster", "series": '{"cell":"8a30c2b0d8dffff"}',
    "started_ms": T0, "detected_ms": T0 + 60_000, "updated_ms": T0 + 120_000, "closed_ms": T0 + 86_400_000,
    "status": "closed", "observed": 5.0, "expected": 1.0, "score": 5.0, "method": "distinct-callers",
    "detail": "5 callers in one cell", "callers": 5, "tickets": ("T-1", "T-2", "T-3"),
}


class CannedReader:
    """Stands in for FactsReader: answers `alerts` and `alert` from fixed rows, remembers the
    parameters it was asked with."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows_ = rows
        self.asked: list[tuple[str, dict[str, Any]]] = []

    def rows(self, name: str, params: dict[str, Any], bucket: str = "day", final: bool = True) -> list[dict]:
        self.asked.append((name, params))
        if name == "alert":
            return [r for r in self.rows_ if r["id"] == params["id"]]
        return self.rows_


@pytest.fixture
def reader() -> CannedReader:
    return CannedReader([CLUSTER, SURGE])


@pytest.fixture
def api(reader: CannedReader) -> TestClient:
    app = FastAPI()
    errors.install(app, Metrics())
    app.include_router(alerts.router)
    tokens = {"office-token-0123456789": ReaderGrant(reader="office"),
              "housing-token-0123456789": ReaderGrant(reader="housing", department="市住建局"),
              "supplier-token-0123456789": ReaderGrant(reader="supplier", scopes=["supply"])}
    app.state.components = SimpleNamespace(settings=ApiSettings(tokens=tokens), auth=Authenticator(tokens),
                                           reader=reader)
    return TestClient(app)


# --- the pure part ------------------------------------------------------------------------------

def test_a_period_is_local_midnight_to_the_midnight_after_its_last_day():
    # 2023-06-01T00:00+08:00 and 2023-07-01T00:00+08:00
    assert clock.bounds_ms(Period(D(2023, 6, 1), D(2023, 6, 30)), "Asia/Shanghai") == (1_685_548_800_000,
                                                                                         1_688_140_800_000)
    # The day clocks go forward in Berlin has 23 hours: 2023-03-26T00:00+01:00 .. 2023-03-27T00:00+02:00.
    lo, hi = clock.bounds_ms(Period(D(2023, 3, 26), D(2023, 3, 26)), "Europe/Berlin")
    assert (lo, hi, hi - lo) == (1_679_785_200_000, 1_679_868_000_000, 23 * 3_600_000)


def test_times_are_rfc3339_in_the_citys_zone():
    assert clock.rfc3339(1_685_548_800_000, "Asia/Shanghai") == "2023-06-01T00:00:00+08:00"
    assert clock.rfc3339(1_685_548_800_123, "Asia/Shanghai") == "2023-06-01T00:00:00.123+08:00"
    assert clock.rfc3339(1_685_548_800_000, "UTC") == "2023-05-31T16:00:00+00:00"


def test_an_open_surge_row_as_json():
    a = alerts.alert(SURGE, "Asia/Shanghai")
    assert a.model_dump(exclude_unset=True) == {
        "id": SURGE_ID, "kind": "surge", "series": {"category": "住房保障", "district": "清江浦区"},
        "started": "2023-06-07T09:30:00+08:00", "detected_at": "2023-06-07T10:30:00+08:00",
        "updated_at": "2023-06-07T11:00:00.250+08:00", "closed_at": None, "status": "open",
        "observed": 42.0, "expected": 12.5, "score": 6.25, "method": "poisson-cusum",
        "detail": "42 demands in 3 h against 12.5 expected",
    }


def test_a_closed_cluster_row_carries_its_callers_and_tickets():
    a = alerts.alert(CLUSTER, "Asia/Shanghai")
    assert (a.closed_at, a.status, a.callers, a.tickets) == ("2023-06-08T09:30:00+08:00", "closed", 5,
                                                              ["T-1", "T-2", "T-3"])
    assert a.series == {"cell": "8a30c2b0d8dffff"}


# --- the routes ---------------------------------------------------------------------------------

def test_list_asks_for_the_period_in_ms_and_answers_the_rows_in_order(api: TestClient, reader: CannedReader):
    r = api.get("/v1/alerts", params={"from": "2023-06-07", "to": "2023-06-08", "kind": "surge"}, headers=READ)
    assert r.status_code == 200, r.text
    # 2023-06-07T00:00+08:00 .. 2023-06-09T00:00+08:00; no status: ''
    assert reader.asked == [("alerts", {"lo_ms": 1_686_067_200_000, "hi_ms": 1_686_240_000_000,
                                        "kind": "surge", "status": ""})]
    body = r.json()
    assert (body["from"], body["to"]) == ("2023-06-07", "2023-06-08")
    assert [a["id"] for a in body["alerts"]] == [CLUSTER_ID, SURGE_ID]  # the reader's (the SQL's) order
    cluster, surge = body["alerts"]
    assert (cluster["callers"], cluster["tickets"], cluster["closed_at"]) == (5, ["T-1", "T-2", "T-3"],
                                                                             "2023-06-08T09:30:00+08:00")
    assert "callers" not in surge and "tickets" not in surge
    assert surge["closed_at"] is None and surge["series"] == {"category": "住房保障", "district": "清江浦区"}


def test_status_filter_is_passed_on(api: TestClient, reader: CannedReader):
    assert api.get("/v1/alerts?from=2023-06-07&to=2023-06-07&status=closed", headers=READ).status_code == 200
    assert reader.asked[0][1]["status"] == "closed" and reader.asked[0][1]["kind"] == ""


@pytest.mark.parametrize(("query", "parameter", "detail"), [
    ("to=2023-06-07", "from", "from: field required"),
    ("from=2023-02-30&to=2023-03-01", "from", "from: input should be a valid date"),
    ("from=2023-06-08&to=2023-06-07", "to", "to: the end date is before the start date ('from')"),
    ("from=2023-06-07&to=2023-06-07&kind=flood", "kind", "kind: must be 'surge', 'cluster' or 'pingpong'"),
    ("from=2023-06-07&to=2023-06-07&status=pending", "status", "status: must be 'open' or 'closed'"),
    ("from=2020-01-01&to=2023-12-31", "to", "to: the period is longer than 1098 days"),
    ("from=2023-06-07&to=2023-06-07&knd=surge", "knd", "unknown query parameter(s) knd"),
])
def test_bad_parameters_are_400_problems_naming_the_parameter(api: TestClient, reader: CannedReader,
                                                              query: str, parameter: str, detail: str):
    r = api.get(f"/v1/alerts?{query}", headers=READ)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert (problem["type"], problem["parameter"]) == ("urn:hotline:problem:invalid-parameter", parameter)
    assert problem["detail"].startswith(detail), problem["detail"]
    assert reader.asked == []


@pytest.mark.parametrize(("headers", "status"), [({}, 401), (DEPARTMENT, 403), (SUPPLY_ONLY, 403)])
def test_a_city_wide_read_token_is_needed(api: TestClient, reader: CannedReader, headers: dict, status: int):
    for path in ("/v1/alerts?from=2023-06-07&to=2023-06-07", f"/v1/alerts/{SURGE_ID}"):
        assert api.get(path, headers=headers).status_code == status
    assert reader.asked == []


def test_one_alert_by_id(api: TestClient, reader: CannedReader):
    r = api.get(f"/v1/alerts/{CLUSTER_ID}", headers=READ)
    assert r.status_code == 200, r.text
    assert reader.asked == [("alert", {"id": CLUSTER_ID})]
    assert r.json() == {
        "id": CLUSTER_ID, "kind": "cluster", "series": {"cell": "8a30c2b0d8dffff"},
        "started": "2023-06-07T09:30:00+08:00", "detected_at": "2023-06-07T09:31:00+08:00",
        "updated_at": "2023-06-07T09:32:00+08:00", "closed_at": "2023-06-08T09:30:00+08:00", "status": "closed",
        "observed": 5.0, "expected": 1.0, "score": 5.0, "method": "distinct-callers",
        "detail": "5 callers in one cell", "callers": 5, "tickets": ["T-1", "T-2", "T-3"],
    }


def test_an_unknown_alert_is_a_404_naming_it(api: TestClient):
    unknown = "al-pingpong-00000000000000000000"
    r = api.get(f"/v1/alerts/{unknown}", headers=READ)
    assert r.status_code == 404
    assert r.json()["detail"] == f"no alert {unknown}"


def test_a_malformed_id_is_a_404_that_does_not_echo_it(api: TestClient, reader: CannedReader):
    r = api.get("/v1/alerts/13800138000", headers=READ)
    assert r.status_code == 404
    assert "13800138000" not in r.json()["detail"]  # `instance` is the path, as in every problem
    assert reader.asked == []


def test_the_routes_and_their_answers_are_in_the_openapi_document():
    doc = create_app().openapi()
    assert {"/v1/alerts", "/v1/alerts/{alert_id}"} <= set(doc["paths"])
    listed = doc["paths"]["/v1/alerts"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"$ref": "#/components/schemas/AlertList"}
    schemas = doc["components"]["schemas"]
    assert set(schemas["AlertList"]["properties"]) == {"from", "to", "alerts"}
    assert {"id", "kind", "series", "started", "detected_at", "updated_at", "closed_at", "observed", "expected",
            "score", "status", "method", "detail", "callers", "tickets"} == set(schemas["Alert"]["properties"])
    assert {p["name"] for p in doc["paths"]["/v1/alerts"]["get"]["parameters"]} == {"from", "to", "kind", "status"}
