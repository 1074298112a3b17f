"""The brief's tables (render/brief_tables.py) on tests/fixtures/brief-example.json and
brief-department.json: names, titles, headers and every cell as printed. The expected cells are
copied from the fixture files by eye, not recomputed."""

from __future__ import annotations

import copy
from typing import Any

from services.api.render import brief_tables
from services.api.render.model import Table, display

TITLES = {
    "summary": "本期概况", "trend": "每日诉求量与预期区间", "hot_categories": "热点诉求(类别)",
    "hot_subcategories": "热点诉求(子类)", "surge_alerts": "激增预警", "clusters": "集中诉求",
    "pingpong_tickets": "推诿扯皮工单", "pingpong_pairs": "推诿部门对", "unsatisfied": "不满意工单(按部门)",
    "unsatisfied_tickets": "不满意工单清单", "supervision": "督办与超期(按部门)", "supervised_tickets": "督办工单",
    "overdue_tickets": "超期工单", "departments": "部门考核",
}
DEPARTMENT_HEADER = ["排名", "部门", "派单量", "办结量", "办结率(%)", "按期办结率(%)", "平均办理时长(工作日)",
                     "参评率(%)", "满意率(%)", "不满意件", "督办件", "退单量", "超期件", "综合得分"]
ZHUJIAN = ["市住建局", "812", "701", "86.33", "80.30", "3.214", "74.20", "90.56", "2", "1", "9", "1", "86.21"]


def by_name(doc: dict[str, Any]) -> dict[str, Table]:
    return {t.name: t for t in brief_tables.tables(doc)}


def header(t: Table) -> list[Any]:
    return [c.value for c in t.header[0]]


def printed(t: Table) -> list[list[str]]:
    """Every body cell as the HTML and CSV print it."""
    return [[display(c) for c in row.cells] for row in t.body]


# ---- the set of tables and the heading ---------------------------------------------------------

def test_names_and_titles_in_page_order(doc):
    ts = brief_tables.tables(doc)
    assert [t.name for t in ts] == list(TITLES)
    assert {t.name: t.title for t in ts} == TITLES


def test_headings():
    city = {"city": "淮安市", "period": {"from": "2024-06-17", "to": "2024-06-23"}}
    assert brief_tables.heading({**city, "report": "weekly", "label": "2024-W25"}) == \
        "淮安市12345热线 2024年第25周（06-17至06-23）周报"
    assert brief_tables.heading({**city, "report": "weekly", "label": "2024-W25", "department": "市住建局"}) == \
        "淮安市12345热线（市住建局） 2024年第25周（06-17至06-23）周报"
    # The ISO year of the label, though the week starts in December.
    assert brief_tables.heading({"city": "淮安市", "report": "weekly", "label": "2025-W01",
                                 "period": {"from": "2024-12-30", "to": "2025-01-05"}}) == \
        "淮安市12345热线 2025年第1周（12-30至01-05）周报"
    assert brief_tables.heading({"city": "淮安市", "report": "monthly", "label": "2024-06",
                                 "period": {"from": "2024-06-01", "to": "2024-06-30"}}) == \
        "淮安市12345热线 2024年6月月报"
    assert brief_tables.heading({"city": "淮安市", "report": "departments",
                                 "period": {"from": "2024-06-01", "to": "2024-06-30"}}) == \
        "淮安市12345热线 部门考核 2024-06-01至2024-06-30"


# ---- each table --------------------------------------------------------------------------------

def test_summary(doc):
    t = by_name(doc)["summary"]
    assert header(t) == ["指标", "本期", "上期", "环比(%)", "去年同期", "同比(%)"]
    assert printed(t) == [
        ["诉求总量", "8421", "8012", "5.10", "7650", "10.08"],
        ["电话", "6215", "5987", "3.81", "5802", "7.12"],
        ["互联网", "1876", "1702", "10.22", "1566", "19.80"],
        ["承办转办", "330", "323", "2.17", "282", "17.02"],
        ["民声接听员在线解答", "4630", "4480", "3.35", "4301", "7.65"],
        ["政策专员在线解答", "512", "498", "2.81", "455", "12.53"],
        ["部门办理", "3279", "3034", "8.08", "2894", "13.30"],
        ["呼入话务量", "7105", "6893", "3.08", "6710", "5.89"],
        ["人工接听话务量", "6702", "6420", "4.39", "6188", "8.31"],
        ["接通率(%)", "94.33", "93.14", "1.28", "92.22", "2.29"],
        ["30秒人工接通率(%)", "88.75", "86.40", "2.72", "85.10", "4.29"],
    ]
    # Counts are counts (0 decimals in Excel), rates and changes rates (2 decimals).
    assert [c.kind for c in t.body[0].cells[1:]] == ["count", "count", "rate", "count", "rate"]
    assert [c.kind for c in t.body[9].cells[1:]] == ["rate"] * 5
    assert t.note == "上期：2024-06-10至2024-06-16；去年同期：2023-06-19至2023-06-25"


def test_summary_without_a_comparison_period(doc):
    doc["period"]["last_year"]["has_data"] = False
    for row in doc["summary"]["rows"]:
        row["last_year"] = row["yoy_pct"] = None
    t = by_name(doc)["summary"]
    assert printed(t)[0] == ["诉求总量", "8421", "8012", "5.10", "-", "-"]
    assert t.note == "上期：2024-06-10至2024-06-16；去年同期：2023-06-19至2023-06-25（无数据，不计增减）"


def test_trend(doc):
    t = by_name(doc)["trend"]
    assert header(t) == ["日期", "工作日/休息日", "诉求量", "预期", "下限", "上限"]
    assert printed(t) == [
        ["2024-06-17", "工作日", "1350", "1240.5", "1120.5", "1360.5"],
        ["2024-06-18", "工作日", "1298", "1240.5", "1120.5", "1360.5"],
        ["2024-06-19", "工作日", "1402", "1240.5", "1120.5", "1360.5"],
        ["2024-06-20", "工作日", "1311", "1240.5", "1120.5", "1360.5"],
        ["2024-06-21", "工作日", "1275", "1240.5", "1120.5", "1360.5"],
        ["2024-06-22", "休息日", "890", "845.25", "765.25", "925.25"],
        ["2024-06-23", "休息日", "895", "845.25", "765.25", "925.25"],
    ]
    assert t.note == ("预期区间：基线 2024-05-20至2024-06-16（28天）中同类日（工作日或休息日）的均值，"
                      "上下限为均值 ∓ 2 × max(标准差, √均值)")


def test_trend_days_without_a_band(doc):
    doc["trend"]["baseline"] = None
    for d in doc["trend"]["days"]:
        d["expected"] = d["low"] = d["high"] = None
    t = by_name(doc)["trend"]
    assert printed(t)[0] == ["2024-06-17", "工作日", "1350", "-", "-", "-"]
    assert t.note == "无基线数据：不列预期区间"


def test_hot_categories_and_subcategories(doc):
    ts = by_name(doc)
    cats, subs = ts["hot_categories"], ts["hot_subcategories"]
    assert header(cats) == ["排名", "类别", "本期", "预期", "超出", "倍数"] and cats.stub == 2
    assert printed(cats) == [["1", "住房保障", "612", "498.35", "113.65", "1.23"],
                             ["2", "城乡建设", "455", "392.1", "62.9", "1.16"],
                             ["3", "交通运输", "380", "341.27", "38.73", "1.11"]]
    assert header(subs) == ["排名", "类别", "子类", "本期", "预期", "超出", "倍数"] and subs.stub == 3
    assert printed(subs) == [["1", "住房保障", "物业管理", "301", "212.4", "88.6", "1.42"],
                             ["2", "城乡建设", "噪音扰民", "140", "98.55", "41.45", "1.42"],
                             ["3", "交通运输", "出租车管理", "96", "80.12", "15.88", "1.2"]]
    assert cats.footnote is None and subs.footnote is None


def test_hot_without_baseline_says_so_in_every_format(doc):
    note = "无基线数据：本期不做热点排名"
    doc["hot"].update(note=note, categories=[], subcategories=[])
    ts = by_name(doc)
    assert ts["hot_categories"].body == () and ts["hot_subcategories"].body == ()
    # A footnote (not a note): CSV prints it too.
    assert ts["hot_categories"].footnote == note and ts["hot_subcategories"].footnote == note


def test_surge_alerts(doc):
    t = by_name(doc)["surge_alerts"]
    assert header(t) == ["预警编号", "类别", "子类", "区县", "开始时间", "发现时间", "结束时间", "状态",
                         "实际量", "预期量", "评分"]
    assert printed(t) == [
        ["al-surge-3f9c0a12b7d4e5f60718", "住房保障", "", "清江浦区", "2024-06-18 09:00", "2024-06-18 14:00",
         "2024-06-21 10:00", "已结束", "64", "21.5", "8.73"],
        # A series without a district is city-wide.
        ["al-surge-a1b2c3d4e5f607182930", "", "噪音扰民", "全市", "2024-06-20 19:00", "2024-06-20 23:00",
         "-", "持续中", "31", "9.8", "6.12"],
    ]


def test_clusters(doc):
    t = by_name(doc)["clusters"]
    assert header(t) == ["预警编号", "地点", "地点类型", "区县", "子类", "工单数", "来电人数", "状态", "开始时间",
                         "发现时间", "结束时间"]
    assert printed(t) == [
        ["al-cluster-9a8b7c6d5e4f30211203", "8931aa42a3bffff", "网格(H3)", "清江浦区", "噪音扰民", "7", "6",
         "持续中", "2024-06-19 22:10", "2024-06-20 23:05", "-"],
        ["al-cluster-0f1e2d3c4b5a69788796", "王营镇长江路社区", "社区", "淮阴区", "供水", "5", "5", "已结束",
         "2024-06-17 07:40", "2024-06-17 11:20", "2024-06-19 12:00"],
    ]


def test_pingpong_tickets_and_pairs(doc):
    ts = by_name(doc)
    tickets, pairs = ts["pingpong_tickets"], ts["pingpong_pairs"]
    assert header(tickets) == ["预警编号", "工单编号", "流转部门", "派单次数", "退单次数", "状态", "开始时间",
                               "发现时间"]
    assert printed(tickets) == [
        ["al-pingpong-5c4b3a2918f7e6d5c4b3", "HA20240618-00731", "市住建局→市城管局→市住建局", "3", "2", "持续中",
         "2024-06-18 10:12", "2024-06-20 09:30"],
        ["al-pingpong-6d5c4b3a2918f7e6d5c4", "HA20240619-01102", "清江浦区政府→市生态环境局→清江浦区政府→市生态环境局",
         "4", "3", "已结束", "2024-06-19 15:03", "2024-06-21 16:45"],
    ]
    assert [(c.value, c.colspan) for c in pairs.header[0]] == [("部门对", 2), ("工单数", 1)]
    assert pairs.width == 3 and pairs.stub == 2
    assert printed(pairs) == [["市住建局", "市城管局", "1"], ["市生态环境局", "清江浦区政府", "1"]]
    assert pairs.footnote == ("部门间转办异常上升预警：市住建局→市城管局 实际 6，预期 1.2"
                              "（持续中，发现于 2024-06-21 11:00，al-pingpong-7e6d5c4b3a2918f7e6d5）")


def test_unsatisfied(doc):
    ts = by_name(doc)
    t, tickets = ts["unsatisfied"], ts["unsatisfied_tickets"]
    assert header(t) == ["部门", "一次不满意", "二次不满意", "合计"]
    assert printed(t) == [["市住建局", "1", "1", "2"], ["市城管局", "1", "0", "1"], ["（未派单）", "1", "0", "1"],
                          ["合计", "3", "1", "4"]]
    assert t.note == ("不满意：问题解决评价为“不满意”；"
                      "一次不满意由部门分管负责人签发答复，二次不满意由部门主要负责人签发")
    assert header(tickets) == ["工单编号", "部门", "不满意等级", "不满意评价次数", "最近评价时间", "状态"]
    assert printed(tickets) == [
        ["HA20240617-00215", "市住建局", "二次不满意", "2", "2024-06-21 16:20", "未办结"],
        ["HA20240618-00488", "市住建局", "一次不满意", "1", "2024-06-19 10:05", "已办结"],
        ["HA20240619-00930", "市城管局", "一次不满意", "1", "2024-06-20 15:42", "已办结"],
        ["HA20240620-01377", "（未派单）", "一次不满意", "1", "2024-06-21 09:12", "已办结"],
    ]


def test_supervision_and_overdue(doc):
    ts = by_name(doc)
    assert header(ts["supervision"]) == ["部门", "督办件", "超期件"]
    assert printed(ts["supervision"]) == [["市住建局", "1", "1"], ["市交通运输局", "0", "1"], ["合计", "1", "2"]]
    assert ts["supervision"].note == "超期：截至 2024-06-24 00:00 已过办理期限仍未办结的派单工单（不论创建时间）"
    assert header(ts["supervised_tickets"]) == ["工单编号", "部门", "督办时间", "督办次数", "状态"]
    assert printed(ts["supervised_tickets"]) == [["HA20240617-00215", "市住建局", "2024-06-20 11:00", "1", "未办结"]]
    assert header(ts["overdue_tickets"]) == ["工单编号", "部门", "办理期限", "超期天数", "状态"]
    assert printed(ts["overdue_tickets"]) == [
        ["HA20240611-00342", "市住建局", "2024-06-19 17:30", "4.27", "未办结"],
        ["HA20240613-00876", "市交通运输局", "2024-06-21 17:30", "2.27", "未办结"],
    ]


def test_departments(doc):
    t = by_name(doc)["departments"]
    assert header(t) == DEPARTMENT_HEADER and t.stub == 2
    assert printed(t) == [
        ["1", "市公安局", "640", "623", "97.34", "96.56", "1.432", "75.21", "98.00", "0", "0", "2", "0", "97.37"],
        ["2", "市生态环境局", "245", "228", "93.06", "90.20", "2.5", "72.07", "94.94", "0", "0", "5", "0", "92.95"],
        ["3", "市城管局", "705", "640", "90.78", "86.67", "2.875", "75.56", "93.78", "1", "0", "14", "0", "90.74"],
        ["4", "清江浦区政府", "511", "452", "88.45", "82.19", "3.901", "68.41", "88.22", "1", "0", "6", "0", "86.48"],
        ["5", *ZHUJIAN],
        ["6", "市交通运输局", "366", "301", "82.24", "72.68", "4.25", "64.41", "85.11", "0", "0", "3", "1", "80.52"],
        ["", "全市", "3279", "2945", "89.81", "85.03", "2.873", "72.65", "92.42", "4", "1", "39", "2", "89.42"],
    ]
    assert t.note == ("综合得分 = 满意率×0.4 + 按期办结率×0.3 + 办结率×0.3（缺项的权重按比例分给其余各项）；"
                      "满意率：多次评价的工单以最后一次有效评价计")


# ---- other documents ---------------------------------------------------------------------------

def test_a_department_brief_has_no_city_wide_tables(dept_doc):
    ts = by_name(dept_doc)
    # No clusters (null) and no surge alerts (hot.alerts null); everything else, its own.
    assert list(ts) == [n for n in TITLES if n not in ("surge_alerts", "clusters")]
    assert [r[0] for r in printed(ts["summary"])] == ["诉求总量", "电话", "互联网", "承办转办", "民声接听员在线解答",
                                                     "政策专员在线解答", "部门办理"]
    # Its own row, without rank and without the city's total.
    assert printed(ts["departments"]) == [["-", *ZHUJIAN]]
    assert brief_tables.heading(dept_doc) == "淮安市12345热线（市住建局） 2024年第25周（06-17至06-23）周报"


def test_the_departments_report_is_the_assessment_alone(doc):
    assessment = {"report": "departments", "city": "淮安市", "timezone": "Asia/Shanghai",
                  "period": {"from": "2024-06-01", "to": "2024-06-30", "as_of": "2024-07-01T00:00:00+08:00"},
                  "coverage": doc["coverage"], "departments": doc["departments"]}
    ts = brief_tables.tables(assessment)
    assert [t.name for t in ts] == ["departments"]
    assert len(ts[0].body) == 7


def test_empty_lists_give_tables_without_rows(doc):
    doc["clusters"]["rows"] = []
    doc["pingpong"].update(tickets=[], pairs=[], pair_alerts=[])
    doc["supervision"].update(rows=[], supervised=[], overdue=[], total={"supervised": 0, "overdue": 0})
    ts = by_name(doc)
    assert list(ts) == list(TITLES)
    for name in ("clusters", "pingpong_tickets", "pingpong_pairs", "supervised_tickets", "overdue_tickets"):
        assert ts[name].body == (), name
    assert ts["pingpong_pairs"].footnote is None
    assert printed(ts["supervision"]) == [["合计", "0", "0"]]


def test_ids_are_text_and_missing_figures_dashes(doc):
    d = copy.deepcopy(doc)
    d["supervision"]["overdue"][0].update(ticket_id=731, overdue_days=None, status=None)
    d["departments"]["rows"][0]["score"] = None
    ts = by_name(d)
    first = ts["overdue_tickets"].body[0].cells
    assert (first[0].value, first[0].kind) == ("731", "text")
    assert [display(c) for c in first] == ["731", "市住建局", "2024-06-19 17:30", "-", "-"]
    assert display(ts["departments"].body[0].cells[-1]) == "-"
