"""What a request handler needs, built once per app in its lifespan and handed in by FastAPI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.ingest.auth import Authenticator
from services.ingest.metrics import Metrics
from services.ingest.publisher import Publisher
from services.ingest.settings import IngestSettings


@dataclass(frozen=True)
class Components:
    settings: IngestSettings
    auth: Authenticator
    publisher: Publisher
    metrics: Metrics


async def components(request: Request) -> Components:
    # async: FastAPI would run a plain `def` dependency in a worker thread, once per request.
    return request.app.state.components


ComponentsDep = Annotated[Components, Depends(components)]
