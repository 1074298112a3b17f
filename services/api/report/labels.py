"""The Chinese labels report builders expect verbatim (as in tooling/simulator/profiles/huaian-2023.json),
and the labels of the figures that file does not have, in the same style."""

from __future__ import annotations

DEMANDS = "诉求总量与办理"
DEMAND_ROWS = {"citizen": "群众诉求", "enterprise": "企业诉求", "all": "总计"}
DEMAND_COLUMNS = {
    "total": "诉求总量", "phone": "电话", "internet": "互联网", "transfer_in": "承办转办",
    "online_agent": "在线解答·民生接听员", "online_specialist": "在线解答·政策专员", "department": "部门办理",
    "overall_satisfaction_pct": "综合满意率(%)", "completion_rate_pct": "办结率(%)",
}

CALLS = "话务服务"
CALL_ROWS = {"inbound": "接听", "outbound": "呼出", "all": "总计"}


def call_columns(threshold_s: int) -> dict[str, str]:
    return {
        "answered": "人工接听话务量(通)", f"service_level_{threshold_s}s_pct": f"{threshold_s}秒人工接通率(%)",
        "avg_wait_s": "平均等待时长(秒)", "avg_talk_s": "平均通话时长(秒)",
        "over_10min_pct": "话务通话时长超10分钟占比(%)",
        "offered": "呼入话务量(通)", "abandoned": "放弃话务量(通)", "short_abandoned": "短时放弃话务量(通)",
        "answer_rate_pct": "接通率(%)", "longest_talk_s": "最长通话时间(秒)", "count": "话务量(通)",
        "dialled": "呼出拨打量(通)",
    }


EFFICIENCY = "热线服务效能"
KINDS = {"consult": "咨询类", "non_consult": "非咨询类"}
EFFICIENCY_COLUMNS = {
    "count": "诉求数量(件)", "avg_handling_workdays": "平均办理时长(工作日)",
    "evaluation_requests": "回访征集评价(件)", "evaluation_responses": "群众参评数",
    "evaluation_response_rate_pct": "参评率", "agent_service_satisfaction_pct": "民声接听员服务满意率(%)",
    "resolution_satisfaction_pct": "群众有效参评满意率(问题实际解决率)", "completed": "办结数(件)",
}

KINDS_EN = {"consult": "consultation", "non_consult": "non-consultation"}


def handling_pending_note(pending: dict[str, int]) -> str:
    """The note under the efficiency table when completed tickets have a pending handling time
    (per kind; kinds with none are left out): bilingual, since it is not a published label."""
    counts = {k: n for k, n in pending.items() if n}
    total = sum(counts.values())
    zh = "，".join(f"{KINDS.get(k, k)} {n} 件" for k, n in counts.items())
    en = ", ".join(f"{KINDS_EN.get(k, k)} {n}" for k, n in counts.items())
    has = "has" if total == 1 else "have"
    return (f"另有 {total} 件已办结工单（{zh}）的办理时长待定：工作日历尚未覆盖其日期（待补充该年节假日安排），"
            f"未计入平均办理时长 / {total} completed ticket{'' if total == 1 else 's'} ({en}) {has} a pending "
            f"handling time: the working-day calendar does not cover {'its' if total == 1 else 'their'} dates yet "
            "(the year's holiday schedule is to be supplied), left out of the average handling time")


LINKAGE_110 = "12345与110高效对接联动"
LINKAGE_COLUMNS = {
    "transfers_total": "“双号”互转诉求量·总量(件)", "to_110": "12345转110诉求量(件)",
    "from_110": "110转12345警单量(件)", "from_110_on_time_completion_pct": "按时办结率(%)",
    "from_110_satisfaction_pct": "办理满意率(%)",
}

TALENT_LINE = "“尚贤”人才服务"
TALENT_COLUMNS = {
    "total": "诉求总量(件)", "phone": "电话", "internet": "互联网", "transfer_in": "承办转办",
    "online_agent": "在线答复·民声接听员", "online_specialist": "在线答复·政策专员", "department": "部门办理(件)",
}

MAISHANGYI = "“码上议”流转诉求"
TAGS = "专项标签诉求"
# Tag values are producers' words; the ones report builders have a printed name for.
TAG_LABELS = {"epidemic": "疫情类"}


def top_departments(n: int) -> str:
    return f"承办12345诉求量TOP{n}部门"


def top_categories(n: int) -> str:
    return f"诉求量TOP{n}类型"


MONTHLY = "月度诉求量与话务量"


def monthly_columns(threshold_s: int) -> dict[str, str]:
    return {"month": "月份", "demands": "诉求量(件)", "calls_answered": "人工接听话务量(通)",
            "service_level_pct": f"{threshold_s}秒人工接通率(%)"}


SUPPLIED = "报送数据（非事件流计算，由报表编制人提供）"
