"""Injections (tooling/simulator/inject.py, injections.py): spec parsing and its errors, the
surge shape, surges, clusters and ping-pong tickets in the stream, the truth file, and every
event still valid."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from hotline.calendar import for_timezone
from hotline.contract import validate_event
from tooling.simulator import profile
from tooling.simulator.generator import Stats, generate
from tooling.simulator.inject import Cluster, InjectError, PingPong, Surge, parse, surge_extra
from tooling.simulator.injections import build
from tooling.simulator.period import month
from tooling.simulator.run import simulate
from tooling.simulator.sinks import SendResult

TZ = ZoneInfo("Asia/Shanghai")
CAL = for_timezone("Asia/Shanghai")
CELL = "8930900d1c7ffff"  # a resolution-9 cell of riverside's 城东区 (the invented layout)
SURGE = "surge:category=民生保障,district=城北区,start=2023-06-05T00:00,hours=168,factor=3"
CLUSTER = f"cluster:subcategory=供水,h3={CELL},start=2023-06-10T09:30,days=4,tickets=12,callers=5"
PINGPONG = "pingpong:count=6,start=2023-06-01T00:00"


def test_good_specs_parse():
    assert parse(SURGE) == Surge("民生保障", "城北区", dt.datetime(2023, 6, 5), 168, 3.0)
    assert parse("surge:category=住房保障,district=清江浦区,start=2023-06-12T08:00,hours=48,factor=2.5,subcategory=物业管理") \
        == Surge("住房保障", "清江浦区", dt.datetime(2023, 6, 12, 8), 48, 2.5, "物业管理")
    c = parse(CLUSTER)
    assert c == Cluster("供水", CELL, dt.datetime(2023, 6, 10, 9, 30), 4, 12, 5) and c.category == "民生保障"
    assert parse("pingpong:count=3") == PingPong(3)
    assert parse(" pingpong: count=3 , start=2023-02-01T08:00") == PingPong(3, dt.datetime(2023, 2, 1, 8))


@pytest.mark.parametrize("spec, message", [
    ("flood:count=1", "unknown kind 'flood' (expected one of surge, cluster, pingpong)"),
    ("surge:category=住房保障,district=清江浦区,start=2023-06-12T08:00,hours=48",
     "missing factor (a surge needs category, district, start, hours, factor)"),
    ("surge:category=住房保障,district=清江浦区,start=2023-13-01T08:00,hours=48,factor=2",
     "start=2023-13-01T08:00 is not a local date-time YYYY-MM-DDTHH:MM"),
    ("surge:category=住房保障,district=清江浦区,start=2023-06-12,hours=48,factor=2",
     "start=2023-06-12 is not a local date-time YYYY-MM-DDTHH:MM"),
    ("surge:category=住房保障,district=清江浦区,start=2023-06-12T08:00,hours=48,factor=1",
     "factor=1 must be more than 1"),
    ("surge:category=住房保障,district=清江浦区,start=2023-06-12T08:00,hours=1.5,factor=2",
     "hours=1.5 must be a whole number of at least 1"),
    ("surge:category=住房保障,district=清江浦区,start=2023-06-12T08:00,hours=4,factor=many",
     "factor=many is not a number"),
    ("surge:category=住房保障,district=清江浦区,start=2023-06-12T08:00,hours=4,factor=2,subcategory=供水",
     "subcategory=供水 is not one of 住房保障's"),
    ("cluster:subcategory=供水,h3=8930900d1c7fffz,start=2023-06-10T09:30,days=4,tickets=12,callers=5",
     "h3=8930900d1c7fffz is not a valid H3 cell"),
    ("cluster:subcategory=水电,h3=8930900d1c7ffff,start=2023-06-10T09:30,days=4,tickets=12,callers=5",
     "unknown subcategory '水电'"),
    ("cluster:subcategory=供水,h3=8930900d1c7ffff,start=2023-06-10T09:30,days=4,tickets=3,callers=5",
     "callers=5 is more than tickets=3"),
    ("pingpong:count=0", "count=0 must be a whole number of at least 1"),
    ("pingpong:count=2,colour=red", "unknown key 'colour' for pingpong (it takes count, start)"),
    ("pingpong:count=2,count=3", "count given twice"),
    ("pingpong:count", "'count' is not key=value"),
])
def test_bad_specs_name_the_bad_part(spec, message):
    with pytest.raises(InjectError) as err:
        parse(spec)
    assert message in str(err.value) and repr(spec) in str(err.value)


@pytest.mark.parametrize("spec, message", [
    ("surge:category=天气,district=城北区,start=2023-06-05T00:00,hours=4,factor=2", "unknown category '天气'"),
    ("surge:category=民生保障,district=清江浦区,start=2023-06-05T00:00,hours=4,factor=2", "unknown district '清江浦区'"),
    ("surge:category=民生保障,district=城北区,start=2023-07-05T00:00,hours=4,factor=2",
     "start is outside the simulated period (2023-06-01 to 2023-06-30)"),
    ("cluster:subcategory=供水,h3=8931aa428a3ffff,start=2023-06-10T09:30,days=4,tickets=12,callers=5",
     "lies outside the simulated city"),
])
def test_specs_that_do_not_fit_the_profile_are_refused(spec, message):
    with pytest.raises(InjectError, match=re.escape(message)):
        build([(spec, parse(spec))], profile.load("riverside-2023"), scale=0.5, seed=2, with_previous=False,
              period=month("2023-06"))


def test_surge_extra_adds_factor_minus_one_times_the_expectation_in_an_outbreak_shape():
    rng = np.random.default_rng(4)
    extra = surge_extra([100.0] * 48, 2.0, rng)
    assert len(extra) == 48 and sum(extra) == 4_800  # (2 − 1) × 4,800, exactly
    peak = int(np.argmax(extra))
    assert 5 <= peak <= 24  # rising, a peak in the first half,
    assert extra[0] < extra[peak] / 4 and extra[-1] < extra[peak] / 2  # then falling
    assert surge_extra([0.0] * 5, 3.0, rng) == [0] * 5
    assert sum(surge_extra([0.5, 1.0, 2.5, 1.0], 4.0, rng)) == 15  # 3 × 5
    # An hour expected to be quiet (night) gets no more than its share of the curve.
    assert surge_extra([1.0, 0.0, 1.0], 3.0, np.random.default_rng(1))[1] == 0


@pytest.fixture(scope="module")
def june():
    """riverside-2023 at scale 0.5, seed 2, June 2023 only, with the three injections."""
    doc = profile.load("riverside-2023")
    texts = [SURGE, CLUSTER, PINGPONG]
    injected = build([(t, parse(t)) for t in texts], doc, scale=0.5, seed=2, with_previous=False,
                     period=month("2023-06"))
    stats = Stats()
    events = [e for _, e in generate(doc, scale=0.5, seed=2, with_previous=False, period=month("2023-06"),
                                     stats=stats, injected=injected.events)]
    return injected, events, stats


def _t(e: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(e["time"])


def test_a_surge_adds_about_factor_minus_one_times_the_expected_count(june):
    injected, events, _ = june
    truth = injected.truth[0]
    assert truth["kind"] == "surge" and truth["series"] == {"category": "民生保障", "district": "城北区"}
    start = dt.datetime(2023, 6, 5, tzinfo=TZ)
    window = [e for e in events if e["type"] == "hotline.ticket.created" and e["data"]["category"] == "民生保障"
              and start <= _t(e) < start + dt.timedelta(hours=168)]
    ordinary = [e for e in window if "-inj" not in e["subject"]]
    extra = [e for e in window if e["subject"].startswith("sim2-inj1-")]
    assert sorted(e["subject"] for e in extra) == sorted(truth["tickets"]) and len(extra) == truth["extra"]
    # The expectation is the plan's: the ordinary tickets of 民生保障 in that week, over the five
    # districts, are within 15 % of it (113 tickets, 22.6 a district, against 20.5 expected).
    assert len(ordinary) == 113 and abs(len(ordinary) / 5 / truth["expected"] - 1) < 0.15
    assert len(extra) == round(2 * truth["expected"]) == 41  # (3 − 1) × expected
    city_north = [e for e in ordinary if e["data"]["district"] == "城北区"]
    assert 2.5 < (len(city_north) + len(extra)) / truth["expected"] < 3.5  # about 3 times: (21 + 41) / 20.5
    assert all(e["data"]["district"] == "城北区" and e["data"]["kind"] == "non_consult" for e in extra)
    assert truth["first_ms"] == min(_t(e).timestamp() * 1000 for e in extra)


def test_a_cluster_has_exactly_its_tickets_and_distinct_callers(june):
    injected, events, _ = june
    truth = injected.truth[1]
    tickets = [e for e in events if e["type"] == "hotline.ticket.created" and e["subject"] in truth["tickets"]]
    assert len(tickets) == 12 and truth["callers"] == 5 and truth["district"] == "城东区"
    start = dt.datetime(2023, 6, 10, 9, 30, tzinfo=TZ)
    offered = {e["subject"]: e["data"].get("caller") for e in events if e["type"] == "hotline.call.offered"}
    callers = Counter(offered[e["data"]["call_id"]] for e in tickets)
    assert len(callers) == 5  # five distinct callers, each at least once
    for e in tickets:
        d = e["data"]
        assert (d["channel"], d["category"], d["subcategory"], d["location"]["h3"]) == ("phone", "民生保障", "供水", CELL)
        assert d["location"]["community"] == truth["series"]["community"]
        assert start <= _t(e) < start + dt.timedelta(days=4)
    calls = {e["data"]["call_id"] for e in tickets}
    kinds = Counter(e["type"] for e in events if e["subject"] in calls)
    assert kinds == {"hotline.call.offered": 12, "hotline.call.answered": 12, "hotline.call.ended": 12}


def test_pingpong_tickets_go_a_then_b_then_a_again(june):
    injected, events, _ = june
    truth = injected.truth[2]
    assert len(truth["tickets"]) == 6
    by = defaultdict(list)
    for e in events:
        if e["subject"] in truth["tickets"]:
            by[e["subject"]].append(e)
    for ticket, redispatch_ms in zip(truth["tickets"], truth["redispatch_ms"]):
        es = sorted(by[ticket], key=_t)
        steps = [(e["type"].rsplit(".", 1)[1], e["data"].get("department")) for e in es if e["type"] != "hotline.ticket.created"]
        a, b = steps[0][1], steps[2][1]
        assert a != b
        assert steps == [("dispatched", a), ("returned", a), ("dispatched", b), ("returned", b), ("dispatched", a),
                         ("completed", a)]
        d3 = es[5]
        assert _t(d3).timestamp() * 1000 == redispatch_ms
        for back, again in ((es[2], es[3]), (es[4], es[5])):  # each re-dispatch a few working hours later
            assert 3600 <= CAL.work_seconds(_t(again)) - CAL.work_seconds(_t(back)) <= 3 * 3600
        assert _t(es[0]) >= dt.datetime(2023, 6, 1, tzinfo=TZ)


def test_injected_events_are_counted_valid_and_time_ordered(june):
    injected, events, stats = june
    assert stats.events == len(events)
    assert sum(1 for e in events if "-inj" in e["subject"]) == len(injected.events)
    assert len({e["id"] for e in events}) == len(events)  # injected ids never collide
    times = [_t(e) for e in events]
    assert times == sorted(times)
    for e in events:
        validate_event(e)


class _ListSink:
    def __init__(self):
        self.events: list[dict] = []

    def send(self, events):
        self.events += events
        return SendResult(accepted=len(events))

    def close(self):
        pass


def test_the_run_sends_the_injections_through_any_sink():
    doc = profile.load("riverside-2023")
    injected = build([(PINGPONG, parse(PINGPONG))], doc, scale=0.02, seed=4, with_previous=False, period=month("2023-06"))
    sink = _ListSink()
    result = simulate(doc, sink, scale=0.02, seed=4, with_previous=False, period=month("2023-06"), injected=injected.events)
    assert result.sent == result.stats.events == len(sink.events)
    assert sum(1 for e in sink.events if e["subject"].startswith("sim4-inj1-t")) == len(injected.events) == 6 * 7


def test_the_truth_file(tmp_path, capsys):
    from tooling.cli import main

    out, truth = tmp_path / "june.ndjson.gz", tmp_path / "truth.json"
    assert main(["simulate", "--profile", "riverside-2023", "--scale", "0.05", "--seed", "2", "--month", "2023-06",
                 "--no-previous", "--to", "file", "--out", str(out), "--inject", SURGE, "--inject", CLUSTER,
                 "--inject", PINGPONG, "--truth", str(truth)]) == 0
    doc = json.loads(truth.read_text("utf-8"))
    events = [json.loads(line) for line in gzip.open(out)]
    subjects = {e["subject"] for e in events}
    kinds = [i["kind"] for i in doc["injections"]]
    assert kinds == ["surge", "cluster", "pingpong"]
    surge, cluster, ping = doc["injections"]
    assert surge["spec"] == {"category": "民生保障", "district": "城北区", "start": "2023-06-05T00:00", "hours": 168,
                             "factor": 3.0}
    assert surge["extra"] == len(surge["tickets"]) == sum(surge["extra_per_hour"]) and surge["expected"] > 0
    assert len(surge["expected_per_hour"]) == 168
    assert cluster["callers"] == 5 and len(cluster["tickets"]) == 12
    assert len(ping["tickets"]) == len(ping["redispatch_ms"]) == 6
    for i in doc["injections"]:
        assert set(i["tickets"]) <= subjects and i["first_ms"] <= i["last_ms"]
    said = capsys.readouterr().err
    assert f"injected {len(surge['tickets']) + 12 + 6} tickets" in said


def test_the_command_refuses_a_bad_spec(capsys):
    from tooling.cli import main

    assert main(["simulate", "--to", "file", "--out", "-", "--inject", "surge:category=住房保障"]) == 2
    assert "missing district, start, hours, factor" in capsys.readouterr().err
