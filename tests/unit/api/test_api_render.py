"""The report renderers on tests/fixtures/report-example.json: the table model (slugs, titles,
header spans, cells), CSV, the Excel workbook and the printable HTML page. The expected figures
are copied from the fixture file by eye, not recomputed."""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from services.api.render import csv_out, html, tables, xlsx
from services.api.render.model import Cell, arrow, display
from services.api.report.errors import UnknownTable

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "report-example.json"
TITLES = {
    "demands": "诉求总量与办理", "calls": "话务服务", "talent_line": "“尚贤”人才服务",
    "linkage_110": "12345与110高效对接联动", "efficiency": "热线服务效能",
    "top_departments": "承办12345诉求量TOP5部门", "top_categories": "诉求量TOP5类型",
    "maishangyi_tags": "“码上议”流转诉求与专项标签诉求", "monthly": "月度诉求量与话务量",
    "supplied": "报送数据（非事件流计算，由报表编制人提供）",
}
CITIZEN = [1438746, 1404566, 19209, 14971, 820880, 17775, 600091]
CITIZEN_YOY = [-8.77, -9.53, -21.45, 240, 2.55, 34.14, -21.39]


@pytest.fixture
def report() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def by_name(report: dict[str, Any]) -> dict[str, tables.Table]:
    return {t.name: t for t in tables.tables(report)}


def _strip(tree: Any, key: str) -> Any:
    if isinstance(tree, dict):
        return {k: _strip(v, key) for k, v in tree.items() if k != key}
    if isinstance(tree, list):
        return [_strip(v, key) for v in tree]
    return tree


@pytest.fixture
def bare(report) -> dict[str, Any]:
    """No previous year, no tags, no supplied figures, no monthly series, and some figures null."""
    r = _strip(report, "yoy_pct")
    for key in ("tags", "supplied", "monthly"):
        del r[key]
    r["demands"]["rows"]["citizen"]["total"] = None
    r["calls"]["inbound"]["avg_wait_s"] = None
    r["efficiency"]["resolution_satisfaction_pct"] = None
    r["top_categories"]["consult"][0]["share_pct"] = None
    del r["linkage_110"]["to_110"]
    return r


# ---- the table model ---------------------------------------------------------------------------

def test_slugs_and_titles(report):
    ts = tables.tables(report)
    assert [t.name for t in ts] == list(tables.TABLE_NAMES)
    assert {t.name: t.title for t in ts} == TITLES
    assert by_name(report)["supplied"].supplied and not by_name(report)["demands"].supplied


def test_demands_header_spans(report):
    top, sub = by_name(report)["demands"].header
    assert [(c.value, c.colspan, c.rowspan) for c in top] == [
        ("诉求类别", 1, 2), ("诉求总量", 1, 2), ("诉求来源 (件)", 3, 1), ("在线解答 (件)", 2, 1),
        ("部门办理", 1, 2), ("综合满意率(%)", 1, 2), ("办结率(%)", 1, 2)]
    assert [c.value for c in sub] == ["电话", "互联网", "承办转办", "民生接听员", "政策专员"]
    assert by_name(report)["demands"].width == 10


def test_demands_rows_carry_figures_and_yoy(report):
    citizen, enterprise, total = by_name(report)["demands"].body
    assert citizen.cells[0].value == "群众诉求"
    assert [c.value for c in citizen.cells[1:8]] == CITIZEN
    assert [c.yoy for c in citizen.cells[1:8]] == CITIZEN_YOY
    assert [c.value for c in enterprise.cells[1:8]] == [11953, 11946, 6, 1, 5886, 856, 5211]
    # Satisfaction and completion rates are over all demands, so only 总计 holds them.
    assert [c.value for c in citizen.cells[8:]] == ["", ""]
    assert [(c.value, c.yoy) for c in total.cells[8:]] == [(98.94, 0.35), (99.1, -0.12)]


def test_calls_service_level_follows_the_threshold(report):
    r = copy.deepcopy(report)
    r["parameters"]["service_level"]["threshold_s"] = 20
    inbound = r["calls"]["inbound"]
    inbound["service_level_20s_pct"] = inbound.pop("service_level_30s_pct") - 4.5
    r["calls"]["yoy_pct"]["service_level_20s"] = r["calls"]["yoy_pct"].pop("service_level_30s")
    del r["calls"]["columns"]["service_level_30s_pct"]
    t = by_name(r)["calls"]
    assert t.header[0][2].value == "20秒人工接通率(%)"
    first = t.body[0].cells
    assert (first[2].value, first[2].yoy) == (87.8, 18.14)
    # Outbound and total have no service level: "-" as the published table prints.
    assert display(t.body[1].cells[2]) == "-" and not t.body[1].cells[2].compared


def test_top_tables_follow_top_n(report):
    r = copy.deepcopy(report)
    r["parameters"]["top_n"] = 3
    r["top_departments"]["label"] = "承办12345诉求量TOP3部门"
    r["top_departments"]["rows"] = r["top_departments"]["rows"][:3]
    t = by_name(r)["top_departments"]
    assert t.title == "承办12345诉求量TOP3部门"
    assert [(row.cells[0].value, row.cells[1].value) for row in t.body] == [
        ("市公安局", 26851), ("市住建局", 7789), ("市卫健委", 4747), ("部门办理总量", 605302)]


def test_category_kinds_span_their_rows(report):
    t = by_name(report)["top_categories"]
    assert t.stub == 2
    first = t.body[0].cells
    assert (first[0].value, first[0].rowspan, first[1].value, first[2].value, first[3].value) == (
        "咨询类", 5, "民生保障", 302015, 43.38)
    assert [c.value for c in t.body[5].cells[:3]] == ["非咨询类", "民生保障", 153544]


def test_supplied_figures_are_key_paths(report):
    t = by_name(report)["supplied"]
    assert [(r.cells[0].value, r.cells[1].value) for r in t.body] == [
        ("platform.agents_total", 252), ("platform.agents_city_level", 117),
        ("platform.seats_per_100k_people", 5.53), ("knowledge_base.entries", 1996),
        ("knowledge_base.qa_pairs", 714), ("regulations.count", 3)]
    assert "非由事件流计算" in t.note


def test_arrows_and_display():
    assert arrow(-8.77) == "↓ 8.77%" and arrow(240) == "↑ 240%" and arrow(0) == "0%" and arrow(None) == "-"
    assert display(Cell(92.3, "rate")) == "92.30" and display(Cell(13.93, "number")) == "13.93"
    assert display(Cell(None, "count")) == "-"


def test_one_table_by_name(report, bare):
    assert tables.table(report, "calls").title == "话务服务"
    with pytest.raises(UnknownTable):
        tables.table(report, "nope")
    with pytest.raises(UnknownTable):
        tables.table(bare, "supplied")


# ---- CSV -------------------------------------------------------------------------------------

def test_csv_is_utf8_with_bom_and_holds_the_figures(report):
    body = csv_out.table_csv(by_name(report)["demands"])
    assert body.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert lines[0][:5] == ["诉求类别", "诉求总量", "诉求来源 (件)·电话", "诉求来源 (件)·互联网", "诉求来源 (件)·承办转办"]
    assert lines[1][:8] == ["群众诉求", *map(str, CITIZEN)]
    assert lines[2][:8] == ["同比(%)", "-8.77", "-9.53", "-21.45", "240", "2.55", "34.14", "-21.39"]
    assert lines[5][8:] == ["98.94", "99.10"]


def test_csv_zip_has_one_file_per_table(report):
    with zipfile.ZipFile(io.BytesIO(csv_out.report_zip(report))) as z:
        assert z.namelist() == [f"{n}.csv" for n in tables.TABLE_NAMES]
        talent = z.read("talent_line.csv").decode("utf-8-sig").splitlines()
    # 承办转办 of the talent line: 0 this year, no year-over-year (null) -> "-".
    assert talent[1] == "人才服务诉求,2231,2226,5,0,1441,193,597"
    assert talent[2] == "同比(%),44.12,55.99,-95.87,-,91.62,221.67,-18.89"


# ---- Excel -----------------------------------------------------------------------------------

def _load(report) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(xlsx.workbook(report)))


def test_workbook_has_a_sheet_per_table(report):
    wb = _load(report)
    assert wb.sheetnames == list(TITLES.values())


def test_demands_sheet_layout(report):
    ws = _load(report)["诉求总量与办理"]
    assert ws["A1"].value == "淮安市12345热线2023年度 诉求总量与办理"
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {"A3:A4", "B3:B4", "C3:E3", "F3:G3", "H3:H4", "A1:J1"} <= merged
    strings = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"诉求总量", "电话", "民生接听员", "诉求来源 (件)", "在线解答 (件)", "群众诉求", "同比"} <= strings
    assert [ws.cell(5, c).value for c in range(1, 9)] == ["群众诉求", *CITIZEN]
    assert [ws.cell(6, c).value for c in range(1, 9)] == ["同比", *CITIZEN_YOY]
    assert ws["B6"].number_format == xlsx.YOY_FORMAT
    assert ws["C3"].font.b and ws["C3"].alignment.horizontal == "center"
    assert ws.freeze_panes == "B5"
    assert ws.column_dimensions["A"].width >= 10


def test_workbook_figures_are_numbers_not_text(report):
    wb = _load(report)
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=3):
            for c in row:
                if isinstance(c.value, str):
                    with pytest.raises(ValueError):
                        float(c.value)
    calls = wb["话务服务"]  # one header row: 接听 on row 4, its 同比 on row 5
    assert calls["B4"].value == 1421313 and isinstance(calls["B4"].value, int)
    assert calls["C4"].value == 92.3 and calls["C4"].number_format == "0.00"
    assert calls["C5"].value == 18.14 and calls["C5"].number_format == xlsx.YOY_FORMAT


def test_sheet_titles_obey_excel():
    used: set[str] = set()
    assert xlsx.sheet_title("a/b:c*?[x]\\", used) == "abcx"
    long = "很" * 40
    assert xlsx.sheet_title(long, used) == "很" * 31
    assert xlsx.sheet_title(long, used) == "很" * 29 + "_2"


# ---- HTML ------------------------------------------------------------------------------------

def test_page_has_every_caption_and_two_charts(report):
    page = html.page(report)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    for title in TITLES.values():
        assert f"<caption>{title}</caption>" in page
    assert page.count("<svg") == 2
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert "@media print" in page and "break-before: page" in page
    assert '<th scope="col" colspan="3">诉求来源 (件)</th>' in page
    assert "1438746<span class=\"yoy\">↓ 8.77%</span>" in page


def test_names_from_events_are_escaped(report):
    r = copy.deepcopy(report)
    r["top_categories"]["consult"][0]["category"] = "<script>alert(1)</script>民生"
    r["top_categories"]["consult"][1]["category"] = "<i>经济</i>"
    r["top_departments"]["rows"][0]["department"] = 'A&B "局"'
    page = html.page(r)
    assert "<script>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;民生" in page
    # Once in the table, once in the category chart.
    assert page.count("&lt;i&gt;经济&lt;/i&gt;") == 2
    assert "A&amp;B &quot;局&quot;" in page


# ---- a report without the optional blocks ----------------------------------------------------

def test_bare_report_renders_everywhere(bare):
    ts = by_name(bare)
    assert list(ts) == [n for n in tables.TABLE_NAMES if n != "supplied"]
    assert not any(row.compared for t in ts.values() for row in t.body)
    assert ts["monthly"].body == () and ts["maishangyi_tags"].body[1:] == ()

    demands = csv_out.table_csv(ts["demands"]).decode("utf-8-sig").splitlines()
    assert demands[1] == "群众诉求,-,1404566,19209,14971,820880,17775,600091,,"
    assert len(demands) == 4  # header and three rows, no 同比 rows
    with zipfile.ZipFile(io.BytesIO(csv_out.report_zip(bare))) as z:
        assert "supplied.csv" not in z.namelist()

    wb = _load(bare)
    assert len(wb.sheetnames) == 9
    ws = wb["诉求总量与办理"]
    assert ws["A5"].value == "群众诉求" and ws["B5"].value is None and ws["C5"].value == 1404566
    assert ws["A6"].value == "企业诉求"
    assert wb["12345与110高效对接联动"]["C5"].value is None

    page = html.page(bare)
    assert page.count("<svg") == 2 and "无数据" in page
    assert '<td class="num">-</td>' in page
    assert 'class="yoy"' not in page


# ---- pending handling times under the efficiency table ---------------------------------------

PENDING_ZH = "另有 696100 件已办结工单（咨询类 696100 件）的办理时长待定：工作日历尚未覆盖其日期（待补充该年节假日安排），未计入平均办理时长"
PENDING_EN = ("696100 completed tickets (consultation 696100) have a pending handling time: the working-day "
              "calendar does not cover their dates yet (the year's holiday schedule is to be supplied), left out "
              "of the average handling time")


@pytest.fixture
def all_pending(report) -> dict[str, Any]:
    """Every completed consult ticket pending (696100 of 696100): no average; none pending in non_consult."""
    r = copy.deepcopy(report)
    e = r["efficiency"]
    e["consult"].update(avg_handling_workdays=None, handling_pending=696100)
    e["non_consult"]["handling_pending"] = 0
    e["yoy_pct"]["consult_avg_handling"] = None
    return r


def test_pending_note_wording():
    from services.api.report.labels import handling_pending_note

    assert handling_pending_note({"consult": 1, "non_consult": 0}) == (
        "另有 1 件已办结工单（咨询类 1 件）的办理时长待定：工作日历尚未覆盖其日期（待补充该年节假日安排），未计入平均办理时长"
        " / 1 completed ticket (consultation 1) has a pending handling time: the working-day calendar does not "
        "cover its dates yet (the year's holiday schedule is to be supplied), left out of the average handling time")
    assert handling_pending_note({"consult": 2, "non_consult": 3}).startswith(
        "另有 5 件已办结工单（咨询类 2 件，非咨询类 3 件）的办理时长待定")
    assert " / 5 completed tickets (consultation 2, non-consultation 3) have a pending" in handling_pending_note(
        {"consult": 2, "non_consult": 3})


def test_pending_handling_times_get_a_note_in_every_format(all_pending):
    note = f"{PENDING_ZH} / {PENDING_EN}"
    t = by_name(all_pending)["efficiency"]
    assert t.footnote == note
    consult = t.body[0].cells
    assert (consult[1].value, consult[2].value, consult[3].value) == (696197, None, 696100)

    page = html.page(all_pending)
    from html import escape
    assert f'<p class="note footnote"><strong>{escape(note)}</strong></p>' in page
    # under the efficiency table, the only one with the note
    assert page.index("<caption>热线服务效能</caption>") < page.index(escape(PENDING_ZH)) < page.index(
        "<caption>承办12345诉求量TOP5部门</caption>")
    assert page.count("已办结工单") == 1

    lines = list(csv.reader(io.StringIO(csv_out.table_csv(t).decode("utf-8-sig"))))
    assert lines[1][:4] == ["咨询类", "696197", "-", "696100"]
    assert len(lines) == 8  # header, 3 rows each with its 同比 row, the note
    assert lines[-1] == [note] + [""] * 8
    with zipfile.ZipFile(io.BytesIO(csv_out.report_zip(all_pending))) as z:
        # quoted: the English half has commas
        assert z.read("efficiency.csv").decode("utf-8-sig").endswith(f'\r\n"{note}",,,,,,,,\r\n')
        assert "已办结工单" not in z.read("demands.csv").decode("utf-8-sig")

    ws = _load(all_pending)["热线服务效能"]
    # title, note, two header rows (3-4), 咨询类 5-6, 非咨询类 7-8, 合计 9-10, an empty row, the note
    assert ws["A5"].value == "咨询类" and ws["C5"].value is None and ws["D5"].value == 696100
    assert ws["A9"].value == "合计" and all(c.value is None for c in ws[11])
    assert ws["A12"].value == note and "A12:I12" in {str(m) for m in ws.merged_cells.ranges}
    assert ws["A12"].alignment.wrap_text and ws.row_dimensions[12].height > 15
    assert ws.max_row == 12


def test_no_pending_handling_times_change_nothing(report):
    # A report with handling_pending 0 renders exactly as one made before the key existed.
    zero = copy.deepcopy(report)
    for kind in ("consult", "non_consult"):
        zero["efficiency"][kind]["handling_pending"] = 0
    assert by_name(zero)["efficiency"].footnote is None and by_name(report)["efficiency"].footnote is None
    assert html.page(zero) == html.page(report) and "已办结工单" not in html.page(zero)
    for name, t in by_name(zero).items():
        assert csv_out.table_csv(t) == csv_out.table_csv(by_name(report)[name])
    before, after = _load(report), _load(zero)
    for ws in after.worksheets:
        assert [[c.value for c in row] for row in ws.iter_rows()] == [
            [c.value for c in row] for row in before[ws.title].iter_rows()]
    assert after["热线服务效能"].max_row == 10
    assert not any("已办结工单" in str(c.value) for row in after["热线服务效能"].iter_rows() for c in row)
