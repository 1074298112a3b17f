"""The brief's summary rows with the period before and a year earlier (services/api/brief/summary.py)."""

from __future__ import annotations

from datetime import date as D

from services.api.brief import summary
from services.api.report.figures import ServiceLevel

THIS, BEFORE = D(2024, 6, 17), D(2024, 6, 10)
MEASURES = dict.fromkeys(("completed_n", "work_s", "handling_known_n", "handling_pending_n", "on_time_n", "to_110_n",
                          "evaluation_requests_n", "evaluations_n", "service_rated_n", "service_satisfied_n",
                          "resolution_rated_n", "resolution_satisfied_n", "rated_tickets", "satisfied_tickets"), 0)


def tickets(cur, bucket, source, handling, n):
    return {"cur": cur, "bucket": bucket, "requester": "citizen", "source": source, "channel": "x",
            "handling": handling, "kind": "consult", "line": "12345", "tickets": n, **MEASURES}


def calls(cur, bucket, offered, answered, within):
    return {"cur": cur, "bucket": bucket, "direction": "inbound", "offered": offered, "answered": answered,
            "abandoned": offered - answered, "short_abandoned": 0, "answered_within": within, "abandoned_within": 0,
            "wait_ms_sum": 0, "talked": 0, "talk_ms_sum": 0, "over_10min": 0, "longest_talk_ms": 0}


T = [tickets(1, THIS, "phone", "department", 30), tickets(1, THIS, "internet", "online_agent", 10),
     tickets(1, BEFORE, "phone", "department", 20), tickets(0, D(2023, 6, 19), "phone", "online_agent", 50)]
C = [calls(1, THIS, 100, 90, 80), calls(1, BEFORE, 50, 50, 25)]


def by_key(rows):
    return {r["key"]: (r["value"], r["previous"], r["change_pct"], r["last_year"], r["yoy_pct"]) for r in rows}


def test_changes_against_the_week_before_and_the_year_before():
    rows = by_key(summary.summary(T, C, ServiceLevel(), THIS, BEFORE, True, True))
    assert rows["demands"] == (40, 20, 100.0, 50, -20.0)
    assert rows["source_internet"] == (10, 0, None, 0, None)  # from 0: no change defined
    assert rows["handling_department"] == (30, 20, 50.0, 0, None)
    assert rows["calls_offered"] == (100, 50, 100.0, 0, None)
    assert rows["answer_rate_pct"] == (90.0, 100.0, -10.0, None, None)
    assert rows["service_level_pct"] == (80.0, 50.0, 60.0, None, None)


def test_a_comparison_period_without_data_has_no_figures_never_minus_100():
    rows = by_key(summary.summary(T, C, ServiceLevel(), THIS, BEFORE, True, False))
    assert rows["demands"] == (40, 20, 100.0, None, None)


def test_a_department_has_no_call_rows():
    rows = summary.summary(T, None, ServiceLevel(), THIS, BEFORE, True, True)
    assert [r["key"] for r in rows] == ["demands", "source_phone", "source_internet", "source_transfer_in",
                                        "handling_online_agent", "handling_online_specialist", "handling_department"]
    assert rows[0]["label"] == "诉求总量"
