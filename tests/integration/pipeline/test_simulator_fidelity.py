"""The end-to-end fidelity test: a simulated city-year, with faults, through ingest → Kafka →
Faust → ClickHouse → API, compared figure by figure with the profile it was simulated from.

Tolerances (tooling/simulator/compare.py): counts exact at scale 1 and within one (two for sums
of two) of count × scale below it; rates within 0.05 percentage points or one unit of their
denominator; averages within 1 %; year-over-year within 0.5 points (or the granularity of the
small counts it compares); figures with fewer than 100 cases at the scale are not checked. The
published inconsistencies of the Huai'an report are asserted as the platform's correct values.

This module runs its own stack (state in .state/fidelity, its own ports) with `hotline up` as a
user would, so the report holds nothing but the simulated cities.
"""

from __future__ import annotations

import pytest

from hotline.settings import ClickHouseSettings, KafkaSettings
from tooling.simulator import catchup, demo, profile
from tooling.simulator.compare import compare, format_table, inconsistencies, summary
from tooling.simulator.faults import FaultRates
from tooling.simulator.run import simulate
from tooling.simulator.settings import SimulatorSettings
from tooling.simulator.sinks import HttpSink, KafkaSink
from hotline.storage.client import connect
from tests.support.own_stack import own_stack

pytestmark = [pytest.mark.stack, pytest.mark.kafka, pytest.mark.clickhouse]

PORTS = {"HOTLINE_CLICKHOUSE_PORT": "19500", "HOTLINE_CLICKHOUSE_HTTP_PORT": "18523",
         "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:19592", "HOTLINE_INGEST_PORT": "18580",
         "HOTLINE_API_PORT": "18590", "HOTLINE_AGGREGATE_PORT": "16566",
         "HOTLINE_ALERTS_PORT": "18595"}
FAULTS = FaultRates(duplicate=0.01, reorder=0.01, late=0.002, malformed=0.001)


@pytest.fixture(scope="module")
def fidelity_stack():
    with own_stack("fidelity", PORTS) as env:
        yield env


def _run(env, doc, sink, *, scale: float, seed: int):
    """Simulate, wait for the facts to hold every distinct valid event, fetch the report."""
    result = simulate(doc, sink, scale=scale, seed=seed, faults=FAULTS)
    ch = ClickHouseSettings(port=int(env["HOTLINE_CLICKHOUSE_PORT"]), http_port=int(env["HOTLINE_CLICKHOUSE_HTTP_PORT"]))
    client = connect(ch)
    try:
        catchup.wait(client, ch.database, f"sim{seed}-", result.stats.events, timeout_s=900)
    finally:
        client.disconnect()
    s = SimulatorSettings(ingest_url=f"http://127.0.0.1:{env['HOTLINE_INGEST_PORT']}",
                          api_url=f"http://127.0.0.1:{env['HOTLINE_API_PORT']}")
    report = demo.fetch_report(s, doc["year"], demo.report_params(doc))
    return result, report


def _assert_faithful(rows, at_least: int) -> None:
    n = summary(rows)
    assert n["failed"] == 0, "figures outside tolerance:\n" + format_table(rows, only_failed=True)
    assert n["checked"] >= at_least, n  # a comparison that checks (almost) nothing proves nothing


def test_huaian_city_year_through_http_matches_the_published_report(fidelity_stack):
    doc = profile.load("huaian-2023")
    scale = 0.02
    sink = HttpSink(f"http://127.0.0.1:{fidelity_stack['HOTLINE_INGEST_PORT']}", "dev-token",
                    batch_size=1000, concurrency=4)
    result, report = _run(fidelity_stack, doc, sink, scale=scale, seed=11)

    # Faults were really injected, malformed events refused, every valid one accepted.
    assert min(result.faults[k] for k in ("duplicate", "reorder", "late", "malformed")) > 0, result.faults
    assert result.rejected == result.faults["malformed"]
    assert result.accepted == result.sent - result.rejected

    rows = compare(doc, report, scale)
    _assert_faithful(rows, at_least=115)
    # The published defects: the platform's correct values, not the printed ones.
    assert sorted(r.path for r in inconsistencies(rows)) == [
        "calls.all.avg_talk_s",
        "top_categories.all[民生保障].count",
        "top_categories.non_consult[住房保障].share_pct",
        "top_categories.non_consult[城乡建设].share_pct",
    ]
    by_path = {r.path: r for r in rows}
    assert abs(by_path["calls.all.avg_talk_s"].computed - 191.76) < 0.02
    assert by_path["top_categories.non_consult[住房保障].share_pct"].computed == 16.98
    # Counts at scale 0.02: 1,450,699 × 0.02 = 29,013.98 demands; 1,421,313 × 0.02 = 28,426.26 calls.
    assert report["demands"]["rows"]["all"]["total"] in (29013, 29014, 29015)
    assert report["calls"]["inbound"]["answered"] in (28426, 28427)


def test_a_second_city_of_another_shape_straight_through_kafka(fidelity_stack):
    """No specialists, an epidemic tag, efficiency over dispatched tickets only; simulated as
    2021 (and 2020) so that its report does not mix with the Huai'an years."""
    doc = {**profile.load("riverside-2023"), "year": 2021}
    scale = 0.5
    kafka = KafkaSettings(bootstrap_servers=fidelity_stack["HOTLINE_KAFKA_BOOTSTRAP_SERVERS"])
    result, report = _run(fidelity_stack, doc, KafkaSink(kafka), scale=scale, seed=12)
    assert result.faults["malformed"] > 0 and result.rejected == 0  # Kafka takes them; the worker dead-letters them

    rows = compare(doc, report, scale)
    _assert_faithful(rows, at_least=60)
    assert report["parameters"]["efficiency_scope"] == "dispatched"
    assert report["demands"]["rows"]["all"]["online_specialist"] == 0
    by_path = {r.path: r for r in rows}
    assert by_path["tags.rows[epidemic].count"].ok is True  # 1,250 × 0.5 = 625
    assert report["efficiency"]["consult"]["count"] == 2770  # 5,540 × 0.5, dispatched only
