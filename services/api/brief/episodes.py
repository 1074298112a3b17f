"""The brief's sections made of the alerts service's episodes (alerts_latest): the surge alerts
of the hot section, the concentrated demands (集中诉求) and the ping-pong tickets (推诿扯皮) with
the department pairs they bounce between.

Rows are those of services/api/sql/alerts.sql: every episode whose span overlaps the period, in
its newest state. A ping-pong episode is about one ticket (series: ticket_id, departments
"A→B→A") or about a pair whose hand-overs rise (series: from, to).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from services.api.clock import rfc3339

ARROW = "→"
Row = Mapping[str, Any]


def _times(row: Row, tz: str) -> dict[str, Any]:
    return {"started": rfc3339(row["started_ms"], tz), "detected_at": rfc3339(row["detected_ms"], tz),
            "closed_at": rfc3339(row["closed_ms"], tz) if row["closed_ms"] else None}


def _series(row: Row) -> dict[str, str]:
    return orjson.loads(row["series"])


def surges(rows: Iterable[Row], tz: str) -> list[dict[str, Any]]:
    return [{"id": r["id"], "series": _series(r), **_times(r, tz), "status": r["status"],
             "observed": r["observed"], "expected": r["expected"], "score": r["score"]}
            for r in rows if r["kind"] == "surge"]


def clusters(rows: Iterable[Row], tz: str) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        if r["kind"] != "cluster":
            continue
        s = _series(r)
        kind = "h3" if "h3" in s else "community"
        out.append({"id": r["id"], "place": s.get(kind, ""), "place_kind": kind, "district": s.get("district", ""),
                    "subcategory": s.get("subcategory", ""), "tickets": len(r["tickets"]), "callers": r["callers"],
                    "status": r["status"], **_times(r, tz)})
    return out


def path(departments: str) -> list[str]:
    return [d for d in departments.split(ARROW) if d]


def pingpong(rows: Iterable[Row], tz: str, department: str | None = None) -> dict[str, Any]:
    """The ping-pong tickets (those whose path went through `department`, when given), the pairs
    they bounce between, and the rising pairs (city-wide: none for a department)."""
    tickets, pair_alerts = [], []
    for r in rows:
        if r["kind"] != "pingpong":
            continue
        s = _series(r)
        if "ticket_id" in s:
            if department is not None and department not in path(s.get("departments", "")):
                continue
            tickets.append({"id": r["id"], "ticket_id": s["ticket_id"], "departments": s.get("departments", ""),
                            "dispatches": int(r["observed"]), "returns": int(r["score"]), "status": r["status"],
                            **_times(r, tz)})
        elif department is None:
            pair_alerts.append({"id": r["id"], "from": s.get("from", ""), "to": s.get("to", ""),
                                "observed": r["observed"], "expected": r["expected"], "status": r["status"],
                                **_times(r, tz)})
    return {"tickets": tickets, "pairs": pairs(t["departments"] for t in tickets),
            **({"pair_alerts": pair_alerts} if department is None else {"pair_alerts": None})}


def pairs(paths: Iterable[str]) -> list[dict[str, Any]]:
    """Each unordered pair of consecutive different departments of a path, once per ticket; by
    tickets descending, then names."""
    counts: Counter[tuple[str, str]] = Counter()
    for p in paths:
        steps = path(p)
        seen = {tuple(sorted((a, b))) for a, b in zip(steps, steps[1:]) if a != b}
        counts.update(seen)  # type: ignore[arg-type]
    return [{"departments": list(k), "tickets": n} for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
