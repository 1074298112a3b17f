"""A node of each kind lost in the middle of a month, on the local cluster (in the default run:
about 2 minutes and a half with the cluster's start; also in `./run cluster`).

A simulated March (scale 0.1, about 94,000 events) is sent to the cluster's ingest service over
HTTP. Once a quarter of it is stored, the Kafka node that leads the most partitions of the tickets
topic and ClickHouse node 1-1 (the first replica of shard 1, which the workers write to) are
killed with SIGKILL; a while later `hotline up --cluster` starts them again. Then: the annual
report, the department assessment and every facts row equal the single-node answer for the same
events (tests/integration/cluster/cluster_support.py); every event is stored once; the two
replicas of each shard hold the same rows. The times it took are printed (`-s`) and recorded in
the file named by HOTLINE_CLUSTER_RECORD (docs/scale.md quotes them).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from clickhouse_driver import Client
from kafka import KafkaAdminClient

from tests.integration.cluster.cluster_support import (
    FACTS_KEY, REPO, SHARD_NODES, base_env, facts_rows, hotline, node, reference, reference_reports,
    replica_digest, reports, service_env, sync_replicas,
)

MONTH = ("--no-previous", "--seed", "7", "--month", "2023-03", "--scale", "0.1")
REFERENCE_DB = "hotline_cluster_failover_reference"
KILLED_REPLICA = "clickhouse-1-1"


def stored(client: Client) -> int:
    return client.execute("SELECT uniqExact(source, id) FROM hotline.events")[0][0]


def pid_of(state: Path, name: str) -> int:
    return int(json.loads((state / "cluster" / "run" / f"{name}.pid").read_text())["pid"])


def busiest_leader(bootstrap: str, topic: str) -> int:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        [described] = admin.describe_topics([topic])
    finally:
        admin.close()
    leaders = [p.get("leader_id", p.get("leader")) for p in described["partitions"]]
    return max(set(leaders), key=leaders.count)


def wait_for(check, timeout_s: float, every_s: float = 1.0):  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(every_s)


@pytest.fixture(scope="module")
def month(local_stack, tmp_path_factory):
    env = base_env()
    state = Path(env["HOTLINE_STATE_DIR"])
    assert hotline(env, "down", "--cluster", "--purge").returncode == 0
    up = hotline(env, "up", "--cluster")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        run = service_env(env)
        events = tmp_path_factory.mktemp("cluster-month") / "month.ndjson"
        assert hotline(run, "simulate", *MONTH, "--to", "file", "--out", str(events)).returncode == 0
        expected = len({(e["source"], e["id"]) for e in map(json.loads, events.read_text().splitlines())})
        witness = node("clickhouse-2-2")  # never killed: reads the whole cluster
        leader = busiest_leader(run["HOTLINE_KAFKA_BOOTSTRAP_SERVERS"], "hotline.tickets.v1")

        t0 = time.monotonic()
        sender = subprocess.Popen(
            [sys.executable, "-m", "tooling.cli", "simulate", *MONTH, "--wait", "--timeout", "900"],
            env=run, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert wait_for(lambda: stored(witness) >= expected // 4 or sender.poll() is not None, 300)
            assert sender.poll() is None, "the month was sent before a quarter of it was stored"
            for name in (f"kafka-{leader}", KILLED_REPLICA):
                os.kill(pid_of(state, name), signal.SIGKILL)
            killed_at, stored_at_kill = time.monotonic(), stored(witness)
            # Down while another quarter of the month goes by (or the sender is done).
            wait_for(lambda: stored(witness) >= stored_at_kill + expected // 4 or sender.poll() is not None, 300)
            again = hotline(env, "up", "--cluster")
            assert again.returncode == 0, again.stdout + again.stderr
            restarted_at = time.monotonic()
            output, _ = sender.communicate(timeout=900)
        finally:
            if sender.poll() is None:
                sender.kill()
        assert sender.returncode == 0, output
        sent_at = time.monotonic()

        ref = reference(REFERENCE_DB, events)
        single = Client("127.0.0.1", port=ref.port)
        expected_facts = {t: facts_rows(single, ref.database, t) for t in FACTS_KEY}
        # The workers check a shard's facts once its replicas are back and in step (every 10 s).
        equal = wait_for(lambda: all(facts_rows(witness, "hotline", t) == rows for t, rows in expected_facts.items()),
                         300, every_s=5)
        settled_at = time.monotonic()
        figures = {
            "events": expected, "leader_killed": f"kafka-{leader}", "replica_killed": KILLED_REPLICA,
            "stored_at_kill": stored_at_kill, "down_s": round(restarted_at - killed_at, 1),
            "sent_and_caught_up_s": round(sent_at - t0, 1), "facts_equal_after_s": round(settled_at - t0, 1),
        }
        print("cluster failover:", json.dumps(figures))
        if os.environ.get("HOTLINE_CLUSTER_RECORD"):
            Path(os.environ["HOTLINE_CLUSTER_RECORD"]).write_text(json.dumps(figures, indent=1) + "\n")
        yield {"env": run, "output": output, "expected": expected, "reference": ref, "facts_equal": equal,
               "witness": witness, "expected_facts": expected_facts}
    finally:
        hotline(env, "down", "--cluster")


def test_every_event_was_accepted(month):
    assert "rejected 0" in month["output"], month["output"][-2000:]


def test_every_event_is_stored_once(month):
    witness = month["witness"]
    assert stored(witness) == month["expected"]
    assert witness.execute("SELECT count() FROM hotline.events FINAL")[0][0] == month["expected"]


def test_facts_are_the_single_node_facts(month):
    witness = month["witness"]
    for table, rows in month["expected_facts"].items():
        assert facts_rows(witness, "hotline", table) == rows, table


def test_reports_are_the_single_node_answer(month):
    port = month["env"]["HOTLINE_API_PORT"]

    def get(path: str) -> bytes:
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": "Bearer dev-token"})
        with urllib.request.urlopen(req, timeout=300) as resp:
            return resp.read()

    on_cluster, single = reports(get), reference_reports(month["reference"])
    assert sorted(on_cluster) == sorted(single)
    for key in single:
        assert on_cluster[key] == single[key], key


def test_each_shards_replicas_hold_the_same_rows(month):
    sync_replicas()
    for shard, (a, b) in SHARD_NODES.items():
        assert replica_digest(a) == replica_digest(b), shard
