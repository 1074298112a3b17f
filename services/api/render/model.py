"""The table model the renderers draw: cells with spans (HTML semantics), rows, tables, and how
a value and a year-over-year change are printed. Layouts are in tables.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Value = int | float | str | None
Kind = Literal["text", "count", "rate", "number"]  # how a value is written: text, 1438746, 92.30, 13.93

YOY_LABEL = "同比"


@dataclass(frozen=True)
class Cell:
    value: Value = None
    kind: Kind = "text"
    colspan: int = 1
    rowspan: int = 1
    compared: bool = False  # a year-over-year change belongs to this figure (yoy may still be None)
    yoy: float | None = None  # percent change against the previous period; negative = decrease


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]

    @property
    def compared(self) -> bool:
        """Whether the renderers owe this row its year-over-year (a "同比" row in Excel)."""
        return any(c.compared for c in self.cells)


@dataclass(frozen=True)
class Table:
    name: str  # one of tables.TABLE_NAMES
    title: str
    header: tuple[tuple[Cell, ...], ...]
    body: tuple[Row, ...]
    stub: int = 1  # leading label columns; a "同比" row writes its label in the last of them
    note: str | None = None
    supplied: bool = False  # figures the report builder supplied, not computed from events
    # A caveat every format prints under the table (HTML, the workbook and CSV alike), unlike
    # `note`, which CSV leaves out: set only when the figures need it (pending handling times).
    footnote: str | None = None

    @property
    def width(self) -> int:
        return max((c + cell.colspan for _, c, cell in place(self.header)), default=0)


def place(rows: Sequence[Sequence[Cell]]) -> list[tuple[int, int, Cell]]:
    """(row, column, cell) of every cell, skipping the positions spans from earlier cells cover."""
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            out.append((r, c, cell))
            taken.update((r + i, c + j) for i in range(cell.rowspan) for j in range(cell.colspan))
            c += cell.colspan
    return out


UNDISPATCHED = "（未派单）"  # the department of a ticket answered online, which has none ("")


def number(v: Any) -> int | float | None:
    """A figure of the document, or None; JSON booleans are ints to Python, and a figure is never one."""
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def block(v: Any) -> dict[str, Any]:
    """A block of the document, or {} where it is missing or not an object."""
    return v if isinstance(v, dict) else {}


def records(v: Any) -> list[dict[str, Any]]:
    """The rows of a list in the document (its objects), or [] where it is missing."""
    return [r for r in v if isinstance(r, dict)] if isinstance(v, list) else []


def department(name: Any) -> str:
    """A department as printed: "" (no department: answered online) as （未派单）."""
    return UNDISPATCHED if name in ("", None) else str(name)


def heading(report: Mapping[str, Any]) -> str:
    """"淮安市12345热线2023年度" for an annual report, the dates for any other period."""
    city = report.get("city") or ""
    # A department's report says whose tickets it holds: "淮安市12345热线（市住建局）2023年度".
    if report.get("department"):
        city = f"{city}12345热线（{report['department']}）"
    else:
        city = f"{city}12345热线"
    if report.get("year") is not None:
        return f"{city}{report['year']}年度"
    period = report.get("period") or {}
    return f"{city} {period.get('from', '?')}至{period.get('to', '?')}"


def coverage_note(doc: Mapping[str, Any]) -> str | None:
    """The note a document carries when its period holds events only in part ("本期数据不完整：…"),
    printed above the tables by every format; None for a complete period or a document made
    before `coverage` existed."""
    coverage = doc.get("coverage")
    note = coverage.get("note") if isinstance(coverage, dict) else None
    return str(note) if note else None


def _trim(v: float, digits: int) -> str:
    return f"{v:.{digits}f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def display(cell: Cell, missing: str = "-") -> str:
    """A value as printed in HTML and CSV: 1438746, 92.30, 13.93; None as `missing`."""
    v = cell.value
    if v is None:
        return missing
    if isinstance(v, str):
        return v
    return f"{v:.2f}" if cell.kind == "rate" else _trim(v, 3)


def arrow(yoy: float | None, missing: str = "-") -> str:
    """A year-over-year change as the published tables print it: "↓ 8.77%", "↑ 240%"."""
    if yoy is None:
        return missing
    return f"{'↑' if yoy > 0 else '↓' if yoy < 0 else ''} {_trim(abs(float(yoy)), 2)}%".strip()
