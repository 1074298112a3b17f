"""Settings of the aggregate workers: environment variables `HOTLINE_AGGREGATE_*`.

Batch defaults keep freshness (event consumed -> in ClickHouse) under 2 s: a batch is written
when it holds `batch_size` events, `batch_max_latency_s` after its first one, or as soon as the
consumer has read a backlog to its end with at least a tenth of `batch_size` in the batch.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline.settings import CitySettings, ClickHouseSettings, KafkaSettings, PrivacySettings


class AggregateSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_AGGREGATE_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="web server (/metrics, /healthz) address")
    port: int = Field(default=6066, ge=1, le=65535)
    app_id: str = Field(default="hotline-aggregate", description="Faust app id = consumer group")
    workers: int = Field(default=1, ge=1, le=64, description="worker processes `hotline up` starts")
    batch_size: int = Field(
        # Few large inserts cost ClickHouse far less than many small ones (parts to merge), and
        # 50 000 doubled bench/aggregate.py's figure against 10 000. Live traffic never fills
        # one: the latency bound closes it first.
        default=50_000, ge=1, le=1_000_000)
    batch_max_latency_s: float = Field(default=0.5, gt=0, le=60)
    refresh_max_events: int = Field(
        # Events inserted but not yet refreshed (and so not yet acked) before the insert stage
        # waits. One refresh takes them all: under a backlog a larger window refreshes an entity
        # whose events span several batches once instead of each time. They hold no rows
        # (batches.Inserted), a few bytes each.
        default=100_000, ge=1, le=10_000_000)
    retry_backoff_max_s: float = Field(default=10.0, gt=0, description="ClickHouse retry backoff cap")
    session_timeout_s: float = Field(
        default=10.0, gt=0,
        description="consumer group session: a worker that stops heartbeating loses its partitions after it",
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    clickhouse: ClickHouseSettings = Field(default_factory=ClickHouseSettings)
    city: CitySettings = Field(default_factory=CitySettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
