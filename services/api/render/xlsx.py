"""The report as an Excel workbook (openpyxl): one sheet per table of tables.py.

Figures are numeric cells, never text, so a reader can sum and chart them; a missing figure is an
empty cell. Each compared data row is followed by a "同比" row holding the year-over-year in
percent units with a number format that prints ↑/↓, because a cell cannot hold both a figure and
its change the way the printed report writes "1438746 (↓ 8.77%)". Rows 1-2 are the title and a
note, the headers start on row 3 and the panes are frozen below them and right of the labels; a
table's footnote (a caveat about its figures) goes under the table, after one empty row. A
document whose period is covered only in part says so on row 2 of every sheet, first.

Every sheet is laid out for printing: A4 landscape, scaled to one page wide (as many pages long as
it needs), the header rows repeated on every page, the table as the print area. Without this a
spreadsheet program prints a wide table as a column of pages, each with a slice of the columns.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from services.api.render.model import YOY_LABEL, Cell, Table, coverage_note, display, heading, place
from services.api.render.tables import tables

YOY_FORMAT = '"↑"0.00"%";"↓"0.00"%";0.00"%"'
NUMBER_FORMATS = {"count": "0", "rate": "0.00", "number": "General", "text": "General"}
HEADER_ROW = 3  # 1: title, 2: note

_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
_SUPPLIED_FILL = PatternFill("solid", fgColor="FFF2CC")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_YOY_FONT = Font(color="595959", size=9)
_CAVEAT_FONT = Font(bold=True, color="8A4B00")  # a footnote, a coverage note
# Inches, as Excel stores them: 1.5 cm left and right, 2 cm top and bottom, room for the footer.
MARGINS = {"left": 0.6, "right": 0.6, "top": 0.8, "bottom": 0.8, "header": 0.3, "footer": 0.3}
PAGE_FOOTER = "第 &P 页，共 &N 页"


def sheet_title(title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook (any case)."""
    base = re.sub(r"[\[\]:*?/\\]", "", title).strip("' ")[:31] or "Sheet"
    name, i = base, 2
    while name.lower() in used:
        name = f"{base[:31 - len(str(i)) - 1]}_{i}"
        i += 1
    used.add(name.lower())
    return name


def _width(text: str) -> int:
    # East Asian wide characters take two columns of Excel's default font.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _text(value: Any) -> Any:
    """A cell's text without the control characters a workbook cannot hold (openpyxl refuses
    them): a category or department name from an event, a supplied figure's key may have them."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def _value(ws: Worksheet, row: int, col: int, cell: Cell) -> None:
    target = ws.cell(row, col + 1)
    if isinstance(cell.value, (int, float)):
        target.value = cell.value
        target.number_format = NUMBER_FORMATS[cell.kind]
        target.alignment = Alignment(horizontal="right", vertical="center")
    elif cell.value:
        target.value = _text(cell.value)
        target.alignment = Alignment(vertical="center", wrap_text=True)


def _merge(ws: Worksheet, r0: int, c0: int, r1: int, c1: int) -> None:
    if (r0, c0) != (r1, c1):
        ws.merge_cells(start_row=r0, start_column=c0 + 1, end_row=r1, end_column=c1 + 1)


def _frame(ws: Worksheet, r0: int, r1: int, width: int) -> None:
    for row in ws.iter_rows(min_row=r0, max_row=r1, min_col=1, max_col=width):
        for c in row:
            c.border = _BORDER


def draw(ws: Worksheet, table: Table, title: str, coverage: str | None = None) -> None:
    """Draw one table on an empty sheet; `coverage` is the document's coverage note, if any."""
    width = max(table.width, 1)
    ws.cell(1, 1, _text(f"{title} {table.title}")).font = Font(bold=True, size=14)
    _merge(ws, 1, 0, 1, width - 1)
    notes = [table.note] if table.note else []
    if any(row.compared for row in table.body):
        notes.append(f"“{YOY_LABEL}”行：与上年同期相比的增减(%)，↑ 增加，↓ 减少。")
    if coverage:
        notes.insert(0, coverage)
    if notes:
        ws.cell(2, 1, _text(" ".join(notes))).font = _CAVEAT_FONT if coverage else Font(italic=True, color="595959")
        _merge(ws, 2, 0, 2, width - 1)
    if table.supplied:
        ws.sheet_properties.tabColor = "C9A227"
        ws.cell(1, 1).fill = ws.cell(2, 1).fill = _SUPPLIED_FILL

    widths = [8] * width
    for r, c, cell in place(table.header):
        top = HEADER_ROW + r
        target = ws.cell(top, c + 1, _text(cell.value))
        target.font, target.alignment = Font(bold=True), _CENTER
        _merge(ws, top, c, top + cell.rowspan - 1, c + cell.colspan - 1)
        for j in range(c, c + cell.colspan):
            ws.cell(top, j + 1).fill = _HEAD_FILL
        if cell.colspan == 1:
            widths[c] = max(widths[c], min(_width(str(cell.value or "")) + 2, 24))
    first = HEADER_ROW + len(table.header)
    _frame(ws, HEADER_ROW, first - 1, width)

    # A model row takes one sheet row, two when its 同比 row follows.
    starts, at = [], first
    for row in table.body:
        starts.append(at)
        at += 2 if row.compared else 1
    ends = [s + (1 if row.compared else 0) for s, row in zip(starts, table.body)]
    for r, c, cell in place([row.cells for row in table.body]):
        _value(ws, starts[r], c, cell)
        _merge(ws, starts[r], c, ends[r + cell.rowspan - 1] if cell.rowspan > 1 else starts[r], c + cell.colspan - 1)
        if c < table.stub:
            ws.cell(starts[r], c + 1).font = Font(bold=True)
        if cell.colspan == 1:
            widths[c] = max(widths[c], min(_width(display(cell, "")) + 2, 50))
        if table.body[r].compared and c >= table.stub and cell.compared:
            y = ws.cell(starts[r] + 1, c + 1, cell.yoy)
            y.number_format, y.font = YOY_FORMAT, _YOY_FONT
            y.alignment = Alignment(horizontal="right")
    for r, row in enumerate(table.body):
        # A label spanning rows already covers that column of the 同比 row.
        if row.compared and not isinstance(ws.cell(starts[r] + 1, table.stub), MergedCell):
            label = ws.cell(starts[r] + 1, table.stub, YOY_LABEL)
            label.font, label.alignment = _YOY_FONT, Alignment(horizontal="right")
    _frame(ws, first, max(at - 1, first), width)

    for c, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(c + 1)].width = w
    last = max(at - 1, first)
    if table.footnote:
        # One empty row under the table, so Excel's table detection (filters, sorting) stops at it.
        last = max(at, first + 1) + 1
        _footnote(ws, last, width, table.footnote, sum(widths))
    if coverage:
        _fit_height(ws, 2, " ".join(notes), sum(widths))
    ws.freeze_panes = ws.cell(first, table.stub + 1)
    _print_layout(ws, width, first - 1, last)


def _print_layout(ws: Worksheet, width: int, header_last: int, last: int) -> None:
    """A4 landscape, one page wide and as long as it takes, the header rows (from row 3) on
    every printed page, the table as the print area, page numbers in the footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # 0: as many pages tall as the rows need
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # without it the two above are ignored
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(**MARGINS)
    ws.print_title_rows = f"{HEADER_ROW}:{header_last}"
    ws.print_area = f"A1:{get_column_letter(width)}{last}"
    ws.oddFooter.center.text = PAGE_FOOTER


def _footnote(ws: Worksheet, row: int, width: int, text: str, columns: int) -> None:
    """A caveat under the table across its width, wrapped, as visible as a coverage note."""
    target = ws.cell(row, 1, _text(text))
    target.font = _CAVEAT_FONT
    _merge(ws, row, 0, row, width - 1)
    _fit_height(ws, row, text, columns)


def _fit_height(ws: Worksheet, row: int, text: str, columns: int) -> None:
    # Excel does not grow a merged row to its wrapped text: the lines it needs, 15 points each.
    ws.cell(row, 1).alignment = Alignment(vertical="top", wrap_text=True)
    lines = -(-_width(text) // max(columns - 2, 10))
    ws.row_dimensions[row].height = 15 * max(lines, 1) + 3


def workbook_of(tables: Iterable[Table], title: str, note: str | None = None) -> bytes:
    """Tables as .xlsx bytes, one sheet each in the order given, titled in Chinese; `title`
    heads every sheet, and `note` (the coverage note) goes on row 2 of every sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for t in tables:
        draw(wb.create_sheet(sheet_title(t.title, used)), t, title, note)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def workbook(report: Mapping[str, Any]) -> bytes:
    """The whole report as .xlsx bytes; sheets in tables.TABLE_NAMES order."""
    return workbook_of(tables(report), heading(report), coverage_note(report))
