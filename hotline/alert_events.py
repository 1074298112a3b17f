"""An alert's change of state as a CloudEvent: what the platform publishes on the alerts topic.

The early warning (services/alerts) keeps each alert as an episode: raised when its evidence
first crosses the detector's threshold, updated with later evidence, closed when the evidence
has ended. Each change is published as `hotline.alert.raised`, `.updated` or `.closed`
(docs/events.md, "Alerts"), structured mode, `subject` = the alert id, under the same contract
as every event (hotline.contract.validate_event accepts it; hotline.judge refuses it from
producers, so only the platform publishes alerts).

Deterministic: the same values give the same event, byte for byte once encoded. The CloudEvents
`id` is `<alert id>-<change>-<version>` and `time` is the event time of the change (not the
wall clock), so publishing a change again, after a restart or from a second detector, gives a
duplicate that consumers recognise by (source, id). Pure: takes plain values (the core does not
import the services), builds a dict, writes nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from zoneinfo import ZoneInfo

Change = Literal["raised", "updated", "closed"]
CHANGES: tuple[Change, ...] = ("raised", "updated", "closed")
ALERTS_SOURCE = "/platform/alerts"


def rfc3339(epoch_ms: int, tz: ZoneInfo) -> str:
    """Epoch milliseconds as RFC 3339 in `tz`, to the millisecond: `2024-03-01T08:00:00.000+08:00`."""
    instant = dt.datetime.fromtimestamp(epoch_ms // 1000, dt.timezone.utc).replace(
        microsecond=epoch_ms % 1000 * 1000)
    return instant.astimezone(tz).isoformat(timespec="milliseconds")


def alert_event(
    *, change: Change, alert_id: str, kind: str, series: Mapping[str, str], started_ms: int,
    detected_ms: int, updated_ms: int = 0, closed_ms: int = 0, observed: float, expected: float,
    score: float, method: str = "", detail: str = "", callers: int = 0,
    tickets: Sequence[str] = (), version: int, tz: ZoneInfo, source: str = ALERTS_SOURCE,
) -> dict[str, Any]:
    """The structured-mode CloudEvent of one change of one alert.

    `time` is the change's event time: `detected_ms` for raised, `updated_ms` for updated,
    `closed_ms` for closed, in the city's zone `tz` (as are `started`, `detected_at` and
    `closed_at`). `version` orders the states of one alert (services/alerts: Episode.version)
    and makes the id. `closed_at` is set only by a closing (and `closed_ms` must then be given);
    `status` follows from the change. `method`, `detail`, `callers` and `tickets` are left out
    when empty. Raises ValueError for an unknown change, a missing instant or a figure that is
    not finite (JSON has no NaN or infinity); never IO.
    """
    if change not in CHANGES:
        raise ValueError(f"change must be one of {', '.join(CHANGES)}")
    if not all(math.isfinite(x) for x in (observed, expected, score)):
        raise ValueError("observed, expected and score must be finite numbers")
    at = {"raised": detected_ms, "updated": updated_ms, "closed": closed_ms}[change]
    if at <= 0:
        raise ValueError(f"a {change} alert needs its event time ({'detected' if change == 'raised' else change}_ms)")
    data: dict[str, Any] = {
        "kind": kind,
        "series": {str(k): str(v) for k, v in sorted(series.items())},
        "started": rfc3339(started_ms, tz),
        "detected_at": rfc3339(detected_ms, tz),
        "observed": float(observed),
        "expected": float(expected),
        "score": float(score),
        "status": "closed" if change == "closed" else "open",
    }
    if change == "closed":
        data["closed_at"] = rfc3339(closed_ms, tz)
    if method:
        data["method"] = method
    if detail:
        data["detail"] = detail
    if callers:
        data["callers"] = callers
    if tickets:
        data["tickets"] = list(tickets)
    return {
        "specversion": "1.0",
        "id": f"{alert_id}-{change}-{version}",
        "source": source,
        "type": f"hotline.alert.{change}",
        "time": rfc3339(at, tz),
        "subject": alert_id,
        "datacontenttype": "application/json",
        "data": data,
    }
