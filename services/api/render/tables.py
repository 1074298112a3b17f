"""The report's tables as plain data, laid out like the published 附件1: the one place layouts live.

A Table is a title, header rows and body rows of Cells with spans in HTML semantics (a cell
covered by a span from above or the left is left out of its row), so an Excel merge and an HTML
colspan come from the same Cell; csv_out, xlsx and html only draw it. Every figure may be missing
(None) and every optional block (`yoy_pct`, `tags`, `monthly`, `supplied`) may be absent: a table
is still built, with None where the figure would be. Labels come from the report dict; the
published group headers it does not carry ("诉求来源 (件)", ...) are written here, and the
labels of services/api/report/labels.py stand in for a `columns` entry the dict lacks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from services.api.render.model import YOY_LABEL, Cell, Kind, Row, Table  # noqa: F401 - YOY_LABEL re-exported
from services.api.render.model import block as _dict
from services.api.render.model import number as _num
from services.api.render.model import records as _ranked
from services.api.report import labels as L
from services.api.report.errors import UnknownTable

TABLE_NAMES = ("demands", "calls", "talent_line", "linkage_110", "efficiency", "top_departments",
               "top_categories", "maishangyi_tags", "monthly", "supplied")


# ---- building blocks ---------------------------------------------------------------------------

def _fig(src: Mapping[str, Any] | None, key: str, kind: Kind,
         yoys: Mapping[str, Any] | None = None, ykey: str | None = None) -> Cell:
    """A figure; compared when the table has a yoy block and this figure has a key in its style."""
    value = _num((src or {}).get(key))
    if yoys is None or ykey is None:
        return Cell(value, kind)
    return Cell(value, kind, compared=True, yoy=_num(yoys.get(ykey)))


NA = Cell("")  # a figure that does not apply to this row, unlike None ("no data")


def _yoys(block: Mapping[str, Any]) -> dict[str, Any] | None:
    # None: the report has no previous year for this table, so nothing is compared.
    return block["yoy_pct"] if isinstance(block.get("yoy_pct"), dict) else None


def _threshold(report: Mapping[str, Any]) -> int:
    return _dict(_dict(report.get("parameters")).get("service_level")).get("threshold_s", 30)


def _header(stub: Sequence[str], cols: Sequence[tuple[str, str | None]],
            names: Mapping[str, str]) -> tuple[tuple[Cell, ...], ...]:
    """Header rows from (column key, group header or None): one row, or two when a group is set;
    a grouped column shows the part of its label after "·" ("在线解答·民生接听员" -> 民生接听员)."""
    depth = 2 if any(g for _, g in cols) else 1
    top = [Cell(s, rowspan=depth) for s in stub]
    sub: list[Cell] = []
    i = 0
    while i < len(cols):
        key, group = cols[i]
        if group is None:
            top.append(Cell(names.get(key, key), rowspan=depth))
            i += 1
            continue
        n = next((j for j in range(i, len(cols)) if cols[j][1] != group), len(cols)) - i
        top.append(Cell(group, colspan=n))
        sub.extend(Cell(names.get(k, k).split("·")[-1]) for k, _ in cols[i:i + n])
        i += n
    return (tuple(top), tuple(sub)) if depth == 2 else (tuple(top),)


def _names(block: Mapping[str, Any], fallback: Mapping[str, str]) -> dict[str, str]:
    return {**fallback, **_dict(block.get("columns"))}


# ---- the tables ----------------------------------------------------------------------------------

_SPLIT = (("total", None), ("phone", "诉求来源 (件)"), ("internet", "诉求来源 (件)"),
          ("transfer_in", "诉求来源 (件)"))


def demands(report: Mapping[str, Any]) -> Table:
    d = _dict(report.get("demands"))
    yoys = _yoys(d)
    cols = (*_SPLIT, ("online_agent", "在线解答 (件)"), ("online_specialist", "在线解答 (件)"),
            ("department", None), ("overall_satisfaction_pct", None), ("completion_rate_pct", None))
    rows_in = d.get("rows") if isinstance(d.get("rows"), dict) else {k: {} for k in L.DEMAND_ROWS}
    body = []
    for key, row in rows_in.items():
        row, ry = _dict(row), None if yoys is None else _dict(yoys.get(key))
        cells = [Cell(row.get("label") or L.DEMAND_ROWS.get(key, key))]
        cells += [_fig(row, k, "count", ry, k) for k, _ in cols[:7]]
        # Satisfaction and completion are over all demands: the 总计 row holds them.
        if key == "all":
            cells += [_fig(d, "overall_satisfaction_pct", "rate", yoys, "overall_satisfaction"),
                      _fig(d, "completion_rate_pct", "rate", yoys, "completion_rate")]
        else:
            cells += [NA, NA]
        body.append(Row(tuple(cells)))
    return Table("demands", d.get("label") or L.DEMANDS,
                 _header(("诉求类别",), cols, _names(d, L.DEMAND_COLUMNS)), tuple(body))


def calls(report: Mapping[str, Any]) -> Table:
    c = _dict(report.get("calls"))
    n = _threshold(report)
    sl = f"service_level_{n}s"
    yoys = _yoys(c)
    # column key -> per row: (the row's key for the figure, its yoy key in the assembler's style or
    # None when it computes none); a row not listed has no such figure (printed "-" as published)
    cols: dict[str, tuple[Kind, dict[str, tuple[str, str | None]]]] = {
        "answered": ("count", {"inbound": ("answered", "inbound_answered"),
                               "outbound": ("count", "outbound_count"), "all": ("count", "all_count")}),
        f"{sl}_pct": ("rate", {"inbound": (f"{sl}_pct", sl)}),
        "avg_wait_s": ("number", {"inbound": ("avg_wait_s", "avg_wait_s")}),
        "avg_talk_s": ("number", {r: ("avg_talk_s", f"{r}_avg_talk_s") for r in L.CALL_ROWS}),
        "over_10min_pct": ("rate", {r: ("over_10min_pct", f"{r}_over_10min") for r in L.CALL_ROWS}),
        "offered": ("count", {"inbound": ("offered", "inbound_offered")}),
        "abandoned": ("count", {"inbound": ("abandoned", "inbound_abandoned")}),
        "answer_rate_pct": ("rate", {"inbound": ("answer_rate_pct", "answer_rate")}),
        "longest_talk_s": ("number", {"inbound": ("longest_talk_s", "inbound_longest_talk_s"),
                                      "outbound": ("longest_talk_s", None), "all": ("longest_talk_s", None)}),
    }
    body = []
    for r, fallback in L.CALL_ROWS.items():
        row = _dict(c.get(r))
        cells = [Cell(row.get("label") or fallback)]
        for kind, per_row in cols.values():
            src, ykey = per_row.get(r, (None, None))
            cells.append(Cell(None, kind) if src is None else _fig(row, src, kind, yoys, ykey))
        body.append(Row(tuple(cells)))
    names = _names(c, L.call_columns(n))
    return Table("calls", c.get("label") or L.CALLS,
                 _header(("话务类别",), [(k, None) for k in cols], names), tuple(body))


def talent_line(report: Mapping[str, Any]) -> Table:
    t = _dict(report.get("talent_line"))
    yoys = _yoys(t)
    cols = (*_SPLIT, ("online_agent", "在线答复 (件)"), ("online_specialist", "在线答复 (件)"), ("department", None))
    cells = [Cell("人才服务诉求")] + [_fig(t, k, "count", yoys, k) for k, _ in cols]
    return Table("talent_line", t.get("label") or L.TALENT_LINE,
                 _header(("类别",), cols, _names(t, L.TALENT_COLUMNS)), (Row(tuple(cells)),),
                 note="仅列出由事件计算的诉求量；人数、政务信息与问答数不在事件中。")


def linkage_110(report: Mapping[str, Any]) -> Table:
    k = _dict(report.get("linkage_110"))
    yoys = _yoys(k)
    g1, g2 = "“双号”互转诉求量 (件)", "12345办理警单情况 (%)"
    cols = (("transfers_total", g1), ("to_110", g1), ("from_110", g1),
            ("from_110_on_time_completion_pct", g2), ("from_110_satisfaction_pct", g2))
    cells = [Cell("12345与110联动")] + [
        _fig(k, key, "rate" if key.endswith("_pct") else "count", yoys, key.removesuffix("_pct")) for key, _ in cols]
    return Table("linkage_110", k.get("label") or L.LINKAGE_110,
                 _header(("类别",), cols, _names(k, L.LINKAGE_COLUMNS)), (Row(tuple(cells)),))


def efficiency(report: Mapping[str, Any]) -> Table:
    e = _dict(report.get("efficiency"))
    yoys = _yoys(e)
    evaluation = ("evaluation_requests", "evaluation_responses", "evaluation_response_rate_pct",
                  "agent_service_satisfaction_pct", "resolution_satisfaction_pct")
    cols = (("count", None), ("avg_handling_workdays", None), ("completed", None),
            *((k, "办理评价") for k in evaluation))
    body = []
    for kind, fallback in L.KINDS.items():
        row = _dict(e.get(kind))
        body.append(Row((Cell(row.get("label") or fallback), _fig(row, "count", "count", yoys, f"{kind}_count"),
                         _fig(row, "avg_handling_workdays", "number", yoys, f"{kind}_avg_handling"),
                         _fig(row, "completed", "count"), *(NA for _ in evaluation))))
    # The evaluation figures are over both kinds together (the published table merges them).
    body.append(Row((Cell("合计"), NA, NA, NA, *(
        _fig(e, k, "rate" if k.endswith("_pct") else "count", yoys, k.removesuffix("_pct")) for k in evaluation))))
    scope = {"all": "全部诉求", "dispatched": "部门办理诉求"}.get(str(e.get("scope")), None)
    # Completed tickets whose handling time is pending are not in the average: say how many, under
    # the table (a report made before `handling_pending` existed has none to say).
    pending = {kind: _num(_dict(e.get(kind)).get("handling_pending")) or 0 for kind in L.KINDS}
    return Table("efficiency", e.get("label") or L.EFFICIENCY,
                 _header(("承办诉求类型",), cols, _names(e, L.EFFICIENCY_COLUMNS)), tuple(body),
                 note=f"统计范围：{scope}" if scope else None,
                 footnote=L.handling_pending_note(pending) if any(n > 0 for n in pending.values()) else None)


def _rank_cells(r: Mapping[str, Any], name: str) -> list[Cell]:
    # A row's yoy_pct is there only when the report has a previous year.
    ry = {"count": r.get("yoy_pct")} if "yoy_pct" in r else None
    return [Cell(str(r.get(name) or "")), _fig(r, "count", "count", ry, "count"), _fig(r, "share_pct", "rate")]


def top_departments(report: Mapping[str, Any]) -> Table:
    t = _dict(report.get("top_departments"))
    n = _dict(report.get("parameters")).get("top_n", 5)
    body = [Row(tuple(_rank_cells(r, "department"))) for r in _ranked(t.get("rows"))]
    body.append(Row((Cell("部门办理总量"), _fig(t, "dispatched_total", "count"), NA)))
    header = ((Cell("部门"), Cell("诉求量(件)"), Cell("占部门办理量(%)")),)
    return Table("top_departments", t.get("label") or L.top_departments(n), header, tuple(body))


def top_categories(report: Mapping[str, Any]) -> Table:
    t = _dict(report.get("top_categories"))
    n = _dict(report.get("parameters")).get("top_n", 5)
    body = []
    for kind, label in (*L.KINDS.items(), ("all", "总计")):
        rows = _ranked(t.get(kind))
        for i, r in enumerate(rows):
            first = (Cell(label, rowspan=len(rows)),) if i == 0 else ()
            body.append(Row((*first, *_rank_cells(r, "category"))))
    header = ((Cell("承办诉求类型"), Cell("诉求类型"), Cell("诉求量(件)"), Cell("占比(%)")),)
    return Table("top_categories", t.get("label") or L.top_categories(n), header, tuple(body), stub=2)


def maishangyi_tags(report: Mapping[str, Any]) -> Table:
    m, t = _dict(report.get("maishangyi_demands")), _dict(report.get("tags"))
    ml, tl = m.get("label") or L.MAISHANGYI, t.get("label") or L.TAGS
    body = [Row((Cell(ml, colspan=2), _fig(m, "count", "count", _yoys(m), "count"), NA))]
    rows, yoys = _ranked(t.get("rows")), _yoys(t)
    for i, r in enumerate(rows):
        first = (Cell(tl, rowspan=len(rows)),) if i == 0 else ()
        label = r.get("label") or L.TAG_LABELS.get(str(r.get("tag")), str(r.get("tag") or ""))
        body.append(Row((*first, Cell(str(label)), _fig(r, "count", "count", yoys, str(r.get("tag"))),
                         _fig(r, "share_pct", "rate"))))
    header = ((Cell("类别"), Cell("标签"), Cell("诉求量(件)"), Cell("占诉求总量(%)")),)
    return Table("maishangyi_tags", f"{ml}与{tl}", header, tuple(body), stub=2)


def monthly(report: Mapping[str, Any]) -> Table:
    m = _dict(report.get("monthly"))
    n = _threshold(report)
    cols: tuple[tuple[str, Kind], ...] = (("demands", "count"), ("calls_answered", "count"), ("service_level_pct", "rate"))
    if report.get("department") is not None:  # a department's report has no call figures
        cols = cols[:1]
    names = _names(m, L.monthly_columns(n))
    body = [Row((Cell(str(r.get("month") or "")), *(_fig(r, k, kind) for k, kind in cols)))
            for r in _ranked(m.get("rows"))]
    header = (tuple(Cell(names[k]) for k in ("month", *(k for k, _ in cols))),)
    return Table("monthly", m.get("label") or L.MONTHLY, header, tuple(body))


def _paths(tree: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _paths(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from _paths(v, f"{prefix}[{i}]")
    else:
        yield prefix, tree


def supplied(report: Mapping[str, Any]) -> Table:
    s = _dict(report.get("supplied"))
    body = []
    for path, v in _paths(s.get("figures") or {}):
        value = _num(v)
        body.append(Row((Cell(path), Cell(value, "number") if value is not None or v is None else Cell(str(v)))))
    by = s.get("supplied_by") or s.get("source") or "report_builder"
    note = f"报表编制人报送，非由事件流计算；报送方：{by}；更新时间：{s.get('updated_at') or '-'}"
    return Table("supplied", s.get("label") or L.SUPPLIED, ((Cell("项目"), Cell("数值")),), tuple(body),
                 note=note, supplied=True)


_BUILDERS = {"demands": demands, "calls": calls, "talent_line": talent_line, "linkage_110": linkage_110,
             "efficiency": efficiency, "top_departments": top_departments, "top_categories": top_categories,
             "maishangyi_tags": maishangyi_tags, "monthly": monthly, "supplied": supplied}


# Tables a report may lack: `supplied` when nothing was supplied, `calls` in a department's report.
_OPTIONAL = ("supplied", "calls")


def tables(report: Mapping[str, Any]) -> list[Table]:
    """Every table in TABLE_NAMES order; an optional one only when the report carries it."""
    return [_BUILDERS[name](report) for name in TABLE_NAMES
            if name not in _OPTIONAL or report.get(name) is not None]


def table(report: Mapping[str, Any], name: str) -> Table:
    """One table; UnknownTable (404) for a name not in TABLE_NAMES or a report without it."""
    if name not in TABLE_NAMES:
        raise UnknownTable("table", f"unknown table; the tables are {', '.join(TABLE_NAMES)}")
    if name in _OPTIONAL and report.get(name) is None:
        raise UnknownTable("table", f"this report has no {name} table")
    return _BUILDERS[name](report)
