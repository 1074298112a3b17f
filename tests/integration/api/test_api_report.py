"""The annual report, computed from the hand-checked event set of tests/support/report_events.py
through real ClickHouse (the aggregate worker's own prepare + writer, a database of its own) and
the real API app. Every expected figure below was worked out by hand from that module's comments.
"""

from __future__ import annotations

from datetime import date as D

import pytest
from fastapi.testclient import TestClient

from hotline.storage.client import connect
from services.api.app import create_app
from services.api.settings import ApiSettings
from tests.support.report_db import fresh_database, write
from tests.support.report_events import CALLS, LATE_EVENTS, TICKETS

pytestmark = pytest.mark.clickhouse

DB = "hotline_report_test"
COMPACT_DB = "hotline_report_compact_test"
COVERAGE_DB = "hotline_report_coverage_test"
SPLIT_DB = "hotline_report_split_test"
AUTH = {"Authorization": "Bearer dev-token"}


@pytest.fixture(scope="module")
def ch_settings(local_stack):
    settings = fresh_database(DB)
    write(settings, CALLS + TICKETS)
    return settings


@pytest.fixture(scope="module")
def late(ch_settings):
    """The API's answers before and after T3's late evaluation is written: (first, again, after)."""
    with TestClient(create_app(ApiSettings(clickhouse=ch_settings))) as client:
        first = client.get("/v1/reports/annual/2023", headers=AUTH)
        again = client.get("/v1/reports/annual/2023", headers=AUTH)
        write(ch_settings, LATE_EVENTS, offset=10_000)
        after = client.get("/v1/reports/annual/2023", headers=AUTH)
    return first, again, after


@pytest.fixture(scope="module")
def api(ch_settings, late):
    with TestClient(create_app(ApiSettings(clickhouse=ch_settings))) as client:
        yield client


def report(api, **params) -> dict:
    r = api.get("/v1/reports/annual/2023", params=params, headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


def test_demands_table(api):
    d = report(api)["demands"]
    assert d["label"] == "诉求总量与办理"
    rows = {k: {c: v[c] for c in ("total", "phone", "internet", "transfer_in", "online_agent", "online_specialist", "department")}
            for k, v in d["rows"].items()}
    assert rows == {
        "citizen": {"total": 8, "phone": 4, "internet": 1, "transfer_in": 3, "online_agent": 3, "online_specialist": 1, "department": 3},
        "enterprise": {"total": 2, "phone": 1, "internet": 1, "transfer_in": 0, "online_agent": 0, "online_specialist": 0, "department": 2},
        "all": {"total": 10, "phone": 5, "internet": 2, "transfer_in": 3, "online_agent": 3, "online_specialist": 1, "department": 5},
    }
    assert [d["rows"][k]["label"] for k in ("citizen", "enterprise", "all")] == ["群众诉求", "企业诉求", "总计"]
    assert d["completion_rate_pct"] == 80.0  # T2, T3, T4, T9 of 5 dispatched (T6 open)
    assert d["overall_satisfaction_pct"] == 75.0  # T2, T3, T4 satisfied on a question; T5 not
    assert d["yoy_pct"]["citizen"] == {"total": 166.67, "phone": 100.0, "internet": None, "transfer_in": 200.0,
                                       "online_agent": 200.0, "online_specialist": None, "department": 50.0}
    assert d["yoy_pct"]["enterprise"] == {"total": 100.0, "phone": None, "internet": 0.0, "transfer_in": None,
                                          "online_agent": None, "online_specialist": -100.0, "department": None}
    assert d["yoy_pct"]["all"] == {"total": 150.0, "phone": 150.0, "internet": 100.0, "transfer_in": 200.0,
                                   "online_agent": 200.0, "online_specialist": 0.0, "department": 150.0}
    assert d["yoy_pct"]["completion_rate"] == -20.0 and d["yoy_pct"]["overall_satisfaction"] == -25.0


def test_calls_table(api):
    c = report(api)["calls"]
    assert c["inbound"] == {
        "label": "接听", "offered": 6, "answered": 4, "abandoned": 2, "short_abandoned": 0,
        "answer_rate_pct": 66.67, "service_level_30s_pct": 50.0,  # C1, C5, C6 (exactly 30 s) of 6
        "avg_wait_s": 21.25, "avg_talk_s": 300.0, "over_10min_pct": 25.0, "longest_talk_s": 720.0,
    }
    assert c["outbound"] == {"label": "呼出", "count": 2, "dialled": 3, "avg_talk_s": 390.0,
                             "over_10min_pct": 50.0, "longest_talk_s": 720.0}
    # the call-weighted mean, not the sum the Huai'an report printed
    assert c["all"] == {"label": "总计", "count": 6, "avg_talk_s": 330.0, "over_10min_pct": 33.33, "longest_talk_s": 720.0}
    y = c["yoy_pct"]
    assert {k: y[k] for k in ("inbound_answered", "service_level_30s", "avg_wait_s", "inbound_avg_talk_s",
                              "inbound_over_10min", "outbound_count", "outbound_avg_talk_s", "all_count")} == {
        "inbound_answered": 100.0, "service_level_30s": 0.0, "avg_wait_s": -46.88, "inbound_avg_talk_s": -16.67,
        "inbound_over_10min": None, "outbound_count": 100.0, "outbound_avg_talk_s": 30.0, "all_count": 100.0,
    }
    assert c["columns"]["service_level_30s_pct"] == "30秒人工接通率(%)"


@pytest.mark.parametrize("params, key, expected", [
    ({"sl_denominator": "answered"}, "service_level_30s_pct", 75.0),         # 3 of 4 answered
    ({"sl_denominator": "abandon_ignored"}, "service_level_30s_pct", 60.0),  # 3 of 6 - C3
    ({"sl_threshold_s": 15}, "service_level_15s_pct", 33.33),                # C1, C5 of 6
])
def test_service_level_choices(api, params, key, expected):
    assert report(api, **params)["calls"]["inbound"][key] == expected


def test_short_abandons_leave_offered(api):
    inbound = report(api, short_abandon_s=20)["calls"]["inbound"]
    assert (inbound["offered"], inbound["abandoned"], inbound["short_abandoned"]) == (5, 1, 1)
    assert inbound["service_level_30s_pct"] == 60.0  # 3 of 5
    assert report(api, short_abandon_s=20)["parameters"]["service_level"]["short_abandon_s"] == 20


def test_efficiency_table(api):
    e = report(api)["efficiency"]
    assert e["scope"] == "all"
    # consult T1 240 s, T5 1800 s, T7 0 s, T9 2 days: 174 840 s / 4 = 0.506 days
    assert e["consult"] == {"label": "咨询类", "count": 4, "completed": 4, "avg_handling_workdays": 0.506,
                            "handling_pending": 0}
    # non-consult T2 2 days, T3 0.5, T4 44 h, T10 1200 s: 375 600 s / 4 = 1.087 days
    assert e["non_consult"] == {"label": "非咨询类", "count": 6, "completed": 4, "avg_handling_workdays": 1.087,
                                "handling_pending": 0}
    assert (e["evaluation_requests"], e["evaluation_responses"], e["evaluation_response_rate_pct"]) == (6, 4, 66.67)
    assert e["agent_service_satisfaction_pct"] == 75.0 and e["resolution_satisfaction_pct"] == 66.67
    assert e["yoy_pct"] == {
        "consult_count": 100.0, "consult_avg_handling": 4924.14, "non_consult_count": 200.0,
        "non_consult_avg_handling": 8.68, "evaluation_requests": 500.0, "evaluation_responses": 300.0,
        "evaluation_response_rate": -33.33, "agent_service_satisfaction": -25.0, "resolution_satisfaction": -33.33,
    }


def test_efficiency_over_dispatched_tickets_only(api):
    e = report(api, efficiency_scope="dispatched")["efficiency"]
    assert e["scope"] == "dispatched"
    assert (e["consult"]["count"], e["consult"]["avg_handling_workdays"]) == (1, 2.0)  # T9
    assert (e["non_consult"]["count"], e["non_consult"]["completed"], e["non_consult"]["avg_handling_workdays"]) == (4, 3, 1.444)
    assert (e["evaluation_requests"], e["evaluation_responses"], e["evaluation_response_rate_pct"]) == (5, 3, 60.0)
    assert (e["agent_service_satisfaction_pct"], e["resolution_satisfaction_pct"]) == (100.0, 66.67)


def test_110_talent_maishangyi_and_tags(api):
    r = report(api)
    link = r["linkage_110"]
    assert {k: link[k] for k in ("transfers_total", "to_110", "from_110", "from_110_on_time_completion_pct",
                                 "from_110_satisfaction_pct")} == {
        "transfers_total": 3, "to_110": 1, "from_110": 2, "from_110_on_time_completion_pct": 50.0,
        "from_110_satisfaction_pct": 50.0}
    assert link["yoy_pct"] == {"transfers_total": 200.0, "to_110": None, "from_110": 100.0,
                               "from_110_on_time_completion": -50.0, "from_110_satisfaction": None}
    t = r["talent_line"]
    assert {k: t[k] for k in ("total", "phone", "internet", "online_agent", "online_specialist", "department")} == {
        "total": 1, "phone": 1, "internet": 0, "online_agent": 1, "online_specialist": 0, "department": 0}
    assert t["label"] == "“尚贤”人才服务"
    assert r["maishangyi_demands"]["count"] == 1 and r["maishangyi_demands"]["label"] == "“码上议”流转诉求"
    assert r["tags"]["rows"] == [{"tag": "epidemic", "label": "疫情类", "count": 2, "share_pct": 20.0}]


def test_top_departments_and_categories(api):
    r = report(api)
    assert r["top_departments"]["label"] == "承办12345诉求量TOP5部门"
    assert r["top_departments"]["rows"] == [
        {"department": "市住建局", "count": 2, "share_pct": 40.0, "yoy_pct": 100.0},
        {"department": "市市场监管局", "count": 2, "share_pct": 40.0, "yoy_pct": None},  # T9's final dispatch
        {"department": "市公安局", "count": 1, "share_pct": 20.0, "yoy_pct": 0.0},
    ]
    cats = r["top_categories"]
    assert [(x["category"], x["count"], x["share_pct"]) for x in cats["consult"]] == [
        ("民生保障", 2, 50.0), ("人才服务", 1, 25.0), ("经济综合", 1, 25.0)]
    assert [(x["category"], x["count"], x["share_pct"]) for x in cats["non_consult"]] == [
        ("交通出行", 1, 16.67), ("住房保障", 1, 16.67), ("城乡建设", 1, 16.67), ("平安建设", 1, 16.67), ("民生保障", 1, 16.67)]
    assert [(x["category"], x["count"], x["share_pct"]) for x in cats["all"]] == [
        ("民生保障", 3, 30.0), ("经济综合", 2, 20.0), ("交通出行", 1, 10.0), ("人才服务", 1, 10.0), ("住房保障", 1, 10.0)]
    assert [x["category"] for x in report(api, top_n=2)["top_categories"]["all"]] == ["民生保障", "经济综合"]


def test_monthly_series_of_the_report(api):
    rows = report(api)["monthly"]["rows"]
    assert [(x["month"], x["demands"], x["calls_answered"], x["service_level_pct"]) for x in rows] == [
        ("2023-02", 1, 0, None), ("2023-03", 1, 2, 25.0), ("2023-05", 2, 0, None), ("2023-06", 1, 0, None),
        ("2023-07", 1, 1, 100.0), ("2023-08", 1, 0, None), ("2023-09", 1, 0, None), ("2023-11", 1, 0, None),
        ("2023-12", 1, 1, 100.0),
    ]


def test_a_period_without_a_previous_year(api):
    r = api.get("/v1/reports/period", params={"from": "2023-03-01", "to": "2023-03-31"}, headers=AUTH).json()
    assert r["period"]["previous"] == {"from": "2022-03-01", "to": "2022-03-31", "has_data": False}
    assert r["demands"]["rows"]["all"]["total"] == 1 and "yoy_pct" not in r["demands"]
    assert (r["calls"]["inbound"]["offered"], r["calls"]["inbound"]["service_level_30s_pct"]) == (4, 25.0)


def test_a_year_without_events_is_404_naming_the_days_held(api):
    # The event set's first day: 10 May 2022 (P1, Q1); its last: 31 December 2023 (C6, T3). T3's
    # late evaluation (1 March 2024) is an event of a ticket created in 2023: no day of its own.
    for path in ("/v1/reports/annual/2031", "/v1/reports/annual/2031/tables/demands"):
        r = api.get(path, headers=AUTH)
        assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json"), r.text
        assert r.json() == {
            "type": "urn:hotline:problem:no-data", "title": "The platform holds no events in this period",
            "status": 404, "instance": path, "first_day": "2022-05-10", "last_day": "2023-12-31",
            "detail": "no events for 2031-01-01..2031-12-31; the platform holds events from 2022-05-10 to 2023-12-31"}
    r = api.get("/v1/reports/period", params={"from": "2021-01-01", "to": "2022-05-09", "format": "xlsx"}, headers=AUTH)
    assert r.status_code == 404 and r.json()["detail"] == (
        "no events for 2021-01-01..2022-05-09; the platform holds events from 2022-05-10 to 2023-12-31")


def test_coverage_of_a_covered_year_and_of_a_year_where_the_data_begins(api):
    assert report(api)["coverage"] == {
        "first_day": "2022-05-10", "last_day": "2023-12-31", "complete": True, "note": None}
    r = api.get("/v1/reports/annual/2022", headers=AUTH)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["coverage"] == {"first_day": "2022-05-10", "last_day": "2023-12-31", "complete": False,
                               "note": "本期数据不完整：平台持有 2022-05-10 至 2022-12-31 的事件，此前的数字是未知而不是零。"}
    # 2021 holds no events: no comparison, never a fall of 100 %.
    assert doc["period"]["previous"] == {"from": "2021-01-01", "to": "2021-12-31", "has_data": False}
    assert doc["demands"]["rows"]["all"]["total"] == 4 and "yoy_pct" not in doc["demands"]  # Q1-Q4


def test_a_period_running_past_the_last_day_held_says_so(api):
    r = api.get("/v1/reports/period", params={"from": "2023-07-01", "to": "2024-06-30"}, headers=AUTH)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["coverage"] == {"first_day": "2022-05-10", "last_day": "2023-12-31", "complete": False,
                               "note": "本期数据不完整：平台持有 2023-07-01 至 2023-12-31 的事件，此后的数字是未知而不是零。"}
    # T7 (1 Jul), T8, T2, T9, T3 (31 Dec); a year earlier Q3, Q4, T10, T1, T4, T5, T6.
    assert doc["demands"]["rows"]["all"]["total"] == 5 and doc["period"]["previous"]["has_data"] is True


def test_a_department_is_checked_against_the_days_the_city_holds(ch_settings):
    token = "ndrc-token-2e6a0c4f8b1d5e9a3c7f"
    tokens = {"dev-token": {"reader": "dev"}, token: {"reader": "ndrc", "department": "市发改委"}}
    with TestClient(create_app(ApiSettings(clickhouse=ch_settings, tokens=tokens))) as client:
        ndrc = {"Authorization": f"Bearer {token}"}
        r = client.get("/v1/reports/annual/2031", headers=ndrc)
        assert (r.status_code, r.json()["type"]) == (404, "urn:hotline:problem:no-data")
        # 市发改委 holds no ticket of 2023 (T9 ended at 市市场监管局): zeros on days the city holds are true.
        r = client.get("/v1/reports/annual/2023", headers=ndrc)
        assert r.status_code == 200, r.text
        assert r.json()["demands"]["rows"]["all"]["total"] == 0 and r.json()["coverage"]["complete"] is True


def test_cached_answers_follow_the_days_held(local_stack):
    """On a database of its own: a ticket of a new day moves the last day held. Neither the
    2023 report's validator (no day of 2022-2023 changed) nor the cache may keep the old days."""
    settings = fresh_database(COVERAGE_DB)
    write(settings, CALLS + TICKETS)
    with TestClient(create_app(ApiSettings(clickhouse=settings))) as client:
        def get(path: str, **params) -> tuple[str, dict]:
            r = client.get(path, params=params, headers=AUTH)
            assert r.status_code == 200, r.text
            return r.headers["x-cache"], r.json()["coverage"]

        span = {"from": "2023-07-01", "to": "2024-06-30"}
        assert get("/v1/reports/annual/2023")[0] == "miss" and get("/v1/reports/annual/2023")[0] == "hit"
        assert get("/v1/reports/period", **span)[1]["last_day"] == "2023-12-31"
        assert client.get("/v1/reports/annual/2024", headers=AUTH).status_code == 404
        created = {"requester": "citizen", "channel": "phone", "kind": "consult", "category": "民生保障"}
        write(settings, [{"specversion": "1.0", "id": "rep-cov-1", "source": "/crm/main",
                          "type": "hotline.ticket.created", "time": "2024-01-10T09:00:00+08:00",
                          "subject": "rt-N1", "data": created}], offset=30_000)
        assert get("/v1/reports/annual/2023") == (
            "miss", {"first_day": "2022-05-10", "last_day": "2024-01-10", "complete": True, "note": None})
        assert get("/v1/reports/period", **span) == ("miss", {
            "first_day": "2022-05-10", "last_day": "2024-01-10", "complete": False,
            "note": "本期数据不完整：平台持有 2023-07-01 至 2024-01-10 的事件，此后的数字是未知而不是零。"})
        r = client.get("/v1/reports/annual/2024", headers=AUTH)
        assert r.status_code == 200 and r.json()["demands"]["rows"]["all"]["total"] == 1
        assert r.json()["coverage"]["note"] == "本期数据不完整：平台持有 2024-01-01 至 2024-01-10 的事件，此后的数字是未知而不是零。"


def test_weekly_series(api):
    r = api.get("/v1/series", params={"from": "2023-03-01", "to": "2023-03-31", "interval": "week"}, headers=AUTH)
    assert r.status_code == 200, r.text
    points = r.json()["points"]
    assert [(p["bucket"], p["demands"]["total"], p["calls_inbound"]["offered"], p["calls_outbound"]) for p in points] == [
        ("2023-03-06", 1, 4, 2)]  # Monday of the week of 6-8 March


def test_late_evaluation_invalidates_the_cached_report(late):
    first, again, after = late
    assert first.headers["x-cache"] == "miss" and again.headers["x-cache"] == "hit"
    assert again.json() == first.json()
    # before T3's evaluation: T2, T4, T5 answered, T2 and T4 satisfied on a question
    e, d = first.json()["efficiency"], first.json()["demands"]
    assert (e["evaluation_responses"], d["overall_satisfaction_pct"], e["resolution_satisfaction_pct"]) == (3, 66.67, 50.0)
    assert after.status_code == 200 and after.headers["x-cache"] == "miss"
    e, d = after.json()["efficiency"], after.json()["demands"]
    assert (e["evaluation_responses"], d["overall_satisfaction_pct"], e["resolution_satisfaction_pct"]) == (4, 75.0, 66.67)


def test_compacted_facts_give_the_same_report_without_final(local_stack):
    """On a database of its own: compacting and writing one more event would change what the
    other tests of this module read, whichever ran after."""
    from hotline.storage import compaction
    from services.api.facts_reader import FactsReader
    from services.api.report.period import Period

    ch_settings = fresh_database(COMPACT_DB)
    write(ch_settings, CALLS + TICKETS)
    write(ch_settings, LATE_EVENTS, offset=10_000)
    client = connect(ch_settings)
    reader = FactsReader(ch_settings, pool_size=1)
    try:
        period = Period.year(2023)
        assert not reader.clean(D(2022, 1, 1), D(2023, 12, 31))  # refreshed, never compacted
        for entity in ("ticket", "call"):
            compaction.compact(client, COMPACT_DB, entity)
        assert reader.clean(D(2022, 1, 1), D(2023, 12, 31))
        with TestClient(create_app(ApiSettings(clickhouse=ch_settings, compact_every_s=0))) as api:
            plain = api.get("/v1/reports/annual/2023", headers=AUTH).json()
        # the figures worked out by hand above, now read without FINAL
        assert plain["demands"]["rows"]["all"]["total"] == 10 and plain["calls"]["inbound"]["avg_wait_s"] == 21.25
        assert plain["efficiency"]["non_consult"]["avg_handling_workdays"] == 1.087
        assert plain["top_departments"]["rows"][0] == {"department": "市住建局", "count": 2, "share_pct": 40.0, "yoy_pct": 100.0}
        # a refresh touching a day of the period makes it unclean again
        write(ch_settings, [{"specversion": "1.0", "id": "rep-extra", "source": "/crm/main", "type": "hotline.ticket.supervised",
                             "time": "2023-12-01T10:00:00+08:00", "subject": "rt-T2", "data": {}}], offset=20_000)
        assert not reader.clean(D(2022, 1, 1), D(2023, 12, 31)) and reader.clean(D(2021, 1, 1), D(2021, 12, 31))
        assert period.lo == D(2023, 1, 1)
    finally:
        reader.close()
        client.disconnect()


def _cube_rows(c) -> dict:
    return {name: sorted(sorted(r.items()) for r in getattr(c, name).collapse(getattr(c, name).dims).rows)
            for name in ("tickets", "calls", "categories", "departments", "tags")}


def test_the_ticket_cubes_read_in_two_ranges_of_ids_add_up_to_one_read(ch_settings, monkeypatch):
    """With FINAL, report_cubes reads ticket_cubes.sql over the ids below a split and from it
    on, at once; whatever the split, the two add up to the read of all ids (a ticket's versions
    all fall on one side, the sorting key being the id)."""
    from services.api.facts_reader import FactsReader
    from services.api.report.figures import ServiceLevel
    from services.api.report.period import Period

    reader = FactsReader(ch_settings, pool_size=3)
    monkeypatch.setattr(reader, "month_marks", _marks_where(reader, lambda month: False))
    client = connect(ch_settings)
    try:
        ids = sorted(r[0] for r in client.execute(f"SELECT DISTINCT ticket_id FROM {DB}.ticket_facts"))
        # 14 tickets (10 of 2023, the others of other years): too few for the hashed sample to
        # find two, so one read of all ids
        params = FactsReader._period_params(Period.year(2023), Period.year(2022), ServiceLevel())
        assert len(ids) == 14 and reader.ticket_id_split(params) is None

        def cubes():
            return _cube_rows(reader.report_cubes(Period.year(2023), Period.year(2022), ServiceLevel()))

        whole = cubes()
        assert sum(r["tickets"] for r in reader.report_cubes(
            Period.year(2023), None, ServiceLevel()).tickets.where(cur=1).rows) == 10  # the hand-worked total
        assert whole["tags"] == [[("cur", 1), ("tag", "epidemic"), ("tickets", 2)]]
        for split in (ids[0], ids[3], ids[-1], ids[-1] + "~"):
            monkeypatch.setattr(reader, "ticket_id_split", lambda p, split=split: split)
            assert cubes() == whole, split
    finally:
        reader.close()
        client.disconnect()


def test_a_compacted_period_read_cube_by_cube_gives_the_cubes_of_the_one_read(ch_settings, monkeypatch):
    """A clean (compacted) period's ticket cubes are four queries without FINAL, a changing
    one's the one read of ticket_cubes.sql with FINAL, and a changing year beside a clean
    comparison year is read in two: on merged facts the three give the same cubes, every row of
    every cube, for the city and for a department."""
    from services.api.facts_reader import FactsReader
    from services.api.report.figures import ServiceLevel
    from services.api.report.period import Period

    reader = FactsReader(ch_settings, pool_size=6)
    client = connect(ch_settings)
    try:
        # A read without FINAL is exact only on merged facts (what a clean period means);
        # merging changes no figure the other tests read with FINAL, and records nothing.
        for table in ("ticket_facts", "call_facts"):
            client.execute(f"OPTIMIZE TABLE {DB}.{table} FINAL")
        answers = {}
        # every month changing; every month clean; 2022 clean beside a changing 2023; a changing
        # June among clean months; every other month clean (runs of one month, paired across years)
        for name, clean in (("none", lambda m: False), ("all", lambda m: True), ("2022", lambda m: m.year == 2022),
                            ("june", lambda m: m != D(2023, 6, 1)), ("alternate", lambda m: m.month % 2 == 0)):
            monkeypatch.setattr(reader, "month_marks", _marks_where(reader, clean))
            answers[name] = [_cube_rows(reader.report_cubes(Period.year(2023), Period.year(2022), ServiceLevel(),
                                                            department))
                             for department in (None, "市住建局")]
        city, housing = answers["all"]
        assert answers["all"] == answers["none"] == answers["2022"] == answers["june"] == answers["alternate"]
        # a comparison period overlapping the period: one read, with FINAL or not, never kept
        overlapping = {}
        for name, clean in (("none", lambda m: False), ("all", lambda m: True)):
            monkeypatch.setattr(reader, "month_marks", _marks_where(reader, clean))
            overlapping[name] = _cube_rows(reader.report_cubes(Period.year(2023), Period(D(2022, 7, 1), D(2023, 6, 30)),
                                                               ServiceLevel()))
        assert overlapping["none"] == overlapping["all"]
        assert sum(dict(r)["tickets"] for r in overlapping["all"]["tickets"] if dict(r)["cur"] == 1) == 10
        # the hand-worked figures: 10 tickets in 2023, two of them tagged epidemic, 市住建局's 2
        assert sum(dict(r)["tickets"] for r in city["tickets"] if dict(r)["cur"] == 1) == 10
        assert city["tags"] == [[("cur", 1), ("tag", "epidemic"), ("tickets", 2)]]
        assert [("cur", 1), ("department", "市住建局"), ("tickets", 2)] in city["departments"]
        assert [dict(r)["department"] for r in housing["departments"]] == ["市住建局"] * len(housing["departments"])
        assert housing["calls"] == []
    finally:
        reader.close()
        client.disconnect()


def test_compacted_months_cubes_are_kept_until_their_days_change(ch_settings, monkeypatch):
    """2023 changing beside a compacted 2022: 2022's cubes are read (without FINAL) once and kept
    month by month; a refresh marking a day of June 2022 changed has June alone read again; once
    2023 is compacted too, its months are read and 2022's still come from what is kept. 2023 is
    read with FINAL while it changes. Every report gives the same cubes."""
    from services.api.facts_reader import FactsReader
    from services.api.report.figures import ServiceLevel
    from services.api.report.period import Period

    reader = FactsReader(ch_settings, pool_size=4)
    client = connect(ch_settings)
    plain: list[dict] = []  # the calls cube's reads, one per read of the cubes
    finals: list[dict] = []
    rows = reader.rows
    monkeypatch.setattr(reader, "rows", lambda name, p, bucket="day", final=True, ids="all", by_month=False:
                        (name == "call_cube" and (finals if final else plain).append(p)) or
                        rows(name, p, bucket, final, ids, by_month))
    monkeypatch.setattr(reader, "month_marks", _marks_where(reader, lambda month: month.year == 2022))

    def report():
        return _cube_rows(reader.report_cubes(Period.year(2023), Period.year(2022), ServiceLevel()))
    try:
        for table in ("ticket_facts", "call_facts"):  # read without FINAL below: merged, as compaction leaves them
            client.execute(f"OPTIMIZE TABLE {DB}.{table} FINAL")
        first = report()
        assert report() == first and [(p["plo"], p["phi"]) for p in plain] == [(D(2022, 1, 1), D(2022, 12, 31))]
        assert plain[0]["lo"] > plain[0]["hi"]  # the comparison year alone: every row has cur = 0
        assert [(p["lo"], p["hi"]) for p in finals] == [(D(2023, 1, 1), D(2023, 12, 31))] * 2
        client.execute(f"INSERT INTO {DB}.facts_changes (day, entity, changes) VALUES",
                       [(D(2022, 6, 1), "ticket", 1)])
        assert report() == first
        assert [(p["plo"], p["phi"]) for p in plain[1:]] == [(D(2022, 6, 1), D(2022, 6, 30))] and len(finals) == 3
        monkeypatch.setattr(reader, "month_marks", _marks_where(reader, lambda month: True))
        assert report() == first
        assert [(p["lo"], p["hi"], p["plo"] > p["phi"]) for p in plain[2:]] == [(D(2023, 1, 1), D(2023, 12, 31), True)]
        assert len(finals) == 3
        assert report() == first and len(plain) == 3  # everything kept
    finally:
        reader.close()
        client.disconnect()


def test_the_split_of_the_ids_halves_the_tickets_of_the_periods_read(local_stack):
    """Ids that sort by year (T2022-…, T2023-…) split over every ticket stored would fall
    between the years, and one of the report's two reads would group all of 2023 alone. The
    split is the median of the periods' own tickets: 2023's alone, or 2022's and 2023's."""
    from services.api.facts_reader import FactsReader
    from services.api.report.figures import ServiceLevel
    from services.api.report.period import Period

    ch_settings = fresh_database(SPLIT_DB)
    client = connect(ch_settings)
    reader = FactsReader(ch_settings, pool_size=1)
    try:
        # 60,000 tickets a year over its days; the ids sort by year, then by number
        for year in (2021, 2022, 2023):
            client.execute(
                f"INSERT INTO {SPLIT_DB}.ticket_facts (ticket_id, events, day, created_ms) "
                f"SELECT concat('T{year}-', toString(100000 + number)), toUInt64(1), "
                f"toDate('{year}-01-01') + modulo(number, 365), toInt64(1) FROM numbers(60000)")
        period = FactsReader._period_params(Period.year(2023), None, ServiceLevel())
        with_previous = FactsReader._period_params(Period.year(2023), Period.year(2022), ServiceLevel())

        def below(split: str, years: tuple[int, ...]) -> float:
            """The share of the years' tickets with an id below the split."""
            lo, n = client.execute(
                f"SELECT countIf(ticket_id < %(s)s), count() FROM {SPLIT_DB}.ticket_facts "
                "WHERE toYear(day) IN %(y)s", {"s": split, "y": years})[0]
            return lo / n

        alone, both = reader.ticket_id_split(period), reader.ticket_id_split(with_previous)
        assert alone.startswith("T2023-") and 0.4 < below(alone, (2023,)) < 0.6
        assert 0.4 < below(both, (2022, 2023)) < 0.6
        # the ids of 2021, stored but in neither period, do not move it: over every ticket the
        # median would lie among 2022's ids
        assert both.startswith(("T2022-", "T2023-")) and not both.startswith("T2021-")
    finally:
        reader.close()
        client.disconnect()


def _marks_where(reader, clean):
    """A stand-in for reader.month_marks: the months' real change counts, each month clean when
    `clean(first day)` says so (these tests' facts are merged, so every month may be read
    either way)."""
    from services.api.report.reads import MonthMark

    real = reader.month_marks
    return lambda lo, hi: {m: MonthMark(mark.changes, clean(m)) for m, mark in real(lo, hi).items()}
