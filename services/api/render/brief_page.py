"""The brief (周报、月报、部门考核) as one self-contained printable HTML page, in the annual
page's style (html.py: its stylesheet, tables and figures): the heading, what the figures are
over, the coverage note when the period is covered only in part, then the sections, each table
as a real <table>, with the daily trend and the department ranking as inline SVG charts.

Nothing is fetched and nothing runs (no scripts, fonts, images or stylesheets). Every string from
the document is escaped: category, place and department names come from event data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.api.render import charts
from services.api.render.brief_tables import EVALUATIONS, UNSATISFIED_ON, WEIGHTS, heading, moment, tables
from services.api.render.html import coverage_html, esc, figure, opening, table_html
from services.api.render.model import Table, block, number

# The page's sections and their tables; a section without any table (a department's brief has
# no clusters) is left out and the numbering closes up.
SECTIONS = (
    ("本期概况", ("summary", "trend")),
    ("热点诉求", ("hot_categories", "hot_subcategories", "surge_alerts")),
    ("集中诉求", ("clusters",)),
    ("推诿扯皮", ("pingpong_tickets", "pingpong_pairs")),
    ("不满意工单", ("unsatisfied", "unsatisfied_tickets")),
    ("督办与超期", ("supervision", "supervised_tickets", "overdue_tickets")),
    ("部门考核", ("departments",)),
)
NUMERALS = "一二三四五六七八九十"

TREND_CAPTION = "（柱：诉求量，阴影：预期区间，虚线：预期）"
RANKING_CAPTION = "部门综合得分排名"


def _span(p: Mapping[str, Any]) -> str:
    return f"{p.get('from', '-')} 至 {p.get('to', '-')}"


def _comparisons(period: Mapping[str, Any]) -> str | None:
    parts = []
    for key, name in (("previous", "环比：上期"), ("last_year", "同比：去年同期")):
        p = period.get(key)
        if isinstance(p, dict):
            parts.append(f"{name} {_span(p)}{'' if p.get('has_data', True) else '（无数据，不计增减）'}")
    return "；".join(parts) or None


def _parameters(doc: Mapping[str, Any]) -> str | None:
    params = block(doc.get("parameters"))
    parts = []
    if params.get("unsatisfied_on"):
        on = str(params["unsatisfied_on"])
        parts.append(f"不满意口径：{UNSATISFIED_ON.get(on, on)}")
    if params.get("evaluations"):
        ev = str(params["evaluations"])
        parts.append(f"评价计数：{EVALUATIONS.get(ev, ev)}")
    weights = block(params.get("weights"))
    if weights:
        parts.append("综合得分权重：" + "，".join(
            f"{name} {weights[k]:g}" for k, name in WEIGHTS.items() if number(weights.get(k)) is not None))
    sl = block(params.get("service_level"))
    if sl:
        parts.append(f"人工接通率：{sl.get('threshold_s', '-')} 秒内接通，分母 {sl.get('denominator', '-')}")
    if params.get("top_n") is not None:
        parts.append(f"热点诉求每级至多 {params['top_n']} 行")
    return "；".join(parts) or None


def _meta(doc: Mapping[str, Any]) -> list[str]:
    period = block(doc.get("period"))
    as_of = moment(period.get("as_of")) or "-"
    lines = [f"统计期间：{_span(period)}（{doc.get('timezone', '-')}）；数据截至：{as_of}；"
             f"生成时间：{doc.get('generated_at', '-')}"]
    lines += [line for line in (_comparisons(period), _parameters(doc)) if line]
    return [f'<p class="meta">{esc(line)}</p>' for line in lines]


def _drawn(doc: Mapping[str, Any], t: Table) -> list[str]:
    # A chart stands before the table it draws.
    if t.name == "trend":
        return [figure(f"{t.title}{TREND_CAPTION}", charts.trend_chart(doc)), table_html(t)]
    if t.name == "departments":
        return [figure(RANKING_CAPTION, charts.ranking_chart(doc)), table_html(t)]
    return [table_html(t)]


def page(doc: Mapping[str, Any]) -> str:
    """The brief as an HTML document (str; serve it as UTF-8)."""
    title = heading(doc)
    by_name = {t.name: t for t in tables(doc)}
    coverage = coverage_html(doc)
    out = [*opening(title), f"<header><h1>{esc(title)}</h1>", *_meta(doc),
           *([coverage] if coverage else []), "</header>"]
    n = 0
    for name, names in SECTIONS:
        present = [by_name[k] for k in names if k in by_name]
        if not present:
            continue
        out.append(f"<section><h2>（{NUMERALS[n]}）{esc(name)}</h2>")
        n += 1
        for t in present:
            out.extend(_drawn(doc, t))
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)
