"""Settings of the ingest service: environment variables `HOTLINE_INGEST_*` (and `HOTLINE_ENV`).

Validated when built, never at import. In development (`HOTLINE_ENV` unset or "development") a
token `dev-token` that may publish any source exists, so `hotline up` works out of the box; in
production tokens must be configured, and the development token, a short one or a placeholder is
refused at start-up with a message naming the variable (never the value).

The caller hash key is not ingest's own: every service hashes with the same key
(`HOTLINE_CALLER_HASH_KEY`, hotline.settings.PrivacySettings, which has its own development
default and production checks), so one number gets one hash whichever way its event came in.

`HOTLINE_INGEST_TOKENS` is JSON: {"<token>": {"producer": "pbx", "sources": ["/pbx/"]}, ...}.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline import tokens as bearer_tokens
from hotline.settings import KafkaSettings, PrivacySettings
from hotline.tokens import DEV_TOKEN, MIN_TOKEN_CHARS  # noqa: F401 - part of this module's interface

DEV_PRODUCER = "dev"


class ProducerGrant(BaseModel):
    """What one bearer token may do: publish events whose `source` is under one of `sources`."""

    producer: str = Field(
        pattern=r"^[a-z][a-z0-9_-]{0,31}$",
        description="the producing system's name; a metrics label, so a short fixed word",
    )
    sources: list[str] = Field(
        min_length=1, description="source prefixes, e.g. \"/pbx/\"; \"/\" allows every source that is an absolute path (auth.py)"
    )
    every_source: bool = Field(
        default=False,
        description="may publish any source, also relative references such as \"#pbx\" and URIs "
        "outside `sources` (counted under the label \"*\"); the development token has it",
    )

    @field_validator("sources")
    @classmethod
    def _prefixes(cls, v: list[str]) -> list[str]:
        for prefix in v:
            if not prefix or re.search(r"[\x00-\x1f\x7f]", prefix):
                raise ValueError("a source prefix must be a non-empty string without control characters")
        return v


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOTLINE_INGEST_", extra="ignore", populate_by_name=True,
        # A validation error must not print the tokens it was given.
        hide_input_in_errors=True,
    )

    env: Literal["development", "production"] = Field(
        default="development", validation_alias=AliasChoices("HOTLINE_ENV", "env"),
        description="production refuses the development defaults and placeholder secrets",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, description="413 beyond this")
    max_batch_events: int = Field(default=10_000, ge=1, description="413 for a longer batch")
    max_event_bytes: int = Field(
        default=512 * 1024, ge=1024, le=1_000_000,
        description="one event as JSON (plus its key); must fit the broker's message.max.bytes",
    )
    publish_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="wait this long for the broker's acks, then 503"
    )
    read_timeout_s: float = Field(
        # A producer on the city network sends a 10 MB batch in well under a second; a client
        # trickling a request (slow-loris) is cut off after this (services/ingest/http.py).
        default=30.0, gt=0, le=600, description="a request (headers and body) must arrive within this, else 408",
    )
    max_header_bytes: int = Field(
        # Binary mode carries the attributes in headers; an event may be up to max_event_bytes.
        default=1024 * 1024, ge=8192, le=16 * 1024 * 1024,
        description="431 for a request line and headers beyond this (services/ingest/http.py)",
    )
    retry_after_s: int = Field(default=5, ge=1, le=3600, description="Retry-After of a 503")
    linger_ms: int = Field(
        # 0 measured best (bench/ingest.py): while one produce request is in flight the next
        # requests' messages batch up anyway; 1 ms added ~1.3 ms to p50 and no throughput.
        default=0, ge=0, le=1000, description="producer linger before sending a batch",
    )
    tokens: dict[str, ProducerGrant] | None = Field(
        default=None, repr=False, description="bearer token -> producer and source prefixes (JSON)"
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)

    @field_validator("tokens", mode="before")
    @classmethod
    def _grants(cls, v: object) -> object:
        return bearer_tokens.grants(v, ProducerGrant, "HOTLINE_INGEST_TOKENS")

    @field_validator("tokens")
    @classmethod
    def _token_syntax(cls, v: dict[str, ProducerGrant] | None) -> dict[str, ProducerGrant] | None:
        bearer_tokens.syntax_problems(v, "HOTLINE_INGEST_TOKENS")
        return v

    @model_validator(mode="after")
    def _secrets(self) -> "IngestSettings":
        if self.env == "development":
            if self.tokens is None:
                self.tokens = {DEV_TOKEN: ProducerGrant(producer=DEV_PRODUCER, sources=["/"], every_source=True)}
            return self
        if self.privacy.env != self.env:
            raise ValueError("HOTLINE_ENV=production, but the caller hash key settings were built for development")
        owners = {t: g.producer for t, g in (self.tokens or {}).items()}
        problems = bearer_tokens.production_problems(owners, "HOTLINE_INGEST_TOKENS", "producer")
        if problems:
            raise ValueError("HOTLINE_ENV=production: " + "; ".join(problems))
        return self

    @property
    def hash_key(self) -> bytes:
        """The HMAC key for caller numbers (HOTLINE_CALLER_HASH_KEY, shared by every service)."""
        return self.privacy.hash_key
