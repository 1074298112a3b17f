"""The brief's printable page (render/brief_page.py) as a browser draws it: Debian's headless
Chromium renders the weekly brief of tests/fixtures/brief-example.json; the screenshot must show
ink, the trend chart's bars and its expected band and the ranking's bars, and the DOM Chromium
built must hold every table's caption and both charts, with no script. Needs no servers.

Runs whenever the suite runs (bootstrap installs chromium); it is skipped only where chromium is
absent and CI_ALLOW_NO_CHROMIUM is set, so a missing browser is a failure, not a silent skip.
"""

from __future__ import annotations

import html as htmlmod
import json
import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from services.api.render import brief_page, charts
from tests.support.chromium import binary, dump_dom, pixels_near, screenshot

if binary() is None and os.environ.get("CI_ALLOW_NO_CHROMIUM"):
    pytest.skip("chromium is not installed and CI_ALLOW_NO_CHROMIUM is set", allow_module_level=True)

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "brief-example.json"
CAPTIONS = ["本期概况", "每日诉求量与预期区间", "热点诉求(类别)", "热点诉求(子类)", "激增预警", "集中诉求",
            "推诿扯皮工单", "推诿部门对", "不满意工单(按部门)", "不满意工单清单", "督办与超期(按部门)", "督办工单",
            "超期工单", "部门考核"]
WIDTH, HEIGHT = 1280, 6000


def _doc() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("brief") / "brief.html"
    path.write_text(brief_page.page(_doc()), encoding="utf-8")
    return path


def test_screenshot_shows_the_tables_and_both_charts(page_file, tmp_path):
    png = screenshot(page_file, tmp_path / "brief.png", width=WIDTH, height=HEIGHT)
    with Image.open(png) as im:
        assert im.size == (WIDTH, HEIGHT)
        rgb = im.convert("RGB")
        # The page ends well above 4000 pixels; below it the window is blank.
        colours = rgb.crop((0, 0, WIDTH, 4000)).getcolors(maxcolors=1 << 24)
        below = rgb.crop((0, 4400, WIDTH, HEIGHT)).getcolors(maxcolors=1 << 24)
    ink = sum(n for n, c in colours if sum(c) < 720)
    assert ink / (WIDTH * 4000) > 0.03, f"the page looks blank: {ink} ink pixels"
    assert len(colours) > 200, "too few distinct colours for tables, text and charts"
    # Seven day bars of 58 × 145-228 pixels.
    bars = pixels_near(colours, charts.BAR_COLOUR)
    assert bars > 50_000, f"the trend's bars are missing: {bars} pixels of {charts.BAR_COLOUR}"
    # The band shows between the bars and above the weekend's: thousands of pixels.
    band = pixels_near(colours, charts.BAND_COLOUR)
    assert band > 5_000, f"the expected band is missing: {band} pixels of {charts.BAND_COLOUR}"
    assert pixels_near(colours, charts.EXPECTED_COLOUR, tolerance=12) > 100, "the expected line is missing"
    # Six department bars of 18 × 398-481 pixels.
    ranking = pixels_near(colours, charts.RANK_COLOUR)
    assert ranking > 40_000, f"the ranking's bars are missing: {ranking} pixels of {charts.RANK_COLOUR}"
    assert sum(n for n, c in below if sum(c) < 720) == 0, "the page runs longer than expected"


def test_dom_holds_every_caption_and_both_charts(page_file):
    dom = dump_dom(page_file)
    for caption in CAPTIONS:
        assert f"<caption>{htmlmod.escape(caption)}</caption>" in dom, caption
    assert dom.count("<svg") == 2
    assert "<script" not in dom
    assert "<h2>（七）部门考核</h2>" in dom


def test_an_evil_department_name_stays_text(tmp_path):
    doc = _doc()
    doc["departments"]["rows"][0]["department"] = "<script>document.title='x'</script>局"
    doc["unsatisfied"]["rows"][0]["department"] = "<img src=x onerror=alert(1)>"
    path = tmp_path / "evil.html"
    path.write_text(brief_page.page(doc), encoding="utf-8")
    dom = dump_dom(path)
    assert "<script" not in dom and "<img" not in dom
    assert "&lt;script&gt;document.title='x'&lt;/script&gt;局" in dom
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom
