"""The pure pieces of `./run bench` (bench/stages): the headline ratios and the Markdown table."""

from __future__ import annotations

from bench.stages.__main__ import ratios
from bench.stages.common import StageResult
from bench.stages.report import table


def stage(name: str, rate: float, events: int = 1000) -> StageResult:
    return StageResult(name, events, 1.0, rate, 2.0, 100.0, "n|o")


def test_ratios_divide_events_per_second_by_stage_number():
    got = ratios([stage("1 platform: HTTP", 10_000), stage("2 platform: Kafka", 30_000),
                  stage("3 floor: load + facts", 200_000), stage("3a floor: load", 300_000),
                  stage("4 peer: Kafka engine", 240_000), stage("5 naive", 60_000)])
    assert got == {"platform / floor": 0.05, "platform / peer": 0.042, "platform from Kafka / peer": 0.125,
                   "platform from Kafka / floor": 0.15, "platform from Kafka / naive": 0.5}


def test_a_stage_that_did_not_run_gives_no_ratio():
    got = ratios([stage("1 platform: HTTP", 10_000), stage("4 peer: Kafka engine", 0.0, events=0)])
    assert got["platform / peer"] is None and got["platform / floor"] is None


def test_table_rows_keep_the_columns_whatever_the_notes_hold():
    rows = table([stage("1 platform: HTTP", 11_018.4, events=10_945_810).as_dict()])
    assert rows[2] == "| 1 platform: HTTP | 10,945,810 | 1.0 | 11,018 | 2.0 | 100 | n/o |"
    assert rows[2].count("|") == rows[0].count("|")
