"""Figures from cubes of facts: one function per published table, definitions of docs/domain.md.

Values are unrounded here (year-over-year is computed from them); assemble.py rounds the whole
report once. A rate or average with an empty denominator is None ("no data"), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from services.api.report import labels
from services.api.report.cube import Cube

SOURCES = ("phone", "internet", "transfer_in")
HANDLINGS = ("online_agent", "online_specialist", "department")
REQUESTERS = ("citizen", "enterprise")
WORKDAY_S = 86400  # W(t) counts a working day as 86 400 working seconds (docs/architecture.md, decision 5)


def pct(num: float, den: float) -> float | None:
    return None if not den else 100.0 * num / den


def mean(total: float, n: float, scale: float = 1.0) -> float | None:
    return None if not n else total / n / scale


@dataclass(frozen=True)
class ServiceLevel:
    """docs/domain.md "Choices made explicit": threshold N, denominator, short abandons S."""

    threshold_s: int = 30
    denominator: Literal["offered", "answered", "abandon_ignored"] = "offered"
    short_abandon_s: int = 0

    @property
    def key(self) -> str:
        return f"service_level_{self.threshold_s}s"


def _split(t: Cube) -> dict[str, int]:
    out = {"total": t.sum("tickets")}
    for s in SOURCES:
        out[s] = t.where(source=s).sum("tickets")
    for h in HANDLINGS:
        out[h] = t.where(handling=h).sum("tickets")
    return out


def demands(t: Cube) -> dict[str, Any]:
    rows = {r: {"label": labels.DEMAND_ROWS[r], **_split(t.where(requester=r))} for r in REQUESTERS}
    rows["all"] = {"label": labels.DEMAND_ROWS["all"], **_split(t)}
    dept = t.where(handling="department")
    return {
        "label": labels.DEMANDS, "rows": rows, "columns": dict(labels.DEMAND_COLUMNS),
        # 综合满意率: evaluated tickets with at least one question answered satisfied, of the
        # evaluated tickets that answered at least one question.
        "overall_satisfaction_pct": pct(t.sum("satisfied_tickets"), t.sum("rated_tickets")),
        "completion_rate_pct": pct(dept.sum("completed_n"), dept.sum("tickets")),
    }


def _answered_calls(c: Cube) -> dict[str, Any]:
    return {
        "avg_talk_s": mean(c.sum("talk_ms_sum"), c.sum("talked"), 1000),
        "over_10min_pct": pct(c.sum("over_10min"), c.sum("answered")),
        "longest_talk_s": _seconds(c.max("longest_talk_ms")),
    }


def _seconds(ms: int | None) -> float | None:
    return None if ms is None or ms < 0 else ms / 1000


def calls(c: Cube, sl: ServiceLevel) -> dict[str, Any]:
    inbound, outbound = c.where(direction="inbound"), c.where(direction="outbound")
    short = inbound.sum("short_abandoned")
    offered = inbound.sum("offered") - short
    answered = inbound.sum("answered")
    within = inbound.sum("answered_within")
    denominator = {
        "offered": offered,
        "answered": answered,
        "abandon_ignored": offered - inbound.sum("abandoned_within"),
    }[sl.denominator]
    out_answered = outbound.sum("answered")
    return {
        "label": labels.CALLS,
        "service_level": {"threshold_s": sl.threshold_s, "denominator": sl.denominator,
                          "short_abandon_s": sl.short_abandon_s},
        "inbound": {
            "label": labels.CALL_ROWS["inbound"],
            "offered": offered, "answered": answered, "abandoned": inbound.sum("abandoned") - short,
            "short_abandoned": short,
            "answer_rate_pct": pct(answered, offered),
            f"{sl.key}_pct": pct(within, denominator),
            "avg_wait_s": mean(inbound.sum("wait_ms_sum"), answered, 1000),
            **_answered_calls(inbound),
        },
        "outbound": {
            "label": labels.CALL_ROWS["outbound"], "count": out_answered, "dialled": outbound.sum("offered"),
            **_answered_calls(outbound),
        },
        "all": {"label": labels.CALL_ROWS["all"], "count": answered + out_answered,
                **_answered_calls(c.where(direction=("inbound", "outbound")))},
        "columns": labels.call_columns(sl.threshold_s),
    }


def efficiency(t: Cube, scope: Literal["all", "dispatched"]) -> dict[str, Any]:
    scoped = t if scope == "all" else t.where(handling="department")
    out: dict[str, Any] = {"label": labels.EFFICIENCY, "scope": scope}
    for kind, label in labels.KINDS.items():
        k = scoped.where(kind=kind)
        # A pending handling time (the working-day calendar does not cover the ticket's days yet)
        # has no value: the average is over the known ones only (None when none is known) and the
        # pending ones are counted, so a reader sees how many the average leaves out.
        out[kind] = {"label": label, "count": k.sum("tickets"), "completed": k.sum("completed_n"),
                     "avg_handling_workdays": mean(k.sum("work_s"), k.sum("handling_known_n"), WORKDAY_S),
                     "handling_pending": k.sum("handling_pending_n")}
    requests, responses = scoped.sum("evaluation_requests_n"), scoped.sum("evaluations_n")
    out.update({
        "evaluation_requests": requests,
        "evaluation_responses": responses,
        "evaluation_response_rate_pct": pct(responses, requests),
        "agent_service_satisfaction_pct": pct(scoped.sum("service_satisfied_n"), scoped.sum("service_rated_n")),
        "resolution_satisfaction_pct": pct(scoped.sum("resolution_satisfied_n"), scoped.sum("resolution_rated_n")),
        "columns": dict(labels.EFFICIENCY_COLUMNS),
    })
    return out


def linkage_110(t: Cube) -> dict[str, Any]:
    from_110 = t.where(channel="110")
    to_110 = t.sum("to_110_n")
    return {
        "label": labels.LINKAGE_110,
        "transfers_total": to_110 + from_110.sum("tickets"),
        "to_110": to_110,
        "from_110": from_110.sum("tickets"),
        # on time: completed no later than the deadline (or with none), of all from-110 tickets
        "from_110_on_time_completion_pct": pct(from_110.sum("on_time_n"), from_110.sum("tickets")),
        "from_110_satisfaction_pct": pct(from_110.sum("satisfied_tickets"), from_110.sum("rated_tickets")),
        "columns": dict(labels.LINKAGE_COLUMNS),
    }


def talent_line(t: Cube) -> dict[str, Any]:
    return {"label": labels.TALENT_LINE, **_split(t.where(line="talent")),
            "columns": dict(labels.TALENT_COLUMNS)}


def maishangyi(t: Cube) -> dict[str, Any]:
    return {"label": labels.MAISHANGYI, "count": t.where(channel="maishangyi").sum("tickets")}


def tags(tag_cube: Cube, all_tickets: int) -> dict[str, Any]:
    counts = {tag: c.sum("tickets") for tag, c in tag_cube.by("tag").items()}
    rows = [{"tag": tag, "label": labels.TAG_LABELS.get(tag, tag), "count": n, "share_pct": pct(n, all_tickets)}
            for tag, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return {"label": labels.TAGS, "rows": rows}


def _top(counts: dict[str, int], n: int, total: int, name: str) -> list[dict[str, Any]]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [{name: key, "count": count, "share_pct": pct(count, total)} for key, count in ranked]


def top_departments(dept_cube: Cube, n: int) -> dict[str, Any]:
    counts = {d: c.sum("tickets") for d, c in dept_cube.by("department").items()}
    total = sum(counts.values())
    return {"label": labels.top_departments(n), "dispatched_total": total,
            "rows": _top(counts, n, total, "department")}


def top_categories(cat_cube: Cube, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {"label": labels.top_categories(n)}
    for kind in (*labels.KINDS, "all"):
        k = cat_cube if kind == "all" else cat_cube.where(kind=kind)
        counts = {cat: c.sum("tickets") for cat, c in k.by("category").items()}
        out[kind] = _top(counts, n, sum(counts.values()), "category")
    return out
