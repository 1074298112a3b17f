"""A period of the simulated year: the calls and tickets starting in it, exactly as the whole
year's run with the same seed has them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest

from tooling.simulator import profile
from tooling.simulator.generator import Stats, generate
from tooling.simulator.period import Period, PeriodError, between, month

TZ = ZoneInfo("Asia/Shanghai")


def test_month_and_between():
    assert month("2023-02") == Period(dt.date(2023, 2, 1), dt.date(2023, 2, 28))
    assert month("2024-02").last == dt.date(2024, 2, 29)
    assert between("2023-03-05", None, 2023) == Period(dt.date(2023, 3, 5), dt.date(2023, 12, 31))
    assert between(None, "2023-01-31", 2023) == month("2023-01")
    assert dt.date(2023, 3, 31) in month("2023-03") and dt.date(2023, 4, 1) not in month("2023-03")
    for bad in ("2023-13", "2023", "march"):
        with pytest.raises(PeriodError):
            month(bad)
    with pytest.raises(PeriodError):
        between("2023-03-05", "2023-03-01", 2023)
    with pytest.raises(PeriodError):
        between("5 March", None, 2023)


def _by_subject(events):
    out = defaultdict(list)
    for ms, e in events:
        out[e["subject"]].append((ms, e))
    return out


def test_a_month_is_the_years_entities_that_start_in_it():
    doc = profile.load("riverside-2023")
    year = _by_subject(generate(doc, scale=0.02, seed=3, with_previous=False))
    stats = Stats()
    march = list(generate(doc, scale=0.02, seed=3, with_previous=True, stats=stats, period=month("2023-03")))
    got = _by_subject(march)
    starts = {s: dt.datetime.fromtimestamp(es[0][0] / 1000, TZ).date() for s, es in year.items()}
    want = {s for s, d in starts.items() if d.month == 3}
    assert set(got) == want
    assert all(got[s] == year[s] for s in want)  # every event of those entities, the same
    # Events after the month are kept: tickets of late March completed in April.
    assert max(dt.datetime.fromtimestamp(ms / 1000, TZ).date() for ms, _ in march) > dt.date(2023, 3, 31)
    assert [ms for ms, _ in march] == sorted(ms for ms, _ in march)
    # The previous year (2022) lies outside the period: nothing of it, and no counts for it.
    assert stats.events == len(march) and set(stats.calls) == set(stats.tickets) == {2023}
    assert stats.calls[2023] == sum(1 for s in want if "-c2023-" in s or "-o2023-" in s)
    assert stats.tickets[2023] == sum(1 for s in want if "-t2023-" in s)


def test_the_same_seed_gives_the_same_month():
    doc = profile.load("huaian-2023")
    first = [(ms, e["id"]) for ms, e in generate(doc, scale=0.005, seed=7, with_previous=False, period=month("2023-03"))]
    again = [(ms, e["id"]) for ms, e in generate(doc, scale=0.005, seed=7, with_previous=False, period=month("2023-03"))]
    assert first == again
    # huaian-2023 at scale 0.005, seed 7: 712 calls and 628 tickets in 4,761 events, and 7 ordinary
    # returns (tooling/simulator/returns.py) add a wrong dispatch and its return each
    assert len(first) == 4_775


def test_cli_month_and_date_range(tmp_path, capsys):
    from tooling.cli import main

    out = tmp_path / "march.ndjson"
    assert main(["simulate", "--profile", "huaian-2023", "--scale", "0.005", "--seed", "7", "--month", "2023-03",
                 "--to", "file", "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 4_775  # 4,761 and 7 returns' 14 (above)
    assert "2023: 628 tickets and 712 calls; 4,775 distinct events" in capsys.readouterr().err
    assert main(["simulate", "--month", "2023-3x", "--to", "file", "--out", "-"]) == 2
    assert main(["simulate", "--from", "2023-03-05", "--until", "2023-03-01", "--to", "file", "--out", "-"]) == 2
    assert "ends (2023-03-01) before it starts (2023-03-05)" in capsys.readouterr().err
