"""Builds the Faust app of the aggregate workers; `app` is what `faust -A` and `hotline up` run.

The app declares no topics (they exist, with explicit partition counts, before a worker starts:
`hotline up` or the compose `kafka-init`), keeps no tables (decision 2: no durable state in
workers) and uses no leader topic.
"""

from __future__ import annotations

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from hotline.settings import StackSettings
from services.aggregate import batches
from services.aggregate.consumer import AggregateApp
from services.aggregate.metrics import METRICS
from services.aggregate.settings import AggregateSettings


def create_app(settings: AggregateSettings | None = None) -> faust.App:
    s = settings or AggregateSettings()
    datadir = StackSettings().state_dir / "faust" / s.app_id
    datadir.mkdir(parents=True, exist_ok=True)  # Faust creates only the last level
    app = AggregateApp(
        s.app_id,
        broker=[f"kafka://{h}:{p}" for h, p in s.kafka.addresses()],
        datadir=str(datadir),
        key_serializer="raw",
        value_serializer="raw",
        store="memory://",
        topic_allow_declare=False,
        topic_disable_leader=True,
        topic_partitions=s.kafka.partitions,
        topic_replication_factor=s.kafka.replication_factor,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=s.session_timeout_s,
        broker_heartbeat_interval=min(3.0, s.session_timeout_s / 3),
        broker_commit_interval=1.0,
        broker_max_poll_records=10_000,
        stream_buffer_maxsize=32_768,
        producer_acks=-1,
        web_host=s.host,
        web_bind=s.host,
        web_port=s.port,
    )
    batches.register(app, s)

    @app.page("/metrics")
    async def prometheus_metrics(web, request):
        # aiohttp wants the charset apart from the media type.
        return web.bytes(generate_latest(METRICS.registry), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.on_partitions_assigned.connect
    async def on_assigned(sender, assigned, **kwargs):  # noqa: ANN001 - mode's signal signature
        # `assigned` is the whole new assignment (the group rebalances eagerly), not a delta.
        METRICS.assigned_partitions.set(len(assigned))
        METRICS.rebalances.inc()

    @app.page("/healthz")
    async def healthz(web, request):
        return web.json({"status": "ok"})

    return app


app = create_app()
