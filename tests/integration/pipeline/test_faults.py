"""The fault suite: a simulated month streamed over HTTP through the whole pipeline
twice with the same seed, into a clean stack and into one that suffers faults meanwhile; after
recovery the two must hold the same report and facts, byte for byte, and every event the
faulted producer was told "accepted" (docs/reliability/faults.md).

The fast scenario runs in the default run. The full one is marked `faults` and runs only when
asked for: `./run faults` (or `pytest -m faults tests/integration/pipeline/test_faults.py`); each run
writes its record to faults-<scenario>.json in $HOTLINE_FAULTS_RECORD_DIR (default .state/;
`./run faults` sets docs/reliability/).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.support.fault_run import Scenario, run

pytestmark = [pytest.mark.stack]

REPO = Path(__file__).resolve().parents[3]

FAST = Scenario(
    name="fast", seed=10, scale=0.005, month="2023-03", duration_s=25, send_batch=500, http_batch=125,
    faults=(("aggregate_sigkill", 0.15), ("ingest_sigkill_mid_batch", 0.4), ("producer_timeout", 0.6),
            ("broker_sigkill", 0.8)),
)

FULL = Scenario(
    name="full", seed=10, scale=0.05, month="2023-03", duration_s=150,
    faults=(
        # Spaced so that no two overlap: ClickHouse's stop takes ~40 s (0.22-0.49 of the stream),
        # the broker's SIGKILL with its backlog and restart ~18 s (0.55-0.67).
        ("aggregate_sigkill", 0.06), ("producer_timeout", 0.14), ("clickhouse_stop", 0.22),
        ("aggregate_sigkill", 0.50), ("broker_sigkill", 0.55), ("ingest_sigkill_mid_batch", 0.72),
        ("aggregate_sigkill", 0.80), ("producer_timeout", 0.87), ("ingest_sigkill_mid_batch", 0.94),
    ),
)


# The control: the broker's data deleted while it is down with a backlog in it (a lost disk). It
# loses what ingest had accepted and no worker had read yet; the suite must catch that, not pass.
LOST_BROKER = Scenario(
    name="lost-broker", seed=10, scale=0.005, month="2023-03", duration_s=20, send_batch=500, http_batch=125,
    faults=(("broker_data_lost", 0.3),), catchup_timeout_s=45,
)


def _keep(record: dict) -> None:
    """The run's record as JSON (faults-<scenario>.json in $HOTLINE_FAULTS_RECORD_DIR, default
    .state/), for the reader of a failure and for docs/reliability/."""
    folder = Path(os.environ.get("HOTLINE_FAULTS_RECORD_DIR") or REPO / ".state")
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"faults-{record['scenario']}.json"
    record = {"command": "pytest " + " ".join(sys.argv[1:]), **record}
    out.write_text(json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n")


def _cut_in_flight(producer: dict) -> int:
    """Requests the producer had sent that the killed server never answered (a refused
    connection is not one: the server was already gone when it was tried)."""
    return sum(producer.get(f"error_{name}", 0)
               for name in ("RemoteDisconnected", "ConnectionResetError", "BrokenPipeError", "IncompleteRead"))


def _assert_recovered(record: dict) -> None:
    checks = record["checks"]
    assert checks["report"]["difference"] is None
    assert {t: c["difference"] for t, c in checks["facts"].items()} == {"call_facts": None, "ticket_facts": None}
    assert checks["accepted_missing_count"] == 0, checks["accepted_missing_from_events"]
    assert checks["facts_rows_counted_twice"] == {"clean": 0, "faulted": 0}
    assert checks["differences"] == 0


def test_fast_fault_run_equals_the_clean_run():
    record = run(FAST, clean_port=22600, faulted_port=22610)
    _keep(record)
    # huaian-2023, March, scale 0.005, seed 10 (the same month as the full run, a tenth of it).
    assert record["events"] == record["checks"]["accepted_ids"] == record["faulted"]["accepted"]
    assert [f["kind"] for f in record["faulted"]["faults"]] == [k for k, _ in FAST.faults]
    # The faults did reach the producer: timeouts it retried, and requests cut by the kill.
    faults = {f["kind"]: f for f in record["faulted"]["faults"]}
    assert faults["producer_timeout"]["producer"].get("timeouts", 0) >= 1, faults["producer_timeout"]
    assert _cut_in_flight(faults["ingest_sigkill_mid_batch"]["producer"]) >= 1, faults["ingest_sigkill_mid_batch"]
    # The broker was SIGKILLed holding events no worker had read; none of them was lost.
    assert faults["broker_sigkill"]["accepted_not_yet_in_facts"] > 0, faults["broker_sigkill"]
    _assert_recovered(record)


@pytest.mark.faults
def test_full_fault_run_equals_the_clean_run():
    record = run(FULL, clean_port=22700, faulted_port=22710)
    _keep(record)
    assert record["faults_injected"] == len(FULL.faults)
    cuts = [_cut_in_flight(f["producer"]) for f in record["faulted"]["faults"] if f["kind"] == "ingest_sigkill_mid_batch"]
    assert len(cuts) == 2 and all(n >= 1 for n in cuts), cuts
    _assert_recovered(record)


@pytest.mark.faults
def test_a_broker_that_lost_its_data_loses_accepted_events_and_the_suite_says_so():
    record = run(LOST_BROKER, clean_port=22720, faulted_port=22730)
    _keep(record)
    checks = record["checks"]
    (restart,) = record["faulted"]["faults"]
    assert restart["accepted_not_yet_in_facts"] > 0  # the backlog the restart was given
    assert record["faulted"]["caught_up_after_s"] is None
    assert checks["accepted_missing_count"] > 0 and checks["differences"] > 0
