"""A return (hotline.ticket.returned) in the fold: one more event, no other figure changes; the
department is the latest dispatch's. Expected rows come from tests/support/truth.py."""

from __future__ import annotations

import datetime as dt

import pytest

from hotline.contract import validate_event
from tests.support.reference_fold import ticket_rows
from tests.support.truth import Dispatch, Return, Ticket

CST = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, 3, day, hour, minute, tzinfo=CST)


def ticket(returns: tuple[Return, ...], dispatches: tuple[Dispatch, ...]) -> Ticket:
    return Ticket("tk-r1", at(4, 9), "citizen", "phone", "non_consult", "住房保障", "物业管理", "清江浦区",
                  dispatches=dispatches, returns=returns, completed=at(5, 15))


def test_a_returned_and_redispatched_ticket_keeps_the_latest_dispatch() -> None:
    once = ticket((Return(at(4, 10), "市城管局", "不属本单位职责"),),
                  (Dispatch(at(4, 9, 10), "市城管局"), Dispatch(at(4, 10, 20), "市住建局", at(11, 10, 20))))
    events = once.events()
    assert [e["type"] for e in events] == ["hotline.ticket.created", "hotline.ticket.dispatched",
                                          "hotline.ticket.returned", "hotline.ticket.dispatched",
                                          "hotline.ticket.completed"]
    for e in events:
        validate_event(e)
    [row] = ticket_rows([events])
    assert row == once.row()
    # Written out: 5 events, the second department, on time; the same row as without the return
    # and its first dispatch, but for the events count.
    assert (row[1], row[16], row[18], row[19], row[22]) == (5, "市住建局", 1, 1, 1)
    plain = ticket((), (Dispatch(at(4, 10, 20), "市住建局", at(11, 10, 20)),))
    [plain_row] = ticket_rows([plain.events()])
    assert plain_row[1] == 3 and row[2:] == plain_row[2:]


def test_a_return_after_the_last_dispatch_changes_no_figure_but_the_count() -> None:
    dispatches = (Dispatch(at(4, 9, 10), "市城管局", at(11, 9, 10)),)
    kept = ticket((), dispatches)
    returned = ticket((Return(at(5, 16), "市城管局"),), dispatches)
    [a], [b] = ticket_rows([kept.events()]), ticket_rows([returned.events()])
    assert (a[1], b[1]) == (3, 4) and a[2:] == b[2:]


def test_a_return_follows_a_dispatch() -> None:
    with pytest.raises(ValueError):
        ticket((Return(at(4, 9, 5), "市城管局"),), (Dispatch(at(4, 9, 10), "市城管局"),))
