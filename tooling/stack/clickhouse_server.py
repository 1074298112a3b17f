"""The local ClickHouse: Debian's clickhouse-server (18.16) with a private config and data dir.

The same class runs one node of the local cluster (tooling/stack/cluster.py): another name (so
another folder and log), other ports, and a `ClusterRole` rendered to `etc/config.d/cluster.xml`,
which clickhouse-server merges into its config: the single node's config.xml is unchanged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import string
import subprocess
import urllib.request
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

from hotline.errors import MissingDependency
from hotline.settings import ClickHouseSettings, StackSettings
from tooling.stack.server import LocalServer, Port

APT_PACKAGES = ("clickhouse-server", "clickhouse-client")


def find_server_binary() -> str | None:
    return shutil.which("clickhouse-server", path=os.environ.get("PATH", "") + ":/usr/sbin:/usr/bin")


def install_with_apt() -> str:
    """Install Debian's ClickHouse packages (needs root and apt); returns the server binary."""
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise MissingDependency(
            "clickhouse-server is not installed and cannot be installed here (needs root and "
            "apt-get); install Debian's clickhouse-server and clickhouse-client packages"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES]
    if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
        # A fresh machine has no package lists yet.
        subprocess.run(["apt-get", "update"], env=env, capture_output=True)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise MissingDependency(f"apt-get could not install {APT_PACKAGES}: {done.stderr[-500:]}")
    found = find_server_binary()
    if found is None:
        raise MissingDependency("clickhouse-server was installed but is not on PATH")
    return found


@dataclass(frozen=True)
class ClusterRole:
    """What makes a server one replica of one shard of a named cluster: the `remote_servers`
    entry naming every node, its `macros` (the `{shard}` and `{replica}` of ReplicatedMergeTree
    paths), ZooKeeper, and the interserver port its shard's other replicas fetch parts from."""

    cluster: str
    shard: int
    replica: str
    interserver_port: int
    shards: tuple[tuple[tuple[str, int], ...], ...]  # per shard, (host, native port) of each replica
    zookeeper: tuple[str, int]

    def remote_servers(self, user: str, password: str) -> str:
        """The <shard> elements of the cluster (string.Template has no loops)."""
        return self._shards(self.shards, user, password)

    def everywhere(self, user: str, password: str) -> str:
        """The <shard> of `<cluster>_all`: one shard whose replicas are every node, for the tables
        each node holds in full (hotline.storage.cluster_schema)."""
        return self._shards((tuple(r for shard in self.shards for r in shard),), user, password)

    @staticmethod
    def _shards(shards: tuple[tuple[tuple[str, int], ...], ...], user: str, password: str) -> str:
        def replica(host: str, port: int) -> str:
            return (f"<replica><host>{escape(host)}</host><port>{port}</port>"
                    f"<user>{escape(user)}</user><password>{escape(password)}</password></replica>")
        # internal_replication: a Distributed insert writes one replica and the replicated
        # table copies it, instead of the Distributed table writing every replica itself.
        return "\n".join(
            "            <shard><internal_replication>true</internal_replication>"
            + "".join(replica(h, p) for h, p in shard) + "</shard>"
            for shard in shards)


class LocalClickHouse(LocalServer):
    name = "clickhouse"

    def __init__(self, stack: StackSettings, settings: ClickHouseSettings, name: str = "clickhouse",
                 cluster: ClusterRole | None = None, port_setting: str | None = None):
        """`name` names the folder and logs; `port_setting` is the setting a taken port's message
        names (default: the single node's own)."""
        self.name = name
        super().__init__(stack)
        self.settings = settings
        self.cluster = cluster
        self.port_setting = port_setting
        self.home = stack.state_dir / name

    def ports(self) -> list[Port]:
        s = self.settings
        what = "ClickHouse" if self.name == "clickhouse" else self.name
        ports = [
            Port(f"{what} native protocol", s.host, s.port, self.port_setting or "HOTLINE_CLICKHOUSE_PORT"),
            Port(f"{what} HTTP", s.host, s.http_port, self.port_setting or "HOTLINE_CLICKHOUSE_HTTP_PORT"),
        ]
        if self.cluster is not None:
            ports.append(Port(f"{what} interserver HTTP", s.host, self.cluster.interserver_port,
                              self.port_setting or "HOTLINE_CLICKHOUSE_PORT"))
        return ports

    def data_dirs(self) -> list[Path]:
        return [self.home]

    @property
    def config_path(self) -> Path:
        return self.home / "etc" / "config.xml"

    @property
    def server_log_name(self) -> str:
        """clickhouse-server's own log (and .err.log) in the logs folder, one per node."""
        return f"{self.name}-server"

    def prepare(self) -> None:
        if find_server_binary() is None:
            install_with_apt()
        etc, data = self.home / "etc", self.home / "data"
        for d in (etc, data, self.log_path.parent):
            d.mkdir(parents=True, exist_ok=True)
        templates = resources.files("tooling.stack").joinpath("templates")
        config = string.Template(templates.joinpath("clickhouse-config.xml").read_text())
        users = string.Template(templates.joinpath("clickhouse-users.xml").read_text())
        (etc / "users.xml").write_text(users.substitute(
            user=self.settings.user,
            password_sha256=hashlib.sha256(self.settings.password.get_secret_value().encode()).hexdigest(),
        ))
        self.config_path.write_text(config.substitute(
            log_dir=self.log_path.parent, server_log=self.server_log_name, listen_host=self.settings.host,
            http_port=self.settings.http_port, tcp_port=self.settings.port,
            data_dir=data, users_config=etc / "users.xml",
        ))
        if self.cluster is not None:
            self._write_cluster_config(templates.joinpath("clickhouse-cluster.xml").read_text(), etc)

    def _write_cluster_config(self, template: str, etc: Path) -> None:
        role = self.cluster
        assert role is not None
        (etc / "config.d").mkdir(exist_ok=True)
        zk_host, zk_port = role.zookeeper
        (etc / "config.d" / "cluster.xml").write_text(string.Template(template).substitute(
            cluster=role.cluster,
            shards=role.remote_servers(self.settings.user, self.settings.password.get_secret_value()),
            everywhere=role.everywhere(self.settings.user, self.settings.password.get_secret_value()),
            interserver_host=escape(self.settings.host), interserver_port=role.interserver_port,
            zookeeper_host=escape(zk_host), zookeeper_port=zk_port,
            shard=role.shard, replica=escape(role.replica),
        ))

    def argv(self) -> list[str]:
        binary = find_server_binary()
        assert binary is not None, "prepare() installs the server"
        return [binary, f"--config-file={self.config_path}"]

    def ready(self) -> bool:
        url = f"http://{self.settings.host}:{self.settings.http_port}/ping"
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                return resp.status == 200 and resp.read().strip() == b"Ok."
        except OSError:
            return False
