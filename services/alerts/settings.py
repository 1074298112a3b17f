"""Settings of the alerts service (the early warning): environment variables `HOTLINE_ALERTS_*`.

Validated when built, never at import. The detectors' thresholds are their parameter dataclasses
(services/alerts/detect/), field for field, with the dataclasses' own defaults:
`HOTLINE_ALERTS_SURGE__HISTORY_DAYS=14` sets SurgeParams.history_days, and so on for
`HOTLINE_ALERTS_CLUSTER__*` (ClusterParams) and `HOTLINE_ALERTS_PINGPONG__*` (PingPongParams); a
whole object as JSON (`HOTLINE_ALERTS_SURGE='{"history_days": 14}'`) works too. An unknown field
is refused at start-up, naming it.

What is recomputed each cycle (services/alerts/plan.py): the live range, the last `live_days` up to
the watermark; after a backfill (events ingested for older event times) everything from the oldest
touched day and to the start of every episode still open (started within `open_reach_days` of the
watermark the last cycle evaluated up to), never further back than `max_backfill_days` before the
watermark. An open episode beyond that is closed by its detector's rule from its stored evidence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from pydantic import Field, TypeAdapter, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline.settings import CitySettings, ClickHouseSettings, KafkaSettings
from services.alerts.detect.cluster import ClusterParams
from services.alerts.detect.pingpong import PingPongParams
from services.alerts.detect.surge import SurgeParams

PARAMS: dict[str, type] = {"surge": SurgeParams, "cluster": ClusterParams, "pingpong": PingPongParams}


class AlertsSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOTLINE_ALERTS_", env_nested_delimiter="__", extra="ignore", populate_by_name=True,
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8095, ge=1, le=65535, description="/healthz, /readyz, /metrics")
    every_s: float = Field(default=5.0, gt=0, le=3600, description="a detection cycle this often (skipped when nothing changed)")
    detector: str = Field(
        default="alerts", pattern=r"^[a-z][a-z0-9_-]{0,31}$",
        description="the name its progress is kept under (alerts_progress); replicas share one name")
    rest_ratio: float = Field(default=1.0, ge=0, le=100,
                              description="after a cycle of d seconds, rest at least this × d (a backfill's long cycles leave the cores to the pipeline)")
    live_days: int = Field(default=3, ge=1, le=60, description="the live range: the last days up to the watermark, recomputed every cycle")
    max_backfill_days: int = Field(
        default=400, ge=1, le=3660,
        description="a backfill is recomputed from its oldest touched day, but from no earlier than this before the watermark")
    open_reach_days: int = Field(
        default=35, ge=1, le=3660,
        description="an open episode started within this many days of the watermark the last cycle evaluated up "
        "to is recomputed (so it can be updated or closed); an older one is closed by its detector's rule, "
        "counted from its last stored evidence")
    max_future_s: int = Field(
        default=3600, ge=0,
        description="events timed further than this past the wall clock do not move the watermark (a wrong clock "
        "at one producer must not push every detector into the future)")
    settle_s: int = Field(
        default=15, ge=0, le=600,
        description="events ingested this recently are looked at again next cycle: the facts they change may "
        "be refreshed a moment after the events are stored")
    ingest_lag_s: int = Field(
        default=120, ge=1, le=86400,
        description="how late a stored event's `ingested_at` may be behind the moment it became readable "
        "(a worker stamps a batch before inserting it); ingestion seconds are re-read this far back")
    publish_timeout_s: float = Field(default=10.0, gt=0, le=300, description="wait this long for the broker's acks")
    surge: SurgeParams = Field(default_factory=SurgeParams)
    cluster: ClusterParams = Field(default_factory=ClusterParams)
    pingpong: PingPongParams = Field(default_factory=PingPongParams)
    clickhouse: ClickHouseSettings = Field(default_factory=ClickHouseSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    city: CitySettings = Field(default_factory=CitySettings)

    @field_validator("surge", "cluster", "pingpong", mode="before")
    @classmethod
    def _params(cls, v: object, info: ValidationInfo) -> object:
        """The detector's parameter dataclass from a mapping of its fields: missing ones keep the
        dataclass default, an unknown one is refused by name (a typo must not go unnoticed)."""
        target = PARAMS[info.field_name]
        if isinstance(v, target):
            return v
        if not isinstance(v, Mapping):
            raise ValueError(f"must be an object of {target.__name__}'s fields")
        known = {f.name for f in dataclasses.fields(target)}
        unknown = sorted(set(v) - known)
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; {target.__name__} has {', '.join(sorted(known))}")
        return TypeAdapter(target).validate_python(dict(v))
