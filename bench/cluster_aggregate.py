"""The aggregate alone, on one server of each kind and on the local cluster with 1, 2 and 4 workers,
side by side in one run (docs/scale.md).

For each stack, from an empty state folder: `hotline up`, the aggregate workers stopped, a month
of simulated events written straight to the topics (`simulate --to kafka`), then the workers
started again (`hotline up` starts what is missing) and timed until the facts hold every event:
events per second from the moment `up` returned. Stacks are stopped and purged afterwards.

    .venv/bin/python -m bench.cluster_aggregate [--month 2023-03] [--scale 0.1] [--workers 1,2,4]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from clickhouse_driver import Client

from tooling.simulator import catchup

REPO = Path(__file__).resolve().parents[1]
# The single-node stack's ports: its own, clear of the demo's and the tests'.
SINGLE = {"HOTLINE_CLICKHOUSE_PORT": "29000", "HOTLINE_CLICKHOUSE_HTTP_PORT": "28123",
          "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:29092", "HOTLINE_INGEST_PORT": "28080",
          "HOTLINE_API_PORT": "28090", "HOTLINE_AGGREGATE_PORT": "26066", "HOTLINE_ALERTS_PORT": "28095"}


def hotline(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "tooling.cli", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"hotline {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def exports(text: str) -> dict[str, str]:
    return dict(line.removeprefix("export ").replace("'", "").split("=", 1) for line in text.splitlines() if line)


def stop_workers(run_dir: Path) -> None:
    for pid_file in run_dir.glob("aggregate*.pid"):
        pid = int(json.loads(pid_file.read_text())["pid"])
        os.kill(pid, signal.SIGTERM)
        while Path(f"/proc/{pid}").exists() and ") Z " not in Path(f"/proc/{pid}/stat").read_text():
            time.sleep(0.2)


def measure(label: str, env: dict[str, str], run: dict[str, str], up: tuple[str, ...], run_dir: Path,
            month: str, scale: str) -> dict:
    """`env` starts the stack; `run` is what its services run with (the simulator's too)."""
    hotline(env, *up)
    stop_workers(run_dir)
    sent = hotline(run, "simulate", "--to", "kafka", "--month", month, "--scale", scale, "--no-previous")
    events = int(re.search(r"([\d,]+) distinct events", sent).group(1).replace(",", ""))
    t0 = time.monotonic()
    hotline(env, *up)  # starts the stopped workers
    started = time.monotonic()
    client = Client(run.get("HOTLINE_CLICKHOUSE_HOST", "127.0.0.1"), port=int(run["HOTLINE_CLICKHOUSE_PORT"]))
    catchup.wait(client, run.get("HOTLINE_CLICKHOUSE_DATABASE", "hotline"), "", events, timeout_s=1800, every_s=0.5)
    done = time.monotonic()
    client.disconnect()
    row = {"stack": label, "events": events, "up_s": round(started - t0, 1),
           "caught_up_s": round(done - started, 1), "events_per_s": round(events / (done - started))}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--month", default="2023-03")
    ap.add_argument("--scale", default="0.1")
    ap.add_argument("--workers", default="1,2,4")
    args = ap.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    with tempfile.TemporaryDirectory(prefix="hotline-bench-cluster-") as state:
        single = {**base, **SINGLE, "HOTLINE_STATE_DIR": f"{state}/single"}
        try:
            measure("one server of each, 1 worker", single, single, ("up",), Path(state) / "single" / "run",
                    args.month, args.scale)
        finally:
            hotline(single, "down", "--purge")
        for w in args.workers.split(","):
            env = {**base, "HOTLINE_STATE_DIR": state, "HOTLINE_CLUSTER_AGGREGATE_WORKERS": w}
            run = {**env, **exports(hotline(env, "env", "--cluster"))}
            try:
                measure(f"cluster, {w} worker(s)", env, run, ("up", "--cluster"), Path(state) / "cluster" / "run",
                        args.month, args.scale)
            finally:
                hotline(env, "down", "--cluster", "--purge")


if __name__ == "__main__":
    main()
