"""The platform on the local cluster, in the default run: `hotline up --cluster`, a simulated day
sent to its ingest service over HTTP, then the annual report, the department assessment and every
facts row are the single-node answer for the same events; each shard's two replicas hold the same
rows, and every row lives on the shard its entity id names. The longer run that kills a Kafka
node and a ClickHouse replica mid-stream is test_cluster_failover.py (`./run cluster`).
"""

from __future__ import annotations

import urllib.request

import pytest
from clickhouse_driver import Client

from hotline.settings import ClickHouseSettings
from hotline.storage.shards import shard_of
from services.api.facts_reader import _sql
from services.api.pruner import prune_once
from tests.integration.cluster.cluster_support import (
    FACTS_KEY, NODES, SHARD_NODES, base_env, facts_rows, hotline, misplaced, node, reference,
    reference_reports, replica_digest, reports, service_env, simulate, sync_replicas,
)

DAY = ("--from", "2023-03-06", "--until", "2023-03-06", "--scale", "0.2")
REFERENCE_DB = "hotline_cluster_day_reference"


@pytest.fixture(scope="module")
def day(local_stack, tmp_path_factory):
    """The cluster after the day went through it, and the reference database."""
    env = base_env()
    assert hotline(env, "down", "--cluster", "--purge").returncode == 0
    up = hotline(env, "up", "--cluster")
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        run = service_env(env)
        sent = simulate(run, *DAY, "--wait", "--timeout", "300")
        assert sent.returncode == 0, sent.stdout + sent.stderr
        events = tmp_path_factory.mktemp("cluster-day") / "day.ndjson"
        written = simulate(run, *DAY, "--to", "file", "--out", str(events))
        assert written.returncode == 0, written.stderr
        yield {"env": run, "sent": sent.stdout + sent.stderr, "reference": reference(REFERENCE_DB, events)}
    finally:
        down = hotline(env, "down", "--cluster", "--purge")
        assert down.returncode == 0, down.stderr


def test_the_day_was_accepted_whole(day):
    assert "rejected 0" in day["sent"], day["sent"]


def test_reports_are_the_single_node_answer(day):
    port = day["env"]["HOTLINE_API_PORT"]

    def get(path: str) -> bytes:
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": "Bearer dev-token"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            assert resp.status == 200, path
            return resp.read()

    on_cluster, single = reports(get), reference_reports(day["reference"])
    assert sorted(on_cluster) == sorted(single)
    for key in single:
        assert on_cluster[key] == single[key], key


@pytest.mark.parametrize("table", sorted(FACTS_KEY))
def test_facts_are_the_single_node_facts(day, table):
    single = Client("127.0.0.1", port=day["reference"].port)
    expected = facts_rows(single, day["reference"].database, table)
    assert len(expected) > 500  # a day at scale 0.2: about 900 calls, 800 tickets
    # Any node reads the whole cluster through the Distributed tables of `hotline`.
    assert facts_rows(node("clickhouse-1-1"), "hotline", table) == expected


def test_each_shards_replicas_hold_the_same_rows_and_only_their_shards(day):
    sync_replicas()
    for shard, (a, b) in SHARD_NODES.items():
        first = replica_digest(a)
        assert first["events"][0] > 0, (shard, first)
        assert replica_digest(b) == first, shard
        assert misplaced(a, shard) == [] and misplaced(b, shard) == []
    total = sum(replica_digest(names[0])["events"][1] for names in SHARD_NODES.values())
    assert total == node("clickhouse-2-2").execute("SELECT uniqExact(source, id) FROM hotline.events")[0][0]
    assert len(NODES) == 4


def test_open_tickets_are_the_single_node_count_and_survive_a_prune_of_every_shard(day, monkeypatch):
    """The live count of open dispatched tickets reads ticket_open through its Distributed table;
    the API's prune (services/api/pruner.py) runs on each shard's own table. A closed ticket's
    row written ten minutes ago on each shard is dropped, and the count does not move."""
    ref = day["reference"]
    single = Client("127.0.0.1", port=ref.port)
    at = {"now_ms": 1_678_100_000_000}  # 2023-03-06 10:53 UTC: the day's deadlines on both sides
    want = single.execute(_sql("live_open", ref.database), at)
    by_facts = single.execute(
        f"SELECT count(), countIf(deadline_ms > 0 AND deadline_ms < %(now_ms)s) FROM {ref.database}.ticket_facts FINAL "
        "WHERE dispatched = 1 AND handling = 'department' AND completed = 0", at)
    assert want == by_facts and want[0][0] > 0  # a few of the day's dispatched tickets are still open at its end
    assert node("clickhouse-2-2").execute(_sql("live_open", "hotline"), at) == want

    for shard, (first, _) in SHARD_NODES.items():
        old = next(f"old-closed-{i}" for i in range(100) if shard_of(f"old-closed-{i}", 2) == shard - 1)
        node(first).execute(
            "INSERT INTO hotline_local.ticket_open (ticket_id, events, open, deadline_ms, written) "
            "SELECT %(t)s, toUInt64(3), toUInt8(0), toInt64(0), now() - 600", {"t": old})
    for key, value in day["env"].items():
        if key.startswith("HOTLINE_CLICKHOUSE_"):
            monkeypatch.setenv(key, value)
    # The API's own pruner may get there first; either way the old minutes go.
    assert prune_once(ClickHouseSettings()) in (0, 1, 2)
    sync_replicas()
    assert node("clickhouse-1-2").execute(
        "SELECT count() FROM hotline.ticket_open WHERE ticket_id LIKE 'old-closed-%'") == [(0,)]
    assert node("clickhouse-1-1").execute(_sql("live_open", "hotline"), at) == want
