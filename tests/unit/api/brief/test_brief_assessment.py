"""The department assessment (services/api/brief/assessment.py): rates from sums, score, ranking."""

from __future__ import annotations

from services.api.brief import assessment
from services.api.brief.assessment import Weights


def measures():
    return assessment.merge(
        [{"department": "A局", "dispatched": 4, "completed_n": 4, "on_time_n": 3, "work_s": 345_600,
          "handling_known": 4, "evaluation_requests_n": 4, "evaluations_n": 2, "supervised_n": 1},
         {"department": "B局", "dispatched": 2, "completed_n": 1, "on_time_n": 1, "work_s": 43_200,
          "handling_known": 1, "evaluation_requests_n": 1, "evaluations_n": 1, "supervised_n": 0}],
        [{"department": "A局", "rated": 2, "satisfied": 1, "unsatisfied": 1},
         {"department": "B局", "rated": 1, "satisfied": 1, "unsatisfied": 0}],
        [{"department": "B局", "transferred_out": 2}, {"department": "C局", "transferred_out": 1}],
        [{"department": "B局", "overdue": 1}],
    )


def test_rows_scores_ranking_and_total():
    t = assessment.table(measures(), Weights())
    # A局: completion 100, on time 75, satisfaction 50 -> 0.4·50 + 0.3·75 + 0.3·100 = 72.5
    # B局: completion 50, on time 50, satisfaction 100 -> 40 + 15 + 15 = 70
    # C局: returned one ticket, holds none: no rate, no score, last and unranked
    assert [(r["rank"], r["department"], r["score"]) for r in t["rows"]] == [
        (1, "A局", 72.5), (2, "B局", 70.0), (None, "C局", None)]
    a = t["rows"][0]
    assert a == {"rank": 1, "department": "A局", "dispatched": 4, "completed": 4, "completion_rate_pct": 100.0,
                 "on_time": 3, "on_time_pct": 75.0, "avg_handling_workdays": 1.0, "evaluation_requests": 4,
                 "evaluations": 2, "evaluation_response_rate_pct": 50.0, "rated": 2, "satisfied": 1,
                 "satisfaction_pct": 50.0, "unsatisfied": 1, "supervised": 1, "transferred_out": 0, "overdue": 0,
                 "score": 72.5}
    total = t["total"]
    # The city: 6 dispatched, 5 completed, 4 on time, 3 rated of which 2 satisfied.
    assert (total["department"], total["dispatched"], total["completion_rate_pct"], total["on_time_pct"],
            total["satisfaction_pct"], total["transferred_out"], total["overdue"]) == \
        ("全市", 6, 500 / 6, 400 / 6, 200 / 3, 3, 1)
    assert "rank" not in total
    # A ticket returned by both B局 and C局 is one returned ticket of the city, not two.
    assert assessment.table(measures(), Weights(), city_returned=2)["total"]["transferred_out"] == 2


def test_a_missing_rate_leaves_its_weight_out():
    row = {"satisfaction_pct": None, "on_time_pct": 80.0, "completion_rate_pct": 90.0}
    assert assessment.score(row, Weights()) == 85.0  # (0.3·80 + 0.3·90) / 0.6
    assert assessment.score({**row, "on_time_pct": None, "completion_rate_pct": None}, Weights()) is None


def test_ties_by_dispatched_then_name_and_a_department_sees_its_row_only():
    m = assessment.merge([{"department": d, "dispatched": n, "completed_n": n, "on_time_n": n}
                          for d, n in (("乙", 2), ("甲", 2), ("丙", 5))])
    assert [r["department"] for r in assessment.table(m, Weights())["rows"]] == ["丙", "乙", "甲"]
    mine = assessment.table({"甲": m["甲"]}, Weights(), city_wide=False)
    assert mine["total"] is None and [r["rank"] for r in mine["rows"]] == [None]
