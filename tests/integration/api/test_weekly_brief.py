"""The weekly brief (周报) and the department assessment (部门考核) through the real platform, held
to docs/briefs.md figure by figure.

The events are tests/integration/api/brief_story.py, sent in time order to Kafka; an aggregate
worker, the alerts service and the query API of this module's own (on a fresh database and
topics) fold them, detect the cluster and the ping-pong, and answer. Every figure expected here
was worked out by hand from the story's comments and the definitions, never by the code under
test; the arithmetic of the non-obvious ones is written next to them. Working days: 17 June – 5
July 2024 are plain weeks (Monday–Friday working), so a handling time is weekday hours ÷ 24.

Reading conventions the expectations rest on (docs/briefs.md, where it could be read two ways):
* a ticket is "as the platform knows it now" (completions and evaluations after the week count),
  except overdue, taken at the as-of instant;
* 参评率 counts every evaluation; `evaluations=latest|all` decides only which count for 满意率;
* the `total` row counts tickets once (a ticket returned by two departments is one 退单 of the city);
* the rows of the unsatisfied and supervision sections are the departments with a ticket there,
  and their order is not specified (compared sorted by department);
* a week with no event inside the range the platform holds (2024-W27) is answered (zeros), unlike
  a week outside it (404 no-data).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.api.settings import ApiSettings
from tests.integration.alerts.alerts_support import Isolated, ExtraService, free_port
from tests.integration.api.brief_story import A, B, C, CELL, D, at, last_ticket_event_ms, story
from tests.support.waiting import eventually
from tooling.stack.services import SERVICES

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

API_SPEC = next(s for s in SERVICES if s.name == "api")
CITY_TOKEN = "brief-city-token-4f8a2c9e1b7d3f60"
HOUSING_TOKEN = "brief-housing-token-8e2b5d1c7a9f3e04"
TOKENS = {CITY_TOKEN: {"reader": "office"}, HOUSING_TOKEN: {"reader": "housing", "department": A}}


class BriefStack(Isolated):
    """Isolated's database, topics, aggregate worker and alerts service, and a query API of its
    own on that database (city and 市住建局 tokens)."""

    def __init__(self, local_stack, run: str) -> None:
        super().__init__(local_stack, run)
        self.api_port = free_port()
        env = {**self.env, "HOTLINE_API_PORT": str(self.api_port), "HOTLINE_API_TOKENS": json.dumps(TOKENS)}
        self.api = ExtraService(self.stack, dataclasses.replace(API_SPEC, name=f"api-{run}"), env,
                            ApiSettings(port=self.api_port, tokens=TOKENS))

    def __enter__(self) -> "BriefStack":
        super().__enter__()
        try:
            self.api.start()
        except BaseException:
            super().__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.api.stop()
        finally:
            super().__exit__(*exc)

    def wait_facts(self, events: list[dict]) -> None:
        """Until the facts of every call and ticket hold all of its events (the API reads facts)."""
        db = self.clickhouse.database
        calls = sum(e["type"].startswith("hotline.call.") for e in events)
        want = (calls, len(events) - calls)
        eventually(lambda: tuple(self.db.execute(f"SELECT sum(events) FROM {db}.{t}_facts FINAL")[0][0]
                                 for t in ("call", "ticket")),
                   until=lambda got: got == want, timeout_s=120, interval_s=0.5,
                   what=f"the facts holding {want[0]} call and {want[1]} ticket events")


@dataclasses.dataclass
class Story:
    run: str
    env: BriefStack
    http: httpx.Client

    def t(self, n: int) -> str:
        return f"{self.run}-t{n:02d}"

    def get(self, path: str, token: str = CITY_TOKEN, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers={"Authorization": f"Bearer {token}"})

    def doc(self, path: str, token: str = CITY_TOKEN, **params: Any) -> dict:
        r = self.get(path, token, **params)
        assert r.status_code == 200, r.text
        return r.json()

    def alert_id(self, kind: str) -> str:
        [alert] = [row[0] for row in self.env.alert_rows() if row[1] == kind]
        return alert


@pytest.fixture(scope="module")
def fortnight(local_stack) -> Iterator[Story]:
    run = f"wb{uuid.uuid4().hex[:8]}"
    events = story(run)
    with BriefStack(local_stack, run) as env:
        env.send_live(events)
        env.wait_facts(events)
        env.wait_done(last_ticket_event_ms(events))
        with httpx.Client(base_url=f"http://127.0.0.1:{env.api_port}", timeout=120) as http:
            yield Story(run, env, http)


@pytest.fixture(scope="module")
def w25(fortnight: Story) -> dict:
    return fortnight.doc("/v1/reports/weekly/2024-W25")


@pytest.fixture(scope="module")
def w26(fortnight: Story) -> dict:
    return fortnight.doc("/v1/reports/weekly/2024-W26")


# ---- helpers: times are compared as instants, whatever their written form -------------------------

def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def timed(rows: list[dict], *keys: str) -> list[dict]:
    """The rows with `keys` read as instants (None stays None)."""
    return [{k: (instant(v) if k in keys and v is not None else v) for k, v in row.items()} for row in rows]


def by(key: str, rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: r[key])


def summary(key: str, label: str, value, previous=None, change=None) -> dict:
    # No data a year earlier (nothing before 17 June 2024): last_year and yoy_pct are null.
    return {"key": key, "label": label, "value": value, "previous": previous, "change_pct": change,
            "last_year": None, "yoy_pct": None}


LABELS = {"demands": "诉求总量", "source_phone": "电话", "source_internet": "互联网", "source_transfer_in": "承办转办",
          "handling_online_agent": "民声接听员在线解答", "handling_online_specialist": "政策专员在线解答",
          "handling_department": "部门办理", "calls_offered": "呼入话务量", "calls_answered": "人工接听话务量",
          "answer_rate_pct": "接通率(%)", "service_level_pct": "30秒人工接通率(%)"}


def summary_rows(*rows: tuple) -> list[dict]:
    return [summary(key, LABELS[key], *rest) for key, *rest in rows]


COLUMNS = ("dispatched", "completed", "completion_rate_pct", "on_time", "on_time_pct", "avg_handling_workdays",
           "evaluation_requests", "evaluations", "evaluation_response_rate_pct", "rated", "satisfied",
           "satisfaction_pct", "unsatisfied", "supervised", "transferred_out", "overdue", "score")


def dept(rank: int | None, name: str, *figures) -> dict:
    assert len(figures) == len(COLUMNS)
    row = {"department": name, **dict(zip(COLUMNS, figures))}
    return {"rank": rank, **row} if name != "全市" else row


# ---- the story itself: the alerts it must raise ----------------------------------------------------

def test_the_story_raises_one_cluster_and_one_pingpong(fortnight: Story):
    rows = sorted((kind, json.loads(series), started, detected, status, observed)
                  for _, kind, series, started, detected, status, observed in fortnight.env.alert_rows())
    ms = lambda text: int(at(text).timestamp() * 1000)  # noqa: E731
    assert rows == [
        ("cluster", {"subcategory": "噪音扰民", "h3": CELL, "district": "清江浦区"},
         ms("06-25 19:03"), ms("06-25 21:43"), "closed", 6.0),
        ("pingpong", {"ticket_id": fortnight.t(18), "departments": f"{A}→{B}→{A}"},
         ms("06-24 10:00"), ms("06-25 11:00"), "open", 3.0),
    ]
    [(closed_ms, callers)] = fortnight.env.db.execute(
        f"SELECT closed_ms, callers FROM {fortnight.env.clickhouse.database}.alerts FINAL WHERE kind = 'cluster'")
    assert (closed_ms, callers) == (ms("06-28 22:23"), 5)  # three days after the last ticket (t26)


# ---- head, period, coverage ------------------------------------------------------------------------

PARAMETERS = {"service_level": {"threshold_s": 30, "denominator": "offered", "short_abandon_s": 0},
              "top_n": 10, "unsatisfied_on": "resolution", "evaluations": "latest",
              "weights": {"satisfaction": 0.4, "on_time": 0.3, "completion": 0.3}}
# The platform holds 17 June (the first call and ticket) to 8 July (the July call).
COVERAGE = {"first_day": "2024-06-17", "last_day": "2024-07-08", "complete": True, "note": None}


@pytest.mark.parametrize("week, period", [
    ("2024-W25", {"from": "2024-06-17", "to": "2024-06-23", "as_of": "2024-06-24T00:00:00+08:00",
                  "previous": {"from": "2024-06-10", "to": "2024-06-16", "has_data": False},
                  "last_year": {"from": "2023-06-19", "to": "2023-06-25", "has_data": False}}),
    ("2024-W26", {"from": "2024-06-24", "to": "2024-06-30", "as_of": "2024-07-01T00:00:00+08:00",
                  "previous": {"from": "2024-06-17", "to": "2024-06-23", "has_data": True},
                  "last_year": {"from": "2023-06-26", "to": "2023-07-02", "has_data": False}}),
])
def test_head_period_and_coverage(fortnight: Story, week, period):
    doc = fortnight.doc(f"/v1/reports/weekly/{week}")
    assert {k: doc[k] for k in ("report", "city", "label", "timezone")} == {
        "report": "weekly", "city": "淮安市", "label": week, "timezone": "Asia/Shanghai"}
    assert "department" not in doc
    got = dict(doc["period"])
    assert instant(got.pop("as_of")) == instant(period["as_of"])
    assert got == {k: v for k, v in period.items() if k != "as_of"}
    assert doc["parameters"] == PARAMETERS
    assert doc["coverage"] == COVERAGE
    generated = instant(doc["generated_at"])
    assert abs((dt.datetime.now(dt.timezone.utc) - generated).total_seconds()) < 3600


# ---- 1. summary ------------------------------------------------------------------------------------

def test_summary_of_the_first_week(w25):
    # W25: 17 tickets (t01–t17). Sources: phone t01 t03 t04 t06 t08 t10 t13 t15 t17 = 9; internet
    # t02 t05 t07 t11 t12 t16 = 6; transfer-in t09 (110) t14 (码上议) = 2. Handling: agent t02 t10
    # t15, specialist t07 t14, department the other 12. Calls c01–c05: 5 offered, c03 abandoned;
    # waits 10, 40, 25, 5 s: 3 within 30 s. The week before holds nothing: no previous.
    assert w25["summary"]["rows"] == summary_rows(
        ("demands", 17), ("source_phone", 9), ("source_internet", 6), ("source_transfer_in", 2),
        ("handling_online_agent", 3), ("handling_online_specialist", 2), ("handling_department", 12),
        ("calls_offered", 5), ("calls_answered", 4), ("answer_rate_pct", 80.0), ("service_level_pct", 60.0))


def test_summary_of_the_second_week_against_the_first(w26):
    # W26: 21 tickets (t18–t38). Phone: t18 t20 t21–t26 t27 t29 t32 t36 t38 = 13; internet t19
    # t28 t30 t33 t34 t35 t37 = 7; transfer-in t31 = 1. Agent: t20 t22–t26 t33 t37 = 8; specialist
    # t29 t35 = 2; department 11. Inbound calls: c06, k1–k6, c07, c08 = 9 (o01 is outbound);
    # answered c06 k1–k6 = 7; within 30 s: c06 (12 s) k1 (20) k3 (15) k4 (30) k5 (8) = 5.
    # Changes: (21 − 17) / 17 = 23.53 %; 4/9 = 44.44; 1/6 = 16.67; −1/2; 5/3 = 166.67; 0; −1/12 =
    # −8.33; 4/5 = 80; 3/4 = 75; answer rate 77.78 against 80 → −2.78; service level 55.56 against
    # 60 → −7.41 (from the unrounded 7/9 and 5/9).
    assert w26["summary"]["rows"] == summary_rows(
        ("demands", 21, 17, 23.53), ("source_phone", 13, 9, 44.44), ("source_internet", 7, 6, 16.67),
        ("source_transfer_in", 1, 2, -50.0), ("handling_online_agent", 8, 3, 166.67),
        ("handling_online_specialist", 2, 2, 0.0), ("handling_department", 11, 12, -8.33),
        ("calls_offered", 9, 5, 80.0), ("calls_answered", 7, 4, 75.0),
        ("answer_rate_pct", 77.78, 80.0, -2.78), ("service_level_pct", 55.56, 60.0, -7.41))


# ---- 2. trend --------------------------------------------------------------------------------------

def day(date: str, workday: bool, demands: int, expected=None, low=None, high=None) -> dict:
    return {"day": date, "workday": workday, "demands": demands, "expected": expected, "low": low, "high": high}


def test_trend_of_the_first_week_has_no_band(w25):
    # No day before 17 June is held: no baseline day, no band.
    assert w25["trend"]["days"] == [
        day("2024-06-17", True, 3), day("2024-06-18", True, 2), day("2024-06-19", True, 3),
        day("2024-06-20", True, 4), day("2024-06-21", True, 3), day("2024-06-22", False, 1),
        day("2024-06-23", False, 1)]
    baseline = w25["trend"]["baseline"]
    assert baseline is None or baseline["days"] == 0


def test_trend_of_the_second_week_against_the_first(w26):
    # Baseline: 17–23 June. Working days 3, 2, 3, 4, 3: mean 3, sd ≤ 0.71 < √3, so 3 ∓ 2√3 =
    # 3 ∓ 3.4641: low 0 (not below), high 6.46. Rest days 1, 1: mean 1, sd 0, √1 = 1: 0 and 3.
    assert w26["trend"]["baseline"] == {"from": "2024-06-17", "to": "2024-06-23", "days": 7}
    work, rest = (3.0, 0.0, 6.46), (1.0, 0.0, 3.0)
    assert w26["trend"]["days"] == [
        day("2024-06-24", True, 3, *work), day("2024-06-25", True, 8, *work), day("2024-06-26", True, 3, *work),
        day("2024-06-27", True, 3, *work), day("2024-06-28", True, 2, *work), day("2024-06-29", False, 1, *rest),
        day("2024-06-30", False, 1, *rest)]


# ---- 3. hot ----------------------------------------------------------------------------------------

def test_hot_of_the_first_week_has_no_baseline(w25):
    hot = w25["hot"]
    assert (hot["categories"], hot["subcategories"], hot["alerts"]) == ([], [], [])
    assert hot["note"]  # the section says why it is empty


def test_hot_of_the_second_week(w26):
    # Baseline (W25) tickets by category: 住房保障 5, 民生保障 3, 城乡建设 3, 市场监管 2, 市容环卫 2,
    # 环境保护 1, 交通运输 1 (17). W26 (21): 市容环卫 6, 环境保护 5, 住房保障 3, 民生保障 3, 市场监管 2,
    # 城乡建设 2. expected = 21 × share: 环境保护 21/17 = 1.2353 (excess 3.7647, ratio 4.0476);
    # 市容环卫 42/17 = 2.4706 (excess 3.5294, ratio 2.4286); every other excess ≤ 0 (住房保障 3 − 6.18,
    # 民生保障 3 − 3.71, 城乡建设 2 − 3.71, 市场监管 2 − 2.47, 交通运输 0 − 1.24).
    # Subcategories: 噪音扰民 unseen in W25 (expected 0, ratio null); 大气污染 as its category;
    # 房屋质量 1 against 21/17 = 1.24, 物业管理 2 against 84/17 = 4.94: no excess.
    hot = w26["hot"]
    assert hot["note"] is None
    assert hot["categories"] == [
        {"category": "环境保护", "observed": 5, "expected": 1.24, "excess": 3.76, "ratio": 4.05},
        {"category": "市容环卫", "observed": 6, "expected": 2.47, "excess": 3.53, "ratio": 2.43}]
    assert hot["subcategories"] == [
        {"category": "市容环卫", "subcategory": "噪音扰民", "observed": 6, "expected": 0.0, "excess": 6.0, "ratio": None},
        {"category": "环境保护", "subcategory": "大气污染", "observed": 5, "expected": 1.24, "excess": 3.76,
         "ratio": 4.05}]
    assert hot["alerts"] == []  # no surge in the story


# ---- 4. clusters, 5. ping-pong ---------------------------------------------------------------------

def test_clusters(fortnight: Story, w25, w26):
    assert w25["clusters"]["rows"] == []  # the episode began on 25 June
    [row] = [dict(r) for r in w26["clusters"]["rows"]]  # a copy: the fixture's document is shared
    assert row.pop("id") == fortnight.alert_id("cluster")
    assert timed([row], "started", "detected_at", "closed_at") == [{
        "place": CELL, "place_kind": "h3", "district": "清江浦区", "subcategory": "噪音扰民",
        "tickets": 6, "callers": 5, "status": "closed",
        "started": at("06-25 19:03"), "detected_at": at("06-25 21:43"), "closed_at": at("06-28 22:23")}]


def test_pingpong(fortnight: Story, w25, w26):
    assert (w25["pingpong"]["tickets"], w25["pingpong"]["pairs"], w25["pingpong"]["pair_alerts"]) == ([], [], [])
    pp = w26["pingpong"]
    [ticket] = [dict(t) for t in pp["tickets"]]
    assert ticket.pop("id") == fortnight.alert_id("pingpong")
    # closed_at (beyond the document's example, as in the cluster rows): null, the episode is open
    assert timed([ticket], "started", "detected_at") == [{
        "ticket_id": fortnight.t(18), "departments": f"{A}→{B}→{A}", "dispatches": 3, "returns": 2, "status": "open",
        "started": at("06-24 10:00"), "detected_at": at("06-25 11:00"), "closed_at": None}]
    # A→B→A: the pair {A, B} once for the ticket
    assert pp["pairs"] == [{"departments": [A, B], "tickets": 1}]
    assert pp["pair_alerts"] == []


# ---- 6. unsatisfied --------------------------------------------------------------------------------

def unsatisfied_ticket(ticket_id: str, department: str, level: int, evaluations: int, last: str, status: str) -> dict:
    return {"ticket_id": ticket_id, "department": department, "level": level, "unsatisfied_evaluations": evaluations,
            "last_evaluated": at(last), "status": status}


def test_unsatisfied_of_the_first_week(fortnight: Story, w25):
    # Resolution "no" in W25: t01 (20 June; its second "no" on 25 June is after the as-of, so level
    # 1 here) and t08 (21 June). Both completed. last_evaluated: the latest evaluation up to the
    # as-of instant (t08's satisfied one on 26 June is after it).
    u = w25["unsatisfied"]
    assert by("department", u["rows"]) == [{"department": A, "once": 1, "twice": 0, "total": 1},
                                           {"department": B, "once": 1, "twice": 0, "total": 1}]
    assert u["total"] == {"once": 2, "twice": 0, "total": 2}
    assert by("ticket_id", timed(u["tickets"], "last_evaluated")) == [
        unsatisfied_ticket(fortnight.t(1), A, 1, 1, "06-20 11:00", "completed"),
        unsatisfied_ticket(fortnight.t(8), B, 1, 1, "06-21 16:00", "completed")]


def test_unsatisfied_of_the_second_week(fortnight: Story, w26):
    # In W26: t01's second "no" (25 June; two up to the as-of: level 2, the head signs) and t27
    # (28 June). t08's W26 evaluation is satisfied; t09's has only the service "no".
    u = w26["unsatisfied"]
    assert by("department", u["rows"]) == [{"department": A, "once": 0, "twice": 1, "total": 1},
                                           {"department": C, "once": 1, "twice": 0, "total": 1}]
    assert u["total"] == {"once": 1, "twice": 1, "total": 2}
    assert by("ticket_id", timed(u["tickets"], "last_evaluated")) == [
        unsatisfied_ticket(fortnight.t(1), A, 2, 2, "06-25 11:00", "completed"),
        unsatisfied_ticket(fortnight.t(27), C, 1, 1, "06-28 14:00", "completed")]


def test_unsatisfied_on_any_answer(fortnight: Story):
    # With either answer: t09 (B, service "no" on 24 June) joins, level 1.
    u = fortnight.doc("/v1/reports/weekly/2024-W26", unsatisfied_on="any")["unsatisfied"]
    assert by("department", u["rows"]) == [{"department": A, "once": 0, "twice": 1, "total": 1},
                                           {"department": B, "once": 1, "twice": 0, "total": 1},
                                           {"department": C, "once": 1, "twice": 0, "total": 1}]
    assert u["total"] == {"once": 2, "twice": 1, "total": 3}
    assert by("ticket_id", timed(u["tickets"], "last_evaluated")) == [
        unsatisfied_ticket(fortnight.t(1), A, 2, 2, "06-25 11:00", "completed"),
        unsatisfied_ticket(fortnight.t(9), B, 1, 1, "06-24 15:00", "completed"),
        unsatisfied_ticket(fortnight.t(27), C, 1, 1, "06-28 14:00", "completed")]


# ---- 7. supervision and overdue --------------------------------------------------------------------

def supervised(ticket_id: str, department: str, when: str, status: str) -> dict:
    return {"ticket_id": ticket_id, "department": department, "supervised_at": at(when), "times": 1, "status": status}


def overdue(ticket_id: str, department: str, deadline: str, days: float) -> dict:
    return {"ticket_id": ticket_id, "department": department, "deadline": at(deadline), "overdue_days": days,
            "status": "open"}


def test_supervision_of_the_first_week(fortnight: Story, w25):
    # Supervised in W25: t08 (20 June, completed the 21st). Overdue at 24 June 00:00: t05 only
    # (deadline 21 June 18:00: 2 d 6 h = 2.25 days); t03 was late but completed before the as-of.
    v = w25["supervision"]
    assert by("department", v["rows"]) == [{"department": A, "supervised": 0, "overdue": 1},
                                           {"department": B, "supervised": 1, "overdue": 0}]
    assert v["total"] == {"supervised": 1, "overdue": 1}
    assert timed(v["supervised"], "supervised_at") == [supervised(fortnight.t(8), B, "06-20 10:00", "completed")]
    assert timed(v["overdue"], "deadline") == [overdue(fortnight.t(5), A, "06-21 18:00", 2.25)]


def test_supervision_of_the_second_week(fortnight: Story, w26):
    # Supervised in W26: t28 (27 June, open). Overdue at 1 July 00:00: t05 (created in W25: 9 d 6 h
    # = 9.25) and t28 (28 June 18:00: 2.25); t27 was late but completed on 28 June.
    v = w26["supervision"]
    assert by("department", v["rows"]) == [{"department": A, "supervised": 0, "overdue": 1},
                                           {"department": D, "supervised": 1, "overdue": 1}]
    assert v["total"] == {"supervised": 1, "overdue": 2}
    assert timed(v["supervised"], "supervised_at") == [supervised(fortnight.t(28), D, "06-27 10:00", "open")]
    assert by("ticket_id", timed(v["overdue"], "deadline")) == [
        overdue(fortnight.t(5), A, "06-21 18:00", 9.25), overdue(fortnight.t(28), D, "06-28 18:00", 2.25)]


# ---- 8. departments ---------------------------------------------------------------------------------
# Handling times (working seconds): t01 2 d 6 h 50 min = 197,400; t03 3 d 20 h = 331,200; t04
# 2 d 7.5 h = 199,800; t06 2 d 6 h = 194,400; t08 1 d 20 h = 158,400; t09 2 d 1.5 h = 178,200; t11
# 19.5 h = 70,200; t12 2 d 0.5 h = 174,600; t13 4 d 1 h = 349,200; t16 1 d 16 h = 144,000; t17 2.5 d =
# 216,000; t19 3 d 5 h = 277,200; t21 3 d − 2 h 3 min = 251,820; t27 3 d 0.5 h = 261,000; t30 2 d 5 h =
# 190,800; t31 21 h = 75,600; t32 1 d 2 h = 93,600; t36 3.5 h = 12,600.
# score = 0.4 × satisfaction + 0.3 × on-time + 0.3 × completion.

#            rank name   disp comp  comp%  onT onT%  avg_wd  req ev  resp%  rated sat sat%   unsat sup ret over score
W25_ROWS = [
    # B: t04 t08 t09 t17, all completed in time; (199,800 + 158,400 + 178,200 + 216,000) / 4 / 86,400
    # = 2.1771; 5 requests (t08 twice), 5 evaluations; latest: 4 rated, 4 satisfied; t08 once "no"
    dept(1, B, 4, 4, 100.0, 4, 100.0, 2.177, 5, 5, 100.0, 4, 4, 100.0, 1, 1, 0, 0, 100.0),
    # D: t06 t13 (completed on 27 June: counted, as known now); (194,400 + 349,200) / 2 = 3.1458 d;
    # t13 never answered its request: 1 of 2
    dept(2, D, 2, 2, 100.0, 2, 100.0, 3.146, 2, 1, 50.0, 1, 1, 100.0, 0, 0, 0, 0, 100.0),
    # C: t03 late, t11 in time; (331,200 + 70,200) / 2 = 2.3229 d; 40 + 15 + 30 = 85
    dept(3, C, 2, 2, 100.0, 1, 50.0, 2.323, 1, 1, 100.0, 1, 1, 100.0, 0, 0, 0, 0, 85.0),
    # A: t01 t05 t12 t16, t05 open and overdue; (197,400 + 174,600 + 144,000) / 3 = 1.9907 d; t01
    # evaluated twice (latest "no"), t12 once: 3 of 3, 1 of 2 satisfied; 20 + 22.5 + 22.5 = 65
    dept(4, A, 4, 3, 75.0, 3, 75.0, 1.991, 3, 3, 100.0, 2, 1, 50.0, 1, 0, 0, 1, 65.0),
]
# 12 tickets, 11 completed (91.67), 10 in time (83.33), 2,213,400 s / 11 = 2.3289 d, 10 of 11
# requests (90.91), 7 of 8 satisfied (87.5); 35 + 25 + 27.5 = 87.5
W25_TOTAL = dept(None, "全市", 12, 11, 91.67, 10, 83.33, 2.329, 11, 10, 90.91, 8, 7, 87.5, 2, 1, 0, 1, 87.5)

W26_ROWS = [
    # A, B and D tie at 80.0 (100, 66.67, 66.67) with 3 tickets each: by name (code points 住 < 城 < 生)
    # A: t18 (the ping-pong, open; returned by A), t30, t36; (190,800 + 12,600) / 2 = 1.1771 d;
    # overdue: t05, created in W25
    dept(1, A, 3, 2, 66.67, 2, 66.67, 1.177, 2, 1, 50.0, 1, 1, 100.0, 0, 0, 1, 1, 80.0),
    # B: t21, t31, t38 (open); (251,820 + 75,600) / 2 = 1.8948 d; t18 returned by B, now A's
    dept(2, B, 3, 2, 66.67, 2, 66.67, 1.895, 1, 1, 100.0, 1, 1, 100.0, 0, 0, 1, 0, 80.0),
    # D: t19, t28 (open, supervised, overdue), t32; (277,200 + 93,600) / 2 = 2.1458 d
    dept(3, D, 3, 2, 66.67, 2, 66.67, 2.146, 2, 2, 100.0, 2, 2, 100.0, 0, 1, 0, 1, 80.0),
    # C: t27 (late, "no"), t34 (open); 261,000 s = 3.0208 d; 0 + 0 + 15 = 15
    dept(4, C, 2, 1, 50.0, 0, 0.0, 3.021, 1, 1, 100.0, 1, 0, 0.0, 1, 0, 0, 0, 15.0),
]
# 11 tickets, 7 completed (63.64), 6 in time (54.55), 1,162,620 s / 7 = 1.9223 d, 5 of 6 (83.33),
# 4 of 5 (80); overdue t05 t28; 32 + 16.3636 + 19.0909 = 67.4545.
# transferred_out: the city's row is "the same figures over every dispatched ticket" and the figure
# is "tickets of the period the department returned": tickets the city's departments returned, t18
# once, although A and B each returned it (their rows say 1 each; the sum of the rows, 2, would
# count one ticket twice).
W26_TOTAL = dept(None, "全市", 11, 7, 63.64, 6, 54.55, 1.922, 6, 5, 83.33, 5, 4, 80.0, 1, 1, 1, 2, 67.45)


def test_departments_of_the_first_week(w25):
    assert w25["departments"]["rows"] == W25_ROWS
    assert w25["departments"]["total"] == W25_TOTAL


def test_departments_of_the_second_week(w26):
    assert w26["departments"]["rows"] == W26_ROWS
    assert w26["departments"]["total"] == W26_TOTAL


# The assessment of both weeks (17–30 June, as of 1 July 00:00): each department's tickets of both.
FORTNIGHT_LATEST = [
    # B: 6 of 7 completed and in time (85.71); (752,400 + 327,420) / 6 = 2.0830 d; 6 of 6; latest 5
    # of 5; 40 + 25.7143 + 25.7143 = 91.43
    dept(1, B, 7, 6, 85.71, 6, 85.71, 2.083, 6, 6, 100.0, 5, 5, 100.0, 1, 1, 1, 0, 91.43),
    # D: 4 of 5 (80); (543,600 + 370,800) / 4 = 2.6458 d; 3 of 4 requests; 40 + 24 + 24 = 88
    dept(2, D, 5, 4, 80.0, 4, 80.0, 2.646, 4, 3, 75.0, 3, 3, 100.0, 0, 1, 0, 1, 88.0),
    # A: 5 of 7 (71.43); (516,000 + 203,400) / 5 = 1.6653 d; 4 of 5; latest 2 of 3 (66.67);
    # 26.6667 + 21.4286 + 21.4286 = 69.52
    dept(3, A, 7, 5, 71.43, 5, 71.43, 1.665, 5, 4, 80.0, 3, 2, 66.67, 1, 0, 1, 1, 69.52),
    # C: 3 of 4 completed (75), 1 in time (25); (401,400 + 261,000) / 3 = 2.5556 d; 1 of 2 satisfied;
    # 20 + 7.5 + 22.5 = 50
    dept(4, C, 4, 3, 75.0, 1, 25.0, 2.556, 2, 2, 100.0, 2, 1, 50.0, 1, 0, 0, 0, 50.0),
]
# 23 tickets, 18 completed (78.26), 16 in time (69.57), 3,376,020 s / 18 = 2.1708 d, 15 of 17
# (88.24), 11 of 13 (84.62); 33.8462 + 20.8696 + 23.4783 = 78.19
FORTNIGHT_TOTAL = dept(None, "全市", 23, 18, 78.26, 16, 69.57, 2.171, 17, 15, 88.24, 13, 11, 84.62, 3, 2, 1, 2, 78.19)


def test_the_department_table_of_the_fortnight(fortnight: Story):
    doc = fortnight.doc("/v1/reports/departments", **{"from": "2024-06-17", "to": "2024-06-30"})
    assert doc["report"] == "departments" and "label" not in doc
    assert set(doc) >= {"coverage", "departments"}
    assert not set(doc) & {"summary", "trend", "hot", "clusters", "pingpong", "unsatisfied", "supervision"}
    got = dict(doc["period"])
    assert instant(got.pop("as_of")) == at("07-01 00:00")
    assert got == {"from": "2024-06-17", "to": "2024-06-30"}
    assert doc["departments"]["rows"] == FORTNIGHT_LATEST
    assert doc["departments"]["total"] == FORTNIGHT_TOTAL


def test_every_evaluation_counts_with_evaluations_all(fortnight: Story):
    # t01 (A: "no" twice) and t08 (B: "no" then "yes") now count twice: A 2 of 4 (50.0; 20 + 42.8571
    # = 62.86), B 5 of 6 (83.33; 33.3333 + 51.4286 = 84.76), which now ranks below D; the city 11
    # of 15 (73.33; 29.3333 + 44.3478 = 73.68). 参评率 and every other column stay.
    doc = fortnight.doc("/v1/reports/departments", evaluations="all", **{"from": "2024-06-17", "to": "2024-06-30"})
    assert doc["departments"]["rows"] == [
        dept(1, D, 5, 4, 80.0, 4, 80.0, 2.646, 4, 3, 75.0, 3, 3, 100.0, 0, 1, 0, 1, 88.0),
        dept(2, B, 7, 6, 85.71, 6, 85.71, 2.083, 6, 6, 100.0, 6, 5, 83.33, 1, 1, 1, 0, 84.76),
        dept(3, A, 7, 5, 71.43, 5, 71.43, 1.665, 5, 4, 80.0, 4, 2, 50.0, 1, 0, 1, 1, 62.86),
        dept(4, C, 4, 3, 75.0, 1, 25.0, 2.556, 2, 2, 100.0, 2, 1, 50.0, 1, 0, 0, 0, 50.0)]
    assert doc["departments"]["total"] == dept(
        None, "全市", 23, 18, 78.26, 16, 69.57, 2.171, 17, 15, 88.24, 15, 11, 73.33, 3, 2, 1, 2, 73.68)


def test_a_service_no_is_unsatisfied_with_unsatisfied_on_any(fortnight: Story):
    # t09 (B) answered the service "no" and the resolution "yes": B's latest evaluations 4 of 5
    # satisfied (80.0; 32 + 51.4286 = 83.43, below D), B's unsatisfied tickets t08 t09; the city 10
    # of 13 (76.92; 30.7692 + 44.3478 = 75.12), 4 unsatisfied tickets.
    doc = fortnight.doc("/v1/reports/departments", unsatisfied_on="any", **{"from": "2024-06-17", "to": "2024-06-30"})
    assert doc["departments"]["rows"] == [
        dept(1, D, 5, 4, 80.0, 4, 80.0, 2.646, 4, 3, 75.0, 3, 3, 100.0, 0, 1, 0, 1, 88.0),
        dept(2, B, 7, 6, 85.71, 6, 85.71, 2.083, 6, 6, 100.0, 5, 4, 80.0, 2, 1, 1, 0, 83.43),
        dept(3, A, 7, 5, 71.43, 5, 71.43, 1.665, 5, 4, 80.0, 3, 2, 66.67, 1, 0, 1, 1, 69.52),
        dept(4, C, 4, 3, 75.0, 1, 25.0, 2.556, 2, 2, 100.0, 2, 1, 50.0, 1, 0, 0, 0, 50.0)]
    assert doc["departments"]["total"] == dept(
        None, "全市", 23, 18, 78.26, 16, 69.57, 2.171, 17, 15, 88.24, 13, 10, 76.92, 4, 2, 1, 2, 75.12)


# ---- a department's token --------------------------------------------------------------------------

def test_a_departments_brief_holds_its_own_tickets(fortnight: Story):
    doc = fortnight.doc("/v1/reports/weekly/2024-W26", HOUSING_TOKEN)
    assert doc["department"] == A
    # A's tickets (latest dispatch A): W26 t18 (phone) t30 (app) t36 (phone); W25 t01 (phone) t05
    # (app) t12 (email) t16 (app). No calls.
    assert doc["summary"]["rows"] == summary_rows(
        ("demands", 3, 4, -25.0), ("source_phone", 2, 1, 100.0), ("source_internet", 1, 3, -66.67),
        ("source_transfer_in", 0, 0, None), ("handling_online_agent", 0, 0, None),
        ("handling_online_specialist", 0, 0, None), ("handling_department", 3, 4, -25.0))
    # Baseline 17–23 June, A's tickets: working days 1, 1, 0, 1, 0 (mean 0.6; sd ≤ 0.55 < √0.6 =
    # 0.7746: high 0.6 + 1.5492 = 2.15); rest days 1, 0 (mean 0.5; √0.5 = 0.7071 ≥ sd: high 1.91).
    work, rest = (0.6, 0.0, 2.15), (0.5, 0.0, 1.91)
    assert doc["trend"]["days"] == [
        day("2024-06-24", True, 1, *work), day("2024-06-25", True, 0, *work), day("2024-06-26", True, 1, *work),
        day("2024-06-27", True, 0, *work), day("2024-06-28", True, 1, *work), day("2024-06-29", False, 0, *rest),
        day("2024-06-30", False, 0, *rest)]
    # Among A's tickets: baseline 住房保障 4 of 4 (物业管理 3, 房屋质量 1); W26 3 (物业管理 2, 房屋质量 1):
    # 住房保障 3 − 3 = 0, 物业管理 2 − 2.25 < 0, 房屋质量 1 − 0.75 = 0.25 (ratio 1.33)
    assert doc["hot"]["categories"] == []
    assert doc["hot"]["subcategories"] == [
        {"category": "住房保障", "subcategory": "房屋质量", "observed": 1, "expected": 0.75, "excess": 0.25,
         "ratio": 1.33}]
    assert doc["hot"]["alerts"] is None
    assert doc["clusters"] is None
    [ticket] = doc["pingpong"]["tickets"]  # t18 went through A
    assert (ticket["ticket_id"], ticket["departments"]) == (fortnight.t(18), f"{A}→{B}→{A}")
    u = doc["unsatisfied"]
    assert (u["rows"], u["total"]) == ([{"department": A, "once": 0, "twice": 1, "total": 1}],
                                       {"once": 0, "twice": 1, "total": 1})
    assert [t["ticket_id"] for t in u["tickets"]] == [fortnight.t(1)]
    v = doc["supervision"]
    assert (v["rows"], v["total"], v["supervised"]) == ([{"department": A, "supervised": 0, "overdue": 1}],
                                                        {"supervised": 0, "overdue": 1}, [])
    assert timed(v["overdue"], "deadline") == [overdue(fortnight.t(5), A, "06-21 18:00", 9.25)]
    assert doc["departments"]["rows"] == [{**W26_ROWS[0], "rank": None}]
    assert doc["departments"]["total"] is None


# ---- formats, an empty week, no data ---------------------------------------------------------------

@pytest.mark.parametrize("fmt, media_type", [
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("html", "text/html"),
    ("csv", "application/zip"),
])
def test_the_brief_in_every_format(fortnight: Story, fmt, media_type):
    r = fortnight.get("/v1/reports/weekly/2024-W26", format=fmt)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media_type
    if fmt == "html":
        assert "推诿扯皮" in r.text and "部门考核" in r.text
    else:  # a workbook and the CSVs are both zip archives
        names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
        assert len(names) > 1
        if fmt == "csv":
            assert all(n.endswith(".csv") for n in names)


def test_a_week_inside_the_data_without_events(fortnight: Story):
    """2024-W27 (1–7 July) holds no event, but the platform holds days on both sides of it."""
    doc = fortnight.doc("/v1/reports/weekly/2024-W27")
    assert doc["coverage"] == COVERAGE
    assert doc["period"]["previous"] == {"from": "2024-06-24", "to": "2024-06-30", "has_data": True}
    # Counts fall to 0 (−100 %); the rates have no calls to divide by: null, and so their changes.
    assert doc["summary"]["rows"] == summary_rows(
        ("demands", 0, 21, -100.0), ("source_phone", 0, 13, -100.0), ("source_internet", 0, 7, -100.0),
        ("source_transfer_in", 0, 1, -100.0), ("handling_online_agent", 0, 8, -100.0),
        ("handling_online_specialist", 0, 2, -100.0), ("handling_department", 0, 11, -100.0),
        ("calls_offered", 0, 9, -100.0), ("calls_answered", 0, 7, -100.0),
        ("answer_rate_pct", None, 77.78, None), ("service_level_pct", None, 55.56, None))
    # Baseline 17–30 June (14 days held). Working days 3 2 3 4 3 3 8 3 3 2: mean 3.4, sd ≤ 1.72 <
    # √3.4 = 1.8439: high 3.4 + 3.6878 = 7.09. Rest days 1 1 1 1: 1, 0, 3.
    assert doc["trend"]["baseline"] == {"from": "2024-06-17", "to": "2024-06-30", "days": 14}
    work, rest = (3.4, 0.0, 7.09), (1.0, 0.0, 3.0)
    assert doc["trend"]["days"] == [day(f"2024-07-0{d}", d <= 5, 0, *(work if d <= 5 else rest)) for d in range(1, 8)]
    assert (doc["hot"]["categories"], doc["hot"]["subcategories"]) == ([], [])
    assert doc["clusters"]["rows"] == []  # closed on 28 June
    # the ping-pong episode is still open: it overlaps every week after its start
    assert [t["ticket_id"] for t in doc["pingpong"]["tickets"]] == [fortnight.t(18)]
    assert (doc["unsatisfied"]["rows"], doc["unsatisfied"]["tickets"]) == ([], [])
    # Overdue at 8 July 00:00, whenever created: t05 (21 June 18:00: 16.25 days), t18 (5 July 18:00:
    # 2.25), t28 (28 June 18:00: 9.25), t34 (4 July 18:00: 3.25), t38 (5 July 18:00: 2.25).
    v = doc["supervision"]
    assert v["supervised"] == []
    assert by("ticket_id", timed(v["overdue"], "deadline")) == [
        overdue(fortnight.t(5), A, "06-21 18:00", 16.25), overdue(fortnight.t(18), A, "07-05 18:00", 2.25),
        overdue(fortnight.t(28), D, "06-28 18:00", 9.25), overdue(fortnight.t(34), C, "07-04 18:00", 3.25),
        overdue(fortnight.t(38), B, "07-05 18:00", 2.25)]
    assert by("department", v["rows"]) == [{"department": A, "supervised": 0, "overdue": 2},
                                           {"department": B, "supervised": 0, "overdue": 1},
                                           {"department": C, "supervised": 0, "overdue": 1},
                                           {"department": D, "supervised": 0, "overdue": 1}]
    assert v["total"] == {"supervised": 0, "overdue": 5}


def test_a_week_outside_the_data_is_no_data(fortnight: Story):
    r = fortnight.get("/v1/reports/weekly/2031-W01")
    assert r.status_code == 404, r.text
    problem = r.json()
    assert problem["type"].endswith("no-data")
    assert (problem["first_day"], problem["last_day"]) == ("2024-06-17", "2024-07-08")
