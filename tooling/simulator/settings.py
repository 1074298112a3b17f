"""Where `hotline simulate` and the demo send events and read the report: one settings class,
environment variables prefixed HOTLINE_SIMULATE_. By default the local stack's own services
(their host and port settings), with the development tokens."""

from __future__ import annotations

import os

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline.tokens import DEV_TOKEN


class SimulatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_SIMULATE_", extra="ignore")

    ingest_url: str = Field(default="", description="the ingest service; default: the local stack's")
    ingest_token: SecretStr = Field(default=SecretStr(DEV_TOKEN), description="a producer token that may publish the simulator's sources")
    api_url: str = Field(default="", description="the query API; default: the local stack's")
    api_token: SecretStr = Field(default=SecretStr(DEV_TOKEN), description="a read token of the query API")
    batch_size: int = Field(default=1000, ge=1, le=10_000, description="events per HTTP batch")
    concurrency: int = Field(default=4, ge=1, le=64, description="HTTP batches in flight")

    @model_validator(mode="after")
    def _local_defaults(self) -> "SimulatorSettings":
        # The services' own variables, so `hotline up` on other ports needs no second setting.
        if not self.ingest_url:
            host = os.environ.get("HOTLINE_INGEST_HOST", "127.0.0.1")
            self.ingest_url = f"http://{host}:{os.environ.get('HOTLINE_INGEST_PORT', '8080')}"
        if not self.api_url:
            host = os.environ.get("HOTLINE_API_HOST", "127.0.0.1")
            self.api_url = f"http://{host}:{os.environ.get('HOTLINE_API_PORT', '8090')}"
        return self
