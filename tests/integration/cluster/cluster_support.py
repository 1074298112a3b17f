"""What the cluster's pipeline tests share: the cluster started as a user starts it, the single-node
reference they compare with, and the comparisons (reports, facts, replicas, placement).

The reference is a database of its own on the test stack's single ClickHouse, filled with the same
simulated events through the aggregate worker's own prepare and writer (tests/support/report_db.py),
and read by the query API in-process: the single-node answer for the same events.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import orjson
from clickhouse_driver import Client
from fastapi.testclient import TestClient

from hotline.settings import ClickHouseSettings
from hotline.storage.shards import shard_of
from services.api.app import create_app
from services.api.settings import ApiSettings
from tests.support.report_db import fresh_database, write
from tooling.stack import cluster as cluster_stack
from tooling.stack import stack

REPO = Path(__file__).resolve().parents[3]
AUTH = {"Authorization": "Bearer dev-token"}
NODES = {"clickhouse-1-1": 23400, "clickhouse-1-2": 23401, "clickhouse-2-1": 23402, "clickhouse-2-2": 23403}
SHARD_NODES = {1: ("clickhouse-1-1", "clickhouse-1-2"), 2: ("clickhouse-2-1", "clickhouse-2-2")}
# Every listed column but refreshed_at (when the row was written, not what it says).
FACTS_KEY = {"call_facts": "call_id", "ticket_facts": "ticket_id"}


def hotline(env: dict[str, str], *args: str, timeout_s: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tooling.cli", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout_s)


def base_env() -> dict[str, str]:
    """The environment `hotline … --cluster` runs with: the test stack's state folder only (the
    cluster's ports are its defaults)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env["HOTLINE_STATE_DIR"] = os.environ["HOTLINE_STATE_DIR"]  # set by tests/conftest.py
    return env


def service_env(env: dict[str, str]) -> dict[str, str]:
    """`env` plus what the cluster's services run with (their ports, ClickHouse and Kafka; the
    state folder is this process's, the test stack's, as in `env`)."""
    return {**env, **cluster_stack.service_env(stack.Settings.from_env(), cluster_stack.ClusterSettings())}


def node(name: str, database: str = "default") -> Client:
    return Client("127.0.0.1", port=NODES[name], database=database, connect_timeout=5, send_receive_timeout=300)


def simulate(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return hotline(env, "simulate", "--no-previous", "--seed", "7", *args)


def reference(name: str, events_file: Path) -> ClickHouseSettings:
    """A fresh single-node database holding the events of `events_file` (NDJSON)."""
    settings = fresh_database(name)
    events = [orjson.loads(line) for line in events_file.read_bytes().splitlines() if line.strip()]
    for i in range(0, len(events), 20_000):
        write(settings, events[i:i + 20_000], offset=i)
    return settings


def reports(get) -> dict[str, bytes]:
    """The answers compared between the cluster and the reference (generated_at removed; CSV
    zips compared file by file, their members' times aside)."""
    out: dict[str, bytes] = {}
    for path in ("/v1/reports/annual/2023", "/v1/reports/departments?from=2023-03-01&to=2023-03-31"):
        body = orjson.loads(get(path))
        body.pop("generated_at", None)
        out[path] = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    with zipfile.ZipFile(io.BytesIO(get("/v1/reports/annual/2023?format=csv"))) as z:
        for member in sorted(z.namelist()):
            out[f"csv:{member}"] = z.read(member)
    return out


def reference_reports(settings: ClickHouseSettings) -> dict[str, bytes]:
    with TestClient(create_app(ApiSettings(clickhouse=settings))) as client:
        def get(path: str) -> bytes:
            r = client.get(path, headers=AUTH)
            assert r.status_code == 200, (path, r.text)
            return r.content
        return reports(get)


def facts_rows(client: Client, database: str, table: str) -> list[tuple]:
    cols = [c for (c,) in client.execute(
        f"SELECT name FROM system.columns WHERE database = '{database}' AND table = '{table}' "
        "AND name != 'refreshed_at' ORDER BY name")]
    return client.execute(f"SELECT {', '.join(cols)} FROM {database}.{table} FINAL ORDER BY {FACTS_KEY[table]}")


def sync_replicas() -> None:
    """Every node has fetched what its shard's other replica wrote."""
    for name in NODES:
        c = node(name)
        for (table,) in c.execute("SELECT name FROM system.tables WHERE database = 'hotline_local' "
                                  "AND engine LIKE 'Replicated%'"):
            c.execute(f"SYSTEM SYNC REPLICA hotline_local.{table}")


def replica_digest(name: str) -> dict[str, tuple]:
    """What a node holds of its shard's entities: rows and an order-free digest per table."""
    c = node(name)
    return {
        "events": c.execute("SELECT count(), uniqExact(source, id), groupBitXor(cityHash64(subject, source, id)) "
                            "FROM hotline_local.events")[0],
        "call_facts": c.execute("SELECT count(), groupBitXor(cityHash64(call_id, events, status)) "
                                "FROM hotline_local.call_facts FINAL")[0],
        "ticket_facts": c.execute("SELECT count(), groupBitXor(cityHash64(ticket_id, events, department)) "
                                  "FROM hotline_local.ticket_facts FINAL")[0],
    }


def misplaced(name: str, shard: int) -> list[str]:
    """Entity ids a node of `shard` holds that belong to another shard."""
    c = node(name)
    ids = [r[0] for r in c.execute("SELECT DISTINCT subject FROM hotline_local.events")]
    ids += [r[0] for r in c.execute("SELECT DISTINCT ticket_id FROM hotline_local.ticket_facts")]
    return [i for i in ids if shard_of(i, 2) != shard - 1]
