"""A simulated week's brief as a browser draws it: five weeks of the Huai'an profile (scale 0.02,
8 May - 11 June 2023) written to a database of this test's own through the worker's own code, the
brief of the last week (2023-W23: its 28 days of baseline are the four weeks before) asked of the
real API app, and Debian's headless Chromium rendering the page it answers. The charts must be
there with what they stand for: a bar per day, the expected band, a ranking bar per department.
"""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from services.api.app import create_app
from services.api.render import charts
from services.api.settings import ApiSettings
from tests.support.chromium import binary, dump_dom, pixels_near, screenshot
from tests.support.report_db import fresh_database, write
from tooling.simulator import profile
from tooling.simulator.generator import generate
from tooling.simulator.period import between

if binary() is None and os.environ.get("CI_ALLOW_NO_CHROMIUM"):
    pytest.skip("chromium is not installed and CI_ALLOW_NO_CHROMIUM is set", allow_module_level=True)

DB = "hotline_brief_simulated_test"
AUTH = {"Authorization": "Bearer dev-token"}


@pytest.fixture(scope="module")
def brief(local_stack, tmp_path_factory):
    """(the brief as JSON, the HTML page's path)."""
    settings = fresh_database(DB)
    doc = profile.load("huaian-2023")
    events = [e for _, e in generate(doc, scale=0.02, seed=11, with_previous=False,
                                     period=between("2023-05-08", "2023-06-11", 2023))]
    for i in range(0, len(events), 20_000):
        write(settings, events[i:i + 20_000], offset=i)
    with TestClient(create_app(ApiSettings(clickhouse=settings))) as client:
        got = client.get("/v1/reports/weekly/2023-W23", headers=AUTH)
        page = client.get("/v1/reports/weekly/2023-W23", params={"format": "html"}, headers=AUTH)
    assert got.status_code == 200 and page.status_code == 200, (got.text, page.text)
    path = tmp_path_factory.mktemp("brief") / "simulated.html"
    path.write_bytes(page.content)
    return got.json(), path


def test_the_simulated_week_has_what_the_charts_draw(brief):
    doc, _ = brief
    days = doc["trend"]["days"]
    assert [d["day"] for d in days] == [f"2023-06-{d:02d}" for d in range(5, 12)]
    assert doc["trend"]["baseline"] == {"from": "2023-05-08", "to": "2023-06-04", "days": 28}
    # Every day has tickets and a band (the four weeks before hold both day types).
    assert all(d["demands"] > 0 and d["low"] <= d["expected"] <= d["high"] for d in days)
    assert doc["coverage"]["complete"] is True
    assert len(doc["departments"]["rows"]) >= 5
    assert doc["hot"]["categories"], "a simulated week has categories above their expected share"


def test_chromium_draws_the_brief_with_both_charts(brief, tmp_path):
    doc, path = brief
    png = screenshot(path, tmp_path / "simulated.png", width=1280, height=8000)
    with Image.open(png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 24)
    bars = pixels_near(colours, charts.BAR_COLOUR)
    band = pixels_near(colours, charts.BAND_COLOUR)
    ranking = pixels_near(colours, charts.RANK_COLOUR)
    assert bars > 20_000, f"the trend's seven bars are missing: {bars} pixels"
    assert band > 2_000, f"the expected band is missing: {band} pixels"
    assert ranking > 10 * len(doc["departments"]["rows"][:20]), f"the ranking's bars are missing: {ranking} pixels"
    dom = dump_dom(path)
    assert dom.count("<svg") == 2 and "<script" not in dom
    assert "<caption>部门考核</caption>" in dom and "<caption>每日诉求量与预期区间</caption>" in dom
