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
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline.tokens import secret_problem, weak

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


# A ClickHouse password shorter than this is taken for a placeholder in production.
MIN_PASSWORD_CHARS = 16


class ClickHouseSettings(BaseSettings):
    """Where ClickHouse is and how to log in. The password only comes from the environment
    (HOTLINE_CLICKHOUSE_PASSWORD); production (HOTLINE_ENV=production) refuses an empty, short or
    placeholder one, naming the variable, never the value."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_CLICKHOUSE_", extra="ignore", hide_input_in_errors=True)

    host: str = "127.0.0.1"
    port: int = Field(default=9000, ge=1, le=65535, description="native protocol (clickhouse-driver)")
    http_port: int = Field(default=8123, ge=1, le=65535, description="HTTP interface (/ping readiness)")
    user: str = "default"
    password: SecretStr = Field(default=SecretStr(""), repr=False)
    database: str = Field(default="hotline", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    cluster: str = Field(default="", pattern=r"^([A-Za-z_][A-Za-z0-9_]*)?$",
                         description="the cluster of remote_servers to run on (sharded, replicated schema); "
                                     "empty: one server")
    alt_hosts: str = Field(default="", pattern=r"^([^,:\s]+:\d+(,[^,:\s]+:\d+)*)?$",
                           description="other nodes to connect to when host:port fails, host:port,...")
    external: bool | None = Field(default=None, description="use an existing server; default: host is not loopback")
    env: Literal["development", "production"] = Field(default="development", validation_alias="HOTLINE_ENV")

    @model_validator(mode="after")
    def _derive_external(self) -> "ClickHouseSettings":
        if self.external is None:
            self.external = not is_loopback(self.host)
        if self.env == "production":
            problem = secret_problem("HOTLINE_CLICKHOUSE_PASSWORD", self.password.get_secret_value(),
                                     MIN_PASSWORD_CHARS)
            if problem:
                raise ValueError(f"HOTLINE_ENV=production: {problem}")
        return self

    @property
    def local_database(self) -> str:
        """On a cluster, the database of each node's own tables (its shard's rows, replicated);
        `database` then holds the Distributed tables every reader uses."""
        return f"{self.database}_local"


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    partitions: int = Field(default=8, ge=1, le=1024, description="partitions of every topic created")
    replication_factor: int = Field(default=1, ge=1)
    topic_calls: str = "hotline.calls.v1"
    topic_tickets: str = "hotline.tickets.v1"
    topic_deadletter: str = "hotline.deadletter.v1"
    topic_alerts: str = Field(default="hotline.alerts.v1", description="the platform's alert events (hotline.alert.*)")
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
        """The topics received events travel on (what ingest needs before it is ready)."""
        return (self.topic_calls, self.topic_tickets, self.topic_deadletter)

    @property
    def all_topics(self) -> tuple[str, ...]:
        """Every topic the platform creates: those of `topics`, then the alerts topic."""
        return (*self.topics, self.topic_alerts)


class CitySettings(BaseSettings):
    """One city per deployment: its name (report titles) and time zone (every day and year)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_CITY_", extra="ignore")

    name: str = "淮安市"
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"HOTLINE_CITY_TIMEZONE: unknown time zone {v!r}") from exc
        return v


DEV_CALLER_HASH_KEY = "hotline-development-caller-hash-key-not-secret"
MIN_KEY_BYTES = 32


class PrivacySettings(BaseSettings):
    """The HMAC key for caller numbers: one key for every service (docs/architecture.md, decision 7),
    so a number gets one hash whichever way its event came in. Development has a fixed default;
    production (HOTLINE_ENV=production) refuses it, an empty key, or a short one."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, hide_input_in_errors=True)

    env: Literal["development", "production"] = Field(default="development", validation_alias="HOTLINE_ENV")
    caller_hash_key: SecretStr = Field(
        default=SecretStr(DEV_CALLER_HASH_KEY), validation_alias="HOTLINE_CALLER_HASH_KEY", repr=False
    )

    @model_validator(mode="after")
    def _production_key(self) -> "PrivacySettings":
        key = self.caller_hash_key.get_secret_value()
        if self.env == "production" and (
                key == DEV_CALLER_HASH_KEY or len(key.encode()) < MIN_KEY_BYTES or weak(key, MIN_KEY_BYTES)):
            raise ValueError(
                f"HOTLINE_ENV=production: HOTLINE_CALLER_HASH_KEY must be a random secret of at least "
                f"{MIN_KEY_BYTES} bytes, not empty, the development key or a placeholder"
            )
        if not key:
            raise ValueError("HOTLINE_CALLER_HASH_KEY must not be empty")
        return self

    @property
    def hash_key(self) -> bytes:
        return self.caller_hash_key.get_secret_value().encode("utf-8")


class CalendarSettings(BaseSettings):
    """The working-day calendar's inputs beyond the chinesecalendar package (hotline/calendar/):
    every process that syncs the calendar (the API, `hotline up`, `hotline calendar`) must see
    the same values, as with the city's time zone."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_CALENDAR_", extra="ignore")

    file: Path | None = Field(default=None, description="a JSON file of year schedules (one document or a list)")
    library_until: int | None = Field(
        default=None, ge=2004, le=2100,
        description="use the chinesecalendar package only up to this year; later years come from schedules")
    check_every_s: float = Field(
        default=60.0, ge=0, description="how often the API re-reads the file and the stored schedules (0: never)")

    def file_schedules(self) -> list:
        """The file's schedules (validated), [] without a file; raises ScheduleInvalid or
        OSError naming the file."""
        from hotline.calendar.schedule import ScheduleInvalid, loads

        if self.file is None:
            return []
        try:
            text = self.file.read_bytes()
        except OSError as exc:
            raise OSError(f"HOTLINE_CALENDAR_FILE: cannot read {self.file}: {exc.strerror}") from None
        try:
            return loads(text)
        except ScheduleInvalid as exc:
            raise ScheduleInvalid(exc.year, [f"HOTLINE_CALENDAR_FILE {self.file}: {p}" for p in exc.problems]) from None
