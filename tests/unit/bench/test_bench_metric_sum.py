"""The benchmarks read worker gauges from the Prometheus text exposition (bench/stages/common.py)."""

from __future__ import annotations

from bench.stages.common import metric_sum

TEXT = """# HELP hotline_aggregate_assigned_partitions Partitions ...
# TYPE hotline_aggregate_assigned_partitions gauge
hotline_aggregate_assigned_partitions 8.0
hotline_aggregate_consumer_lag_messages{partition="0",topic="hotline.calls.v1"} 120.0
hotline_aggregate_consumer_lag_messages{partition="1",topic="hotline.calls.v1"} 30.0
hotline_aggregate_consumer_lag_messages_extra 999.0
"""


def test_sums_every_labelled_series_of_the_metric_and_nothing_with_a_longer_name():
    assert metric_sum(TEXT, "hotline_aggregate_consumer_lag_messages") == 150.0


def test_an_unlabelled_gauge_and_a_missing_metric():
    assert metric_sum(TEXT, "hotline_aggregate_assigned_partitions") == 8.0
    assert metric_sum(TEXT, "hotline_aggregate_rebalances_total") == 0
