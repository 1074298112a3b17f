"""Connection settings shared by every service and by the local stack.

Each class reads environment variables with its own prefix and validates them when it is built,
never at import time. A service's own settings class composes these (one class per service).
`external` decides whether `hotline up` starts a local server or uses the one configured: it
defaults to "the host is not loopback", so pointing a host at a real Apache Kafka or ClickHouse
is enough to skip the local one.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


def is_loopback(host: str) -> bool:
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class StackSettings(BaseSettings):
    """Where the local stack keeps its state (data, logs, PID files): one folder."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    state_dir: Path = Field(default=REPO_ROOT / ".state", description="all local data, logs and PID files")
    start_timeout_s: float = Field(default=60.0, gt=0, description="how long a server may take to become ready")

    @field_validator("state_dir")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        return v.expanduser().resolve()


class ClickHouseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_CLICKHOUSE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=9000, ge=1, le=65535, description="native protocol (clickhouse-driver)")
    http_port: int = Field(default=8123, ge=1, le=65535, description="HTTP interface (/ping readiness)")
    user: str = "default"
    password: SecretStr = SecretStr("")
    database: str = Field(default="hotline", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    external: bool | None = Field(default=None, description="use an existing server; default: host is not loopback")

    @model_validator(mode="after")
    def _derive_external(self) -> "ClickHouseSettings":
        if self.external is None:
            self.external = not is_loopback(self.host)
        return self


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    partitions: int = Field(default=8, ge=1, le=1024, description="partitions of every topic created")
    replication_factor: int = Field(default=1, ge=1)
    topic_calls: str = "hotline.calls.v1"
    topic_tickets: str = "hotline.tickets.v1"
    topic_deadletter: str = "hotline.deadletter.v1"
    external: bool | None = Field(default=None, description="use an existing broker; default: host is not loopback")

    @model_validator(mode="after")
    def _derive_external(self) -> "KafkaSettings":
        if self.external is None:
            self.external = not all(is_loopback(h) for h, _ in self.addresses())
        return self

    def addresses(self) -> list[tuple[str, int]]:
        out = []
        for part in self.bootstrap_servers.split(","):
            host, _, port = part.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"HOTLINE_KAFKA_BOOTSTRAP_SERVERS: {part!r} is not host:port")
            out.append((host.strip("[]"), int(port)))
        return out

    @property
    def topics(self) -> tuple[str, str, str]:
        return (self.topic_calls, self.topic_tickets, self.topic_deadletter)
