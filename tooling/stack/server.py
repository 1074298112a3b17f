"""A server the stack runs on this machine: ports it needs, how to start it, when it is ready.

Subclasses say what (argv, ports, readiness); this class says how (idempotent start, a clear
message for a taken port or a failed start, stop by recorded PID).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from hotline.errors import PortInUse, ServerFailedToStart
from hotline.settings import StackSettings
from tooling.stack.process import ManagedProcess, port_free, tail


@dataclass(frozen=True)
class Port:
    what: str
    host: str
    port: int
    env_var: str


class LocalServer:
    name: str = "server"

    def __init__(self, stack: StackSettings):
        self.stack = stack
        self.process = ManagedProcess(self.name, stack.state_dir / "run", self.log_path)

    # -- what: subclasses -------------------------------------------------------------------
    @property
    def log_path(self) -> Path:
        return self.stack.state_dir / "logs" / f"{self.name}.log"

    def ports(self) -> list[Port]:
        raise NotImplementedError

    def argv(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Install or configure what the server needs before it starts (may block)."""

    def env(self) -> dict[str, str]:
        """Environment variables the process gets on top of ours."""
        return {}

    def ready(self) -> bool:
        raise NotImplementedError

    def address(self) -> str:
        return ", ".join(f"{p.host}:{p.port}" for p in self.ports())

    def data_dirs(self) -> list[Path]:
        return []

    # -- how ----------------------------------------------------------------------------------
    def pid(self) -> int | None:
        return self.process.pid()

    def start(self) -> bool:
        """Start unless our process already runs; wait until ready. True if it was started now."""
        return start_together([self])[0]

    def _launch(self) -> bool:
        """Start the process unless ours already runs; do not wait. True if started now."""
        if self.pid() is not None:
            return False
        for p in self.ports():
            if not port_free(p.host, p.port):
                raise PortInUse(p.what, p.host, p.port, p.env_var)
        self.prepare()
        self.process.start(self.argv(), env=self.env())
        return True

    def _wait_ready(self, started: bool) -> None:
        deadline = time.monotonic() + self.stack.start_timeout_s
        while time.monotonic() < deadline:
            if self.ready():
                return
            if self.pid() is None:
                raise ServerFailedToStart(
                    self.name, "the process exited", str(self.log_path), tail(self.log_path)
                )
            time.sleep(0.2)
        reason = f"not ready after {self.stack.start_timeout_s:.0f} s"
        if started:
            self.process.stop()
        raise ServerFailedToStart(self.name, reason, str(self.log_path), tail(self.log_path))

    def stop(self) -> bool:
        return self.process.stop()


def start_together(servers: list[LocalServer]) -> list[bool]:
    """Start every server, then wait until all are ready; for each, True if it was started now.

    `hotline up` and the benchmarks start the services this way, as a deployment starts
    replicas: the aggregate workers join their consumer group within a fraction of a second. A
    server that fails to start stops the ones started here.
    """
    started: list[bool] = []
    try:
        for server in servers:
            started.append(server._launch())
        for server, now in zip(servers, started):
            server._wait_ready(started=now)
    except BaseException:
        for server, now in zip(servers, started):
            if now:
                server.stop()
        raise
    return started


def stop_together(servers: list[LocalServer]) -> list[bool]:
    """Stop every server at once; for each, True if it was running.

    The nodes of a KRaft quorum stopped one by one would leave the last waiting for a majority
    that is already gone (a controlled shutdown needs the controller) until it is killed; stopped
    together, each leaves within seconds.
    """
    with ThreadPoolExecutor(max_workers=max(1, len(servers))) as pool:
        return list(pool.map(lambda srv: srv.stop(), servers))
