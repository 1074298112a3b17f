"""A year the working-day calendar does not cover, through the stack `hotline up` runs.

The pinned chinesecalendar covers 2004-2026. Events of 2027 posted to ingest must be stored and
counted like any other (the first design dead-lettered them all), their handling times pending;
supplying the 2027 schedule (tests/fixtures/calendar-2027.json, written for these tests) makes
them the figures the reference fold computes with that schedule, stated here by hand as well.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import orjson
import pytest

from hotline.calendar.schedule import loads
from hotline.calendar.sources import combine
from tests.support import reference_fold
from tests.support.facts_rows import TICKET_COLUMNS
from tests.support.waiting import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

AUTH = {"Authorization": "Bearer dev-token"}  # development token: read and supply
SH = dt.timezone(dt.timedelta(hours=8))
SCHEDULE_2027 = Path(__file__).resolve().parents[2] / "fixtures" / "calendar-2027.json"
TICKET = {"requester": "citizen", "channel": "phone", "category": "民生保障"}


def _urls():
    from services.api.settings import ApiSettings
    from services.ingest.settings import IngestSettings

    api, ingest = ApiSettings(), IngestSettings()
    return f"http://{api.host}:{api.port}", f"http://{ingest.host}:{ingest.port}"


def _events(run: str) -> list[dict]:
    n = iter(range(1, 100))

    def ev(type_: str, subject: str, t: str, data: dict | None = None) -> dict:
        source = "/pbx/main" if ".call." in type_ else "/crm/main"
        return {"specversion": "1.0", "id": f"{run}-{next(n)}", "source": source, "type": type_, "time": t,
                "subject": f"{subject}-{run}", "data": data or {}}

    return [
        # T1: created Thursday 4 Feb 2027 09:00, dispatched, completed Monday 15 Feb 09:00. With the
        # 2027 schedule: 15 h of the 4th, 5-13 Feb off (Spring Festival), Sunday the 14th worked
        # (24 h), 9 h of the 15th: 48 h = 2.0 working days.
        ev("hotline.ticket.created", "cal-T1", "2027-02-04T09:00:00+08:00", {**TICKET, "kind": "non_consult"}),
        ev("hotline.ticket.dispatched", "cal-T1", "2027-02-04T09:30:00+08:00",
           {"department": "市住建局", "deadline": "2027-02-20T18:00:00+08:00"}),
        ev("hotline.ticket.completed", "cal-T1", "2027-02-15T09:00:00+08:00"),
        # T2: created Tuesday 5 Jan 2027 10:00, answered online at 10:05: 300 working seconds.
        ev("hotline.ticket.created", "cal-T2", "2027-01-05T10:00:00+08:00", {**TICKET, "kind": "consult"}),
        ev("hotline.ticket.answered", "cal-T2", "2027-01-05T10:05:00+08:00", {"by": "agent"}),
        # T3: created, dispatched, not completed: no handling time at all, pending or not.
        ev("hotline.ticket.created", "cal-T3", "2027-03-01T11:00:00+08:00", {**TICKET, "kind": "non_consult"}),
        ev("hotline.ticket.dispatched", "cal-T3", "2027-03-01T11:10:00+08:00", {"department": "市交通局"}),
        # Calls need no working calendar at all.
        ev("hotline.call.offered", "cal-C1", "2027-01-05T09:59:00+08:00", {"direction": "inbound"}),
        ev("hotline.call.answered", "cal-C1", "2027-01-05T09:59:20+08:00", {"agent_id": "a1"}),
        ev("hotline.call.ended", "cal-C1", "2027-01-05T10:02:20+08:00"),
        ev("hotline.call.offered", "cal-C2", "2027-02-15T08:00:00+08:00", {"direction": "inbound"}),
        ev("hotline.call.abandoned", "cal-C2", "2027-02-15T08:00:45+08:00"),
    ]


def _efficiency(http: httpx.Client, api: str, period: dict, *, before_events: bool = False) -> dict:
    r = http.get(f"{api}/v1/reports/period", params=period, headers=AUTH)
    if before_events and r.status_code == 404:
        # A stack that holds no event of the period yet (a fresh one) has no report of it:
        # nothing to subtract.
        assert r.json()["type"] == "urn:hotline:problem:no-data", r.text
        return {"consult": {}, "non_consult": {}}
    assert r.status_code == 200, r.text
    return r.json()["efficiency"]


def _diff(now: dict, before: dict, kind: str, *keys: str) -> tuple:
    return tuple(now[kind][k] - before[kind].get(k, 0) for k in keys)


def _facts_mean(clickhouse, db: str, kind: str) -> float:
    (mean,) = clickhouse.execute(
        f"SELECT round(avg(handling_work_s) / 86400, 3) FROM {db}.ticket_facts FINAL "
        "WHERE kind = %(kind)s AND completed = 1 AND day BETWEEN '2027-01-01' AND '2027-03-31'", {"kind": kind})[0]
    return mean


def _tickets(clickhouse, db: str, run: str) -> dict[str, tuple]:
    rows = clickhouse.execute(
        f"SELECT ticket_id, completed, handling_work_s FROM {db}.ticket_facts FINAL WHERE ticket_id LIKE %(p)s",
        {"p": f"cal-T%-{run}"})
    return {r[0].rsplit("-", 1)[0]: r[1:] for r in rows}


def _calls(clickhouse, db: str, run: str) -> dict[str, tuple]:
    rows = clickhouse.execute(
        f"SELECT call_id, status, wait_ms, talk_ms FROM {db}.call_facts FINAL WHERE call_id LIKE %(p)s",
        {"p": f"cal-C%-{run}"})
    return {r[0].rsplit("-", 1)[0]: r[1:] for r in rows}


@pytest.fixture
def http():
    with httpx.Client(timeout=60) as client:
        yield client


@pytest.fixture
def no_2027_schedule(http, local_stack):
    """The stack as the pinned library leaves it; whatever a test supplied is withdrawn after."""
    api, _ = _urls()
    http.delete(f"{api}/v1/calendar/2027", headers=AUTH)
    yield
    http.delete(f"{api}/v1/calendar/2027", headers=AUTH)


def test_2027_is_folded_with_handling_pending_then_computed_once_the_year_is_supplied(
        local_stack, clickhouse, http, no_2027_schedule):
    api, ingest = _urls()
    db = local_stack.clickhouse.database
    run = uuid.uuid4().hex[:8]
    events = _events(run)
    # The stack is shared: other runs may hold 2027 tickets too, so report figures are compared
    # with what the report said before this test's events.
    period = {"from": "2027-01-01", "to": "2027-03-31"}
    before = _efficiency(http, api, period, before_events=True)
    r = http.post(f"{ingest}/v1/events", json=events,
                  headers={**AUTH, "Content-Type": "application/cloudevents-batch+json"})
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == ["accepted"] * len(events)

    # Stored and folded, counts exact; the handling times of completed tickets pending (-1).
    tickets = eventually(lambda: _tickets(clickhouse, db, run), until=lambda t: len(t) == 3 and t["cal-T1"][0] == 1,
                         timeout_s=60, what="the 2027 tickets in ticket_facts")
    assert tickets == {"cal-T1": (1, -1), "cal-T2": (1, -1), "cal-T3": (0, 0)}
    calls = eventually(lambda: _calls(clickhouse, db, run), until=lambda c: len(c) == 2 and c["cal-C1"][2] > 0,
                       timeout_s=60, what="the 2027 calls in call_facts")
    assert calls == {"cal-C1": ("answered", 20_000, 180_000), "cal-C2": ("abandoned", 45_000, -1)}
    stored = clickhouse.execute(f"SELECT uniqExact(source, id) FROM {db}.events WHERE subject LIKE %(p)s",
                                {"p": f"cal-%-{run}"})[0][0]
    assert stored == len(events)

    # The report counts them and says the handling times are pending; no average is guessed.
    eff = _efficiency(http, api, period)
    assert _diff(eff, before, "consult", "count", "completed", "handling_pending") == (1, 1, 1)
    assert _diff(eff, before, "non_consult", "count", "completed", "handling_pending") == (2, 1, 1)
    assert eff["consult"]["avg_handling_workdays"] is None and eff["non_consult"]["avg_handling_workdays"] is None

    cal = http.get(f"{api}/v1/calendar", headers=AUTH).json()
    assert cal["covered_until"] == "2026-12-31" and cal["pending_tickets"] >= 2
    ready = http.get(f"{api}/readyz").json()
    assert ready["status"] == "ready" and ready["calendar"]["covered_until"] == "2026-12-31"
    live = eventually(lambda: http.get(f"{api}/v1/live", headers=AUTH), until=lambda r: r.status_code == 200,
                      timeout_s=60, what="the API's first live snapshot").json()
    assert live["working_calendar"]["covered_until"] == "2026-12-31"
    today = dt.datetime.now(SH).date()
    assert live["working_calendar"]["days_left"] == (dt.date(2026, 12, 31) - today).days

    # Supplying the year recomputes what was pending before the answer comes back.
    r = http.put(f"{api}/v1/calendar/2027", content=SCHEDULE_2027.read_bytes(),
                 headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["covered_until"] == "2027-12-31" and r.json()["recomputed_tickets"] >= 2
    assert _tickets(clickhouse, db, run) == {"cal-T1": (1, 2 * 86_400), "cal-T2": (1, 300), "cal-T3": (0, 0)}

    # ... and equal to the reference fold with that schedule, column for column.
    schedule = loads(SCHEDULE_2027.read_bytes())[0]
    calendar = combine("Asia/Shanghai", [(schedule, "test")]).calendar
    by_ticket: dict[str, list] = {}
    for e in events:
        if ".ticket." in e["type"]:
            by_ticket.setdefault(e["subject"], []).append(e)
    want = reference_fold.ticket_rows(list(by_ticket.values()), calendar=calendar)
    got = sorted(clickhouse.execute(f"SELECT {TICKET_COLUMNS} FROM {db}.ticket_facts FINAL WHERE ticket_id LIKE %(p)s",
                                    {"p": f"cal-T%-{run}"}))
    assert got == want

    eff = _efficiency(http, api, period)
    assert (eff["consult"]["handling_pending"], eff["non_consult"]["handling_pending"]) == (0, 0)
    # On a fresh stack these are T2's 300 s (0.003 days) and T1's 2.0 days; with other runs'
    # tickets, the mean of every known handling time of the period in the facts.
    for kind in ("consult", "non_consult"):
        assert eff[kind]["avg_handling_workdays"] == _facts_mean(clickhouse, db, kind)

    # Withdrawn again, the year is pending again (the recomputation works both ways).
    r = http.delete(f"{api}/v1/calendar/2027", headers=AUTH)
    assert r.status_code == 200 and r.json()["covered_until"] == "2026-12-31"
    assert _tickets(clickhouse, db, run) == {"cal-T1": (1, -1), "cal-T2": (1, -1), "cal-T3": (0, 0)}


def test_a_wrong_schedule_is_refused_naming_the_day(local_stack, http, no_2027_schedule):
    api, _ = _urls()
    doc = orjson.loads(SCHEDULE_2027.read_bytes())
    put = lambda d: http.put(f"{api}/v1/calendar/2027", json=d, headers=AUTH)  # noqa: E731

    r = put({**doc, "workdays": [*doc["workdays"], "2027-02-03"]})  # a Wednesday
    assert r.status_code == 422, r.text
    assert r.json()["problems"] == ["workdays: 2027-02-03 is a Wednesday; an adjusted working day falls on a "
                                    "Saturday or Sunday"]
    # Sunday 27 December 2026 is a rest day in the library: a 2027 notice cannot make it a working day.
    r = put({**doc, "workdays": [*doc["workdays"], "2026-12-27"]})
    assert r.status_code == 422, r.text
    assert "2026-12-27" in r.json()["detail"] and "library" in r.json()["detail"]
    r = put({**doc, "year": 2028})
    assert r.status_code == 400 and "2027" in r.json()["detail"]
    # Nothing of it was kept.
    assert http.get(f"{api}/v1/calendar", headers=AUTH).json()["covered_until"] == "2026-12-31"
    assert http.get(f"{api}/v1/calendar/2027", headers=AUTH).status_code == 404


def test_reading_the_calendar_and_a_library_year(local_stack, http):
    api, _ = _urls()
    r = http.get(f"{api}/v1/calendar/2026", headers=AUTH)
    assert r.status_code == 200
    body = r.json()
    assert body["origin"] == "library chinesecalendar"
    assert body["schedule"]["holidays"]["national_day"][0] == "2026-10-01"
    assert http.get(f"{api}/v1/calendar").status_code == 401
    assert http.put(f"{api}/v1/calendar/2027", json={}).status_code == 401


def test_hotline_status_and_calendar_show_the_coverage(local_stack):
    hotline = [sys.executable, "-m", "tooling.cli"]
    status = subprocess.run([*hotline, "status"], capture_output=True, text=True, timeout=60)
    line = next(ln for ln in status.stdout.splitlines() if ln.startswith("calendar"))
    assert "covers up to 2026-12-31" in line and "handling times pending" in line
    shown = subprocess.run([*hotline, "calendar"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and shown.stdout.startswith("covers up to 2026-12-31 ("), shown.stdout + shown.stderr
    template = subprocess.run([*hotline, "calendar", "template", "2026"], capture_output=True, text=True, timeout=60)
    assert orjson.loads(template.stdout)["workdays"] == ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09",
                                                         "2026-09-20", "2026-10-10"]
    refused = subprocess.run([*hotline, "calendar", "template", "2027"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "up to 2026" in refused.stderr
