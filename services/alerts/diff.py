"""The changes a recomputation makes to the stored alerts: pure, decided here only.

`diff(stored, computed, evaluated, quiet_ms=…)` compares the episodes a cycle computed for the
evaluated range with the newest stored state of each (id → StoredEpisode) and returns the changes,
in the order they are to be published, each with the state to store and its version:

* an id not stored: `raised` (and, if the episode already ended, `closed` after it, so a
  consumer sees the whole life of an episode a backfill found);
* a stored episode whose state differs (evidence, figures, closing): `updated`, or `closed` when
  it was open and now ends; an episode stored closed that the events now show open again
  (late events) is `updated` with its open state;
* a stored open episode detected inside the evaluated range that the recomputation no longer
  produces (the events that made it were corrected or arrived late and tell otherwise): `closed`
  at the range's end, its detail saying it was withdrawn;
* a stored open episode detected before the evaluated range: no cycle recomputes it any more (the
  plan pulls the range back to the start of every open episode within its reach, so this one is
  beyond it): `closed` by its detector's rule, `quiet_ms(episode)` after its last stored evidence,
  once the range's end is beyond that instant (the detectors close "once the watermark is
  beyond" too). Left open, it would be open for good: every later brief and the open-alerts gauge
  would count it;
* nothing for an unchanged episode, a computed one detected before the range (its evidence was
  not read whole), a stored closed one outside the range, or an open one whose closing instant
  the range has not passed yet.

Versions only grow: a change is stored with its natural version (Episode.version) or, when that
is not above the stored one (a reopening, a withdrawal), the stored version plus one, so the
storage's highest version is always the newest state. Everything is deterministic: the same
stored and computed episodes give the same changes, with the same versions (and event ids).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from services.alerts.episode import Episode
from services.alerts.plan import Range

ChangeKind = Literal["raised", "updated", "closed"]
WITHDRAWN = "withdrawn"

# What makes a stored state stale: everything an episode says but its identity.
_STATE = ("detected_ms", "updated_ms", "closed_ms", "observed", "expected", "score", "method", "detail",
          "callers", "tickets")


@dataclass(frozen=True, slots=True)
class StoredEpisode:
    episode: Episode
    version: int


@dataclass(frozen=True, slots=True)
class Change:
    change: ChangeKind
    episode: Episode
    version: int

    @property
    def id(self) -> str:
        return self.episode.id

    @property
    def event_version(self) -> int:
        """The version in the published event's id. A raising is named after the detection (the
        state with no later evidence), not after the state it carries: a detector that raises the
        alert later (a backfill, a restart after a lost store) publishes the same event id as the
        one that raised it live, so consumers see one raising per alert; its figures are those
        known when it was published. The other changes are named after their state."""
        if self.change == "raised":
            return dataclasses.replace(self.episode, updated_ms=self.episode.detected_ms, closed_ms=0).version
        return self.version


def _state(e: Episode) -> tuple:
    return tuple(getattr(e, f) for f in _STATE)


def _after(natural: int, stored: StoredEpisode | None) -> int:
    return natural if stored is None or natural > stored.version else stored.version + 1


def withdrawn(e: Episode, evaluated: Range) -> Episode:
    """`e` closed at the end of the evaluated range because its recomputation no longer shows it."""
    closed = max(evaluated.end_ms, e.updated_ms, e.detected_ms)
    reason = f"{WITHDRAWN}: no longer shown by the events recomputed up to {evaluated.end_ms} (epoch ms)"
    return dataclasses.replace(e, closed_ms=closed, detail=reason)


def expired(e: Episode, quiet_ms: int, evaluated: Range) -> Episode | None:
    """`e` closed by its rule, `quiet_ms` after its last evidence, when the range's end is beyond
    that instant; None while it is not. A function of the stored state and the watermark only, so
    a repeated cycle, a restarted or a second detector decide the same closing."""
    closes = e.updated_ms + quiet_ms
    return dataclasses.replace(e, closed_ms=closes) if evaluated.end_ms > closes else None


def diff(stored: Mapping[str, StoredEpisode], computed: Iterable[Episode], evaluated: Range, *,
         quiet_ms: Callable[[Episode], int]) -> list[Change]:
    out: list[Change] = []
    produced: set[str] = set()
    for e in sorted(computed, key=lambda c: (c.detected_ms, c.id)):
        if e.detected_ms < evaluated.start_ms:
            continue
        produced.add(e.id)
        before = stored.get(e.id)
        if before is None:
            opened = dataclasses.replace(e, closed_ms=0)
            out.append(Change("raised", opened, opened.version))
            if e.closed_ms:
                out.append(Change("closed", e, _after(e.version, StoredEpisode(opened, opened.version))))
            continue
        if _state(before.episode) == _state(e):
            continue
        kind: ChangeKind = "closed" if e.closed_ms and not before.episode.closed_ms else "updated"
        out.append(Change(kind, e, _after(e.version, before)))
    for id_, before in sorted(stored.items()):
        e = before.episode
        if id_ in produced or e.closed_ms:
            continue
        if e.detected_ms in evaluated:
            gone = withdrawn(e, evaluated)
            out.append(Change("closed", gone, _after(gone.version, before)))
        elif e.detected_ms < evaluated.start_ms:
            ended = expired(e, quiet_ms(e), evaluated)
            if ended is not None:
                out.append(Change("closed", ended, _after(ended.version, before)))
    return out


def final_states(changes: Iterable[Change]) -> list[Change]:
    """The last change of each episode: what is stored (one row per episode and cycle)."""
    last: dict[str, Change] = {}
    for c in changes:
        last[c.id] = c
    return list(last.values())
