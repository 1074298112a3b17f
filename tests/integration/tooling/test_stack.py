"""`hotline up / down / status` as a user runs them: real processes, own ports and state dir."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.stack

PORTS = {"HOTLINE_CLICKHOUSE_PORT": "29000", "HOTLINE_CLICKHOUSE_HTTP_PORT": "28123",
         "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:29092",
         # the services `up` starts once they are built, off their default ports
         "HOTLINE_INGEST_PORT": "28080", "HOTLINE_API_PORT": "28090", "HOTLINE_AGGREGATE_PORT": "26066",
         "HOTLINE_ALERTS_PORT": "28095"}


def pid_of(run_dir: Path, name: str) -> int:
    return int((run_dir / f"{name}.pid").read_text().split('"pid": ')[1].split(",")[0])


def hotline(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tooling.cli", *args], env=env, capture_output=True, text=True, timeout=180
    )


def alive(pid: int) -> bool:
    try:
        return ") Z " not in Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def env(tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    e.update(PORTS, HOTLINE_STATE_DIR=str(tmp_path / "state"))
    yield e
    hotline(e, "down")


def test_up_twice_status_then_down_leaves_nothing(env, tmp_path):
    first = hotline(env, "up")
    assert first.returncode == 0, first.stderr
    assert "clickhouse: started at 127.0.0.1:29000, 127.0.0.1:28123" in first.stdout
    assert "broker: Apache Kafka started at 127.0.0.1:29092" in first.stdout
    assert "clickhouse: migrations applied: 0001_events" in first.stdout
    assert "hotline.calls.v1 (8 partitions)" in first.stdout

    second = hotline(env, "up")
    assert second.returncode == 0, second.stderr
    assert "clickhouse: already running" in second.stdout
    assert "broker: Apache Kafka already running" in second.stdout
    assert "clickhouse: migrations up to date" in second.stdout

    status = hotline(env, "status")
    assert status.returncode == 0
    lines = {ln.split()[0]: ln.split() for ln in status.stdout.splitlines()}
    assert lines["clickhouse"][1:3] == ["running", "healthy"]
    assert lines["broker"][1:3] == ["running", "healthy"]
    run_dir = tmp_path / "state" / "run"
    assert all(alive(pid_of(run_dir, name)) for name in ("clickhouse", "broker"))
    pids = [pid_of(run_dir, p.stem) for p in run_dir.glob("*.pid")]  # with the services built so far

    down = hotline(env, "down")
    assert down.returncode == 0
    assert "clickhouse: stopped" in down.stdout and "broker: stopped" in down.stdout
    assert not any(alive(p) for p in pids)
    assert not any(listening(p) for p in (29000, 28123, 29092))
    after = hotline(env, "status")
    assert after.returncode == 1
    assert "stopped" in after.stdout

    purge = hotline(env, "down", "--purge")
    assert purge.returncode == 0 and not (tmp_path / "state").exists()


def test_port_in_use_is_one_clear_line(env):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 29000))
        squatter.listen()
        result = hotline(env, "up")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "hotline up: port 29000 on 127.0.0.1 (ClickHouse native protocol) is already in use by a "
        "process the stack did not start; stop that process or set HOTLINE_CLICKHOUSE_PORT to a free port"
    ]
    assert "Traceback" not in result.stdout + result.stderr


def test_external_servers_are_used_not_started(env, local_stack, tmp_path):
    """Pointed at servers it did not start (here: the session's stack), `up` starts nothing,
    but still applies migrations and creates topics there."""
    ext = dict(env)
    ext.update(
        HOTLINE_CLICKHOUSE_PORT=str(local_stack.clickhouse.port),
        HOTLINE_CLICKHOUSE_HTTP_PORT=str(local_stack.clickhouse.http_port),
        HOTLINE_CLICKHOUSE_EXTERNAL="true",
        HOTLINE_KAFKA_BOOTSTRAP_SERVERS=local_stack.kafka.bootstrap_servers,
        HOTLINE_KAFKA_EXTERNAL="true",
    )
    result = hotline(ext, "up")
    assert result.returncode == 0, result.stderr
    assert f"clickhouse: external at 127.0.0.1:{local_stack.clickhouse.port}" in result.stdout
    assert f"broker: external at {local_stack.kafka.bootstrap_servers}, not started" in result.stdout
    assert "clickhouse: migrations up to date" in result.stdout
    # no server of its own (the platform's services still run here)
    assert not {p.stem for p in (tmp_path / "state").glob("run/*.pid")} & {"clickhouse", "broker"}
