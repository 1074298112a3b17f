"""A profile's city-year at a scale: every count × scale, rounded so that parts still add up.

Each published count becomes round(count × scale) or the nearest whole number that keeps its
row adding up (the floor or the ceiling of count × scale, never further); rates and averages
do not change.
"""

from __future__ import annotations

from dataclasses import replace

from tooling.simulator.apportion import capped, round_parts, scaled
from tooling.simulator.profile import HANDLINGS, KINDS, SOURCES, ProfileError, Row, Targets


def _row(r: Row, s: float) -> Row:
    total = scaled(r.total, s)
    src = round_parts([getattr(r, k) * s for k in SOURCES], total)
    hnd = round_parts([getattr(r, k) * s for k in HANDLINGS], total)
    return Row(total, *src, *hnd)


def _table(counts: dict[str, int], total: int, s: float, top: tuple[str, ...]) -> dict[str, int]:
    """The TOP rows rounded one by one; the others share the rest, each kept below the
    smallest TOP row so that rounding cannot reorder the published ranking."""
    if not top:
        return dict(zip(counts, round_parts([v * s for v in counts.values()], total)))
    out = {k: scaled(counts[k], s) for k in top if k in counts}
    others = [k for k in counts if k not in out]
    rest = total - sum(out.values())
    cap = min(out.values()) - 1
    try:
        spread = capped(max(rest, 0), [counts[k] for k in others], [cap] * len(others))
    except ValueError:
        raise ProfileError(f"scale {s:g} is too small to keep the published TOP rows ({', '.join(top)}) "
                           "above the others; use a larger scale") from None
    return {**out, **dict(zip(others, spread))}


def scale(t: Targets, s: float) -> Targets:
    if s == 1.0:
        return t
    if not 0 < s <= 1:
        raise ValueError(f"scale {s} is not in (0, 1]")
    citizen, enterprise = _row(t.citizen, s), _row(t.enterprise, s)
    all_total = citizen.total + enterprise.total
    dept = citizen.department + enterprise.department
    kinds = dict(zip(KINDS, round_parts([t.kinds[k] * s for k in KINDS], all_total)))
    online = all_total - dept
    lo = max(0, kinds["consult"] - online, dept - kinds["non_consult"])
    dept_consult = min(max(scaled(t.dept_consult, s), lo), min(kinds["consult"], dept))
    c = t.calls
    answered = scaled(c.answered, s)
    calls = replace(c, answered=answered, offered=answered + scaled(c.offered - c.answered, s),
                    out_count=scaled(c.out_count, s),
                    out_dialled=scaled(c.out_count, s) + scaled(c.out_dialled - c.out_count, s))
    return replace(
        t, citizen=citizen, enterprise=enterprise, talent=_row(t.talent, s), calls=calls,
        kinds=kinds, dept_consult=dept_consult,
        evaluation_requests=scaled(t.evaluation_requests, s), evaluation_responses=scaled(t.evaluation_responses, s),
        to_110=scaled(t.to_110, s), from_110=scaled(t.from_110, s), maishangyi=scaled(t.maishangyi, s),
        tags={k: scaled(v, s) for k, v in t.tags.items()},
        departments=_table(t.departments, dept, s, t.top_departments),
        categories={k: _table(t.categories[k], kinds[k], s, t.top_categories.get(k, ())) for k in KINDS},
    )
