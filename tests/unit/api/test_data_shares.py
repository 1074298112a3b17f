"""The annual table "共享数据情况" from data-share log rows (services/api/report/data_shares.py)."""

from __future__ import annotations

import datetime as dt

from services.api.render.csv_out import rows as csv_rows
from services.api.report.data_shares import as_table, table

D = dt.date
Y23 = (D(2023, 1, 1), D(2023, 12, 31))


def row(level, dept, route, lo_hi, tickets, shares=1, table_name="", method="接口共享"):
    return {"level": level, "department": dept, "method": method, "route": route, "table_name": table_name,
            "period_from": lo_hi[0], "period_to": lo_hi[1], "tickets": tickets, "shares": shares}


LOG = [
    # 市住建局 fetched the year three times as it grew (max 120), one table of it (same period, so
    # not counted again) and March (30): 120 + 30.
    row("市本级", "市住建局", "annual", Y23, 120, shares=3),
    row("市本级", "市住建局", "annual_table", Y23, 118, table_name="demands"),
    row("市本级", "市住建局", "period", (D(2023, 3, 1), D(2023, 3, 31)), 30),
    row("淮阴区", "淮阴区纪委", "series", Y23, 7, shares=2),
    row("市本级", "市公安局", "annual", Y23, 40),
    row("金湖县", "金湖县住建局", "annual", Y23, 15),
]


def test_rows_numbered_by_level_city_first():
    t = table(2023, LOG)
    assert t["label"] == "2023 年 12345 热线共享数据情况"
    assert [(r["no"], r["level"], r["department"], r["method"], r["tickets"], r["shares"]) for r in t["rows"]] == [
        (1, "市本级", "市住建局", "接口共享", 150, 5),
        (None, "市本级", "市公安局", "接口共享", 40, 1),
        (2, "淮阴区", "淮阴区纪委", "接口共享", 7, 2),
        (3, "金湖县", "金湖县住建局", "接口共享", 15, 1),
    ]
    assert t["total"] == 212
    assert t["rows"][0]["subject"] == ("年度报告（2023.1.1-2023.12.31）；年度报告·诉求总量与办理（2023.1.1-2023.12.31）；"
                                       "时段报告（2023.3.1-2023.3.31）")


def test_csv_lines_as_published():
    lines = csv_rows(as_table(table(2023, LOG)))
    assert lines[0] == ["序号", "行政层级", "共享部门", "共享方式", "共享主题", "共享诉求数据量（件）"]
    assert lines[3] == ["2", "淮阴区", "淮阴区纪委", "接口共享", "趋势序列（2023.1.1-2023.12.31）", "7"]
    assert lines[-1] == ["总计", "", "", "", "", "212"]


def test_a_year_without_shares():
    t = table(2024, [])
    assert (t["rows"], t["total"]) == ([], 0)
    assert csv_rows(as_table(t))[1:] == [["总计", "", "", "", "", "0"]]
