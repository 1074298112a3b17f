"""The query API as a report builder meets it: tokens, parameter errors that name the parameter,
one table at a time, supplied figures, the published JSON Schema, OpenAPI, /metrics."""

from __future__ import annotations

import json

import jsonschema
import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from services.api.settings import ApiSettings
from tests.integration.api.test_api_report import AUTH, late  # noqa: F401 - a fixture (on ch_settings below)
from tests.support.report_db import fresh_database, write
from tests.support.report_events import CALLS, TICKETS

pytestmark = pytest.mark.clickhouse

READER = "reader-token-5f1c9a7e3b2d4c6f8a0e"


@pytest.fixture(scope="module")
def ch_settings(local_stack):
    """The report's event set in a database of this module's own: test_api_report.py's is
    re-created by its own fixture, which must not pull this module's data away under it."""
    settings = fresh_database("hotline_report_requests_test")
    write(settings, CALLS + TICKETS)
    return settings


@pytest.fixture(scope="module")
def api(ch_settings, late):  # noqa: F811
    tokens = {"dev-token": {"reader": "dev", "scopes": ["read", "supply"]}, READER: {"reader": "office"}}
    with TestClient(create_app(ApiSettings(clickhouse=ch_settings, tokens=tokens))) as client:
        yield client


@pytest.mark.parametrize("path, params, status, parameter", [
    ("/v1/reports/annual/1999", {}, 400, "year"),
    ("/v1/reports/annual/twenty", {}, 400, "year"),
    ("/v1/reports/annual/2023", {"format": "pdf"}, 400, "format"),
    ("/v1/reports/annual/2023", {"formt": "xlsx"}, 400, "formt"),
    ("/v1/reports/annual/2023", {"sl_denominator": "all"}, 400, "sl_denominator"),
    ("/v1/reports/annual/2023", {"top_n": 0}, 400, "top_n"),
    ("/v1/reports/annual/2023/tables/staff", {}, 404, "table"),
    ("/v1/reports/annual/2023/tables/demands", {"format": "xlsx"}, 400, "format"),
    ("/v1/reports/period", {"from": "2023-03-31", "to": "2023-03-01"}, 400, "to"),
    ("/v1/reports/period", {"from": "2023-02-30", "to": "2023-03-01"}, 400, "from"),
    ("/v1/reports/period", {"to": "2023-03-01"}, 400, "from"),
    ("/v1/series", {"from": "2020-01-01", "to": "2023-12-31"}, 400, "to"),
    ("/v1/series", {"from": "2023-01-01", "to": "2023-01-31", "interval": "hour"}, 400, "interval"),
])
def test_a_bad_parameter_is_a_4xx_naming_it(api, path, params, status, parameter):
    r = api.get(path, params=params, headers=AUTH)
    assert r.status_code == status, r.text
    problem = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert problem["parameter"] == parameter and parameter in problem["detail"]


def test_tokens(api):
    assert api.get("/v1/reports/annual/2023").status_code == 401
    assert api.get("/v1/reports/annual/2023", headers={"Authorization": "Bearer nope-nope"}).status_code == 401
    read_only = {"Authorization": f"Bearer {READER}"}
    assert api.get("/v1/reports/annual/2023", headers=read_only).status_code == 200
    r = api.put("/v1/reports/annual/2023/supplied", json={"x": 1}, headers=read_only)
    assert r.status_code == 403 and "supply" in r.json()["detail"]


def test_a_browser_reaches_the_printable_page_with_basic_auth(api):
    """The challenge offers Basic so a browser asks once; the token is the password."""
    challenge = api.get("/v1/reports/annual/2023", params={"format": "html"}).headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and 'Basic realm="hotline-api"' in challenge
    page = api.get("/v1/reports/annual/2023", params={"format": "html"}, auth=("anyone", READER))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert api.get("/v1/reports/annual/2023", auth=("anyone", "wrong-token-x")).status_code == 401
    assert api.get("/v1/reports/annual/2023", headers={"Authorization": "Basic !!!"}).status_code == 401


def test_one_table_as_json_and_csv(api):
    whole = api.get("/v1/reports/annual/2023", headers=AUTH).json()
    part = api.get("/v1/reports/annual/2023/tables/demands", headers=AUTH)
    assert part.status_code == 200 and part.json() == whole["demands"]
    both = api.get("/v1/reports/annual/2023/tables/maishangyi_tags", headers=AUTH).json()
    assert both == {"maishangyi_demands": whole["maishangyi_demands"], "tags": whole["tags"]}
    csv = api.get("/v1/reports/annual/2023/tables/demands", params={"format": "csv"}, headers=AUTH)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert "群众诉求" in text and "诉求总量" in text


def test_supplied_figures_appear_marked_and_refresh_the_cache(api):
    assert api.get("/v1/reports/annual/2023", headers=AUTH).headers["x-cache"] in ("hit", "miss")
    doc = {"platform": {"agents_total": 252, "seats_per_100k_people": 5.53}, "knowledge_base": {"entries": 1996}}
    assert api.put("/v1/reports/annual/2023/supplied", json=doc, headers=AUTH).status_code == 200
    r = api.get("/v1/reports/annual/2023", headers=AUTH)
    assert r.headers["x-cache"] == "miss"
    supplied = r.json()["supplied"]
    assert supplied["figures"] == doc and supplied["source"] == "report_builder" and supplied["supplied_by"] == "dev"
    assert "非事件流" in supplied["label"]
    assert api.get("/v1/reports/annual/2023/supplied", headers=AUTH).json()["figures"] == doc
    assert api.get("/v1/reports/annual/2022/supplied", headers=AUTH).status_code == 404
    assert api.put("/v1/reports/annual/2023/supplied", content=b"[1, 2]", headers=AUTH).status_code == 400
    assert api.put("/v1/reports/annual/2023/supplied", content=b"{", headers=AUTH).status_code == 400
    big = json.dumps({"x": "a" * 300_000})
    assert api.put("/v1/reports/annual/2023/supplied", content=big, headers=AUTH).status_code == 413


def test_reports_validate_against_the_published_schema(api):
    schema = api.get("/v1/schemas/report.json").json()
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    for params in ({}, {"sl_threshold_s": 15, "efficiency_scope": "dispatched", "top_n": 3}):
        doc = api.get("/v1/reports/annual/2023", params=params, headers=AUTH).json()
        assert [e.message for e in validator.iter_errors(doc)] == []
    period = api.get("/v1/reports/period", params={"from": "2023-03-01", "to": "2023-03-31"}, headers=AUTH).json()
    assert [e.message for e in validator.iter_errors(period)] == []
    broken = {**doc, "demands": {**doc["demands"], "completion_rate_pct": 180.0}}
    assert list(validator.iter_errors(broken))  # the schema can fail


def test_openapi_documents_the_routes_and_metrics_count_requests(api):
    paths = api.get("/openapi.json").json()["paths"]
    for p in ("/v1/reports/annual/{year}", "/v1/reports/annual/{year}/tables/{table}", "/v1/reports/period",
              "/v1/series", "/v1/live", "/v1/reports/annual/{year}/supplied", "/healthz", "/metrics"):
        assert p in paths
    params = {q["name"] for q in paths["/v1/reports/annual/{year}"]["get"]["parameters"]}
    assert {"format", "sl_threshold_s", "sl_denominator", "short_abandon_s", "efficiency_scope", "top_n"} <= params
    for _ in range(2):  # the second from the cache, whichever tests of the module ran before
        api.get("/v1/reports/annual/2023", headers=AUTH)
    metrics = api.get("/metrics").text
    assert 'hotline_api_request_duration_seconds_count{method="GET",route="/v1/reports/annual/{year}",status="200"}' in metrics
    assert 'hotline_api_report_cache_total{result="hit"}' in metrics


def test_excel_workbook_opens_with_chinese_headers_and_numbers(api):
    import io

    import openpyxl

    r = api.get("/v1/reports/annual/2023", params={"format": "xlsx"}, headers=AUTH)
    assert r.status_code == 200 and r.headers["content-disposition"] == 'attachment; filename="hotline-2023.xlsx"'
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert "诉求总量与办理" in wb.sheetnames and "话务服务" in wb.sheetnames and "热线服务效能" in wb.sheetnames
    ws = wb["诉求总量与办理"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    flat = [v for row in values for v in row if v is not None]
    for header in ("诉求总量", "电话", "互联网", "承办转办", "民生接听员", "政策专员", "部门办理"):
        assert any(isinstance(v, str) and header in v for v in flat), header
    assert ws.merged_cells.ranges  # grouped headers, as in the published 附件1
    total_row = next(row for row in values if "总计" in [v for v in row if isinstance(v, str)])
    assert [v for v in total_row if isinstance(v, (int, float))][:7] == [10, 5, 2, 3, 3, 1, 5]


def test_csv_zip_has_one_file_per_table(api):
    import io
    import zipfile

    r = api.get("/v1/reports/annual/2023", params={"format": "csv"}, headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert {"demands.csv", "calls.csv", "efficiency.csv", "top_categories.csv", "monthly.csv"} <= set(names)


def test_the_served_html_page_in_chromium(api, tmp_path):
    from PIL import Image

    from tests.support.chromium import dump_dom, screenshot

    r = api.get("/v1/reports/annual/2023", params={"format": "html"}, headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = tmp_path / "report.html"
    page.write_bytes(r.content)
    png = screenshot(page, tmp_path / "report.png", height=3000)
    with Image.open(png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 24)
    ink = sum(n for n, rgb in colours if sum(rgb) < 600)
    assert ink > 0.01 * 1280 * 3000 and len(colours) > 50  # text, borders and chart bars, not a blank page
    dom = dump_dom(page)
    for caption in ("诉求总量与办理", "话务服务", "热线服务效能", "承办12345诉求量TOP5部门", "月度诉求量与话务量"):
        assert caption in dom, caption
    assert dom.count("<svg") >= 2 and dom.count("<table") >= 8
