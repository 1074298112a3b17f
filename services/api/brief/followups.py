"""The tickets a centre follows up by name: unsatisfied ones (不满意工单, by escalation level),
supervised ones (督办) and overdue ones (超期), each per department with the tickets listed.

Input rows come from services/api/sql/brief_*.sql joined with each ticket's facts (department:
its latest dispatch, "" for a ticket answered online; completed now or not).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from services.api.clock import rfc3339

Row = Mapping[str, Any]
DAY_MS = 86_400_000


def status(facts: Row | None) -> str:
    return "completed" if facts and facts["completed"] else "open"


def unsatisfied(rows: Iterable[Row], facts: Mapping[str, Row], tz: str) -> dict[str, Any]:
    """`rows`: ticket_id, unsatisfied (its unsatisfied evaluations up to the as-of instant),
    last_ms (the latest in the period). Level 1 = once (the deputy head signs), 2 = twice or more
    (the head signs)."""
    tickets = []
    for r in rows:
        f = facts.get(r["ticket_id"])
        tickets.append({"ticket_id": r["ticket_id"], "department": f["department"] if f else "",
                        "level": min(int(r["unsatisfied"]), 2), "unsatisfied_evaluations": int(r["unsatisfied"]),
                        "last_evaluated": rfc3339(r["last_ms"], tz), "status": status(f)})
    tickets.sort(key=lambda t: (-t["level"], t["department"], t["ticket_id"]))
    by: dict[str, dict[str, int]] = defaultdict(lambda: {"once": 0, "twice": 0})
    for t in tickets:
        by[t["department"]]["twice" if t["level"] == 2 else "once"] += 1
    rows_out = [{"department": d, **v, "total": v["once"] + v["twice"]} for d, v in by.items()]
    rows_out.sort(key=lambda r: (-r["total"], -r["twice"], r["department"]))
    total = {k: sum(r[k] for r in rows_out) for k in ("once", "twice", "total")}
    return {"rows": rows_out, "total": total, "tickets": tickets}


def supervision(supervised: Iterable[Row], overdue: Iterable[Row], facts: Mapping[str, Row],
                as_of_ms: int, tz: str) -> dict[str, Any]:
    """`supervised`: ticket_id, first_ms (its first supervision in the period), times (in the
    period). `overdue`: ticket_id, department, deadline_ms, completed (now) of the tickets overdue
    at the as-of instant."""
    s_list = []
    for r in supervised:
        f = facts.get(r["ticket_id"])
        s_list.append({"ticket_id": r["ticket_id"], "department": f["department"] if f else "",
                       "supervised_at": rfc3339(r["first_ms"], tz), "times": int(r["times"]), "status": status(f)})
    s_list.sort(key=lambda t: (t["department"], t["supervised_at"], t["ticket_id"]))
    o_list = [{"ticket_id": r["ticket_id"], "department": r["department"],
               "deadline": rfc3339(r["deadline_ms"], tz), "overdue_days": (as_of_ms - r["deadline_ms"]) / DAY_MS,
               "status": status(r)} for r in overdue]
    o_list.sort(key=lambda t: (t["department"], t["deadline"], t["ticket_id"]))
    by: dict[str, dict[str, int]] = defaultdict(lambda: {"supervised": 0, "overdue": 0})
    for t in s_list:
        by[t["department"]]["supervised"] += 1
    for t in o_list:
        by[t["department"]]["overdue"] += 1
    rows_out = [{"department": d, **v} for d, v in by.items()]
    rows_out.sort(key=lambda r: (-(r["supervised"] + r["overdue"]), r["department"]))
    total = {k: sum(r[k] for r in rows_out) for k in ("supervised", "overdue")}
    return {"rows": rows_out, "total": total, "supervised": s_list, "overdue": o_list}
