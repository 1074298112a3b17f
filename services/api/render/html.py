"""The report as one self-contained printable HTML page: every table of tables.py as a real
<table> whose <caption> is its title, and two inline SVG charts (charts.py).

Nothing is fetched (no scripts, fonts, images or stylesheets), so the page opens offline and
prints the same everywhere. Every string from the report goes through html.escape: category and
department names come from event data. A compared figure prints its year-over-year beneath it
("↓ 8.77%"), the way the published tables print "1438746 (↓ 8.77%)". A report whose period holds
events only in part prints its coverage note under the meta lines. brief_page.py builds the brief's
page from the same pieces (CSS, opening, table_html, figure, coverage_html).
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from services.api.render import charts
from services.api.render.model import Cell, Table, arrow, coverage_note, display, heading, place
from services.api.render.tables import tables

# The page's sections, in the published report's order; a table not listed goes to the last one.
SECTIONS = (
    ("（一）企业群众诉求办理", ("demands", "calls")),
    ("（二）特色热线公共服务", ("talent_line", "linkage_110")),
    ("（三）热线服务效能", ("efficiency",)),
    ("（四）热线大数据", ("top_departments", "top_categories", "maishangyi_tags")),
    ("（五）月度诉求量与话务量", ("monthly",)),
    ("（六）报送数据", ("supplied",)),
)

CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "PingFang SC",
       "Microsoft YaHei", sans-serif; color: #222; margin: 24px auto; max-width: 1200px; padding: 0 16px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; border-bottom: 2px solid #2b6cb0; padding-bottom: 4px; }
.meta { color: #555; font-size: 13px; margin: 2px 0; }
table { border-collapse: collapse; margin: 12px 0 20px; font-size: 13px; }
caption { caption-side: top; text-align: left; white-space: nowrap; font-weight: bold; font-size: 15px; padding: 4px 0; }
th, td { border: 1px solid #888; padding: 4px 8px; vertical-align: middle; }
thead th { background: #dde6f0; text-align: center; }
tbody th { text-align: left; font-weight: normal; background: #f6f8fa; white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.empty { color: #888; text-align: center; }
.yoy { display: block; font-size: 11px; color: #666; }
.note { color: #555; font-size: 12px; margin: -14px 0 16px; }
figure { margin: 8px 0 20px; } figcaption { font-weight: bold; font-size: 15px; margin-bottom: 4px; }
section.supplied { background: #fffbea; border: 2px dashed #c9a227; padding: 4px 16px; }
.banner { font-weight: bold; color: #8a6d00; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { margin: 0; max-width: none; }
  section + section { break-before: page; page-break-before: always; }
  table, figure { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  thead th, tbody th, section.supplied { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
COVERAGE_STYLE = "color: #8a4b00; border-left: 4px solid #dd6b20; padding: 4px 10px; margin: 8px 0"


def esc(v: Any) -> str:
    """Any value as HTML text: names from events may hold markup."""
    return escape(str(v), quote=True)


def _spans(cell: Cell) -> str:
    return (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "") + \
           (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "")


def _td(c: int, cell: Cell, stub: int) -> str:
    if c < stub:
        return f'<th scope="row"{_spans(cell)}>{esc(display(cell, ""))}</th>'
    text = esc(display(cell))
    if cell.compared:
        text += f'<span class="yoy">{esc(arrow(cell.yoy))}</span>'
    cls = ' class="num"' if cell.kind != "text" else ""
    return f"<td{cls}{_spans(cell)}>{text}</td>"


def table_html(table: Table) -> str:
    """One table: <caption> is its title; header spans as colspan/rowspan."""
    head: list[list[str]] = [[] for _ in table.header]
    for r, _, cell in place(table.header):
        head[r].append(f'<th scope="col"{_spans(cell)}>{esc(cell.value or "")}</th>')
    body: list[list[str]] = [[] for _ in table.body]
    for r, c, cell in place([row.cells for row in table.body]):
        body[r].append(_td(c, cell, table.stub))
    if not body:
        body = [[f'<td colspan="{table.width}" class="empty">无数据</td>']]
    out = [f'<table id="t-{esc(table.name)}"><caption>{esc(table.title)}</caption><thead>',
           *(f"<tr>{''.join(row)}</tr>" for row in head), "</thead><tbody>",
           *(f"<tr>{''.join(row)}</tr>" for row in body), "</tbody></table>"]
    if table.note:
        out.append(f'<p class="note">{esc(table.note)}</p>')
    if table.footnote:
        # <strong>, not a new CSS rule: a page without footnotes stays byte for byte the same.
        out.append(f'<p class="note footnote"><strong>{esc(table.footnote)}</strong></p>')
    return "".join(out)


def figure(caption: str, svg: str) -> str:
    """A chart under its caption."""
    return f"<figure><figcaption>{esc(caption)}</figcaption>{svg}</figure>"


def coverage_html(doc: Mapping[str, Any]) -> str | None:
    """The coverage note ("本期数据不完整：…") as a paragraph under the meta lines, or None.
    Styled in place, not by a rule in CSS: a page without the note stays byte for byte the same."""
    note = coverage_note(doc)
    return None if note is None else f'<p class="coverage" style="{COVERAGE_STYLE}"><strong>{esc(note)}</strong></p>'


def opening(title: str) -> list[str]:
    """The lines that open a page, up to <body>: the title and the one stylesheet, inline."""
    return ['<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"]


def _meta(report: Mapping[str, Any]) -> list[str]:
    period = report.get("period") if isinstance(report.get("period"), dict) else {}
    params = report.get("parameters") if isinstance(report.get("parameters"), dict) else {}
    sl = params.get("service_level") if isinstance(params.get("service_level"), dict) else {}
    previous = period.get("previous") if isinstance(period.get("previous"), dict) else None
    compared = "与上年同期相比（小字为同比增减）" if previous and previous.get("has_data") else "无上年同期数据，不列同比"
    lines = [
        f"统计期间：{period.get('from', '-')} 至 {period.get('to', '-')}（{report.get('timezone', '-')}）；"
        f"生成时间：{report.get('generated_at', '-')}",
        f"人工接通率口径：{sl.get('threshold_s', '-')} 秒内接通，分母 {sl.get('denominator', '-')}，"
        f"短时放弃 {sl.get('short_abandon_s', '-')} 秒；热线服务效能范围：{params.get('efficiency_scope', '-')}；"
        f"TOP 表行数：{params.get('top_n', '-')}；同比：{compared}",
    ]
    return [f'<p class="meta">{esc(line)}</p>' for line in lines]


def page(report: Mapping[str, Any]) -> str:
    """The whole report as an HTML document (str; serve it as UTF-8)."""
    title = f"{heading(report)}工作情况"
    by_name = {t.name: t for t in tables(report)}
    placed = {n for _, names in SECTIONS for n in names}
    sections = [(h, list(names)) for h, names in SECTIONS]
    sections[-1][1].extend(n for n in by_name if n not in placed)
    coverage = coverage_html(report)
    out = [*opening(title), f"<header><h1>{esc(title)}</h1>", *_meta(report),
           *([coverage] if coverage else []), "</header>"]
    for h, names in sections:
        present = [by_name[n] for n in names if n in by_name]
        if not present:
            continue
        supplied = any(t.supplied for t in present)
        out.append(f"<section{' class=supplied' if supplied else ''}><h2>{esc(h)}</h2>")
        if supplied:
            out.append('<p class="banner">以下为报表编制人报送的数据，非由事件流计算。</p>')
        for t in present:
            if t.name == "monthly":
                out.append(figure(f"{t.title}（柱：诉求量，线：人工接听话务量）", charts.monthly_chart(report)))
            out.append(table_html(t))
            if t.name == "top_categories":
                out.append(figure(f"{t.title}占比(%)", charts.category_chart(report)))
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out)
