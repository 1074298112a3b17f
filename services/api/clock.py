"""City-local days and instants as the stored rows hold them (epoch milliseconds): a period's
bounds and an instant written as RFC 3339 in the city's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from services.api.report.period import Period


def midnight_ms(day: dt.date, timezone: str) -> int:
    """The local midnight starting `day`, as epoch milliseconds."""
    return int(dt.datetime.combine(day, dt.time(), ZoneInfo(timezone)).timestamp() * 1000)


def bounds_ms(period: Period, timezone: str) -> tuple[int, int]:
    """The period's days as epoch milliseconds [lo, hi): from the first day's local midnight to
    the midnight after the last day, so a day of 23 or 25 hours counts as it is."""
    return midnight_ms(period.lo, timezone), midnight_ms(period.hi + dt.timedelta(days=1), timezone)


def rfc3339(ms: int, timezone: str) -> str:
    """Epoch ms as RFC 3339 in the city's zone; milliseconds only when there are any."""
    t = dt.datetime.fromtimestamp(ms / 1000, ZoneInfo(timezone))
    return t.isoformat(timespec="milliseconds" if ms % 1000 else "seconds")
