"""Live figures for monitoring staff, from the background snapshot (services/api/live.py)."""

from __future__ import annotations

import time

import orjson
from fastapi import APIRouter, Response

from services.api.deps import ComponentsDep, LiveReaderDep
from services.api.errors import StorageUnavailableProblem

router = APIRouter(prefix="/v1", tags=["live"])


@router.get(
    "/live", summary="Calls waiting, today's calls and tickets, open and overdue tickets, freshness",
    description="Recomputed from ClickHouse in the background every `HOTLINE_API_LIVE_REFRESH_S` (0.5 s); "
    "`snapshot_age_s` says how old this answer is. Right across restarts: nothing is counted in memory.",
    responses={403: {"description": "a department's token: the live figures are city-wide"},
               503: {"description": "no snapshot yet, or ClickHouse has not answered since the last one"}},
)
async def live(c: ComponentsDep, _: LiveReaderDep) -> Response:
    snap = c.live.snapshot
    if not snap.computed_at_ms:
        raise StorageUnavailableProblem(snap.error or "the live figures are being computed; retry in a second",
                                 headers={"Retry-After": "1"})
    age = round(max(time.time() * 1000 - snap.computed_at_ms, 0) / 1000, 3)
    calendar = c.calendar.state.describe(c.calendar.today())
    working_calendar = {k: calendar[k] for k in ("covered_until", "days_left", "pending_tickets")}
    return Response(orjson.dumps({**snap.figures, "working_calendar": working_calendar,
                                  "snapshot_age_s": age, "stale_reason": snap.error}),
                    media_type="application/json")
