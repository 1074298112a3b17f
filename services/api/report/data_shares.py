"""The annual table "共享数据情况" (data shared with departments) from the data-share log.

Pure: rows of services/api/sql/data_shares.sql in, the table out (a dict for JSON, a Table for
CSV). Laid out like the published report (seed-huaian-2023-report.txt, 六.3): 序号 numbers the
行政层级 groups (市本级 first), one row per department with its 共享方式, its 共享主题 (what it
received: the report or table and the period, "年度报告（2023.1.1-2023.12.31）") and its
共享诉求数据量（件）, then 总计.

The count of a department is, for each distinct period it received, the most tickets one answer
about that period covered, summed over its periods: downloading the same year's report every
day shares the same tickets again, not new ones. Overlapping periods (a year and one of its
months) are still counted once each, as the published table counts its overlapping shares.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from services.api.render.model import Cell, Row, Table
from services.api.report import labels as L

TITLE = "{year} 年 12345 热线共享数据情况"
COLUMNS = {"no": "序号", "level": "行政层级", "department": "共享部门", "method": "共享方式",
           "subject": "共享主题", "tickets": "共享诉求数据量（件）"}
TOTAL = "总计"
CITY_LEVEL = "市本级"
# What a department received, by route (and by table for one table of the annual report).
ROUTES = {"annual": "年度报告", "annual_table": "年度报告", "period": "时段报告", "series": "趋势序列"}
TABLES = {"demands": L.DEMANDS, "talent_line": L.TALENT_LINE, "linkage_110": L.LINKAGE_110,
          "efficiency": L.EFFICIENCY, "top_departments": "承办诉求量TOP部门", "top_categories": "诉求量TOP类型",
          "maishangyi_tags": f"{L.MAISHANGYI}与{L.TAGS}", "monthly": "月度诉求量"}


def _day(d: dt.date) -> str:
    return f"{d.year}.{d.month}.{d.day}"  # the published table's style: 2023.1.1


def subject(route: str, table: str, lo: dt.date, hi: dt.date) -> str:
    what = ROUTES.get(route, route)
    if table:
        what += "·" + TABLES.get(table, table)
    return f"{what}（{_day(lo)}-{_day(hi)}）"


def table(year: int, rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The year's table as JSON: `rows` (one per level and department, numbered by level group as
    printed), `total`, `columns` and `label`."""
    by_dept: dict[tuple[str, str], dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: (r["period_from"], r["period_to"], r["route"], r["table_name"])):
        d = by_dept.setdefault((r["level"], r["department"]), {
            "methods": [], "subjects": [], "periods": {}, "shares": 0})
        if r["method"] not in d["methods"]:
            d["methods"].append(r["method"])
        s = subject(r["route"], r["table_name"], r["period_from"], r["period_to"])
        if s not in d["subjects"]:
            d["subjects"].append(s)
        period = (r["period_from"], r["period_to"])
        d["periods"][period] = max(d["periods"].get(period, 0), int(r["tickets"]))
        d["shares"] += int(r["shares"])
    levels = sorted({level for level, _ in by_dept}, key=lambda lv: (lv != CITY_LEVEL, lv))
    out, total = [], 0
    for no, level in enumerate(levels, 1):
        for i, dept in enumerate(sorted(d for lv, d in by_dept if lv == level)):
            d = by_dept[(level, dept)]
            tickets = sum(d["periods"].values())
            total += tickets
            out.append({"no": no if i == 0 else None, "level": level, "department": dept,
                        "method": "、".join(d["methods"]), "subject": "；".join(d["subjects"]),
                        "subjects": d["subjects"], "tickets": tickets, "shares": d["shares"]})
    return {"year": year, "label": TITLE.format(year=year), "columns": COLUMNS, "rows": out, "total": total}


def as_table(doc: Mapping[str, Any]) -> Table:
    """The JSON table drawn as a Table (CSV, one line per department and a 总计 line)."""
    header = (tuple(Cell(COLUMNS[k]) for k in COLUMNS),)
    body = [Row((Cell(r["no"], "count") if r["no"] is not None else Cell(""), Cell(r["level"]), Cell(r["department"]),
                 Cell(r["method"]), Cell(r["subject"]), Cell(r["tickets"], "count")))
            for r in doc["rows"]]
    body.append(Row((Cell(TOTAL), Cell(""), Cell(""), Cell(""), Cell(""), Cell(doc["total"], "count"))))
    return Table("data_shares", doc["label"], header, tuple(body))
