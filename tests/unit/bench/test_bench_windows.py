"""The monthly windows of `./run bench` stage 1 (bench/stages/windows.py) and their chart: the
figures the cost-against-history claims rest on."""

from __future__ import annotations

import datetime as dt

import pytest

from bench.stages import chart, history, windows
from bench.stages.windows import Mark, Windows, flatness
from tooling.simulator import profile

T0 = dt.datetime(2026, 12, 7, 4, 0, tzinfo=dt.timezone.utc)


def mark(month: str, wall_s: float, sent: int, stored: int, cpu: dict[str, float]) -> Mark:
    return Mark(month, wall_s, T0 + dt.timedelta(seconds=wall_s), sent, stored, cpu)


def ready(marks: list[Mark], base: int = 0) -> Windows:
    w = Windows({}, lambda: base, "Asia/Shanghai")
    w.marks = marks
    return w


def test_a_window_is_the_difference_of_two_marks_per_event():
    w = ready([mark("2023-01", 0.0, 0, 0, {"clickhouse": 10.0, "ingest": 5.0, "simulator": 1.0}),
               mark("2023-02", 50.0, 1_000_000, 990_000, {"clickhouse": 55.0, "ingest": 37.0, "simulator": 21.0}),
               mark("end", 150.0, 1_800_000, 1_795_000, {"clickhouse": 95.0, "ingest": 63.0, "simulator": 37.0})])
    jan, feb = w.rows()
    assert (jan["month"], jan["events"], jan["wall_s"], jan["events_per_s"]) == ("2023-01", 1_000_000, 50.0, 20_000)
    # 45 s of ClickHouse and 32 s of ingest for a million events; the simulator's 20 s apart
    assert jan["us_per_event"] == {"clickhouse": 45.0, "ingest": 32.0, "simulator": 20.0}
    assert jan["us_per_event_servers"] == 77.0
    assert jan["behind"] == 10_000 and jan["history_m"] == 0.0
    assert (feb["events_per_s"], feb["us_per_event_servers"], feb["behind"]) == (8_000, 82.5, 5_000)
    assert feb["history_m"] == 0.99
    assert flatness([jan, feb])["last_over_first"] == 0.4


def test_history_counts_the_rows_stored_before_the_run():
    # 22 M rows of earlier years: a window starts at its stored rows, behind excludes them
    w = ready([mark("2023-01", 0.0, 0, 22_000_000, {"clickhouse": 0.0}),
               mark("end", 10.0, 100_000, 22_099_000, {"clickhouse": 5.0})], base=22_000_000)
    (row,) = w.rows()
    assert row["history_m"] == 22.0 and row["behind"] == 1_000 and row["us_per_event"] == {"clickhouse": 50.0}


def test_the_simulated_month_in_the_city_time_zone_starts_a_window():
    stored = iter(range(100))
    w = Windows({}, lambda: next(stored), "Asia/Shanghai")
    feb_1 = int(dt.datetime(2023, 1, 31, 16, 0, tzinfo=dt.timezone.utc).timestamp() * 1000)  # 00:00 local
    w.update(5000, feb_1 - 3_600_000)
    w.update(10000, feb_1 - 1)  # still January in Huai'an, February in UTC
    w.update(15000, feb_1)
    w.end(20000)
    assert [m.month for m in w.marks] == ["2023-01", "2023-02", "end"]
    assert [m.sent for m in w.marks] == [5000, 15000, 20000]


def test_a_tail_after_the_year_is_not_the_last_month_compared():
    rows = [{"month": m, "events": n, "events_per_s": r, "us_per_event_servers": 100.0}
            for m, n, r in (("2023-01", 900_000, 10_000), ("2023-02", 800_000, 9_500), ("2023-12", 850_000, 9_200),
                            ("2024-01", 20_000, 30_000))]
    f = flatness(rows)
    assert (f["first_month"], f["last_month"], f["last_over_first"]) == ("2023-01", "2023-12", 0.92)


def test_no_window_without_two_marks_and_no_flatness_without_two_windows():
    assert ready([]).rows() == []
    assert flatness([]) == {}


def test_the_tables_show_every_process_and_server_kind():
    rows = ready([mark("2023-01", 0.0, 0, 0, {"clickhouse": 0.0, "aggregate-2": 0.0}),
                  mark("end", 10.0, 100_000, 100_000, {"clickhouse": 4.0, "aggregate-2": 2.0})]).rows()
    rows[0]["queries"] = {"insert events": {"n": 3, "s": 1.5, "cpu_s": 1.5, "read_rows": 0}}
    rows[0]["merges"] = {"ticket_state": {"n": 2, "s": 0.7, "rows": 9}}
    head, _, line = windows.table(rows)
    assert "clickhouse" in head and "aggregate-2" in head
    assert "| 2023-01 | 0.00 | 100,000 | 10.0 | 10,000 | 0 | 60.0 | 40.0 | 20.0 |" == line
    shead, _, sline = windows.server_table(rows)
    assert "insert events µs" in shead and "background µs" in shead and "merge ticket_state s" in shead
    # 1.5 s of 4 s of ClickHouse CPU in the insert queries, for 100,000 events: 15 µs and 25 µs
    assert sline == "| 2023-01 | 15.0 | 25.0 | 0.7 |"


def test_the_chart_draws_rate_and_cost_of_each_run(tmp_path):
    import json

    rows = ready([mark("2023-01", 0.0, 0, 0, {"clickhouse": 0.0, "simulator": 0.0}),
                  mark("2023-02", 10.0, 100_000, 100_000, {"clickhouse": 4.0, "simulator": 9.0}),
                  mark("end", 20.0, 200_000, 200_000, {"clickhouse": 9.0, "simulator": 9.0})]).rows()
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps({"commit": "abc", "windows": rows}))
    b.write_text(json.dumps({"commit": "abc", "windows": rows, "history": {"years": [2021, 2022]}}))
    chart.write([a, b], tmp_path / "w.svg")
    svg = (tmp_path / "w.svg").read_text()
    assert svg.count("<polyline") == 8
    assert "2 earlier years" in svg and "empty start" in svg
    assert chart.lines(json.loads(a.read_text()))["k events/s, empty start"] == [(0.0, 10.0), (0.1, 10.0)]


@pytest.mark.parametrize("years", [1, 2])
def test_history_is_the_years_before_the_profiles_oldest_first(years):
    doc = profile.load("huaian-2023")
    assert [d["year"] for d in history.earlier(doc, years)] == list(range(2023 - years, 2023))
