"""tooling.simulator.compare: a profile's published figures against a computed report. The
computed reports are the Huai'an profile with a few values edited by hand; expected figures
are written out."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tooling.simulator.compare import Row, compare, display_width, format_table, inconsistencies, summary

REPO = Path(__file__).resolve().parents[3]
PROFILE = REPO / "hotline" / "simulator" / "profiles" / "huaian-2023.json"
FIXTURE = REPO / "tests" / "fixtures" / "report-example.json"

FOUR_INCONSISTENCIES = {
    "calls.all.avg_talk_s",
    "top_categories.non_consult[住房保障].share_pct",
    "top_categories.non_consult[城乡建设].share_pct",
    "top_categories.all[民生保障].count",
}


def huaian() -> dict:
    """The published Huai'an figures: the simulator's profile, else the API fixture (same
    published values, plus computed keys), whose all-calls talk time we set to the printed 292."""
    if PROFILE.exists():
        return json.loads(PROFILE.read_text(encoding="utf-8"))
    profile = json.loads(FIXTURE.read_text(encoding="utf-8"))
    profile["calls"]["all"]["avg_talk_s"] = 292
    return profile


def computed(profile: dict) -> dict:
    """What the platform computes at scale 1 from events generated from the profile."""
    report = copy.deepcopy(profile)
    report.pop("published_inconsistencies", None)
    report["calls"]["inbound"]["offered"] = 1539841
    report["calls"]["all"]["avg_talk_s"] = 191.75
    report["talent_line"]["columns"] = {"total": "诉求总量(件)"}  # the report labels what the profile does not
    tops = report["top_categories"]
    _top(tops["non_consult"], "住房保障")["share_pct"] = 16.98
    _top(tops["non_consult"], "城乡建设")["share_pct"] = 8.92
    _top(tops["all"], "民生保障").update(count=455559, share_pct=31.40)
    return report


def _top(rows: list[dict], name: str) -> dict:
    return next(r for r in rows if name in (r.get("category"), r.get("department")))


def by_path(rows: list[Row]) -> dict[str, Row]:
    return {r.path: r for r in rows}


def test_a_faithful_report_passes_every_checked_row():
    rows = compare(huaian(), computed(huaian()))
    s = summary(rows)
    assert s["failed"] == 0, format_table(rows, only_failed=True)
    assert s["checked"] + s["skipped"] == len(rows) and s["passed"] == s["checked"]
    r = by_path(rows)["demands.rows.citizen.total"]
    assert (r.measure, r.published, r.expected, r.computed, r.tolerance, r.ok) == \
        ("count", 1438746, 1438746, 1438746, 0, True)
    assert r.label == "诉求总量与办理 · 群众诉求 · 诉求总量"
    assert by_path(rows)["calls.inbound.avg_wait_s"].label == "话务服务 · 接听 · 平均等待时长(秒)"
    assert by_path(rows)["demands.yoy_pct.citizen.phone"].label == "诉求总量与办理 · 群众诉求 · 电话 · 同比(%)"


def test_texts_and_the_head_are_not_rows():
    paths = [r.path for r in compare(huaian(), computed(huaian()))]
    assert not [p for p in paths if p.split(".")[-1] in {"label", "year", "about", "city", "timezone"}]
    assert not [p for p in paths if ".columns." in p or p.startswith(("published_inconsistencies", "period"))]
    assert len(paths) == len(set(paths))


def test_a_count_is_exact_at_scale_one():
    report = computed(huaian())
    report["demands"]["rows"]["citizen"]["total"] = 1438745
    assert by_path(compare(huaian(), report))["demands.rows.citizen.total"].ok is False


def test_averages_within_one_percent():
    report = computed(huaian())
    report["calls"]["inbound"]["avg_wait_s"] = 14.10  # 1.22 % above 13.93
    assert by_path(compare(huaian(), report))["calls.inbound.avg_wait_s"].ok is False
    report["calls"]["inbound"]["avg_wait_s"] = 14.05  # 0.86 %
    row = by_path(compare(huaian(), report))["calls.inbound.avg_wait_s"]
    assert row.ok is True and row.measure == "average" and row.tolerance == pytest.approx(0.1393)


def test_a_rate_within_one_unit_of_its_denominator_or_005_pp():
    report = computed(huaian())
    report["calls"]["inbound"]["service_level_30s_pct"] = 92.36  # 0.06 pp off, over 1,539,841 offered
    row = by_path(compare(huaian(), report))["calls.inbound.service_level_30s_pct"]
    assert (row.measure, row.tolerance, row.ok) == ("rate", 0.05, False)
    report["calls"]["inbound"]["service_level_30s_pct"] = 92.34
    assert by_path(compare(huaian(), report))["calls.inbound.service_level_30s_pct"].ok is True


def test_at_a_small_scale_counts_are_apportioned_and_rates_coarser():
    report = computed(huaian())
    report["demands"]["rows"]["citizen"]["total"] = 14387
    report["demands"]["rows"]["all"]["total"] = 14505  # 14,506.99 - 1.99
    report["linkage_110"].update(from_110=121, from_110_on_time_completion_pct=99.17)  # 120 of 121
    rows = by_path(compare(huaian(), report, scale=0.01))
    citizen = rows["demands.rows.citizen.total"]
    assert citizen.expected == pytest.approx(14387.46) and citizen.tolerance == 1 and citizen.ok is True
    everyone = rows["demands.rows.all.total"]
    assert everyone.expected == pytest.approx(14506.99) and everyone.tolerance == 2 and everyone.ok is True
    on_time = rows["linkage_110.from_110_on_time_completion_pct"]
    assert on_time.tolerance == pytest.approx(100 / 121) and on_time.ok is True  # 0.72 pp off
    report["demands"]["rows"]["citizen"]["total"] = 14389  # 1.54 off
    assert by_path(compare(huaian(), report, scale=0.01))["demands.rows.citizen.total"].ok is False


def test_yoy_of_small_counts_is_not_checked_and_of_large_ones_is():
    report = computed(huaian())
    report["demands"]["rows"]["enterprise"]["internet"] = 0  # 6 x 0.01
    report["demands"]["rows"]["citizen"]["total"] = 14387
    report["demands"]["rows"]["enterprise"]["total"] = 120
    report["demands"]["yoy_pct"]["enterprise"]["total"] = -15.2
    rows = by_path(compare(huaian(), report, scale=0.01))
    small = rows["demands.yoy_pct.enterprise.internet"]
    assert (small.measure, small.ok, small.note) == ("yoy", None, "fewer than 100 at this scale")
    big = rows["demands.yoy_pct.citizen.total"]
    assert big.ok is True and big.tolerance == 0.5 and big.expected == -8.77
    # 120 now, 120 / 0.8599 = 139.55 a year earlier: one unit each year is 85.99 x (1/120 + 1/139.55)
    enterprise = rows["demands.yoy_pct.enterprise.total"]
    assert enterprise.tolerance == pytest.approx(1.3328, abs=1e-4) and enterprise.ok is True  # 1.19 off


def test_yoy_compares_the_figure_of_its_key():
    report = computed(huaian())
    report["calls"]["yoy_pct"]["service_level_30s"] = 19.0
    report["efficiency"]["yoy_pct"]["consult_count"] = 19.1
    rows = by_path(compare(huaian(), report))
    assert rows["calls.yoy_pct.service_level_30s"].label == "话务服务 · 接听 · 30秒人工接通率(%) · 同比(%)"
    assert rows["calls.yoy_pct.service_level_30s"].ok is False  # 0.86 pp off
    assert rows["efficiency.yoy_pct.consult_count"].label == "热线服务效能 · 咨询类 · 诉求数量(件) · 同比(%)"
    assert rows["efficiency.yoy_pct.consult_count"].ok is False  # 0.63 pp off
    assert rows["talent_line.yoy_pct.total"].label == "“尚贤”人才服务 · 诉求总量(件) · 同比(%)"


def test_the_four_published_inconsistencies():
    profile = huaian()
    rows = compare(profile, computed(profile))
    found = inconsistencies(rows)
    assert {r.path for r in found} == FOUR_INCONSISTENCIES
    if "published_inconsistencies" in profile:
        assert len(found) == len(profile["published_inconsistencies"]) == 4
    r = by_path(rows)
    talk = r["calls.all.avg_talk_s"]
    assert (talk.published, talk.expected, talk.ok) == (292, 191.76, True)
    assert "published 292 is inconsistent" in talk.note
    housing = r["top_categories.non_consult[住房保障].share_pct"]
    assert (housing.published, housing.expected) == (16.01, 16.98)
    assert (r["top_categories.non_consult[城乡建设].share_pct"].expected) == 8.92
    livelihood = r["top_categories.all[民生保障].count"]
    assert (livelihood.published, livelihood.expected) == (455426, 455559)
    share = r["top_categories.all[民生保障].share_pct"]
    assert (share.published, share.expected, share.ok) == (31.39, 31.40, True)
    # consistent as printed (truncated to 2 decimals): not flagged
    assert r["top_categories.non_consult[经济综合].share_pct"].expected == 9.63  # 72,635 / 754,502 = 9.6269


def test_a_report_copying_a_misprint_fails():
    profile = huaian()
    report = computed(profile)
    _top(report["top_categories"]["non_consult"], "住房保障")["share_pct"] = 16.01
    row = by_path(compare(profile, report, scale=0.01))["top_categories.non_consult[住房保障].share_pct"]
    assert row.expected == 16.98 and row.ok is False


def test_weighted_talk_time_is_a_row_even_when_not_printed():
    profile = huaian()
    profile["calls"]["all"].pop("avg_talk_s", None)
    profile["published_inconsistencies"] = [
        "calls.all avg talk time is printed as 292 s, which is 203 + 89 (a sum); the call-weighted mean "
        "of inbound and outbound is about 191.8 s."]
    row = by_path(compare(profile, computed(profile)))["calls.all.avg_talk_s"]
    assert (row.published, row.expected, row.ok) == (292, 191.76, True) and "inconsistent" in row.note
    del profile["published_inconsistencies"]
    row = by_path(compare(profile, computed(profile)))["calls.all.avg_talk_s"]
    assert (row.published, row.expected, row.ok) == (None, 191.76, True)
    assert row.note.startswith("not published") and not inconsistencies([row])


def test_missing_figures_and_top_rows_fail():
    report = computed(huaian())
    del report["linkage_110"]
    report["top_departments"]["rows"] = [r for r in report["top_departments"]["rows"] if r["department"] != "市交通局"]
    rows = by_path(compare(huaian(), report))
    assert rows["linkage_110.to_110"].ok is False and rows["linkage_110.to_110"].note == "absent from the report"
    dept = rows["top_departments.rows[市交通局].count"]
    assert (dept.ok, dept.computed, dept.note) == (False, None, "not in the computed top list")
    assert rows["top_departments.rows[市公安局].count"].ok is True


def test_top_rows_are_matched_by_name_not_position():
    report = computed(huaian())
    report["top_categories"]["consult"].reverse()
    rows = by_path(compare(huaian(), report))
    assert rows["top_categories.consult[民生保障].count"].computed == 302015
    assert rows["top_categories.consult[民生保障].count"].ok is True


def test_figures_absent_from_the_profile_are_not_rows():
    profile = {"calls": {"label": "话务服务", "inbound": {"label": "接听", "avg_wait_s": 13.93}}}
    rows = compare(profile, computed(huaian()))
    assert [(r.path, r.ok) for r in rows] == [("calls.inbound.avg_wait_s", True)]


def test_table_is_aligned_with_cjk_and_marks_every_state():
    report = computed(huaian())
    report["calls"]["inbound"]["avg_wait_s"] = 14.10
    rows = compare(huaian(), report, scale=1.0)
    text = format_table(rows)
    lines, _, notes = text.partition("\n\n")
    lines = lines.splitlines()
    assert len(lines) == len(rows) + 2
    assert len({display_width(line) for line in lines}) == 1
    assert lines[0].split() == ["指标", "公布", "预期", "计算", "状态"]
    wait = next(line for line in lines if "平均等待时长" in line and "同比" not in line)
    assert "13.93" in wait and "14.10" in wait and "✗" in wait
    count = next(line for line in lines if line.startswith("诉求总量与办理 · 群众诉求 · 诉求总量 "))
    assert count.count("1,438,746") == 3 and "✓" in count
    skipped = next(line for line in notes.splitlines() if line.endswith("] fewer than 100 at this scale"))
    assert any(line.endswith(f"– {skipped.split()[0]}") for line in lines)  # "– [n]" points at the note
    failed = format_table(rows, only_failed=True).splitlines()
    assert len(failed) == 3 and "平均等待时长" in failed[2]
    assert len({display_width(line) for line in failed}) == 1


def test_display_width_counts_cjk_double():
    assert display_width("话务 ab") == 7
    assert display_width("“尚贤”") == 6  # curly quotes are ambiguous width: one column


def test_summary_counts():
    rows = [Row("a", "a", "count", 1, 1, 1, 0, True, ""), Row("b", "b", "count", 1, 1, 2, 0, False, ""),
            Row("c", "c", "yoy", 1, 1, 1, 0.5, None, "fewer than 100 at this scale")]
    assert summary(rows) == {"checked": 2, "passed": 1, "failed": 1, "skipped": 1}
    assert "14,387.46" in format_table([Row("d", "d", "count", 1438746, 14387.46, 14387, 1, True, "")])


def test_scale_must_be_positive():
    with pytest.raises(ValueError):
        compare(huaian(), computed(huaian()), scale=0)
