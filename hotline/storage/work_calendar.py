"""The working-day calendar in ClickHouse: supplied year schedules, the calendar in force, and
the recomputation of handling times when the calendar changes (tables of migration 0009).

`sync` is the one way the calendar changes: it stores the schedules of a file (if one is
configured), combines the library with every stored schedule (hotline/calendar/sources.py),
writes the result when it differs from the calendar in force, and refreshes the facts of the
tickets whose handling time that changes (the pending ones, and any completed on or after the
first changed day). Every step is idempotent; two processes running it at once write the same
calendar and refresh the same tickets, which the facts' lattice absorbs.

A refresh that read the old calendar and lands after the recomputation would leave a pending row
behind (equal versions: the last insert wins), so `sync` also settles: pending tickets whose days
are covered are refreshed again, whatever changed. Callers run it periodically (the API).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from hotline.calendar.schedule import ScheduleInvalid, YearSchedule, parse
from hotline.calendar.sources import Combined, combine
from hotline.calendar.work import EPOCH
from hotline.settings import CalendarSettings, ClickHouseSettings
from hotline.storage import facts
from hotline.storage.client import connect
from hotline.storage.facts import ParamExecutor

REFRESH_CHUNK = 50_000


@dataclass(frozen=True)
class InForce:
    """The calendar the facts refresh reads now."""

    version: int
    covered_until: dt.date
    before: tuple[int, ...]
    sources: list[dict[str, Any]]
    problems: tuple[str, ...]

    def days_left(self, today: dt.date) -> int:
        return (self.covered_until - today).days


@dataclass(frozen=True)
class Synced:
    combined: Combined
    changed: bool  # a new calendar was written
    refreshed: int  # tickets whose facts were refreshed
    stored: tuple[int, ...] = ()  # years stored from the file


def _version() -> int:
    # Microseconds: unique enough between writers, and it orders versions by time.
    return time.time_ns() // 1000


def stored_schedules(db: ParamExecutor, database: str) -> list[tuple[YearSchedule, str]]:
    """The newest version of each year that is not withdrawn, with its origin."""
    rows = db.execute(
        f"SELECT year, argMax(document, version), argMax(withdrawn, version), argMax(origin, version), max(version) "
        f"FROM {database}.calendar_schedules GROUP BY year ORDER BY year")
    return [(parse(orjson.loads(doc)), f"{origin}, version {version}")
            for _, doc, withdrawn, origin, version in rows if not withdrawn]


def store(db: ParamExecutor, database: str, schedule: YearSchedule, origin: str, *,
          once_per_content: bool = False) -> int | None:
    """Store a new version of the year's schedule; None (nothing written) when the newest stored
    version is the same document, or, with `once_per_content`, when this document was ever stored
    (a file's schedule is stored once: a later supply through the API is not undone by the file
    being read again at the next start)."""
    sha = schedule.sha256
    rows = db.execute(
        f"SELECT argMax(sha256, version), argMax(withdrawn, version), countIf(sha256 = %(sha)s) "
        f"FROM {database}.calendar_schedules WHERE year = %(year)s", {"year": schedule.year, "sha": sha})
    newest, withdrawn, ever = rows[0] if rows else ("", 0, 0)
    if (newest == sha and not withdrawn) or (once_per_content and ever):
        return None
    version = _version()
    db.execute(
        f"INSERT INTO {database}.calendar_schedules (year, version, supplied_at, origin, sha256, document, withdrawn) VALUES",
        [(schedule.year, version, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0),
          origin, sha, schedule.canonical().decode(), 0)])
    return version


def supply(db: ParamExecutor, database: str, tz: str, schedule: YearSchedule, origin: str, *,
           library_until: int | None = None) -> int | None:
    """Store `schedule` if the calendar would use it; raises ScheduleInvalid naming the day
    (nothing stored) when it disagrees with the library or another schedule, or leaves a gap.
    Run `sync` afterwards to put it in force."""
    this = "this schedule"
    others = [(s, o) for s, o in stored_schedules(db, database) if s.year != schedule.year]
    combined = combine(tz, [*others, (schedule, this)], library_until=library_until)
    mine = [p for p in combined.problems if f"({this})" in p]
    if mine:
        raise ScheduleInvalid(schedule.year, mine)
    return store(db, database, schedule, origin)


def withdraw(db: ParamExecutor, database: str, year: int, origin: str) -> bool:
    """Withdraw the year's supplied schedule (False: none is in force)."""
    rows = db.execute(f"SELECT argMax(withdrawn, version), count() FROM {database}.calendar_schedules "
                      f"WHERE year = %(year)s", {"year": year})
    if not rows or not rows[0][1] or rows[0][0]:
        return False
    db.execute(
        f"INSERT INTO {database}.calendar_schedules (year, version, supplied_at, origin, sha256, document, withdrawn) VALUES",
        [(year, _version(), dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0), origin, "", "", 1)])
    return True


def in_force(db: ParamExecutor, database: str) -> InForce | None:
    rows = db.execute(
        f"SELECT version, covered_until, before, sources, problems FROM {database}.work_calendar "
        f"ORDER BY version DESC LIMIT 1")
    if not rows:
        return None
    version, until, before, sources, problems = rows[0]
    return InForce(version, until, tuple(before), orjson.loads(sources), tuple(problems))


def write(db: ParamExecutor, database: str, combined: Combined) -> InForce:
    cal = combined.calendar
    sources = [{"from": s.first_year, "to": s.last_year, "origin": s.origin} for s in combined.sources]
    version = _version()
    db.execute(
        f"INSERT INTO {database}.work_calendar (version, written_at, first, covered_until, before, sources, problems) VALUES",
        [(version, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0), cal.first, cal.last,
          list(cal.before), orjson.dumps(sources).decode(), list(combined.problems))])
    return InForce(version, cal.last, tuple(cal.before), sources, combined.problems)


def sync(db: ParamExecutor, database: str, tz: str, *, library_until: int | None = None,
         file_schedules: Sequence[YearSchedule] = (), file_name: str = "",
         library: Sequence[bool] | None = None) -> Synced:
    """Bring the calendar in force up to date and recompute what it changes (see the module)."""
    stored_years = tuple(s.year for s in file_schedules
                         if store(db, database, s, f"file {file_name}", once_per_content=True) is not None)
    combined = combine(tz, stored_schedules(db, database), library_until=library_until, library=library)
    old = in_force(db, database)
    new_before = tuple(combined.calendar.before)
    changed = (old is None or old.before != new_before or list(old.problems) != list(combined.problems)
               or [s["origin"] for s in old.sources] != [s.origin for s in combined.sources])
    if changed:
        write(db, database, combined)
    # The first calendar ever written (a new database, or one just migrated to 0009, whose facts
    # were computed with the same library) changes no handling time but the pending ones.
    since = _first_change(old.before, new_before) if changed and old is not None else None
    refreshed = recompute(db, database, tz, combined.calendar.last, since)
    return Synced(combined, changed, refreshed, stored_years)


def _first_change(old: Sequence[int], new: Sequence[int]) -> dt.date | None:
    """The first day whose working-day flag differs (a day covered by only one of them counts)."""
    for i in range(min(len(old), len(new)) - 1):
        if old[i + 1] - old[i] != new[i + 1] - new[i]:
            return EPOCH + dt.timedelta(days=i)
    if len(old) != len(new):
        return EPOCH + dt.timedelta(days=min(len(old), len(new)) - 1)
    return None


def recompute(db: ParamExecutor, database: str, tz: str, covered_until: dt.date, since: dt.date | None) -> int:
    """Refresh the tickets whose handling time the calendar in force gives differently from
    their facts: pending ones whose days are covered now, and (when days changed from `since`
    on) the completed ones whose completion is on or after it. Returns how many."""
    until = {"until": _local_ms(covered_until + dt.timedelta(days=1), tz)}
    candidates = pending_ids(db, database, "completed_ms < %(until)s", until)
    if since is not None:
        # Days changed inside what was covered (a corrected schedule): every completion on or
        # after the first changed day may move. Every version is read: an extra refresh is harmless.
        changed = db.execute(f"SELECT DISTINCT ticket_id FROM {database}.ticket_facts "
                             "WHERE completed = 1 AND completed_ms >= %(since)s", {"since": _local_ms(since, tz)})
        candidates = sorted(set(candidates) | {r[0] for r in changed})
    for i in range(0, len(candidates), REFRESH_CHUNK):
        facts.refresh(db, database, tz, "ticket", candidates[i:i + REFRESH_CHUNK])
    return len(candidates)


def _local_ms(day: dt.date, tz: str) -> int:
    from zoneinfo import ZoneInfo

    return int(dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).timestamp() * 1000)


def pending_count(db: ParamExecutor, database: str) -> int:
    """Completed tickets whose newest facts have a pending handling time. The tickets with a
    pending version are found without FINAL, then only their rows are merged (primary key)."""
    return db.execute(
        f"SELECT count() FROM {database}.ticket_facts FINAL WHERE handling_work_s = -1 AND ticket_id IN "
        f"(SELECT ticket_id FROM {database}.ticket_facts WHERE handling_work_s = -1)")[0][0]


def pending_ids(db: ParamExecutor, database: str, extra: str = "", params: dict[str, Any] | None = None) -> list[str]:
    """Tickets whose newest facts have a pending handling time (matching `extra`, a fixed SQL
    condition). Every version is searched first (cheap), then the few found are read with FINAL
    (a newer version may have settled them already)."""
    where = "handling_work_s = -1" + (f" AND {extra}" if extra else "")
    found = [r[0] for r in db.execute(f"SELECT DISTINCT ticket_id FROM {database}.ticket_facts WHERE {where}", params)]
    if not found:
        return []
    return [r[0] for r in db.execute(
        f"SELECT ticket_id FROM {database}.ticket_facts FINAL WHERE ticket_id IN {facts.TOUCHED} AND {where}",
        params, external_tables=facts.touched(found))]


def sync_configured(clickhouse: ClickHouseSettings, timezone: str, calendar: CalendarSettings) -> Synced:
    """`sync` with the deployment's settings, on a connection of its own (the CLI, `hotline up`)."""
    schedules = calendar.file_schedules()
    client = connect(clickhouse)
    try:
        return sync(client, clickhouse.database, timezone, library_until=calendar.library_until,
                    file_schedules=schedules, file_name=str(calendar.file or ""))
    finally:
        client.disconnect()
