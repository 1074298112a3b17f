"""The brief drawn in its three formats: the printable page (render/brief_page.py), the workbook
(xlsx.workbook_of through brief_tables.workbook) and the CSV zip (csv_out.zip_of through
brief_tables.csv_zip), on tests/fixtures/brief-example.json and brief-department.json. The
expected texts are written by hand from the fixture files."""

from __future__ import annotations

import copy
import io
import re
import zipfile
from typing import Any

import openpyxl
import pytest

from services.api.render import brief_page, brief_tables, charts, csv_out, xlsx

TITLES = ["本期概况", "每日诉求量与预期区间", "热点诉求(类别)", "热点诉求(子类)", "激增预警", "集中诉求",
          "推诿扯皮工单", "推诿部门对", "不满意工单(按部门)", "不满意工单清单", "督办与超期(按部门)", "督办工单",
          "超期工单", "部门考核"]
NAMES = ["summary", "trend", "hot_categories", "hot_subcategories", "surge_alerts", "clusters", "pingpong_tickets",
         "pingpong_pairs", "unsatisfied", "unsatisfied_tickets", "supervision", "supervised_tickets",
         "overdue_tickets", "departments"]
HEADING = "淮安市12345热线 2024年第25周（06-17至06-23）周报"
NOTE = "本期尚未结束：数据截至 2024-06-21。"


@pytest.fixture
def partial(doc) -> dict[str, Any]:
    """The same week read before it ended: the coverage note is set."""
    d = copy.deepcopy(doc)
    d["coverage"].update(last_day="2024-06-21", complete=False, note=NOTE)
    return d


# ---- the page --------------------------------------------------------------------------------

def test_page_has_every_table_both_charts_and_no_script(doc):
    page = brief_page.page(doc)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert f"<title>{HEADING}</title>" in page and f"<h1>{HEADING}</h1>" in page
    for title in TITLES:
        assert f"<caption>{title}</caption>" in page, title
    for name in NAMES:
        assert f'<table id="t-{name}">' in page, name
    assert re.findall(r"<h2>(.*?)</h2>", page) == [
        "（一）本期概况", "（二）热点诉求", "（三）集中诉求", "（四）推诿扯皮", "（五）不满意工单", "（六）督办与超期",
        "（七）部门考核"]
    assert page.count("<svg") == 2 and charts.BAND_COLOUR in page and charts.RANK_COLOUR in page
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert "@media print" in page
    # Each chart stands before the table it draws, in its section.
    assert page.index("（一）本期概况") < page.index("<figcaption>每日诉求量与预期区间") < page.index(
        '<table id="t-trend">')
    assert page.index("（七）部门考核") < page.index("<figcaption>部门综合得分排名</figcaption>") < page.index(
        '<table id="t-departments">')
    assert '<td class="num">8421</td>' in page and "<th scope=\"row\">（未派单）</th>" in page


def test_page_meta_lines(doc):
    assert re.findall(r'<p class="meta">(.*?)</p>', brief_page.page(doc)) == [
        "统计期间：2024-06-17 至 2024-06-23（Asia/Shanghai）；数据截至：2024-06-24 00:00；"
        "生成时间：2024-06-24T08:15:00+08:00",
        "环比：上期 2024-06-10 至 2024-06-16；同比：去年同期 2023-06-19 至 2023-06-25",
        "不满意口径：问题解决评价为“不满意”；评价计数：多次评价的工单以最后一次有效评价计；"
        "综合得分权重：满意率 0.4，按期办结率 0.3，办结率 0.3；人工接通率：30 秒内接通，分母 offered；"
        "热点诉求每级至多 10 行",
    ]


def test_page_prints_the_coverage_note_under_the_meta_lines(doc, partial):
    assert 'class="coverage"' not in brief_page.page(doc)
    page = brief_page.page(partial)
    assert page.count('class="coverage"') == 1
    m = re.search(r'<p class="coverage" style="[^"]*"><strong>(.*?)</strong></p>', page)
    assert m and m.group(1) == NOTE
    assert page.rindex('<p class="meta">') < m.start() < page.index("</header>")


def test_page_escapes_every_name(doc):
    evil = copy.deepcopy(doc)
    evil["departments"]["rows"][0]["department"] = "<script>alert(1)</script>局"
    evil["clusters"]["rows"][0]["place"] = '<img src=x onerror="alert(1)">'
    evil["hot"]["categories"][0]["category"] = "A&B"
    page = brief_page.page(evil)
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;局" in page  # the table
    assert "1. &lt;script&gt;alert…" in page  # the chart, shortened to its label column
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page and "A&amp;B" in page


def test_department_page_closes_up_the_numbering(dept_doc):
    page = brief_page.page(dept_doc)
    assert "<h1>淮安市12345热线（市住建局） 2024年第25周（06-17至06-23）周报</h1>" in page
    assert re.findall(r"<h2>(.*?)</h2>", page) == [
        "（一）本期概况", "（二）热点诉求", "（三）推诿扯皮", "（四）不满意工单", "（五）督办与超期", "（六）部门考核"]
    assert "<caption>集中诉求</caption>" not in page and "<caption>激增预警</caption>" not in page
    assert page.count("<svg") == 2


def test_an_empty_section_prints_no_data(doc):
    doc["clusters"]["rows"] = []
    page = brief_page.page(doc)
    assert re.search(r'<table id="t-clusters">.*?<td colspan="11" class="empty">无数据</td>', page)


# ---- the workbook ----------------------------------------------------------------------------

def _book(doc: dict[str, Any]) -> tuple[openpyxl.Workbook, zipfile.ZipFile]:
    body = brief_tables.workbook(doc)
    return openpyxl.load_workbook(io.BytesIO(body)), zipfile.ZipFile(io.BytesIO(body))


def test_workbook_sheets_and_cells(doc):
    wb, _ = _book(doc)
    assert wb.sheetnames == TITLES
    ws = wb["本期概况"]
    assert ws["A1"].value == f"{HEADING} 本期概况"
    assert ws["A2"].value == "上期：2024-06-10至2024-06-16；去年同期：2023-06-19至2023-06-25"
    assert [c.value for c in ws[3]] == ["指标", "本期", "上期", "环比(%)", "去年同期", "同比(%)"]
    assert [c.value for c in ws[4]] == ["诉求总量", 8421, 8012, 5.1, 7650, 10.08]
    assert (ws["B4"].number_format, ws["D4"].number_format) == ("0", "0.00")
    assert ws.freeze_panes == "B4"
    pairs = wb["推诿部门对"]
    assert "A3:B3" in {str(m) for m in pairs.merged_cells.ranges}
    # Ids stay text: a ticket numbered "00731" keeps its zeros.
    assert wb["推诿扯皮工单"]["B4"].value == "HA20240618-00731"
    dept = wb["部门考核"]
    assert [c.value for c in dept[10]] == [None, "全市", 3279, 2945, 89.81, 85.03, 2.873, 72.65, 92.42, 4, 1, 39, 2,
                                           89.42]
    assert dept.max_row == 10


def test_numeric_looking_ids_stay_text(doc):
    doc["pingpong"]["tickets"][0]["ticket_id"] = "00731"
    wb, _ = _book(doc)
    assert wb["推诿扯皮工单"]["B4"].value == "00731"


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_repeated(doc):
    wb, z = _book(doc)
    last = {"本期概况": ("F", 14), "每日诉求量与预期区间": ("F", 10), "推诿部门对": ("C", 7), "部门考核": ("N", 10)}
    for ws in wb.worksheets:
        ps = ws.page_setup
        assert (ps.orientation, ps.paperSize, ps.fitToWidth, ps.fitToHeight) == ("landscape", 9, 1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows == "$3:$3", ws.title
        assert ws.page_margins.left == 0.6 and ws.page_margins.top == 0.8
        if ws.title in last:
            col, row = last[ws.title]
            assert ws.print_area == f"'{ws.title}'!$A$1:${col}${row}", ws.title
    # The same, as the file says it (what Excel and LibreOffice read).
    sheets = sorted(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    assert len(sheets) == 14
    for name in sheets:
        xml = z.read(name).decode()
        setup = re.search(r"<pageSetup [^>]*/>", xml).group(0)
        for attribute in ('orientation="landscape"', 'paperSize="9"', 'fitToWidth="1"', 'fitToHeight="0"'):
            assert attribute in setup, (name, setup)
        assert re.search(r'<pageSetUpPr [^>]*fitToPage="1"', xml), name
        assert "第 &amp;P 页，共 &amp;N 页" in xml
    book = z.read("xl/workbook.xml").decode()
    titles = re.findall(r'<definedName name="_xlnm.Print_Titles" localSheetId="(\d+)">([^<]*)</definedName>', book)
    assert [int(i) for i, _ in titles] == list(range(14))
    assert titles[13][1] == "'部门考核'!$3:$3"
    assert book.count('name="_xlnm.Print_Area"') == 14


def test_workbook_prints_the_coverage_note_on_row_2_of_every_sheet(doc, partial):
    wb, _ = _book(partial)
    for ws in wb.worksheets:
        assert str(ws["A2"].value).startswith(NOTE), ws.title
        assert ws["A2"].font.b and ws["A2"].alignment.wrap_text
    assert wb["本期概况"]["A2"].value == f"{NOTE} 上期：2024-06-10至2024-06-16；去年同期：2023-06-19至2023-06-25"
    assert wb["推诿扯皮工单"]["A2"].value == NOTE
    plain, _ = _book(doc)
    assert plain["推诿扯皮工单"]["A2"].value is None


def test_department_workbook(dept_doc):
    wb = openpyxl.load_workbook(io.BytesIO(brief_tables.workbook(dept_doc)))
    assert wb.sheetnames == [t for t in TITLES if t not in ("激增预警", "集中诉求")]
    ws = wb["部门考核"]
    assert ws["A1"].value == "淮安市12345热线（市住建局） 2024年第25周（06-17至06-23）周报 部门考核"
    assert ws.max_row == 4 and ws["B4"].value == "市住建局" and ws["A4"].value is None


def test_workbook_of_takes_any_tables(doc):
    ts = [t for t in brief_tables.tables(doc) if t.name in ("unsatisfied", "supervision")]
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.workbook_of(ts, "标题", "注")))
    assert wb.sheetnames == ["不满意工单(按部门)", "督办与超期(按部门)"]
    assert wb["督办与超期(按部门)"]["A1"].value == "标题 督办与超期(按部门)"
    assert wb["督办与超期(按部门)"]["A2"].value.startswith("注 超期：")


# ---- the CSV zip -----------------------------------------------------------------------------

def _zip(doc: dict[str, Any]) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(brief_tables.csv_zip(doc)))


def _lines(z: zipfile.ZipFile, name: str) -> list[str]:
    body = z.read(name)
    assert body.startswith(b"\xef\xbb\xbf")
    return body.decode("utf-8-sig").split("\r\n")[:-1]


def test_csv_zip_has_one_file_per_table(doc):
    z = _zip(doc)
    assert z.namelist() == [f"{n}.csv" for n in NAMES]
    assert _lines(z, "summary.csv")[:2] == ["指标,本期,上期,环比(%),去年同期,同比(%)",
                                            "诉求总量,8421,8012,5.10,7650,10.08"]
    assert _lines(z, "trend.csv")[:2] == ["日期,工作日/休息日,诉求量,预期,下限,上限",
                                          "2024-06-17,工作日,1350,1240.5,1120.5,1360.5"]
    assert _lines(z, "surge_alerts.csv")[2] == (
        "al-surge-a1b2c3d4e5f607182930,,噪音扰民,全市,2024-06-20 19:00,2024-06-20 23:00,-,持续中,31,9.8,6.12")
    assert _lines(z, "pingpong_pairs.csv") == [
        "部门对,部门对,工单数", "市住建局,市城管局,1", "市生态环境局,清江浦区政府,1",
        "部门间转办异常上升预警：市住建局→市城管局 实际 6，预期 1.2（持续中，发现于 2024-06-21 11:00，"
        "al-pingpong-7e6d5c4b3a2918f7e6d5）,,"]
    assert _lines(z, "unsatisfied.csv")[3:] == ["（未派单）,1,0,1", "合计,3,1,4"]
    assert _lines(z, "departments.csv")[-1] == ",全市,3279,2945,89.81,85.03,2.873,72.65,92.42,4,1,39,2,89.42"


def test_csv_zip_of_an_empty_table_is_its_header(doc):
    doc["clusters"]["rows"] = []
    assert _lines(_zip(doc), "clusters.csv") == [
        "预警编号,地点,地点类型,区县,子类,工单数,来电人数,状态,开始时间,发现时间,结束时间"]


def test_csv_zip_carries_the_coverage_note(doc, partial):
    z = _zip(partial)
    assert z.namelist() == ["coverage.txt", *(f"{n}.csv" for n in NAMES)]
    assert z.read("coverage.txt") == "\ufeff本期尚未结束：数据截至 2024-06-21。\r\n".encode()
    assert "coverage.txt" not in _zip(doc).namelist()


def test_zip_of_takes_any_tables_and_files(doc):
    ts = brief_tables.tables(doc)[:2]
    z = zipfile.ZipFile(io.BytesIO(csv_out.zip_of(ts, {"README.txt": b"x"})))
    assert z.namelist() == ["README.txt", "summary.csv", "trend.csv"] and z.read("README.txt") == b"x"
