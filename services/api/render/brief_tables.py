"""The brief's tables (周报、月报 and 部门考核) as plain data: the one place their layouts live.

The brief document (docs/briefs.md) carries the figures and the sections' labels; the column
headers are written here. The tables are model.py's, so csv_out, xlsx and html draw them as they
draw the annual report's, and brief_page.py lays them out on a page. A section that is null (a
department token's `clusters`, its `hot.alerts`) has no table; an empty list has a table without
rows, which the page prints as 无数据: a week without clusters says so instead of losing its
section. Ids of alerts and tickets are text, never figures ("00731" keeps its zeros in Excel).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from services.api.render.csv_out import coverage_files, zip_of
from services.api.render.model import (
    Cell,
    Kind,
    Row,
    Table,
    block,
    coverage_note,
    department,
    number,
    records,
)

# Table.name of each table in page order: CSV file names, HTML ids.
TABLE_NAMES = ("summary", "trend", "hot_categories", "hot_subcategories", "surge_alerts", "clusters",
               "pingpong_tickets", "pingpong_pairs", "unsatisfied", "unsatisfied_tickets", "supervision",
               "supervised_tickets", "overdue_tickets", "departments")

TOTAL = "合计"
CITY = "全市"  # the assessment's total row, unless the document names it
ALERT_STATUS = {"open": "持续中", "closed": "已结束"}  # an alert episode
TICKET_STATUS = {"open": "未办结", "completed": "已办结"}  # a ticket, at the as-of instant
PLACE_KINDS = {"h3": "网格(H3)", "community": "社区"}
UNSATISFIED_ON = {"resolution": "问题解决评价为“不满意”", "any": "任一评价为“不满意”"}
EVALUATIONS = {"latest": "多次评价的工单以最后一次有效评价计", "all": "每次评价均计入"}
WEIGHTS = {"satisfaction": "满意率", "on_time": "按期办结率", "completion": "办结率"}

_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})")


# ---- cells -------------------------------------------------------------------------------------

def _fig(v: Any, kind: Kind = "count") -> Cell:
    return Cell(number(v), kind)


def _text(v: Any) -> Cell:
    # An id or a name: text even when the document holds a number, None ("-") when missing.
    return Cell(None if v is None else str(v))


def _dept(v: Any) -> Cell:
    return Cell(department(v))


def moment(v: Any) -> str | None:
    """A time of the document (RFC 3339 in the city's zone) to the minute: "2024-06-18 09:00"."""
    if v is None:
        return None
    m = _TIME.match(str(v))
    return f"{m[1]} {m[2]}" if m else str(v)


def _when(v: Any) -> Cell:
    return Cell(moment(v))


def _status(v: Any, names: Mapping[str, str]) -> Cell:
    return Cell(None if v is None else names.get(str(v), str(v)))


def _head(*names: str) -> tuple[tuple[Cell, ...], ...]:
    return (tuple(Cell(n) for n in names),)


def _title(section: Mapping[str, Any], fallback: str) -> str:
    return str(section.get("label") or fallback)


def _section(doc: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    # None: the document has no such section (null for this token), so no table.
    v = doc.get(key)
    return v if isinstance(v, dict) else None


def _parameters(doc: Mapping[str, Any]) -> dict[str, Any]:
    return block(doc.get("parameters"))


def _span(p: Mapping[str, Any]) -> str:
    return f"{p.get('from', '?')}至{p.get('to', '?')}"


# ---- the tables ----------------------------------------------------------------------------------

def summary(doc: Mapping[str, Any]) -> Table | None:
    s = _section(doc, "summary")
    if s is None:
        return None
    body = []
    for r in records(s.get("rows")):
        kind: Kind = "rate" if str(r.get("key") or "").endswith("_pct") else "count"
        body.append(Row((Cell(str(r.get("label") or r.get("key") or "")), _fig(r.get("value"), kind),
                         _fig(r.get("previous"), kind), _fig(r.get("change_pct"), "rate"),
                         _fig(r.get("last_year"), kind), _fig(r.get("yoy_pct"), "rate"))))
    period = block(doc.get("period"))
    notes = []
    for key, name in (("previous", "上期"), ("last_year", "去年同期")):
        p = period.get(key)
        if isinstance(p, dict):
            notes.append(f"{name}：{_span(p)}{'' if p.get('has_data', True) else '（无数据，不计增减）'}")
    return Table("summary", _title(s, "本期概况"), _head("指标", "本期", "上期", "环比(%)", "去年同期", "同比(%)"),
                 tuple(body), note="；".join(notes) or None)


def trend(doc: Mapping[str, Any]) -> Table | None:
    t = _section(doc, "trend")
    if t is None:
        return None
    body = []
    for d in records(t.get("days")):
        workday = d.get("workday")
        kind = None if not isinstance(workday, bool) else "工作日" if workday else "休息日"
        body.append(Row((_text(d.get("day")), Cell(kind), _fig(d.get("demands")),
                         *(_fig(d.get(k), "number") for k in ("expected", "low", "high")))))
    base = t.get("baseline")
    if isinstance(base, dict):
        note = (f"预期区间：基线 {_span(base)}（{base.get('days', '-')}天）中同类日（工作日或休息日）的均值"
                "，上下限为均值 ∓ 2 × max(标准差, √均值)")
    else:
        note = "无基线数据：不列预期区间"
    return Table("trend", _title(t, "每日诉求量与预期区间"),
                 _head("日期", "工作日/休息日", "诉求量", "预期", "下限", "上限"), tuple(body), note=note)


def _hot_rows(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> tuple[Row, ...]:
    return tuple(Row((Cell(i, "count"), *(_text(r.get(k)) for k in keys), _fig(r.get("observed")),
                      *(_fig(r.get(k), "number") for k in ("expected", "excess", "ratio"))))
                 for i, r in enumerate(rows, 1))


def _hot_note(h: Mapping[str, Any]) -> str | None:
    # "no baseline days, no ranking" must travel with the empty table into every format.
    return str(h["note"]) if h.get("note") else None


def hot_categories(doc: Mapping[str, Any]) -> Table | None:
    h = _section(doc, "hot")
    if h is None:
        return None
    return Table("hot_categories", f"{_title(h, '热点诉求')}(类别)",
                 _head("排名", "类别", "本期", "预期", "超出", "倍数"),
                 _hot_rows(records(h.get("categories")), ("category",)), stub=2, footnote=_hot_note(h))


def hot_subcategories(doc: Mapping[str, Any]) -> Table | None:
    h = _section(doc, "hot")
    if h is None:
        return None
    return Table("hot_subcategories", f"{_title(h, '热点诉求')}(子类)",
                 _head("排名", "类别", "子类", "本期", "预期", "超出", "倍数"),
                 _hot_rows(records(h.get("subcategories")), ("category", "subcategory")), stub=3,
                 footnote=_hot_note(h))


def surge_alerts(doc: Mapping[str, Any]) -> Table | None:
    h = _section(doc, "hot")
    if h is None or h.get("alerts") is None:  # a department's brief: surges are city-wide
        return None
    body = []
    for a in records(h.get("alerts")):
        series = block(a.get("series"))
        body.append(Row((_text(a.get("id")), Cell(str(series.get("category") or "")),
                         Cell(str(series.get("subcategory") or "")), Cell(str(series.get("district") or CITY)),
                         _when(a.get("started")), _when(a.get("detected_at")), _when(a.get("closed_at")),
                         _status(a.get("status"), ALERT_STATUS),
                         *(_fig(a.get(k), "number") for k in ("observed", "expected", "score")))))
    return Table("surge_alerts", "激增预警",
                 _head("预警编号", "类别", "子类", "区县", "开始时间", "发现时间", "结束时间", "状态",
                       "实际量", "预期量", "评分"), tuple(body))


def clusters(doc: Mapping[str, Any]) -> Table | None:
    c = _section(doc, "clusters")
    if c is None:
        return None
    body = tuple(Row((_text(r.get("id")), _text(r.get("place")), _status(r.get("place_kind"), PLACE_KINDS),
                      _text(r.get("district")), _text(r.get("subcategory")), _fig(r.get("tickets")),
                      _fig(r.get("callers")), _status(r.get("status"), ALERT_STATUS), _when(r.get("started")),
                      _when(r.get("detected_at")), _when(r.get("closed_at"))))
                 for r in records(c.get("rows")))
    return Table("clusters", _title(c, "集中诉求"),
                 _head("预警编号", "地点", "地点类型", "区县", "子类", "工单数", "来电人数", "状态", "开始时间",
                       "发现时间", "结束时间"), body)


def pingpong_tickets(doc: Mapping[str, Any]) -> Table | None:
    p = _section(doc, "pingpong")
    if p is None:
        return None
    body = tuple(Row((_text(r.get("id")), _text(r.get("ticket_id")), _text(r.get("departments")),
                      _fig(r.get("dispatches")), _fig(r.get("returns")), _status(r.get("status"), ALERT_STATUS),
                      _when(r.get("started")), _when(r.get("detected_at"))))
                 for r in records(p.get("tickets")))
    return Table("pingpong_tickets", f"{_title(p, '推诿扯皮')}工单",
                 _head("预警编号", "工单编号", "流转部门", "派单次数", "退单次数", "状态", "开始时间", "发现时间"),
                 body)


def _pair_alerts(p: Mapping[str, Any]) -> str | None:
    """The pair alerts (hand-overs from one department to another rising) in one line under the
    pairs they explain: few, and a table of their own would be mostly empty."""
    parts = []
    for a in records(p.get("pair_alerts")):
        observed, expected = (number(a.get(k)) for k in ("observed", "expected"))
        status = ALERT_STATUS.get(str(a.get("status")), str(a.get("status") or "-"))
        parts.append(f"{department(a.get('from'))}→{department(a.get('to'))} "
                     f"实际 {'-' if observed is None else f'{observed:g}'}，"
                     f"预期 {'-' if expected is None else f'{expected:g}'}"
                     f"（{status}，发现于 {moment(a.get('detected_at')) or '-'}，{a.get('id') or '-'}）")
    return f"部门间转办异常上升预警：{'；'.join(parts)}" if parts else None


def pingpong_pairs(doc: Mapping[str, Any]) -> Table | None:
    p = _section(doc, "pingpong")
    if p is None:
        return None
    body = []
    for r in records(p.get("pairs")):
        pair = [department(d) for d in (r.get("departments") or [])][:2]
        pair += [""] * (2 - len(pair))
        body.append(Row((Cell(pair[0]), Cell(pair[1]), _fig(r.get("tickets")))))
    return Table("pingpong_pairs", "推诿部门对", ((Cell("部门对", colspan=2), Cell("工单数")),), tuple(body),
                 stub=2, footnote=_pair_alerts(p))


def _per_department(section: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[Row, ...]:
    rows = [Row((_dept(r.get("department")), *(_fig(r.get(k)) for k in keys))) for r in records(section.get("rows"))]
    total = section.get("total")
    if isinstance(total, dict):
        rows.append(Row((Cell(TOTAL), *(_fig(total.get(k)) for k in keys))))
    return tuple(rows)


def unsatisfied(doc: Mapping[str, Any]) -> Table | None:
    u = _section(doc, "unsatisfied")
    if u is None:
        return None
    on = _parameters(doc).get("unsatisfied_on")
    note = (f"不满意：{UNSATISFIED_ON.get(str(on), str(on))}；一次不满意由部门分管负责人签发答复，"
            "二次不满意由部门主要负责人签发") if on else None
    return Table("unsatisfied", f"{_title(u, '不满意工单')}(按部门)", _head("部门", "一次不满意", "二次不满意", TOTAL),
                 _per_department(u, ("once", "twice", "total")), note=note)


def _level(v: Any) -> Cell:
    n = number(v)
    return Cell(None if n is None else "二次不满意" if n >= 2 else "一次不满意")


def unsatisfied_tickets(doc: Mapping[str, Any]) -> Table | None:
    u = _section(doc, "unsatisfied")
    if u is None:
        return None
    body = tuple(Row((_text(r.get("ticket_id")), _dept(r.get("department")), _level(r.get("level")),
                      _fig(r.get("unsatisfied_evaluations")), _when(r.get("last_evaluated")),
                      _status(r.get("status"), TICKET_STATUS)))
                 for r in records(u.get("tickets")))
    return Table("unsatisfied_tickets", f"{_title(u, '不满意工单')}清单",
                 _head("工单编号", "部门", "不满意等级", "不满意评价次数", "最近评价时间", "状态"), body)


def supervision(doc: Mapping[str, Any]) -> Table | None:
    s = _section(doc, "supervision")
    if s is None:
        return None
    as_of = moment(block(doc.get("period")).get("as_of"))
    note = f"超期：截至 {as_of} 已过办理期限仍未办结的派单工单（不论创建时间）" if as_of else None
    return Table("supervision", f"{_title(s, '督办与超期')}(按部门)", _head("部门", "督办件", "超期件"),
                 _per_department(s, ("supervised", "overdue")), note=note)


def supervised_tickets(doc: Mapping[str, Any]) -> Table | None:
    s = _section(doc, "supervision")
    if s is None:
        return None
    body = tuple(Row((_text(r.get("ticket_id")), _dept(r.get("department")), _when(r.get("supervised_at")),
                      _fig(r.get("times")), _status(r.get("status"), TICKET_STATUS)))
                 for r in records(s.get("supervised")))
    return Table("supervised_tickets", "督办工单", _head("工单编号", "部门", "督办时间", "督办次数", "状态"), body)


def overdue_tickets(doc: Mapping[str, Any]) -> Table | None:
    s = _section(doc, "supervision")
    if s is None:
        return None
    body = tuple(Row((_text(r.get("ticket_id")), _dept(r.get("department")), _when(r.get("deadline")),
                      _fig(r.get("overdue_days"), "number"), _status(r.get("status"), TICKET_STATUS)))
                 for r in records(s.get("overdue")))
    return Table("overdue_tickets", "超期工单", _head("工单编号", "部门", "办理期限", "超期天数", "状态"), body)


# column key -> (header, kind), after 排名 | 部门
DEPARTMENT_COLUMNS: dict[str, tuple[str, Kind]] = {
    "dispatched": ("派单量", "count"), "completed": ("办结量", "count"),
    "completion_rate_pct": ("办结率(%)", "rate"), "on_time_pct": ("按期办结率(%)", "rate"),
    "avg_handling_workdays": ("平均办理时长(工作日)", "number"),
    "evaluation_response_rate_pct": ("参评率(%)", "rate"), "satisfaction_pct": ("满意率(%)", "rate"),
    "unsatisfied": ("不满意件", "count"), "supervised": ("督办件", "count"),
    "transferred_out": ("退单量", "count"), "overdue": ("超期件", "count"), "score": ("综合得分", "rate"),
}


def _weights_note(doc: Mapping[str, Any]) -> str | None:
    params = _parameters(doc)
    weights = block(params.get("weights"))
    parts = [f"{name}×{weights[k]:g}" for k, name in WEIGHTS.items() if number(weights.get(k)) is not None]
    notes = []
    if parts:
        notes.append(f"综合得分 = {' + '.join(parts)}（缺项的权重按比例分给其余各项）")
    if params.get("evaluations"):
        ev = str(params["evaluations"])
        notes.append(f"满意率：{EVALUATIONS.get(ev, ev)}")
    return "；".join(notes) or None


def departments(doc: Mapping[str, Any]) -> Table | None:
    d = _section(doc, "departments")
    if d is None:
        return None

    def figures(r: Mapping[str, Any]) -> tuple[Cell, ...]:
        return tuple(_fig(r.get(k), kind) for k, (_, kind) in DEPARTMENT_COLUMNS.items())

    body = [Row((_fig(r.get("rank")), _dept(r.get("department")), *figures(r))) for r in records(d.get("rows"))]
    total = d.get("total")
    if isinstance(total, dict):  # null in a department's brief: it sees its own row only
        body.append(Row((Cell(""), Cell(str(total.get("department") or CITY)), *figures(total))))
    header = _head("排名", "部门", *(name for name, _ in DEPARTMENT_COLUMNS.values()))
    return Table("departments", _title(d, "部门考核"), header, tuple(body), stub=2, note=_weights_note(doc))


_BUILDERS: dict[str, Callable[[Mapping[str, Any]], Table | None]] = {
    "summary": summary, "trend": trend, "hot_categories": hot_categories, "hot_subcategories": hot_subcategories,
    "surge_alerts": surge_alerts, "clusters": clusters, "pingpong_tickets": pingpong_tickets,
    "pingpong_pairs": pingpong_pairs, "unsatisfied": unsatisfied, "unsatisfied_tickets": unsatisfied_tickets,
    "supervision": supervision, "supervised_tickets": supervised_tickets, "overdue_tickets": overdue_tickets,
    "departments": departments,
}


def tables(doc: Mapping[str, Any]) -> list[Table]:
    """The document's tables in TABLE_NAMES order; the department assessment alone for
    `report: "departments"`."""
    names = ("departments",) if doc.get("report") == "departments" else TABLE_NAMES
    return [t for t in (_BUILDERS[n](doc) for n in names) if t is not None]


def heading(doc: Mapping[str, Any]) -> str:
    """"淮安市12345热线 2024年第25周（06-17至06-23）周报", "… 2024年6月月报",
    "… 部门考核 2024-06-01至2024-06-30"; a department's brief names it after 热线."""
    who = f"（{doc['department']}）" if doc.get("department") else ""
    head = f"{doc.get('city') or ''}12345热线{who}"
    period = block(doc.get("period"))
    lo, hi = str(period.get("from") or "?"), str(period.get("to") or "?")
    label = str(doc.get("label") or "")
    if doc.get("report") == "weekly" and (m := re.fullmatch(r"(\d{4})-W(\d{1,2})", label)):
        # The ISO year of the label, not of the Monday: 2025-W01 starts on 2024-12-30.
        return f"{head} {m[1]}年第{int(m[2])}周（{lo[5:]}至{hi[5:]}）周报"
    if doc.get("report") == "monthly" and (m := re.fullmatch(r"(\d{4})-(\d{1,2})", label)):
        return f"{head} {m[1]}年{int(m[2])}月月报"
    return f"{head} 部门考核 {lo}至{hi}"


def csv_zip(doc: Mapping[str, Any]) -> bytes:
    """The brief as a zip of one `<name>.csv` per table, with `coverage.txt` when the period is
    covered only in part."""
    return zip_of(tables(doc), coverage_files(doc))


def workbook(doc: Mapping[str, Any]) -> bytes:
    """The brief as an .xlsx workbook, one printable sheet per table."""
    # Imported when asked for: openpyxl takes a tenth of a second to import, which a JSON or CSV
    # answer need not pay.
    from services.api.render.xlsx import workbook_of

    return workbook_of(tables(doc), heading(doc), coverage_note(doc))
