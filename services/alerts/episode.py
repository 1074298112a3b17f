"""An alert as the platform keeps it: an episode of one kind on one series, opened, updated and
closed on event time.

An episode is identified by (kind, series, started): the same events give the same id whether
they arrive live or in a backfill, so storing or publishing an episode twice is harmless
(docs/alerts.md). Everything here is pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["surge", "cluster", "pingpong"]
KINDS: tuple[Kind, ...] = ("surge", "cluster", "pingpong")
Series = tuple[tuple[str, str], ...]


def series_of(values: Mapping[str, str]) -> Series:
    """The dimension values in a canonical order (sorted by name), so equal series are equal."""
    return tuple(sorted((str(k), str(v)) for k, v in values.items()))


def series_text(series: Series) -> str:
    """A stable one-line form of a series, for ids and logs: `category=住房保障|district=清江浦区`."""
    return "|".join(f"{k}={v}" for k, v in series)


def episode_id(kind: str, series: Series, started_ms: int) -> str:
    digest = hashlib.sha256(f"{kind}\x1f{series_text(series)}\x1f{started_ms}".encode()).hexdigest()
    return f"al-{kind}-{digest[:20]}"


@dataclass(frozen=True, slots=True)
class Episode:
    """One alert episode. Times are epoch milliseconds of event time.

    started_ms: when the anomaly began (a surge's estimated change point, a cluster's first
    ticket, a ping-pong ticket's first dispatch); detected_ms: the event time at which the
    evidence first crossed the threshold; updated_ms: the event time of the latest evidence;
    closed_ms: 0 while open. observed/expected: counts over the episode's evidence window
    (for ping-pong: dispatches, and 1); score: the detector's statistic at its peak.
    """

    kind: Kind
    series: Series
    started_ms: int
    detected_ms: int
    updated_ms: int
    closed_ms: int = 0
    observed: float = 0.0
    expected: float = 0.0
    score: float = 0.0
    method: str = ""
    detail: str = ""
    callers: int = 0
    tickets: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return episode_id(self.kind, self.series, self.started_ms)

    @property
    def status(self) -> Literal["open", "closed"]:
        return "closed" if self.closed_ms else "open"

    @property
    def version(self) -> int:
        """Grows with every later state of the same episode (the storage keeps the highest):
        later evidence, then closing."""
        return max(self.updated_ms, self.closed_ms) * 2 + (1 if self.closed_ms else 0)
