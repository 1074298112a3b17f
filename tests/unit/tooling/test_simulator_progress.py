"""tooling.simulator.progress: the lines written, on a fake clock."""

from __future__ import annotations

import datetime as dt
import io

from tooling.simulator.progress import Progress

# 2023-03-01 08:00 in Shanghai = 00:00 UTC.
T0 = int(dt.datetime(2023, 3, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp() * 1000)
MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_terminal_redraws_one_line_with_bar_rate_sim_time_and_eta():
    clock, out = Clock(), io.StringIO()
    p = Progress(1000, out=out, tty=True, clock=clock)
    clock.now = 0.5
    p.update(100, T0)                  # less than every_s = 1 s since the start: nothing drawn
    assert out.getvalue() == ""
    clock.now = 1.0
    p.update(250, T0 + HOUR)
    clock.now = 2.0
    p.update(400, T0 + 2 * HOUR)
    clock.now = 2.5
    p.update(1000, T0 + 30 * DAY)      # 0.5 s after the last draw: not drawn until close
    p.close()
    p.close()                          # idempotent
    assert out.getvalue().split("\r") == [
        "",
        "[######------------------]   25.0%  250/1,000 ev  250 ev/s (now 250)  sim 2023-03-01 09:00  ETA 0:00:03",
        "[#########---------------]   40.0%  400/1,000 ev  200 ev/s (now 200)  sim 2023-03-01 10:00  ETA 0:00:03",
        # the final line is 9 characters shorter than the one it overwrites: blanked with spaces
        "[########################]  100.0%  1,000/1,000 ev  400 ev/s  sim 2023-03-31 08:00  in 0:00:02"
        + " " * 9 + "\n",
    ]


def test_log_writes_a_plain_line_every_10_s():
    clock, out = Clock(), io.StringIO()
    p = Progress(100_000, out=out, tty=False, clock=clock)
    for second in range(1, 26):        # 1,000 events a second, one simulated minute a second
        clock.now = float(second)
        p.update(second * 1000, T0 + second * MIN)
    p.close()
    assert out.getvalue().splitlines() == [
        "simulate: 10.0%, 10,000/100,000 ev, 1,000 ev/s (now 1,000), sim 2023-03-01 08:10, ETA 0:01:30",
        "simulate: 20.0%, 20,000/100,000 ev, 1,000 ev/s (now 1,000), sim 2023-03-01 08:20, ETA 0:01:20",
        "simulate: 25.0%, 25,000/100,000 ev, 1,000 ev/s, sim 2023-03-01 08:25, in 0:00:25",
    ]


def test_unknown_total_and_a_recent_rate_that_differs_from_the_overall_one():
    clock, out = Clock(), io.StringIO()
    p = Progress(None, out=out, tty=False, clock=clock)
    for second in range(1, 26):        # 100 ev/s for 10 s, then 300 ev/s
        clock.now = float(second)
        p.update(second * 100 if second <= 10 else 1000 + (second - 10) * 300, T0 + second * MIN)
    p.close()
    assert out.getvalue().splitlines() == [
        "simulate: 1,000 ev, 100 ev/s (now 100), sim 2023-03-01 08:10",
        "simulate: 4,000 ev, 200 ev/s (now 300), sim 2023-03-01 08:20",
        "simulate: 5,500 ev, 220 ev/s, sim 2023-03-01 08:25, in 0:00:25",
    ]


def test_not_a_terminal_is_detected_from_the_stream():
    clock, out = Clock(), io.StringIO()      # StringIO.isatty() is False
    p = Progress(10, out=out, clock=clock)
    clock.now = 1.0
    p.update(5, T0)                           # 1 s: a terminal would redraw; a log waits 10 s
    assert out.getvalue() == ""
    p.close()
    assert out.getvalue() == "simulate: 50.0%, 5/10 ev, 5 ev/s, sim 2023-03-01 08:00, in 0:00:01\n"


def test_close_before_any_update():
    clock, out = Clock(), io.StringIO()
    Progress(10, out=out, tty=True, clock=clock).close()
    assert out.getvalue() == "\r[------------------------]    0.0%  0/10 ev  0 ev/s  in 0:00:00\n"
