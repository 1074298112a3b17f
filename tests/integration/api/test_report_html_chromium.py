"""The printable report page as a browser draws it: Debian's headless Chromium renders the
fixture's page; the screenshot must show ink, colours and the chart bars, and the DOM Chromium
built must hold every table's caption. Needs no servers.

Runs whenever the suite runs (bootstrap installs chromium); it is skipped only where chromium is
absent and CI_ALLOW_NO_CHROMIUM is set, so a missing browser is a failure, not a silent skip.
"""

from __future__ import annotations

import copy
import html as htmlmod
import json
import os
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from services.api.render import charts, html
from tests.support.chromium import binary, dump_dom, pixels_near, screenshot

if binary() is None and os.environ.get("CI_ALLOW_NO_CHROMIUM"):
    pytest.skip("chromium is not installed and CI_ALLOW_NO_CHROMIUM is set", allow_module_level=True)

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "report-example.json"
CAPTIONS = ["诉求总量与办理", "话务服务", "“尚贤”人才服务", "12345与110高效对接联动", "热线服务效能",
            "承办12345诉求量TOP5部门", "诉求量TOP5类型", "“码上议”流转诉求与专项标签诉求", "月度诉求量与话务量",
            "报送数据（非事件流计算，由报表编制人提供）"]


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    report = json.loads(FIXTURE.read_text(encoding="utf-8"))
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(html.page(report), encoding="utf-8")
    return path


def test_a_cjk_font_is_installed():
    # Without one Chromium draws every Chinese character as an empty box and the page is useless.
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=True).stdout
    assert fonts.strip(), "no CJK font: scripts/bootstrap.sh installs fonts-noto-cjk"


def test_screenshot_shows_the_tables_and_charts(page_file, tmp_path):
    png = screenshot(page_file, tmp_path / "report.png")
    with Image.open(png) as im:
        assert im.size == (1280, 6000)
        # Only the part the page covers (the window is taller than the page), as (count, colour).
        colours = im.convert("RGB").crop((0, 0, 1280, 3000)).getcolors(maxcolors=1 << 24)
    total = 1280 * 3000
    ink = sum(n for n, rgb in colours if sum(rgb) < 720)
    assert ink / total > 0.05, f"the page looks blank: {ink} ink pixels"
    assert len(colours) > 200, "too few distinct colours for tables, text and charts"
    # Twelve monthly bars and five consult bars are far more than 10 000 pixels of that blue.
    bar = pixels_near(colours, charts.BAR_COLOUR)
    assert bar > 10_000, f"chart bars missing: {bar} pixels of {charts.BAR_COLOUR}"
    assert pixels_near(colours, charts.LINE_COLOUR) > 100, "the answered-calls line is missing"


def test_dom_holds_every_caption_and_both_charts(page_file):
    dom = dump_dom(page_file)
    for caption in CAPTIONS:
        assert f"<caption>{htmlmod.escape(caption)}</caption>" in dom, caption
    assert dom.count("<svg") == 2
    assert "<script" not in dom


def test_escaped_names_stay_text_in_the_browser(tmp_path):
    report = json.loads(FIXTURE.read_text(encoding="utf-8"))
    report = copy.deepcopy(report)
    report["top_categories"]["consult"][0]["category"] = "<script>document.title='x'</script>民生"
    path = tmp_path / "evil.html"
    path.write_text(html.page(report), encoding="utf-8")
    dom = dump_dom(path)
    assert "<script" not in dom
    assert "&lt;script&gt;document.title='x'&lt;/script&gt;民生" in dom
