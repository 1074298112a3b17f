"""The local ClickHouse: Debian's clickhouse-server (18.16) with a private config and data dir."""

from __future__ import annotations

import hashlib
import os
import shutil
import string
import subprocess
import urllib.request
from importlib import resources
from pathlib import Path

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


class LocalClickHouse(LocalServer):
    name = "clickhouse"

    def __init__(self, stack: StackSettings, settings: ClickHouseSettings):
        super().__init__(stack)
        self.settings = settings
        self.home = stack.state_dir / "clickhouse"

    def ports(self) -> list[Port]:
        s = self.settings
        return [
            Port("ClickHouse native protocol", s.host, s.port, "HOTLINE_CLICKHOUSE_PORT"),
            Port("ClickHouse HTTP", s.host, s.http_port, "HOTLINE_CLICKHOUSE_HTTP_PORT"),
        ]

    def data_dirs(self) -> list[Path]:
        return [self.home]

    @property
    def config_path(self) -> Path:
        return self.home / "etc" / "config.xml"

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
            log_dir=self.log_path.parent, listen_host=self.settings.host,
            http_port=self.settings.http_port, tcp_port=self.settings.port,
            data_dir=data, users_config=etc / "users.xml",
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
