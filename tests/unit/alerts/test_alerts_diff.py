"""diff(): which alert changes a recomputation makes, and with which versions."""

from __future__ import annotations

import dataclasses

from services.alerts.diff import Change, StoredEpisode, diff, final_states
from services.alerts.episode import Episode, series_of
from services.alerts.plan import Range

H = 3_600_000
T0 = 1_700_000_000_000  # an hour boundary is not needed: the diff only compares
RANGE = Range(T0, T0 + 72 * H)
QUIET = lambda e: 24 * H  # noqa: E731 - every episode here closes 24 quiet hours after its last evidence, as a surge


def ep(started=T0 + H, detected=T0 + 2 * H, updated=T0 + 2 * H, closed=0, observed=5.0, kind="surge",
       district="清河区") -> Episode:
    return Episode(kind, series_of({"category": "住房保障", "district": district}), started, detected, updated,
                   closed, observed=observed, expected=1.5, score=13.0, method="share-cusum")


def stored(e: Episode, version: int | None = None) -> dict[str, StoredEpisode]:
    return {e.id: StoredEpisode(e, e.version if version is None else version)}


def kinds(changes: list[Change]) -> list[tuple[str, str]]:
    return [(c.change, c.id) for c in changes]


def test_a_new_episode_is_raised_with_its_natural_version():
    e = ep()
    [c] = diff({}, [e], RANGE, quiet_ms=QUIET)
    assert (c.change, c.episode, c.version) == ("raised", e, (T0 + 2 * H) * 2)


def test_a_new_episode_already_closed_is_raised_then_closed():
    e = ep(updated=T0 + 5 * H, closed=T0 + 30 * H)
    raised, closed = diff({}, [e], RANGE, quiet_ms=QUIET)
    assert (raised.change, raised.episode.closed_ms, raised.version) == ("raised", 0, (T0 + 5 * H) * 2)
    assert (closed.change, closed.episode, closed.version) == ("closed", e, (T0 + 30 * H) * 2 + 1)
    assert final_states([raised, closed]) == [closed]


def test_an_unchanged_episode_changes_nothing():
    e = ep()
    assert diff(stored(e), [e], RANGE, quiet_ms=QUIET) == []


def test_new_evidence_is_an_update_with_a_higher_version():
    before = ep()
    after = ep(updated=T0 + 3 * H, observed=7.0)
    [c] = diff(stored(before), [after], RANGE, quiet_ms=QUIET)
    assert (c.change, c.episode.observed, c.version) == ("updated", 7.0, (T0 + 3 * H) * 2)


def test_a_score_change_alone_is_an_update():
    before = ep()
    after = dataclasses.replace(before, score=14.5)
    assert kinds(diff(stored(before), [after], RANGE, quiet_ms=QUIET)) == [("updated", before.id)]


def test_an_open_episode_that_ends_is_closed():
    before = ep()
    after = ep(updated=T0 + 4 * H, closed=T0 + 28 * H)
    [c] = diff(stored(before), [after], RANGE, quiet_ms=QUIET)
    assert (c.change, c.episode.closed_ms, c.version) == ("closed", T0 + 28 * H, (T0 + 28 * H) * 2 + 1)


def test_an_open_episode_no_longer_produced_in_the_range_is_withdrawn():
    gone = ep()
    [c] = diff(stored(gone), [], RANGE, quiet_ms=QUIET)
    assert c.change == "closed" and c.id == gone.id
    assert c.episode.closed_ms == RANGE.end_ms
    assert c.episode.detail.startswith("withdrawn")
    assert c.episode.observed == 5.0 and c.episode.started_ms == gone.started_ms
    assert c.version == RANGE.end_ms * 2 + 1


def test_a_withdrawal_outlives_a_stored_version_that_is_higher_than_its_natural_one():
    gone = ep()
    [c] = diff(stored(gone, version=10 ** 16), [], RANGE, quiet_ms=QUIET)
    assert c.version == 10 ** 16 + 1


def test_an_open_episode_before_the_range_is_closed_by_its_rule_once_the_range_passes_its_closing():
    # detected before the range: no cycle recomputes it any more (its start is beyond the plan's reach)
    old = ep(started=T0 - 50 * H, detected=T0 - 49 * H, updated=T0 - 30 * H)
    [c] = diff(stored(old), [], RANGE, quiet_ms=QUIET)
    assert (c.change, c.id, c.episode.closed_ms) == ("closed", old.id, T0 - 6 * H)  # 24 h after T0 − 30 h
    assert c.episode.detail == old.detail and c.episode.updated_ms == T0 - 30 * H
    assert c.version == (T0 - 6 * H) * 2 + 1
    # the same stored state gives the same closing again (a repeated cycle, a restart, a second detector)
    assert diff(stored(old), [], RANGE, quiet_ms=QUIET) == [c]


def test_an_open_episode_before_the_range_stays_open_until_the_range_passes_its_closing():
    recent = ep(started=T0 - 50 * H, detected=T0 - 49 * H, updated=T0 + 48 * H)
    assert diff(stored(recent), [], RANGE, quiet_ms=QUIET) == []  # closes at T0 + 72 h: not beyond yet
    later = Range(T0, T0 + 72 * H + 1)
    [c] = diff(stored(recent), [], later, quiet_ms=QUIET)
    assert (c.change, c.episode.closed_ms) == ("closed", T0 + 72 * H)


def test_a_closed_stored_episode_before_the_range_is_left_alone():
    old = ep(started=T0 - 50 * H, detected=T0 - 49 * H, updated=T0 - 49 * H, closed=T0 - 25 * H)
    assert diff(stored(old), [], RANGE, quiet_ms=QUIET) == []


def test_a_closed_stored_episode_not_produced_is_left_alone():
    done = ep(closed=T0 + 20 * H)
    assert diff(stored(done), [], RANGE, quiet_ms=QUIET) == []


def test_a_computed_episode_detected_before_the_range_is_ignored():
    early = ep(started=T0 - 5 * H, detected=T0 - H, updated=T0 + H)
    assert diff({}, [early], RANGE, quiet_ms=QUIET) == []


def test_a_withdrawn_episode_produced_again_reopens_above_its_closed_version():
    e = ep()
    withdrawn_version = RANGE.end_ms * 2 + 1
    closed = dataclasses.replace(e, closed_ms=RANGE.end_ms, detail="withdrawn: …")
    [c] = diff(stored(closed, version=withdrawn_version), [e], RANGE, quiet_ms=QUIET)
    assert (c.change, c.episode.status, c.version) == ("updated", "open", withdrawn_version + 1)


def test_changes_are_ordered_by_detection_then_withdrawals():
    a = ep(detected=T0 + 5 * H, updated=T0 + 5 * H, district="A")
    b = ep(detected=T0 + 3 * H, updated=T0 + 3 * H, district="B")
    gone = ep(district="C")
    assert kinds(diff(stored(gone), [a, b], RANGE, quiet_ms=QUIET)) == [
        ("raised", b.id), ("raised", a.id), ("closed", gone.id)]


def test_a_recomputation_with_another_start_withdraws_the_old_id_and_raises_the_new():
    old = ep(started=T0 + H)
    new = ep(started=T0 + 2 * H)
    assert old.id != new.id
    assert kinds(diff(stored(old), [new], RANGE, quiet_ms=QUIET)) == [("raised", new.id), ("closed", old.id)]


def test_a_raising_is_named_after_the_detection_whatever_the_state_it_carries():
    late = ep(detected=T0 + 2 * H, updated=T0 + 9 * H, observed=11.0)
    [c] = diff({}, [late], RANGE, quiet_ms=QUIET)
    assert (c.version, c.event_version) == ((T0 + 9 * H) * 2, (T0 + 2 * H) * 2)
    update = diff(stored(ep()), [late], RANGE, quiet_ms=QUIET)[0]
    assert update.event_version == update.version == (T0 + 9 * H) * 2
