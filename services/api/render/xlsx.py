"""The report as an Excel workbook (openpyxl): one sheet per table of tables.py.

Figures are numeric cells, never text, so a reader can sum and chart them; a missing figure is an
empty cell. Each compared data row is followed by a "同比" row holding the year-over-year in
percent units with a number format that prints ↑/↓, because a cell cannot hold both a figure and
its change the way the printed report writes "1438746 (↓ 8.77%)". Rows 1-2 are the title and a
note, the headers start on row 3 and the panes are frozen below them and right of the labels; a
table's footnote (a caveat about its figures) goes under the table, after one empty row.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.api.render.model import YOY_LABEL, Cell, Table, display, heading, place
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


def draw(ws: Worksheet, table: Table, title: str) -> None:
    """Draw one table on an empty sheet."""
    width = max(table.width, 1)
    ws.cell(1, 1, _text(f"{title} {table.title}")).font = Font(bold=True, size=14)
    _merge(ws, 1, 0, 1, width - 1)
    notes = [table.note] if table.note else []
    if any(row.compared for row in table.body):
        notes.append(f"“{YOY_LABEL}”行：与上年同期相比的增减(%)，↑ 增加，↓ 减少。")
    if notes:
        ws.cell(2, 1, _text(" ".join(notes))).font = Font(italic=True, color="595959")
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
    if table.footnote:
        # One empty row under the table, so Excel's table detection (filters, sorting) stops at it.
        _footnote(ws, max(at, first + 1) + 1, width, table.footnote, sum(widths))
    ws.freeze_panes = ws.cell(first, table.stub + 1)


def _footnote(ws: Worksheet, row: int, width: int, text: str, columns: int) -> None:
    """A caveat under the table across its width, wrapped; Excel does not grow a merged row to
    its text, so the row is given the height of the lines it needs."""
    target = ws.cell(row, 1, _text(text))
    target.font = Font(bold=True, color="8A4B00")
    target.alignment = Alignment(vertical="top", wrap_text=True)
    _merge(ws, row, 0, row, width - 1)
    lines = -(-_width(text) // max(columns - 2, 10))
    ws.row_dimensions[row].height = 15 * max(lines, 1) + 3


def workbook(report: Mapping[str, Any]) -> bytes:
    """The whole report as .xlsx bytes; sheets in tables.TABLE_NAMES order, titled in Chinese."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    title = heading(report)
    for t in tables(report):
        draw(wb.create_sheet(sheet_title(t.title, used)), t, title)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
