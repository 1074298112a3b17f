"""A stack of the fault suite's own (its ports, its state folder), and the faults done to it:
processes killed, stopped, frozen, restarted by `hotline up`; the broker's data deleted (the
control that proves the suite sees a loss).

Every restart goes through `hotline up`, as an operator would; while ClickHouse is meant to be
down, restarts of other components wait, so that no `up` brings ClickHouse back early.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tooling.stack.process import ManagedProcess
from tests.support.waiting import eventually

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("clickhouse", "broker", "ingest", "aggregate", "api")


def ports_from(base: int) -> dict[str, str]:
    """Eight consecutive ports from `base` for one stack."""
    return {
        "HOTLINE_CLICKHOUSE_PORT": str(base), "HOTLINE_CLICKHOUSE_HTTP_PORT": str(base + 1),
        "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{base + 2}", "HOTLINE_INGEST_PORT": str(base + 3),
        "HOTLINE_API_PORT": str(base + 4), "HOTLINE_AGGREGATE_PORT": str(base + 5),
        "HOTLINE_BROKER_CONTROLLER_PORT": str(base + 6), "HOTLINE_ALERTS_PORT": str(base + 7),
    }


@dataclass
class FaultStack:
    name: str
    base_port: int

    def __post_init__(self) -> None:
        self.state_dir = REPO / ".state" / self.name
        self.env = {**os.environ, **ports_from(self.base_port), "HOTLINE_STATE_DIR": str(self.state_dir)}
        self._up_lock = threading.Lock()
        self.clickhouse_up = threading.Event()
        self.clickhouse_up.set()

    # -- addresses -----------------------------------------------------------------------------
    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.base_port + 3}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.base_port + 4}"

    @property
    def clickhouse_http(self) -> str:
        return f"http://127.0.0.1:{self.base_port + 1}"

    # -- the hotline command ---------------------------------------------------------------------
    def hotline(self, *args: str, timeout_s: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tooling.cli", *args], env=self.env, cwd=REPO,
                              capture_output=True, text=True, timeout=timeout_s)

    def up(self) -> None:
        """`hotline up`: starts whatever is not running. Waits while ClickHouse is meant to be down."""
        self.clickhouse_up.wait()
        with self._up_lock:
            done = self.hotline("up")
        if done.returncode != 0:
            raise AssertionError(f"hotline up ({self.name}) failed:\n{done.stdout}\n{done.stderr}")

    def down(self, purge: bool = True) -> None:
        self.hotline("down", *(["--purge"] if purge else []))

    def process(self, name: str) -> ManagedProcess:
        return ManagedProcess(name, self.state_dir / "run", self.state_dir / "logs" / f"{name}.log")

    def pid(self, name: str) -> int:
        pid = self.process(name).pid()
        assert pid is not None, f"{self.name}: {name} is not running"
        return pid

    # -- faults ------------------------------------------------------------------------------------
    def sigkill(self, name: str, just_before: Callable[[], object] | None = None) -> int:
        """SIGKILL the component's process group (after `just_before()` returns, with the pid
        already looked up); returns the pid killed once it is gone."""
        proc = self.process(name)
        pid = self.pid(name)
        if just_before is not None:
            just_before()
        os.killpg(pid, signal.SIGKILL)
        eventually(lambda: proc.pid() is None, timeout_s=10, interval_s=0.05, what=f"{name} gone after SIGKILL")
        return pid

    def lose_broker_data(self) -> None:
        """Delete the (stopped) broker's log and offsets: what a lost disk does."""
        assert self.process("broker").pid() is None, "stop the broker first"
        shutil.rmtree(self.state_dir / "kafka")

    def stop(self, name: str) -> None:
        """SIGTERM (SIGKILL after 20 s), as `hotline down` stops a component."""
        assert self.process(name).stop(), f"{self.name}: {name} was not running"

    def freeze(self, name: str, seconds: float) -> None:
        """SIGSTOP the component for `seconds`, then SIGCONT: it holds its connections and answers
        nothing meanwhile, as a server stalled by GC, swap or a full disk would."""
        pid = self.pid(name)
        os.killpg(pid, signal.SIGSTOP)
        try:
            time.sleep(seconds)  # the fault itself lasts this long: a wait for time on purpose
        finally:
            os.killpg(pid, signal.SIGCONT)
