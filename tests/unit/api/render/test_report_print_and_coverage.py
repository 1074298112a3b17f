"""The annual and period report's renderers since the brief: every sheet of its workbook laid out
for printing, and the coverage note (a period the platform holds events for only in part) on the
page, on row 2 of every sheet and as coverage.txt in the CSV zip; a document without a note
renders as one made before `coverage` existed. On tests/fixtures/report-example.json."""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from services.api.render import csv_out, html, xlsx

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "report-example.json"
NOTE = "本期数据不完整：平台持有 2023-01-01 至 2023-06-30 的事件，此后的数字是未知而不是零。"


@pytest.fixture
def report() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture
def covered(report) -> dict[str, Any]:
    """The report as the API answers it now for a year it holds whole: a coverage without a note."""
    r = copy.deepcopy(report)
    r["coverage"] = {"first_day": "2022-01-01", "last_day": "2023-12-31", "complete": True, "note": None}
    return r


@pytest.fixture
def partial(report) -> dict[str, Any]:
    r = copy.deepcopy(report)
    r["coverage"] = {"first_day": "2023-01-01", "last_day": "2023-06-30", "complete": False, "note": NOTE}
    return r


def _book(report: dict[str, Any]) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(xlsx.workbook(report)))


def _values(wb: openpyxl.Workbook) -> dict[str, list[list[Any]]]:
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def test_every_annual_sheet_prints_landscape_one_page_wide(report):
    body = xlsx.workbook(report)
    wb = openpyxl.load_workbook(io.BytesIO(body))
    assert len(wb.worksheets) == 10
    for ws in wb.worksheets:
        ps = ws.page_setup
        assert (ps.orientation, ps.paperSize, ps.fitToWidth, ps.fitToHeight) == ("landscape", 9, 1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
    # Two header rows (3-4) repeat on every page; the print area ends with the table.
    demands = wb["诉求总量与办理"]
    assert demands.print_title_rows == "$3:$4"
    assert demands.print_area == "'诉求总量与办理'!$A$1:$J$10"
    assert wb["话务服务"].print_title_rows == "$3:$3"
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        book = z.read("xl/workbook.xml").decode()
        first = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"0\">'诉求总量与办理'!$3:$4</definedName>" in book
    assert book.count('name="_xlnm.Print_Titles"') == 10
    setup = re.search(r"<pageSetup [^>]*/>", first).group(0)
    assert all(a in setup for a in ('orientation="landscape"', 'fitToWidth="1"', 'fitToHeight="0"'))


def test_the_footnote_is_inside_the_print_area(report):
    r = copy.deepcopy(report)
    r["efficiency"]["consult"]["handling_pending"] = 3
    ws = _book(r)["热线服务效能"]
    # Title, note, headers 3-4, three rows with their 同比 rows (5-10), an empty row, the footnote on 12.
    assert ws["A12"].value.startswith("另有 3 件已办结工单")
    assert ws.print_area == "'热线服务效能'!$A$1:$I$12"


def test_the_page_prints_the_coverage_note_under_the_meta_lines(partial):
    page = html.page(partial)
    m = re.search(r'<p class="coverage" style="[^"]*"><strong>(.*?)</strong></p>', page)
    assert m and m.group(1) == NOTE
    assert page.rindex('<p class="meta">') < m.start() < page.index("</header>")


def test_the_workbook_prints_the_coverage_note_on_row_2_of_every_sheet(partial):
    wb = _book(partial)
    for ws in wb.worksheets:
        assert str(ws["A2"].value).startswith(NOTE), ws.title
        assert ws["A2"].font.b and ws.row_dimensions[2].height > 15
    # With the sheet's own note after it.
    assert wb["诉求总量与办理"]["A2"].value == f"{NOTE} “同比”行：与上年同期相比的增减(%)，↑ 增加，↓ 减少。"


def test_the_csv_zip_carries_coverage_txt(report, partial):
    with zipfile.ZipFile(io.BytesIO(csv_out.report_zip(partial))) as z:
        names = z.namelist()
        assert names[0] == "coverage.txt" and len(names) == 11
        assert z.read("coverage.txt").decode("utf-8-sig") == f"{NOTE}\r\n"
        # The tables themselves are as without the note.
        with zipfile.ZipFile(io.BytesIO(csv_out.report_zip(report))) as plain:
            assert names[1:] == plain.namelist()
            assert all(z.read(n) == plain.read(n) for n in names[1:])


def test_a_report_without_a_note_renders_as_before(report, covered):
    assert html.page(covered) == html.page(report)
    assert 'class="coverage"' not in html.page(covered)
    # The files, not the zip's bytes: a zip stamps each file with the time it was written.
    with zipfile.ZipFile(io.BytesIO(csv_out.report_zip(covered))) as z, \
            zipfile.ZipFile(io.BytesIO(csv_out.report_zip(report))) as plain:
        assert z.namelist() == plain.namelist() and "coverage.txt" not in z.namelist()
        assert all(z.read(n) == plain.read(n) for n in z.namelist())
    assert _values(_book(covered)) == _values(_book(report))
