"""HOTLINE_CALENDAR_FILE, read by the API at start-up and on every check: a schedule that
disagrees with the library is not used and the start-up says which day; an invalid file stops
the start-up naming the day; an edited file is picked up without a restart."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hotline.calendar.schedule import ScheduleInvalid
from hotline.settings import CalendarSettings
from services.api.app import create_app
from services.api.settings import ApiSettings
from tests.support.report_db import fresh_database
from tests.support.waiting import eventually

pytestmark = pytest.mark.clickhouse

DB = "hotline_calendar_file_test"
AUTH = {"Authorization": "Bearer dev-token"}
SCHEDULE_2027 = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "calendar-2027.json").read_text())


@pytest.fixture
def ch_settings(local_stack):
    return fresh_database(DB)


def _app(ch, path: Path, check_every_s: float = 0):
    return create_app(ApiSettings(clickhouse=ch, calendar=CalendarSettings(file=path, check_every_s=check_every_s)))


def test_a_file_that_disagrees_with_the_library_is_not_used_and_readyz_names_the_day(ch_settings, tmp_path, caplog):
    path = tmp_path / "calendar.json"
    # Sunday 27 December 2026 is a rest day in the library; this 2027 notice would make it a working day.
    path.write_text(json.dumps({**SCHEDULE_2027, "workdays": [*SCHEDULE_2027["workdays"], "2026-12-27"]}))
    with TestClient(_app(ch_settings, path)) as api:
        ready = api.get("/readyz").json()
    assert ready["calendar"]["covered_until"] == "2026-12-31"
    assert ready["calendar"]["problems"] == [
        f"the schedule of 2027 (file {path}, version {_version(ch_settings)}) is not used: it makes 2026-12-27 a "
        "working day, but the library says it is a rest day"]
    assert any("2026-12-27" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)


def test_an_invalid_file_stops_the_start_up_naming_the_day(ch_settings, tmp_path):
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps({**SCHEDULE_2027, "workdays": ["2027-02-03"]}))  # a Wednesday
    with pytest.raises(ScheduleInvalid, match="2027-02-03 is a Wednesday"):
        with TestClient(_app(ch_settings, path)):
            pass


def test_a_file_written_while_the_api_runs_is_put_in_force(ch_settings, tmp_path):
    path = tmp_path / "calendar.json"
    path.write_text("[]")
    with TestClient(_app(ch_settings, path, check_every_s=0.2)) as api:
        assert api.get("/v1/calendar", headers=AUTH).json()["covered_until"] == "2026-12-31"
        path.write_text(json.dumps([SCHEDULE_2027]))
        body = eventually(lambda: api.get("/v1/calendar", headers=AUTH).json(),
                          until=lambda b: b["covered_until"] == "2027-12-31", timeout_s=30, what="the file's 2027 in force")
    assert body["sources"][-1]["from"] == 2027 and body["sources"][-1]["origin"].startswith(f"file {path}")
    assert body["problems"] == [] and body["days_left"] == (dt.date(2027, 12, 31) - _today()).days


def _version(ch) -> int:
    from hotline.storage.client import connect

    client = connect(ch)
    try:
        return client.execute(f"SELECT max(version) FROM {DB}.calendar_schedules WHERE year = 2027")[0][0]
    finally:
        client.disconnect()


def _today() -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
