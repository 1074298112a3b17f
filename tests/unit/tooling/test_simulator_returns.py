"""Ordinary returns (tooling/simulator/returns.py): about 3 % of the dispatched tickets are first
dispatched to a wrong department, which returns them within a few working hours, then to the
planned one; the facts the reports read are the same as without the returns.

The stream: riverside-2023 at scale 0.05, seed 5, 2023 only (1,385 dispatched tickets)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest

from hotline.calendar import for_timezone
from hotline.events import to_record
from hotline.fold import fold_ticket
from tooling.simulator import profile
from tooling.simulator.generator import generate

TZ = ZoneInfo("Asia/Shanghai")
CAL = for_timezone("Asia/Shanghai")


def _tickets(monkeypatch=None) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for _, e in generate(profile.load("riverside-2023"), scale=0.05, seed=5, with_previous=False):
        if e["type"].startswith("hotline.ticket."):
            out[e["subject"]].append(e)
    return out


@pytest.fixture(scope="module")
def with_returns():
    return _tickets()


@pytest.fixture(scope="module")
def without_returns():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("tooling.simulator.returns.ordinary", lambda *a, **k: 0)
        return _tickets()


def _facts(events: list[dict]):
    f = fold_ticket(events[0]["subject"], [to_record(e, TZ) for e in events])
    # What a return changes by design: the count of events and the time of the final handling
    # (the re-dispatch); nothing else.
    return dataclasses.replace(f, events=0, handled_ms=0)


def test_returns_never_change_the_facts_a_report_reads(with_returns, without_returns):
    assert with_returns.keys() == without_returns.keys()
    returned = [s for s, es in with_returns.items() if any(e["type"] == "hotline.ticket.returned" for e in es)]
    dispatched = [s for s, es in without_returns.items() if any(e["type"] == "hotline.ticket.dispatched" for e in es)]
    assert len(dispatched) == 1_385 and len(returned) == 46  # 3.3 %: about 3 %
    for s in with_returns:
        assert _facts(with_returns[s]) == _facts(without_returns[s]), s
    for s in returned:
        assert len(with_returns[s]) == len(without_returns[s]) + 2  # a wrong dispatch and its return


def _t(e: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(e["time"])


def test_a_return_goes_back_to_the_planned_department_within_a_few_working_hours(with_returns):
    n = 0
    for s, es in with_returns.items():
        types = [e["type"] for e in es]
        if "hotline.ticket.returned" not in types:
            assert types.count("hotline.ticket.dispatched") <= 1
            continue
        n += 1
        d = [e for e in es if e["type"] == "hotline.ticket.dispatched"]
        [r] = [e for e in es if e["type"] == "hotline.ticket.returned"]
        assert len(d) == 2  # never three dispatches
        wrong, final = d
        assert r["data"]["department"] == wrong["data"]["department"] != final["data"]["department"]
        assert r["data"]["reason"]
        assert wrong["data"]["deadline"] == final["data"]["deadline"]  # the planned deadline, unchanged
        assert _t(wrong) < _t(r) < _t(final)
        assert CAL.work_seconds(_t(final)) - CAL.work_seconds(_t(wrong)) < 8 * 3600  # well under 8 working hours
        done = [e for e in es if e["type"] == "hotline.ticket.completed"]
        if done:
            assert _t(final) < _t(done[0])  # the re-dispatch comes before the completion
    assert n == 46
