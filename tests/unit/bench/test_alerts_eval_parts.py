"""Pieces of the early-warning evaluation (bench/alerts_eval) that decide its figures."""

from __future__ import annotations

import numpy as np

from bench.alerts_eval.surges import c2_runs
from bench.svg import chart
from tooling.cli_alerts import matches, parse_expect


def test_c2_runs_count_one_episode_per_run_of_alarm_days():
    alarm = np.array([[False, True, True, False, True, False],
                      [True, False, False, False, False, True]])
    # series 0: runs starting on days 1 and 4; series 1: day 0 is before the first day counted
    assert c2_runs(alarm, first_day=1) == [(0, 1), (0, 4), (1, 5)]


def test_the_amoc_picture_draws_every_line_and_dashes_the_comparator():
    svg = chart("t", "x", "y", {"ours": [(0.5, 20.0), (2.0, 15.0)], "theirs (C2)": [(1.0, 40.0)]})
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert svg.count("<polyline") == 2
    assert svg.count('stroke-dasharray="6 4"') == 2  # the C2 line and its legend


def test_the_demo_expectation_matches_on_kind_and_named_dimensions_only():
    kind, dims = parse_expect("surge:category=民生保障,district=清江浦区")
    assert (kind, dims) == ("surge", {"category": "民生保障", "district": "清江浦区"})
    alert = {"kind": "surge", "series": {"category": "民生保障", "district": "清江浦区", "subcategory": "x"}}
    assert matches(alert, kind, dims)
    assert not matches({**alert, "kind": "cluster"}, kind, dims)
    assert not matches({**alert, "series": {"category": "民生保障"}}, kind, dims)
