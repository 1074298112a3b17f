"""Tables as CSV: one header row, then each data row followed by its "同比(%)" row.

UTF-8 with a byte-order mark, because Excel opens a BOM-less CSV in the machine's legacy code
page and shows Chinese as mojibake. Figures are written as plain numbers (no thousands
separators, no "%") so the file stays machine-readable; the year-over-year goes in its own row as
a signed percent (-8.77 = ↓ 8.77%), as in the workbook. "-" is a missing figure, an empty field
a figure that does not apply to the row. A table's footnote (a caveat about its figures) is one
last line, its text in the first field; a table without one ends with its last row. A zip of a
document whose period is covered only in part holds the coverage note as `coverage.txt`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any

from services.api.render.model import YOY_LABEL, Cell, Table, coverage_note, display, place
from services.api.render.tables import tables

COVERAGE_FILE = "coverage.txt"


def _header(table: Table) -> list[str]:
    # A merged header stands above every column it covers: "诉求来源 (件)·电话".
    parts: list[list[str]] = [[] for _ in range(table.width)]
    for _, c, cell in place(table.header):
        for j in range(c, c + cell.colspan):
            if cell.value not in (None, "") and str(cell.value) not in parts[j]:
                parts[j].append(str(cell.value))
    return ["·".join(p) for p in parts]


def _yoy(cell: Cell) -> str:
    if not cell.compared:
        return ""
    return display(Cell(cell.yoy, "number"))


def rows(table: Table) -> list[list[str]]:
    """The table as lines of fields, header first; a label spanning rows is repeated on each."""
    out = [_header(table)]
    grid: dict[tuple[int, int], Cell] = {}
    own: dict[int, list[tuple[int, Cell]]] = {}
    for r, c, cell in place([row.cells for row in table.body]):
        own.setdefault(r, []).append((c, cell))
        for i in range(cell.rowspan):
            grid[(r + i, c)] = cell
    for r, row in enumerate(table.body):
        line = [display(grid[(r, c)]) if (r, c) in grid else "" for c in range(table.width)]
        out.append(line)
        if row.compared:
            yoy = line[:table.stub - 1] + [f"{YOY_LABEL}(%)"] + [""] * (table.width - table.stub)
            for c, cell in own[r]:
                if c >= table.stub:
                    yoy[c] = _yoy(cell)
            out.append(yoy)
    if table.footnote:
        out.append([table.footnote] + [""] * (table.width - 1))
    return out


def table_csv(table: Table) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows(table))
    return buf.getvalue().encode("utf-8-sig")


def coverage_files(doc: Mapping[str, Any]) -> dict[str, bytes] | None:
    """`coverage.txt` holding the document's coverage note, when it has one: a CSV has no room
    above its header for "本期数据不完整", and the figures must not travel without it."""
    note = coverage_note(doc)
    return None if note is None else {COVERAGE_FILE: f"{note}\r\n".encode("utf-8-sig")}


def zip_of(tables: Iterable[Table], extra: Mapping[str, bytes] | None = None) -> bytes:
    """A zip with the `extra` files first (what the reader must see before the figures), then one
    `<name>.csv` per table."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in (extra or {}).items():
            z.writestr(name, body)
        for t in tables:
            z.writestr(f"{t.name}.csv", table_csv(t))
    return buf.getvalue()


def report_zip(report: Mapping[str, Any]) -> bytes:
    """A zip with one `<slug>.csv` per table of the report (and `coverage.txt`, see coverage_files)."""
    return zip_of(tables(report), coverage_files(report))
