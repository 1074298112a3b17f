"""Shapes of the answers, for the OpenAPI document (the routes write the same JSON with orjson,
skipping per-answer model validation on the hot path; tests check answers against these)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class EventError(BaseModel):
    path: str = Field(description='the attribute or data field: "time", "data.tags[2]"; "" = the event itself')
    rule: str = Field(description="the rule broken, never the value sent")


class EventResult(BaseModel):
    index: int = Field(description="position in the request (0 for a single event)")
    id: str | None = Field(description="the event's id, when it is a string")
    source: str | None = Field(description="the event's source, when it is a string")
    status: Literal["accepted", "rejected"]
    errors: list[EventError] | None = Field(default=None, description="why it was rejected")
    errors_not_listed: int | None = Field(default=None, description="violations beyond the 100 listed")


class IngestAnswer(BaseModel):
    """Every event of the request, in order. `accepted` = acknowledged by the broker (acks=all);
    `rejected` = broke the contract, copied with the reasons to the dead-letter topic."""

    accepted: int
    rejected: int
    results: list[EventResult]


class Problem(BaseModel):
    """RFC 9457 problem details (`application/problem+json`) for a request refused as a whole."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="urn:hotline:problem:<slug>, stable for programs")
    title: str
    status: int
    detail: str = Field(description="what to change; never echoes a value from the request")
    instance: str | None = None


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
