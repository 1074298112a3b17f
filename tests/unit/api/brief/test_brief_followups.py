"""Unsatisfied, supervised and overdue tickets by department (services/api/brief/followups.py)."""

from __future__ import annotations

from services.api.brief import followups

TZ = "Asia/Shanghai"
T0 = 1_718_582_400_000  # 2024-06-17T08:00:00+08:00
FACTS = {"t1": {"department": "A局", "completed": 0}, "t2": {"department": "A局", "completed": 1},
         "t3": {"department": "", "completed": 1}}


def test_unsatisfied_levels_once_and_twice_by_department():
    doc = followups.unsatisfied([{"ticket_id": "t1", "unsatisfied": 2, "last_ms": T0},
                                 {"ticket_id": "t2", "unsatisfied": 1, "last_ms": T0},
                                 {"ticket_id": "t3", "unsatisfied": 3, "last_ms": T0}], FACTS, TZ)
    assert [(t["ticket_id"], t["level"], t["unsatisfied_evaluations"], t["status"]) for t in doc["tickets"]] == [
        ("t3", 2, 3, "completed"), ("t1", 2, 2, "open"), ("t2", 1, 1, "completed")]
    assert doc["rows"] == [{"department": "A局", "once": 1, "twice": 1, "total": 2},
                           {"department": "", "once": 0, "twice": 1, "total": 1}]
    assert doc["total"] == {"once": 1, "twice": 2, "total": 3}


def test_supervised_and_overdue_at_the_as_of_instant():
    as_of = T0 + 3 * 86_400_000 + 6 * 3_600_000
    doc = followups.supervision(
        [{"ticket_id": "t2", "first_ms": T0, "times": 2}],
        [{"ticket_id": "t1", "department": "A局", "deadline_ms": T0, "completed": 0},
         {"ticket_id": "t9", "department": "B局", "deadline_ms": T0 + 86_400_000, "completed": 1}],
        FACTS, as_of, TZ)
    assert doc["supervised"] == [{"ticket_id": "t2", "department": "A局", "supervised_at": "2024-06-17T08:00:00+08:00",
                                  "times": 2, "status": "completed"}]
    assert [(t["ticket_id"], t["overdue_days"], t["status"]) for t in doc["overdue"]] == [
        ("t1", 3.25, "open"), ("t9", 2.25, "completed")]
    assert doc["rows"] == [{"department": "A局", "supervised": 1, "overdue": 1},
                           {"department": "B局", "supervised": 0, "overdue": 1}]
    assert doc["total"] == {"supervised": 1, "overdue": 2}
