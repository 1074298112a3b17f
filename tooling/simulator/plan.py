"""The quotas of one scaled city-year, as urns the days draw from.

A ticket's structure is drawn in steps, each from the urn of its condition, so that every
published count comes out exactly and the joint shape is plausible:
class (requester group × channel × handling) → kind | handling → category | kind →
department | dispatched → 110 hand-over | answered online by phone → tags → completion →
evaluation requests, response and answers. Calls: answered | offered → within the service
level | answered → talk over 10 minutes | answered. Pure: numbers in, urns out.
"""

from __future__ import annotations

from dataclasses import dataclass

from tooling.simulator.apportion import apportion
from tooling.simulator.profile import HANDLINGS, KINDS, ProfileError, Row, Targets
from tooling.simulator.urn import Urn, Urns

INTERNET = {"web": 0.35, "app": 0.2, "wechat": 0.35, "email": 0.02, "sms": 0.05, "video": 0.03}
ANSWERS = ("both", "service_only", "resolution_only", "neither")


def _matrix(row: Row) -> dict[tuple[str, str], int]:
    """source × handling counts with the row's margins: hand-overs from other platforms go to
    departments first, internet demands share what is left, phone demands take the rest."""
    left = dict(row.handlings())
    cells: dict[tuple[str, str], int] = {}
    ti_dept = min(row.transfer_in, left["department"])
    left["department"] -= ti_dept
    ti_rest = apportion(row.transfer_in - ti_dept, [left[h] for h in HANDLINGS])
    for h, n in zip(HANDLINGS, ti_rest):
        cells[("transfer_in", h)] = n + (ti_dept if h == "department" else 0)
        left[h] -= n
    internet = apportion(row.internet, [left[h] for h in HANDLINGS])
    for h, n in zip(HANDLINGS, internet):
        cells[("internet", h)] = n
        left[h] -= n
    for h in HANDLINGS:
        cells[("phone", h)] = left[h]
    return cells


def ticket_classes(t: Targets) -> dict[tuple[str, str, str], int]:
    """(group, channel, handling) → tickets; group is citizen, enterprise or talent (a citizen
    on the talent line)."""
    groups = {"citizen": t.citizen.minus(t.talent, "talent_line"), "enterprise": t.enterprise, "talent": t.talent}
    out: dict[tuple[str, str, str], int] = {}
    transfer: list[tuple[str, str, int]] = []
    for g, row in groups.items():
        for (source, h), n in _matrix(row).items():
            if source == "phone":
                out[(g, "phone", h)] = out.get((g, "phone", h), 0) + n
            elif source == "internet":
                for ch, m in zip(INTERNET, apportion(n, list(INTERNET.values()))):
                    out[(g, ch, h)] = m
            else:
                transfer.append((g, h, n))
    # 110 and 码上议 hand-overs are citizens' matters for departments first.
    order = {("citizen", "department"): 0, ("talent", "department"): 1, ("enterprise", "department"): 2}
    transfer.sort(key=lambda x: (order.get((x[0], x[1]), 3), x[0], x[1]))
    quota = {"110": t.from_110, "maishangyi": t.maishangyi}
    for g, h, n in transfer:
        for ch in ("110", "maishangyi"):
            k = min(n, quota[ch])
            out[(g, ch, h)] = k
            quota[ch] -= k
            n -= k
        out[(g, "business_hotline" if g == "enterprise" else "other_platform", h)] = n
    return {k: v for k, v in out.items() if v}


@dataclass
class Plan:
    targets: Targets
    classes: Urn
    kind: Urns  # by handling
    category: Urns  # by kind
    department: Urn
    to_110: Urns  # by "eligible" (phone, answered online by an agent) or not
    tags: dict[str, Urn]
    completed: Urn  # dispatched tickets not from 110: completed or left open
    late_110: Urn  # dispatched tickets from 110: completed after the deadline or not
    requests: Urns  # by from_110: evaluation requests per eligible ticket
    evaluated: Urns  # by (from_110, has a request)
    answers: Urns  # by from_110: which questions were answered satisfied
    answered: Urn  # inbound offered: answered or abandoned
    within: Urn  # inbound answered: within the service-level threshold or not
    long_in: Urn  # inbound answered: talk over 10 minutes or not
    out_connected: Urn
    long_out: Urn


def build(t: Targets) -> Plan:
    classes = ticket_classes(t)
    by_h = {h: sum(n for (g, ch, hh), n in classes.items() if hh == h) for h in HANDLINGS}
    online_consult = t.kinds["consult"] - t.dept_consult
    oc = apportion(online_consult, [by_h["online_agent"], by_h["online_specialist"]])
    consult = {"online_agent": oc[0], "online_specialist": oc[1], "department": t.dept_consult}
    for h in HANDLINGS:
        if not 0 <= consult[h] <= by_h[h]:
            raise ProfileError(f"efficiency: {consult[h]:,} consult demands do not fit the {by_h[h]:,} {h} demands")
    kind = Urns({h: {"consult": consult[h], "non_consult": by_h[h] - consult[h]} for h in HANDLINGS})

    eligible_110 = sum(n for (g, ch, h), n in classes.items() if ch == "phone" and h == "online_agent")
    if t.to_110 > eligible_110:
        raise ProfileError(f"linkage_110.to_110 ({t.to_110:,}) is more than the phone demands answered online")
    to_110 = Urns({True: {True: t.to_110, False: eligible_110 - t.to_110}, False: {False: t.total - eligible_110}})

    dept_110 = sum(n for (g, ch, h), n in classes.items() if ch == "110" and h == "department")
    from_110 = sum(n for (g, ch, h), n in classes.items() if ch == "110")
    late = from_110 - round(t.from_110_on_time_pct / 100 * from_110)
    if late > dept_110:
        raise ProfileError("linkage_110.from_110_on_time_completion_pct is lower than the dispatched 110 demands allow")
    dept_other = t.department - dept_110
    done = round(t.completion_rate_pct / 100 * t.department)
    open_ = t.department - done
    if open_ > dept_other:
        raise ProfileError("demands.completion_rate_pct leaves more tickets open than there are dispatched ones")

    # Evaluations go to completed tickets in the efficiency scope.
    online = t.total - t.department
    eligible = {True: (from_110 if t.scope == "all" else dept_110),
                False: (online - (from_110 - dept_110) if t.scope == "all" else 0) + dept_other - open_}
    requests, has_request = _requests(t.evaluation_requests, eligible)
    evaluated, answers = _evaluations(t, has_request)
    c = t.calls
    within = round(c.service_level_pct / 100 * c.offered)
    return Plan(
        targets=t, classes=Urn(classes), kind=kind,
        category=Urns({k: t.categories[k] for k in KINDS}),
        department=Urn(t.departments), to_110=to_110,
        tags={tag: Urn({True: n, False: t.total - n}) for tag, n in t.tags.items()},
        completed=Urn({True: dept_other - open_, False: open_}),
        late_110=Urn({True: late, False: dept_110 - late}),
        requests=requests, evaluated=evaluated, answers=answers,
        answered=Urn({True: c.answered, False: c.offered - c.answered}),
        within=Urn({True: within, False: c.answered - within}),
        long_in=Urn({True: round(c.over_10min_pct / 100 * c.answered),
                     False: c.answered - round(c.over_10min_pct / 100 * c.answered)}),
        out_connected=Urn({True: c.out_count, False: c.out_dialled - c.out_count}),
        long_out=Urn({True: round(c.out_over_10min_pct / 100 * c.out_count),
                      False: c.out_count - round(c.out_over_10min_pct / 100 * c.out_count)}),
    )


def _requests(total: int, eligible: dict[bool, int]) -> tuple[Urns, dict[bool, int]]:
    """Evaluation requests per eligible ticket: as even as possible (some tickets get one more)."""
    n = sum(eligible.values())
    if total and not n:
        raise ProfileError("efficiency.evaluation_requests: no completed ticket in scope to ask")
    base, extra = divmod(total, n) if n else (0, 0)
    split = dict(zip(eligible, apportion(extra, list(eligible.values())) if n else (0, 0)))
    urns = Urns({k: {base + 1: split[k], base: eligible[k] - split[k]} for k in eligible})
    has = {k: eligible[k] if base else split[k] for k in eligible}
    return urns, has


def _evaluations(t: Targets, has_request: dict[bool, int]) -> tuple[Urns, Urns]:
    p = t.evaluation_responses
    pool = sum(has_request.values())
    if p > pool:
        raise ProfileError(f"efficiency.evaluation_responses ({p:,}) exceed the tickets asked ({pool:,})")
    p110 = min(round(p * has_request[True] / pool), has_request[True]) if pool else 0
    resp = {True: p110, False: p - p110}
    evaluated = Urns({(k, True): {True: resp[k], False: has_request[k] - resp[k]} for k in (True, False)}
                     | {(k, False): {False: 1 << 40} for k in (True, False)})
    s = round(t.service_satisfaction_pct / 100 * p)
    r = round(t.resolution_satisfaction_pct / 100 * p)
    if t.overall_satisfaction_pct >= 0:
        a = round(t.overall_satisfaction_pct / 100 * p)
        if not max(s, r) <= a <= min(p, s + r):
            raise ProfileError(
                f"demands.overall_satisfaction_pct {t.overall_satisfaction_pct} cannot hold with the service "
                f"({t.service_satisfaction_pct}) and resolution ({t.resolution_satisfaction_pct}) satisfaction")
    else:
        a = min(p, s + r - (round(s * r / p) if p else 0))  # answers independent of each other
    total = {"both": s + r - a, "service_only": a - r, "resolution_only": a - s, "neither": p - a}
    a110 = round(t.from_110_satisfaction_pct / 100 * p110)
    part = apportion(a110, [total["both"], total["service_only"], total["resolution_only"]]) if a else [0, 0, 0]
    mine = {"both": part[0], "service_only": part[1], "resolution_only": part[2], "neither": p110 - a110}
    rest = {k: total[k] - mine[k] for k in ANSWERS}
    if min(rest.values()) < 0:
        raise ProfileError("linkage_110.from_110_satisfaction_pct cannot hold with the overall satisfaction")
    return evaluated, Urns({True: mine, False: rest})
