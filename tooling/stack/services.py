"""The platform's own services as stack members, started by `hotline up` once they exist.

A service has landed when its application module can be found; until then `status` says
"not built yet". Host and port come from the service's own settings class.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import urllib.request
from dataclasses import dataclass
from typing import Any

from hotline.settings import StackSettings
from tooling.stack.server import LocalServer, Port


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    app_module: str
    settings: str  # "module:Class" with `host` and `port` fields and an env prefix
    command: tuple[str, ...]  # argv after the Python interpreter; {host} and {port} filled in
    health_path: str = "/healthz"

    def landed(self) -> bool:
        try:
            return importlib.util.find_spec(self.app_module) is not None
        except ModuleNotFoundError:
            return False

    def load_settings(self) -> Any:
        module, _, cls = self.settings.partition(":")
        return getattr(importlib.import_module(module), cls)()


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "ingest", "services.ingest.app", "services.ingest.settings:IngestSettings",
        ("-m", "uvicorn", "services.ingest.app:app", "--host", "{host}", "--port", "{port}",
         "--http", "services.ingest.http:IngestHttp"),
    ),
    ServiceSpec(
        "aggregate", "services.aggregate.app", "services.aggregate.settings:AggregateSettings",
        ("-m", "services.aggregate", "worker", "--web-host", "{host}", "--web-port", "{port}"),
    ),
    ServiceSpec(
        "api", "services.api.app", "services.api.settings:ApiSettings",
        ("-m", "uvicorn", "services.api.app:app", "--host", "{host}", "--port", "{port}",
         "--http", "services.api.http:ApiHttp"),
    ),
    ServiceSpec(
        "alerts", "services.alerts.app", "services.alerts.settings:AlertsSettings",
        ("-m", "uvicorn", "services.alerts.app:app", "--host", "{host}", "--port", "{port}"),
    ),
)


class LocalService(LocalServer):
    """Instance `index` of a service: `aggregate`, `aggregate-2`, … on port, port + 1, …"""

    def __init__(self, stack: StackSettings, spec: ServiceSpec, index: int = 0, settings: Any = None,
                 extra_env: dict[str, str] | None = None):
        self.name = spec.name if index == 0 else f"{spec.name}-{index + 1}"
        super().__init__(stack)
        self.spec = spec
        self.settings = settings if settings is not None else spec.load_settings()
        self.port = self.settings.port + index
        self.extra_env = extra_env or {}

    def env(self) -> dict[str, str]:
        return self.extra_env

    def ports(self) -> list[Port]:
        prefix = self.settings.model_config.get("env_prefix", "")
        return [Port(f"{self.name} service", self.settings.host, self.port, f"{prefix}PORT")]

    def argv(self) -> list[str]:
        fill = {"host": self.settings.host, "port": str(self.port)}
        return [sys.executable, *(part.format(**fill) for part in self.spec.command)]

    def ready(self) -> bool:
        url = f"http://{self.settings.host}:{self.port}{self.spec.health_path}"
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False


def instances(stack: StackSettings, spec: ServiceSpec) -> list[LocalService]:
    """The instances to run (the settings' `workers`, default 1), plus any still recorded in a
    PID file, so `down` also stops workers started with a larger count."""
    settings = spec.load_settings()
    wanted = int(getattr(settings, "workers", 1))
    recorded = len(list((stack.state_dir / "run").glob(f"{spec.name}*.pid")))
    return [LocalService(stack, spec, i, settings) for i in range(max(wanted, recorded))]
