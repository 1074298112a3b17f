"""The brief's two charts (render/charts.py: trend_chart, ranking_chart) on
tests/fixtures/brief-example.json, read back as SVG. Coordinates are worked out by hand from the
chart's frame (760 × 320, plot from x 64 to 744 and y 36 to 280) and the fixture's figures."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from services.api.render import charts

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "brief-example.json"
NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def doc() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _svg(text: str) -> ET.Element:
    assert "<script" not in text and "href" not in text
    return ET.fromstring(text)  # well-formed XML, or this raises


def _filled(root: ET.Element, tag: str, colour: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{NS}{tag}") if e.get("fill") == colour]


def _texts(root: ET.Element) -> list[str]:
    return [e.text or "" for e in root.iter(f"{NS}text")]


# ---- the trend -------------------------------------------------------------------------------

def test_trend_draws_bars_band_and_expected_line(doc):
    root = _svg(charts.trend_chart(doc))
    assert root.find(f"{NS}title").text == "每日诉求量与预期区间"
    # Seven bars and the legend's swatch.
    bars = [e for e in _filled(root, "rect", charts.BAR_COLOUR) if e.find(f"{NS}title") is not None]
    assert len(bars) == 7
    # 1350 of an axis up to 1500 over 244 pixels: 219.6 high.
    assert (bars[0].get("height"), bars[0].find(f"{NS}title").text) == (
        "219.6", "2024-06-17 1350（预期 1240.5，区间 1120.5–1360.5）")
    # One band across the seven days, in steps: 1120.5-1360.5 on working days, 765.25-925.25 at the weekend.
    (band,) = _filled(root, "polygon", charts.BAND_COLOUR)
    assert band.get("points") == (
        "64.0,58.7 161.1,58.7 258.3,58.7 355.4,58.7 452.6,58.7 549.7,58.7 549.7,129.5 646.9,129.5 744.0,129.5 "
        "744.0,155.5 646.9,155.5 549.7,155.5 549.7,97.7 452.6,97.7 355.4,97.7 258.3,97.7 161.1,97.7 64.0,97.7")
    (line,) = [e for e in root.iter(f"{NS}polyline") if e.get("stroke") == charts.EXPECTED_COLOUR]
    assert line.get("points") == ("64.0,78.2 161.1,78.2 258.3,78.2 355.4,78.2 452.6,78.2 549.7,78.2 "
                                  "549.7,142.5 646.9,142.5 744.0,142.5")
    texts = _texts(root)
    assert ["06-17", "06-18", "06-19", "06-20", "06-21", "06-22", "06-23"] == [t for t in texts if t.startswith("06-")]
    assert {"诉求量", "预期区间", "预期", "0", "1500"} <= set(texts)
    # The weekend's dates are grey.
    assert [e.get("fill") for e in root.iter(f"{NS}text") if (e.text or "").startswith("06-")] == [
        "#222222"] * 5 + ["#666666"] * 2


def test_days_without_a_band_get_their_bar_only(doc):
    for d in doc["trend"]["days"][2:4]:  # Wednesday and Thursday
        d["expected"] = d["low"] = d["high"] = None
    root = _svg(charts.trend_chart(doc))
    bands = _filled(root, "polygon", charts.BAND_COLOUR)
    # The band stops before Wednesday and starts again on Friday: two pieces, not a bridge.
    assert [b.get("points").split()[0] for b in bands] == ["64.0,58.7", "452.6,58.7"]
    assert len([e for e in _filled(root, "rect", charts.BAR_COLOUR) if e.find(f"{NS}title") is not None]) == 7
    assert len([e for e in root.iter(f"{NS}polyline") if e.get("stroke") == charts.EXPECTED_COLOUR]) == 2


def test_a_trend_without_any_band_has_no_band_in_its_legend(doc):
    for d in doc["trend"]["days"]:
        d["expected"] = d["low"] = d["high"] = None
    root = _svg(charts.trend_chart(doc))
    assert _filled(root, "polygon", charts.BAND_COLOUR) == [] and "预期区间" not in _texts(root)
    assert len(_filled(root, "rect", charts.BAR_COLOUR)) == 8


def test_a_month_labels_its_days_by_number(doc):
    days = []
    for n in range(1, 31):
        days.append({"day": f"2024-06-{n:02d}", "workday": True, "demands": 1000 + n,
                     "expected": 1000.0, "low": 900.0, "high": 1100.0})
    doc["trend"]["days"] = days
    axis = [e.text for e in _svg(charts.trend_chart(doc)).iter(f"{NS}text") if e.get("y") == "296"]
    assert axis == [str(n) for n in range(1, 31)]


def test_an_empty_trend_says_no_data(doc):
    doc["trend"]["days"] = []
    assert "每日诉求量与预期区间：无数据" in charts.trend_chart(doc)


# ---- the ranking -----------------------------------------------------------------------------

def test_ranking_bars_best_first(doc):
    root = _svg(charts.ranking_chart(doc))
    bars = _filled(root, "rect", charts.RANK_COLOUR)
    assert len(bars) == 6
    # 97.37 of 100 over 494 pixels.
    assert bars[0].get("width") == "481.0"
    texts = _texts(root)
    assert [t for t in texts if ". " in t] == ["1. 市公安局", "2. 市生态环境局", "3. 市城管局", "4. 清江浦区政府",
                                               "5. 市住建局", "6. 市交通运输局"]
    assert "97.37" in texts and "80.52" in texts


def test_ranking_shows_at_most_twenty_and_leaves_out_unscored(doc):
    rows = []
    for i in range(25):
        rows.append({"rank": i + 1, "department": f"部门{i + 1:02d}", "score": 99.0 - i})
    rows.append({"rank": None, "department": "无评分局", "score": None})
    doc["departments"]["rows"] = rows
    text = charts.ranking_chart(doc)
    root = _svg(text)
    assert len(_filled(root, "rect", charts.RANK_COLOUR)) == 20
    assert root.find(f"{NS}title").text == "部门综合得分排名（前20名）"
    assert "20. 部门20" in _texts(root) and "21. 部门21" not in text and "无评分局" not in text


def test_chart_names_are_escaped(doc):
    evil = copy.deepcopy(doc)
    evil["departments"]["rows"][0]["department"] = '<script>alert(1)</script>&"局"'
    evil["departments"]["rows"][1]["department"] = "<i>A&B</i>"
    text = charts.ranking_chart(evil)
    assert "<script>" not in text and "<i>" not in text
    assert ">2. &lt;i&gt;A&amp;B&lt;/i&gt;</text>" in text
    # Shortened to the label column (14 characters), then escaped; the table has the full name.
    assert ">1. &lt;script&gt;alert…</text>" in text
    assert "1. <script>alert…" in _texts(_svg(text))
    evil["trend"]["days"][0]["day"] = "<b>x</b>"
    assert "<b>" not in charts.trend_chart(evil) and "&lt;b&gt;x&lt;/b&gt;" in charts.trend_chart(evil)


def test_an_empty_ranking_says_no_data(doc):
    doc["departments"]["rows"] = []
    assert "部门综合得分排名：无数据" in charts.ranking_chart(doc)
