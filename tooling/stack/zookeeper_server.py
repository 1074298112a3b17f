"""A local ZooKeeper: Debian's `zookeeper` package (3.8) run as a process of the stack, with a
private zoo.cfg and data folder under the state folder, never the system daemon.

ClickHouse needs it for replicated tables (the replication log) and `ON CLUSTER` queries (the
distributed DDL queue). One standalone server is enough on one machine: losing it stops
replication and DDL, not reads or the data already written.
"""

from __future__ import annotations

import socket
from pathlib import Path

from hotline.errors import MissingDependency
from hotline.settings import StackSettings
from tooling.stack.java import find_java
from tooling.stack.server import LocalServer, Port

# Debian's package: the server jar names its dependencies in its manifest's Class-Path; the
# package's own launcher logs through log4j to /var/log, so the stack adds slf4j's simple
# binding instead, which writes to standard error, i.e. the stack's log of the process.
ZOOKEEPER_JARS = (Path("/usr/share/java/zookeeper.jar"), Path("/usr/share/java/slf4j-simple.jar"))
MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain"


def four_letter_word(host: str, port: int, word: str, timeout_s: float = 2.0) -> str:
    """Send a four-letter command (`ruok`, `srvr`, `mntr`) and return the whole answer."""
    with socket.create_connection((host, port), timeout=timeout_s) as s:
        s.sendall(word.encode())
        chunks = []
        while chunk := s.recv(4096):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


class LocalZooKeeper(LocalServer):
    name = "zookeeper"

    def __init__(self, stack: StackSettings, host: str, port: int, env_var: str, java: str = "java",
                 heap_mb: int = 256):
        super().__init__(stack)
        self.host, self.port, self.env_var = host, port, env_var
        self.java, self.heap_mb = java, heap_mb

    @property
    def home(self) -> Path:
        return self.stack.state_dir / "zookeeper"

    @property
    def config_path(self) -> Path:
        return self.home / "zoo.cfg"

    def ports(self) -> list[Port]:
        return [Port("ZooKeeper client port", self.host, self.port, self.env_var)]

    def data_dirs(self) -> list[Path]:
        return [self.home]

    def prepare(self) -> None:
        missing = [str(j) for j in ZOOKEEPER_JARS if not j.exists()]
        if missing:
            raise MissingDependency(
                f"ZooKeeper's jars are missing ({', '.join(missing)}): install Debian's zookeeper "
                "package (scripts/bootstrap.sh does)")
        (self.home / "data").mkdir(parents=True, exist_ok=True)
        self.config_path.write_text("\n".join([
            "tickTime=2000",
            f"dataDir={self.home / 'data'}",
            f"clientPort={self.port}",
            f"clientPortAddress={self.host}",
            # The admin server would take port 8080 (the demo's ingest port); the four-letter
            # words are enough to see that it answers.
            "admin.enableServer=false",
            "4lw.commands.whitelist=ruok,srvr,mntr",
            # Snapshots and transaction logs of a development server: keep a few, not all.
            "autopurge.snapRetainCount=3",
            "autopurge.purgeInterval=1",
            "",
        ]))

    def argv(self) -> list[str]:
        return [
            find_java(self.java, "ZooKeeper"), f"-Xmx{self.heap_mb}m", "-Djava.awt.headless=true",
            "-cp", ":".join(str(j) for j in ZOOKEEPER_JARS), MAIN_CLASS, str(self.config_path),
        ]

    def ready(self) -> bool:
        """Serving requests: `srvr` names the mode only then. Not `ruok`, which answers `imok`
        while a restarted server still loads its data and turns every client away."""
        try:
            return "Mode: " in four_letter_word(self.host, self.port, "srvr", timeout_s=1.0)
        except OSError:
            return False
