"""The surge detector on hand-written hourly series, with the expected episodes worked out by hand.

The city has two kinds of tickets every hour: 10 住房保障 tickets in 清江浦区 and 90 交通出行 tickets
in 淮安区. The 住房保障 share of all tickets is then p = 0.1; the CUSUM is tuned to the odds
doubling (p1 = 0.2 / 1.1 = 0.181818), so an hour with y of N tickets adds
y·ln(p1/p) + (N − y)·ln((1 − p1)/(1 − p)) = 0.597837·y − 0.0953102·(N − y):
an ordinary hour (10 of 100) −2.59955, a surge hour (30 of 120) +9.35719.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from services.alerts.detect.grid import HOUR_MS, Days, build_grid
from services.alerts.detect.surge import SurgeParams, baseline, detect_surges
from services.alerts.episode import series_of

TZ = ZoneInfo("Asia/Shanghai")
FIRST = int(dt.datetime(2023, 3, 1, tzinfo=TZ).timestamp() * 1000)
DAYS = 40
HOUSING = ("住房保障", "物业管理", "清江浦区")
TRAFFIC = ("交通出行", "公交", "淮安区")
ONE_LEVEL = SurgeParams(levels=("category_district",), threshold=12.0)


def hour(day: int, h: int) -> int:
    return FIRST + (day * 24 + h) * HOUR_MS


def city(surge: dict[int, int] | None = None, quiet: tuple[int, ...] = ()) -> list[tuple]:
    """Rows for DAYS days; `surge` maps an hour index to the 住房保障 count; on `quiet` days the
    whole city has half its tickets."""
    rows = []
    for t in range(DAYS * 24):
        half = t // 24 in quiet
        housing = (surge or {}).get(t, 5 if half else 10)
        rows.append((FIRST + t * HOUR_MS, *HOUSING, housing))
        rows.append((FIRST + t * HOUR_MS, *TRAFFIC, 45 if half else 90))
    return rows


def test_a_steady_city_raises_nothing():
    assert detect_surges(city(), FIRST, DAYS * 24, TZ, ONE_LEVEL) == []


def test_a_tripled_hour_run_is_one_episode_with_the_figures_worked_out_by_hand():
    start = 31 * 24 + 10  # 2023-04-01 10:00, a Saturday
    rows = city({start + i: 30 for i in range(6)})
    [ep] = detect_surges(rows, FIRST, DAYS * 24, TZ, ONE_LEVEL)
    assert ep.kind == "surge"
    assert ep.series == series_of({"category": "住房保障", "district": "清江浦区"})
    assert ep.started_ms == hour(31, 10)
    # 9.357 after one surge hour, 18.714 ≥ 12 after the second: detected when 11:00-12:00 is in
    assert ep.detected_ms == hour(31, 12)
    # 56.143 after six; ordinary hours take 2.59955 each: still ≥ 12 after 16 of them
    assert ep.updated_ms == hour(31, 16 + 16)
    assert ep.closed_ms == hour(31, 16 + 16 + 24)
    assert ep.observed == 6 * 30 + 16 * 10
    assert ep.expected == pytest.approx(6 * 12 + 16 * 10)
    assert ep.score == pytest.approx(56.143, abs=1e-3)


def test_a_city_wide_quiet_holiday_is_not_a_change_of_share():
    # 2023-04-05 (清明) and the weekend before: the whole city halves, the share stays 0.1
    rows = city(quiet=(29, 30, 34, 35))
    assert detect_surges(rows, FIRST, DAYS * 24, TZ, ONE_LEVEL) == []


def test_every_level_names_its_own_series():
    start = 31 * 24 + 10
    rows = city({start + i: 30 for i in range(6)})
    got = {ep.series for ep in detect_surges(rows, FIRST, DAYS * 24, TZ, SurgeParams())}
    assert got == {
        series_of({"category": "住房保障"}),
        series_of({"district": "清江浦区"}),
        series_of({"category": "住房保障", "district": "清江浦区"}),
        series_of({"category": "住房保障", "subcategory": "物业管理"}),
        series_of({"category": "住房保障", "subcategory": "物业管理", "district": "清江浦区"}),
    }


def test_row_order_does_not_matter():
    start = 31 * 24 + 10
    rows = city({start + i: 30 for i in range(6)})
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    assert detect_surges(shuffled, FIRST, DAYS * 24, TZ) == detect_surges(rows, FIRST, DAYS * 24, TZ)


def test_hours_before_the_history_only_teach():
    # a surge on day 5 is inside the 29 days of history: it raises nothing
    rows = city({5 * 24 + 10 + i: 30 for i in range(6)})
    assert detect_surges(rows, FIRST, DAYS * 24, TZ, ONE_LEVEL) == []


def test_a_series_below_the_watched_size_never_alarms():
    # 1 ticket a day at 10:00, then 6 in one hour: a big relative jump on a tiny series
    rows = [(FIRST + t * HOUR_MS, *TRAFFIC, 90) for t in range(DAYS * 24)]
    rows += [(hour(d, 10), *HOUSING, 6 if d == 33 else 1) for d in range(DAYS)]
    assert detect_surges(rows, FIRST, DAYS * 24, TZ, ONE_LEVEL) == []


def test_an_outbreak_day_does_not_teach_the_baseline():
    days = Days.of(FIRST, DAYS * 24, TZ)
    daily = np.full((1, DAYS), 240.0)
    daily[0, 30] = 720.0  # three times the usual day
    total = np.full(DAYS, 2400.0)
    total[30] = 2880.0
    b = baseline(daily, total, days.working, ONE_LEVEL)
    # day 31 sees days 2 … 29 (guard 1): p = 240 / 2400
    assert b.p[0, 31] == pytest.approx(0.1)
    # day 35's window holds day 30, flagged as an outbreak day and left out: p still 0.1
    assert b.p[0, 35] == pytest.approx(0.1)
    assert b.watched[0, 29] and not b.watched[0, 28]


def test_grid_levels_skip_empty_dimensions():
    rows = [(FIRST, "住房保障", "", "", 3), (FIRST, "住房保障", "物业管理", "清江浦区", 2)]
    g = build_grid(rows, FIRST, 1, TZ)
    by = {s: int(g.counts[i, 0]) for i, s in enumerate(g.series)}
    assert by == {
        series_of({"category": "住房保障"}): 5,
        series_of({"district": "清江浦区"}): 2,
        series_of({"category": "住房保障", "district": "清江浦区"}): 2,
        series_of({"category": "住房保障", "subcategory": "物业管理"}): 2,
        series_of({"category": "住房保障", "subcategory": "物业管理", "district": "清江浦区"}): 2,
    }
    assert int(g.total[0]) == 5
