"""The local broker: Apache Kafka in KRaft mode, one combined broker + controller node, run from
its Maven Central jars (tooling/stack/kafka/pom.xml, fetched by scripts/fetch-kafka.sh).

Durable like any Kafka: the log and the committed offsets live under <state>/kafka, formatted
once (`kafka.tools.StorageTool format`), so `down` then `up`, or a SIGKILLed broker restarted,
loses nothing; `down --purge` deletes them. The development settings below only remove waiting
(a new group's first rebalance is not delayed, the offsets topic is small and unreplicated);
they change no semantics, and production runs the same version (docker-compose.yml).

The same class runs one node of the local cluster (tooling/stack/cluster.py): another name and
folder, its node id, the quorum of every node's controller, and the cluster id the nodes share;
with three voters the internal topics are replicated three times, two in sync.
"""

from __future__ import annotations

import base64
import socket
import subprocess
import uuid
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline import broker
from hotline.errors import MissingDependency, StackError
from hotline.settings import REPO_ROOT, KafkaSettings, StackSettings
from tooling.stack.java import find_java
from tooling.stack.server import LocalServer, Port

KAFKA_DIR = Path(__file__).resolve().parent / "kafka"


class LocalKafkaSettings(BaseSettings):
    """How the stack runs its broker; environment variables prefixed HOTLINE_BROKER_."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_BROKER_", extra="ignore")

    controller_port: int | None = Field(
        default=None, ge=1, le=65535,
        description="the KRaft controller's port; default: a free port picked when the storage is formatted, kept with it")
    heap_mb: int = Field(default=512, ge=128, le=8192, description="the broker JVM's heap")
    lib_dir: Path = Field(default=REPO_ROOT / ".venv" / "share" / "kafka" / "lib",
                          description="Kafka's jars (scripts/fetch-kafka.sh)")
    java: str = Field(default="java", description="the Java 17+ runtime")


def new_cluster_id() -> str:
    # What `kafka-storage.sh random-uuid` prints: 16 random bytes, URL-safe base64 unpadded.
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


class LocalBroker(LocalServer):
    """A combined broker + controller. By default the single node (`broker`, <state>/kafka,
    node 1, its own quorum); a cluster node gets `name`, `node_id`, `quorum` (node id ->
    controller port, every voter's, on this host) and the shared `cluster_id`; its
    `local.controller_port` must be its own entry in `quorum`. `port_setting` is the setting a
    taken port's message names (default: the single node's own settings)."""

    name = "broker"

    def __init__(self, stack: StackSettings, settings: KafkaSettings, local: LocalKafkaSettings | None = None,
                 name: str = "broker", node_id: int = 1, quorum: dict[int, int] | None = None,
                 data_dir: Path | None = None, cluster_id: str | None = None, port_setting: str | None = None):
        self.name = name
        super().__init__(stack)
        self._picked: int | None = None
        self.settings = settings
        self.local = local if local is not None else LocalKafkaSettings()
        (self.host, self.port), *_ = settings.addresses()
        self.node_id, self.quorum, self.cluster_id = node_id, quorum, cluster_id
        self._data_dir = data_dir if data_dir is not None else stack.state_dir / "kafka"
        self.port_setting = port_setting

    @property
    def controller_port(self) -> int:
        """The setting, else the port recorded when the storage was formatted, else a free one
        (recorded by `prepare`). Not the broker's port + 1: test stacks take consecutive ports."""
        if self.local.controller_port:
            return self.local.controller_port
        try:
            return int(self._port_file.read_text())
        except (FileNotFoundError, ValueError):
            if self._picked is None:
                with socket.socket() as s:
                    s.bind((self.host, 0))
                    self._picked = s.getsockname()[1]
            return self._picked

    @property
    def _port_file(self) -> Path:
        return self.data_dir / "controller.port"

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    def voters(self) -> dict[int, int]:
        """node id -> controller port of every voter of the KRaft quorum."""
        return self.quorum if self.quorum is not None else {self.node_id: self.controller_port}

    @property
    def config_path(self) -> Path:
        return self.data_dir / "server.properties"

    def ports(self) -> list[Port]:
        what = "Kafka" if self.name == "broker" else self.name
        return [Port(f"{what} protocol", self.host, self.port, self.port_setting or "HOTLINE_KAFKA_BOOTSTRAP_SERVERS"),
                Port(f"{what} controller", self.host, self.controller_port,
                     self.port_setting or "HOTLINE_BROKER_CONTROLLER_PORT")]

    def data_dirs(self) -> list[Path]:
        return [self.data_dir]

    def properties(self) -> dict[str, str]:
        voters = self.voters()
        # Kafka's recommended durability once there are nodes enough: three copies, two in sync.
        replicas = min(3, len(voters))
        in_sync = min(2, replicas)
        props = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": ",".join(f"{i}@{self.host}:{p}" for i, p in sorted(voters.items())),
            "listeners": f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(self.data_dir / "log"),
            "num.partitions": str(self.settings.partitions),
            # Internal topics: as replicated as the nodes allow (one node: not at all); few
            # partitions start faster.
            "offsets.topic.replication.factor": str(replicas),
            "offsets.topic.num.partitions": "8",
            "transaction.state.log.replication.factor": str(replicas),
            "transaction.state.log.min.isr": str(in_sync),
            "share.coordinator.state.topic.replication.factor": str(replicas),
            "share.coordinator.state.topic.min.isr": str(in_sync),
            # Apache Kafka waits 3 s before a new group's first rebalance, for more members to
            # join; here a group's first join should take well under a second.
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
        }
        if len(voters) > 1:
            # Topics created without explicit settings get the cluster's durability too.
            props["default.replication.factor"] = str(replicas)
            props["min.insync.replicas"] = str(in_sync)
        return props

    def _classpath(self) -> str:
        lib = self.local.lib_dir
        if not any(lib.glob("kafka_2.13-*.jar")):
            raise MissingDependency(
                f"Apache Kafka's jars are not in {lib}: run scripts/fetch-kafka.sh (scripts/bootstrap.sh does)")
        return f"{lib}/*"

    def _java(self) -> str:
        return find_java(self.local.java, "the broker")

    def prepare(self) -> None:
        """Write the configuration; format the storage once (a formatted one is kept, so its
        topics, messages and offsets survive restarts)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._port_file.write_text(str(self.controller_port))
        self.config_path.write_text("".join(f"{k}={v}\n" for k, v in self.properties().items()))
        if (self.data_dir / "log" / "meta.properties").exists():
            return
        done = subprocess.run(
            [self._java(), "-cp", self._classpath(), f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.yaml'}",
             # `=`: an id may begin with "-", which argparse would take for an option.
             "kafka.tools.StorageTool", "format", f"--cluster-id={self.cluster_id or new_cluster_id()}",
             "--config", str(self.config_path)],
            capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise StackError(f"formatting the broker's storage in {self.data_dir} failed:\n{done.stdout}{done.stderr}")

    def argv(self) -> list[str]:
        return [
            self._java(), f"-Xms{min(256, self.local.heap_mb)}m", f"-Xmx{self.local.heap_mb}m",
            "-XX:+UseG1GC", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={KAFKA_DIR / 'log4j2.yaml'}",
            "-cp", self._classpath(), "kafka.Kafka", str(self.config_path),
        ]

    def ready(self) -> bool:
        return broker.reachable(self.settings, timeout_ms=1000)
