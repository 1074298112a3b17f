"""The early-warning alerts (预警): the episodes the alerts service stores in ClickHouse
(surges, concentrated demands, ping-pong tickets), read back for people and tools.

City-wide read tokens only: an episode's series is the city's (a district, a category, a cell),
not one department's tickets. The pure part (the period as epoch milliseconds, a stored row as
the answer's JSON) is separate from the route so it is tested without a server.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from services.api.clock import bounds_ms, rfc3339
from services.api.deps import AlertsReaderDep, ComponentsDep, known_parameters
from services.api.errors import NotFound
from services.api.report.period import MAX_SERIES_DAYS, Period

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])

# The alerts service's vocabulary (services/alerts/episode.py), repeated because the services do
# not import each other; the stored rows are the contract between them.
Kind = Literal["surge", "cluster", "pingpong"]
Status = Literal["open", "closed"]
MAX_DAYS = MAX_SERIES_DAYS
# episode_id: al-<kind>-<the first 20 hex digits of a SHA-256>. Only an id of this shape is looked
# up and named in a 404: anything else could carry a value we must not echo.
ID_PATTERN = r"^al-(?:surge|cluster|pingpong)-[0-9a-f]{20}$"
_RFC3339 = {"format": "date-time"}


class Alert(BaseModel):
    """One episode, its newest state. Times are RFC 3339 in the city's zone, event time."""

    id: str = Field(description="stable over the episode's life: the same events give the same id")
    kind: Kind = Field(description="surge (激增), cluster (集中诉求), pingpong (推诿扯皮)")
    series: dict[str, str] = Field(description="the dimension values the episode is about, e.g. district and category")
    started: str = Field(json_schema_extra=_RFC3339, description="when the anomaly began")
    detected_at: str = Field(json_schema_extra=_RFC3339, description="when the evidence first crossed the threshold")
    updated_at: str = Field(json_schema_extra=_RFC3339, description="the latest evidence")
    closed_at: str | None = Field(json_schema_extra=_RFC3339, description="null while open")
    status: Status
    observed: float = Field(description="count over the episode's evidence window")
    expected: float = Field(description="what the baseline expected over the same window")
    score: float = Field(description="the detector's statistic at its peak")
    method: str
    detail: str
    callers: int | None = Field(default=None, description="clusters only: distinct callers")
    tickets: list[str] | None = Field(default=None, description="clusters only: the tickets of the cluster")


class AlertList(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: dt.date = Field(alias="from", description="first day asked for (city-local)")
    to: dt.date = Field(description="last day asked for (city-local), included")
    alerts: list[Alert] = Field(description="ordered by detected_at, then id")


# --- the pure part ------------------------------------------------------------------------------

def alert(row: Mapping[str, Any], timezone: str) -> Alert:
    """A row of alerts.sql / alert.sql as the answer's alert. `series` is stored as a JSON object."""
    fields: dict[str, Any] = {
        "id": row["id"], "kind": row["kind"], "series": orjson.loads(row["series"]),
        "started": rfc3339(row["started_ms"], timezone),
        "detected_at": rfc3339(row["detected_ms"], timezone),
        "updated_at": rfc3339(row["updated_ms"], timezone),
        "closed_at": rfc3339(row["closed_ms"], timezone) if row["closed_ms"] else None,
        "status": row["status"], "observed": row["observed"], "expected": row["expected"],
        "score": row["score"], "method": row["method"], "detail": row["detail"],
    }
    if row["kind"] == "cluster":
        fields |= {"callers": row["callers"], "tickets": list(row["tickets"])}
    return Alert(**fields)


# --- the routes ---------------------------------------------------------------------------------

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or unknown bearer token"},
    403: {"description": "the token lacks the read scope, or is a department's (alerts are city-wide)"},
    503: {"description": "ClickHouse did not answer; retry"},
}


@router.get(
    "", summary="Early-warning alerts (预警) of a period",
    description="The episodes whose span overlaps the city-local days `from`..`to` (both included): "
    "started on or before `to` and closed on or after `from`, or still open. Each in its newest state, "
    f"ordered by `detected_at`, then `id`. At most {MAX_DAYS} days.",
    response_model=AlertList, response_model_exclude_unset=True,
    responses={**_PROBLEMS, 400: {"description": "a bad date, `from` after `to`, an unknown kind or status; "
                                                 "`parameter` names it"}},
    dependencies=[Depends(known_parameters("from", "to", "kind", "status"))],
)
async def list_alerts(
    c: ComponentsDep, _: AlertsReaderDep,
    start: Annotated[dt.date, Query(alias="from", description="first day, YYYY-MM-DD (city-local)")],
    end: Annotated[dt.date, Query(alias="to", description="last day, YYYY-MM-DD (city-local), included")],
    kind: Annotated[Kind | None, Query(description="only this kind")] = None,
    status: Annotated[Status | None, Query(description="only open or only closed episodes")] = None,
) -> AlertList:
    period = Period.between(start, end, MAX_DAYS)
    tz = c.settings.city.timezone
    lo_ms, hi_ms = bounds_ms(period, tz)
    rows = await run_in_threadpool(c.reader.rows, "alerts", {"lo_ms": lo_ms, "hi_ms": hi_ms,
                                                             "kind": kind or "", "status": status or ""})
    return AlertList(from_=period.lo, to=period.hi, alerts=[alert(r, tz) for r in rows])


@router.get(
    "/{alert_id}", summary="One early-warning alert, its newest state",
    response_model=Alert, response_model_exclude_unset=True,
    responses={**_PROBLEMS, 404: {"description": "no alert has this id"}},
    dependencies=[Depends(known_parameters())],
)
async def get_alert(
    c: ComponentsDep, _: AlertsReaderDep,
    alert_id: Annotated[str, Path(max_length=64, description="an alert's id, al-<kind>-<20 hex digits>")],
) -> Alert:
    if not re.fullmatch(ID_PATTERN, alert_id):
        raise NotFound("no alert has this id: alert ids look like al-surge-<20 hex digits> "
                       "(or al-cluster-…, al-pingpong-…)")
    rows = await run_in_threadpool(c.reader.rows, "alert", {"id": alert_id})
    if not rows:
        raise NotFound(f"no alert {alert_id}")
    return alert(rows[0], c.settings.city.timezone)
