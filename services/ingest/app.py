"""The ingest service's ASGI app: `uvicorn services.ingest.app:app` (what `hotline up` runs).

Only builds the app. Nothing is read or connected at import: the settings are read, the schemas
compiled and the Kafka producer started in the lifespan, and the producer is flushed and closed
when the server stops. A bad production configuration therefore stops the server at start-up
with the settings' message.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from hotline import contract
from hotline.web.request_metrics import RequestMetrics
from services.ingest import errors
from services.ingest.auth import Authenticator
from services.ingest.deps import Components
from services.ingest.metrics import Metrics, outcome_labels
from services.ingest.publisher import Publisher
from services.ingest.routes import events, health
from services.ingest.settings import IngestSettings

log = logging.getLogger("hotline.ingest")

DESCRIPTION = """\
The front door for telephony and ticketing systems (PBX, web portal, app, 110 gateway, 码上议 and
other platforms): CloudEvents 1.0 over HTTP into Kafka, nothing lost, nothing bad let in.

* **Content modes**: structured (`application/cloudevents+json`), batch
  (`application/cloudevents-batch+json`, a JSON array) and binary (`ce-` headers, body = `data`).
* **Validation**: envelope and `data` against `schemas/v1` (the same rules as every service).
  The answer lists every event as accepted or rejected, with the path and rule of each violation.
* **Accepted** means the broker acknowledged the event (acks=all). Rejected events are copied
  with their reasons to `hotline.deadletter.v1`.
* **Personal data**: `data.caller` is replaced by a keyed HMAC-SHA256 (`data.caller_hash`) before
  anything is written.
* **Auth**: a bearer token per producer; a token may publish only sources under its prefixes.
* **Errors** of a whole request are RFC 9457 problem details (`application/problem+json`).
"""


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    """A new app; `settings` default to the environment, read when the app starts."""
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = settings if settings is not None else IngestSettings()
        contract.warm_up()  # a broken schemas folder fails here, not on the first request
        assert s.tokens is not None
        auth = Authenticator(s.tokens)
        publisher = Publisher(
            s.kafka, timeout_s=s.publish_timeout_s, linger_ms=s.linger_ms,
            max_message_bytes=s.max_event_bytes + 64 * 1024, retry_after_s=s.retry_after_s,
        )
        await publisher.start()
        app.state.components = Components(s, auth, publisher, metrics)
        log.info("ingest ready to serve (%s): producers %s", s.env,
                 ", ".join(sorted({p.name for p in auth.producers})) or "none")
        try:
            yield
        finally:
            await publisher.stop()

    app = FastAPI(
        title="Hotline ingest", version="1.0.0", description=DESCRIPTION, lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(  # outermost: sees every answer
        RequestMetrics, duration=metrics.request_duration, count=metrics.requests, labels=outcome_labels,
        method="POST", path="/v1/events",
    )
    app.include_router(events.router)
    app.include_router(health.router)
    return app


app = create_app()
