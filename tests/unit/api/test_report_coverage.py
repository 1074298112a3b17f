"""Which days of a period the platform holds (services/api/report/coverage.py), and the 404
`no-data` problem a period without any of them is answered with. Every date and note is written
out by hand."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.api import errors
from services.api.metrics import Metrics
from services.api.report.coverage import Coverage, NoData, assess
from services.api.report.period import Period

D = dt.date
HELD = Coverage(D(2022, 5, 10), D(2023, 12, 31))
TODAY = D(2026, 12, 7)


def test_a_period_inside_the_days_held_that_has_ended_is_complete():
    assert assess(Period.year(2023), HELD, TODAY) == {
        "first_day": "2022-05-10", "last_day": "2023-12-31", "complete": True, "note": None}
    # Its first day the first held, its last the last held: still complete.
    assert assess(Period(D(2022, 5, 10), D(2023, 12, 31)), HELD, TODAY)["complete"] is True


def test_a_period_that_runs_past_the_last_day_held():
    assert assess(Period(D(2023, 7, 1), D(2024, 6, 30)), HELD, TODAY) == {
        "first_day": "2022-05-10", "last_day": "2023-12-31", "complete": False,
        "note": "本期数据不完整：平台持有 2023-07-01 至 2023-12-31 的事件，此后的数字是未知而不是零。"}


def test_a_period_that_starts_before_the_first_day_held():
    assert assess(Period.year(2022), HELD, TODAY) == {
        "first_day": "2022-05-10", "last_day": "2023-12-31", "complete": False,
        "note": "本期数据不完整：平台持有 2022-05-10 至 2022-12-31 的事件，此前的数字是未知而不是零。"}


def test_a_period_around_every_day_held():
    note = assess(Period(D(2022, 1, 1), D(2024, 3, 31)), HELD, TODAY)["note"]
    assert note == "本期数据不完整：平台持有 2022-05-10 至 2023-12-31 的事件，此前和此后的数字是未知而不是零。"


def test_a_period_that_has_not_ended():
    held = Coverage(D(2024, 1, 2), D(2026, 12, 6))
    # The week of Monday 7 December 2026, asked for on its Monday: its days after the 6th have
    # not happened yet, so they are not called unknown; the note says how far the data goes.
    week = Period(D(2026, 12, 7), D(2026, 12, 13))
    assert assess(week, Coverage(D(2024, 1, 2), D(2026, 12, 7)), TODAY) == {
        "first_day": "2024-01-02", "last_day": "2026-12-07", "complete": False, "note": "本期尚未结束：数据截至 2026-12-07。"}
    # A year ending today is running too, and on the next day it has ended.
    assert assess(Period(D(2025, 12, 8), D(2026, 12, 7)), held, TODAY)["note"] == "本期尚未结束：数据截至 2026-12-06。"
    ended = assess(Period(D(2025, 12, 8), D(2026, 12, 6)), held, TODAY)
    assert (ended["complete"], ended["note"]) == (True, None)


def test_the_running_period_before_its_first_event_is_answered_not_unknown():
    # Monday 7 December 2026 just after midnight: the platform holds events up to Sunday the 6th,
    # this week none yet. It is this week's brief with nothing in it so far, not a 404; a week
    # that has not begun, or one that ended after the last day held, is still no data.
    held = Coverage(D(2024, 1, 2), D(2026, 12, 6))
    assert assess(Period(D(2026, 12, 7), D(2026, 12, 13)), held, TODAY) == {
        "first_day": "2024-01-02", "last_day": "2026-12-06", "complete": False, "note": "本期尚未结束：数据截至 2026-12-06。"}
    with pytest.raises(NoData):
        assess(Period(D(2026, 12, 14), D(2026, 12, 20)), held, TODAY)
    with pytest.raises(NoData):
        assess(Period(D(2026, 12, 7), D(2026, 12, 13)), Coverage(D(2024, 1, 2), D(2026, 11, 29)), D(2026, 12, 14))


def test_a_period_that_has_not_ended_and_starts_before_the_first_day_held():
    held = Coverage(D(2026, 3, 2), D(2026, 12, 6))
    assert assess(Period.year(2026), held, TODAY) == {
        "first_day": "2026-03-02", "last_day": "2026-12-06", "complete": False,
        "note": "本期数据不完整：平台持有 2026-03-02 至 2026-12-06 的事件，此前的数字是未知而不是零。"
                "本期尚未结束：数据截至 2026-12-06。"}


@pytest.mark.parametrize("period, detail", [
    (Period.year(2031),
     "no events for 2031-01-01..2031-12-31; the platform holds events from 2022-05-10 to 2023-12-31"),
    (Period(D(2024, 1, 1), D(2024, 1, 31)),
     "no events for 2024-01-01..2024-01-31; the platform holds events from 2022-05-10 to 2023-12-31"),
    (Period(D(2021, 1, 1), D(2022, 5, 9)),
     "no events for 2021-01-01..2022-05-09; the platform holds events from 2022-05-10 to 2023-12-31"),
])
def test_a_period_wholly_before_or_after_the_days_held_has_no_data(period, detail):
    with pytest.raises(NoData) as e:
        assess(period, HELD, TODAY)
    assert (str(e.value), e.value.first_day, e.value.last_day) == (detail, D(2022, 5, 10), D(2023, 12, 31))


def test_a_period_touching_the_days_held_by_one_day_has_data():
    assert assess(Period(D(2021, 1, 1), D(2022, 5, 10)), HELD, TODAY)["note"] == (
        "本期数据不完整：平台持有 2022-05-10 至 2022-05-10 的事件，此前的数字是未知而不是零。")
    assert assess(Period(D(2023, 12, 31), D(2024, 1, 6)), HELD, TODAY)["note"] == (
        "本期数据不完整：平台持有 2023-12-31 至 2023-12-31 的事件，此后的数字是未知而不是零。")


def test_a_platform_without_events_has_no_data_for_any_period():
    with pytest.raises(NoData) as e:
        assess(Period.year(2023), Coverage(None, None), TODAY)
    assert str(e.value) == "no events for 2023-01-01..2023-12-31; the platform holds no events yet"
    assert (e.value.first_day, e.value.last_day) == (None, None)


def _answer(exc: Exception) -> tuple[int, str, dict]:
    """What the API's error handlers make of `exc` raised by a route."""
    app = FastAPI()
    errors.install(app, Metrics())

    @app.get("/v1/reports/annual/{year}")
    def annual(year: int) -> None:
        raise exc

    r = TestClient(app).get("/v1/reports/annual/2031")
    return r.status_code, r.headers["content-type"], orjson.loads(r.content)


def test_no_data_is_a_404_problem_naming_the_days_held():
    with pytest.raises(NoData) as e:
        assess(Period.year(2031), HELD, TODAY)
    assert _answer(e.value) == (404, "application/problem+json", {
        "type": "urn:hotline:problem:no-data", "title": "The platform holds no events in this period",
        "status": 404, "instance": "/v1/reports/annual/2031",
        "detail": "no events for 2031-01-01..2031-12-31; the platform holds events from 2022-05-10 to 2023-12-31",
        "first_day": "2022-05-10", "last_day": "2023-12-31"})
    with pytest.raises(NoData) as e:
        assess(Period.year(2031), Coverage(None, None), TODAY)
    status, _, problem = _answer(e.value)
    assert (status, problem["first_day"], problem["last_day"]) == (404, None, None)
    assert problem["detail"] == "no events for 2031-01-01..2031-12-31; the platform holds no events yet"
