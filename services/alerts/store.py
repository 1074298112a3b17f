"""The stored alerts (table `alerts`, 0011_alerts.sql) and the detector's progress
(`alerts_progress`): reading the newest state of episodes, writing new states.

Writing is idempotent: a row is an episode's state with its version, the table keeps the highest
version of an id, and writing the same state again (a retried cycle, a second detector) leaves one
row per id for FINAL / argMax readers. Blocking; failures are StorageUnavailable (reader.py).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import orjson

from services.alerts.diff import Change, StoredEpisode
from services.alerts.episode import KINDS, Episode, series_of, series_text
from services.alerts.reader import Storage

COLUMNS = ("id, kind, series, series_text, started_ms, detected_ms, updated_ms, closed_ms, status, observed, "
           "expected, score, method, detail, callers, tickets, version, day, written_at")


@dataclass(frozen=True)
class OpenAlerts:
    by_kind: dict[str, int]
    oldest_started_ms: int | None  # of the open episodes asked about, None with none


@dataclass(frozen=True)
class Progress:
    watermark_ms: int
    seen_from_s: int
    seen: dict[int, int]


def series_json(e: Episode) -> str:
    """The series as a compact JSON object with sorted keys (the `series` column)."""
    return orjson.dumps(dict(e.series), option=orjson.OPT_SORT_KEYS).decode()


def row(change: Change, tz: ZoneInfo, written_at: dt.datetime) -> tuple:
    e = change.episode
    day = dt.datetime.fromtimestamp(e.started_ms / 1000, tz).date()
    return (e.id, e.kind, series_json(e), series_text(e.series), e.started_ms, e.detected_ms, e.updated_ms,
            e.closed_ms, e.status, float(e.observed), float(e.expected), float(e.score), e.method, e.detail,
            int(e.callers), list(e.tickets), change.version, day, written_at)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class AlertStore:
    def __init__(self, storage: Storage, tz: ZoneInfo, detector: str) -> None:
        self.storage = storage
        self.tz = tz
        self.detector = detector

    def stored(self, from_ms: int) -> dict[str, StoredEpisode]:
        """Newest state of every episode detected at or after `from_ms`, and of every open one."""
        out = {}
        for (id_, kind, series, started, detected, updated, closed, observed, expected, score, method, detail,
             callers, tickets, version) in self.storage.run("stored_alerts", {"from_ms": from_ms}):
            e = Episode(kind, series_of(orjson.loads(series)), int(started), int(detected), int(updated), int(closed),
                        float(observed), float(expected), float(score), method, detail, int(callers), tuple(tickets))
            out[id_] = StoredEpisode(e, int(version))
        return out

    def open_alerts(self, since_ms: int = 0) -> OpenAlerts:
        """The open episodes by kind, and the earliest start among those started from `since_ms` on."""
        counts = dict.fromkeys(KINDS, 0)
        starts = []
        for kind, n, started in self.storage.run("open_alerts", {"since_ms": since_ms}):
            counts[kind] = int(n)
            if n and started and started >= since_ms:  # minIf gives 0 when none qualifies
                starts.append(int(started))
        return OpenAlerts(counts, min(starts, default=None))

    def write(self, changes: Iterable[Change]) -> int:
        """Store each change's state with its version; returns the rows written."""
        at = _now()
        rows = [row(c, self.tz, at) for c in changes]
        if rows:
            self.storage.execute(f"INSERT INTO {self.storage.database}.alerts ({COLUMNS}) VALUES", rows)
        return len(rows)

    def progress(self) -> Progress | None:
        rows = self.storage.run("progress", {"detector": self.detector})
        if not rows:
            return None
        watermark, from_s, seconds, events = rows[0]
        return Progress(int(watermark), int(from_s), dict(zip(map(int, seconds), map(int, events))))

    def save_progress(self, watermark_ms: int, seen_from_s: int, seen: Mapping[int, int]) -> None:
        at = _now()
        seconds = sorted(seen)
        self.storage.execute(
            f"INSERT INTO {self.storage.database}.alerts_progress "
            "(detector, version, cycle_at, watermark_ms, seen_from_s, seen_seconds, seen_events, written_at) VALUES",
            # Microseconds of the wall clock: the newest row wins; a second detector's row is as good.
            [(self.detector, time.time_ns() // 1000, at, watermark_ms, seen_from_s, seconds,
              [seen[s] for s in seconds], at)])
