"""Settings of the query API: environment variables `HOTLINE_API_*` (and `HOTLINE_ENV`).

Validated when built, never at import. In development a token `dev-token` that may read and
supply figures exists, so `hotline up` works out of the box; production refuses it, placeholders
and short tokens, naming the variable and the token's position (never its value).

`HOTLINE_API_TOKENS` is JSON: {"<token>": {"reader": "report-office", "scopes": ["read", "supply"]}}.
`read`: reports, series and live figures; `supply`: write the per-year supplied figures.
A department's token adds `"department": "市住建局"` (the name as the tickets' `department`
carries it) and optionally `"level": "市本级"` (行政层级 in the data-share table): it reads that
department's tickets only, never city-wide figures, and can never supply
(docs/reliability/security.md).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hotline import tokens as bearer_tokens
from hotline.settings import MIN_PASSWORD_CHARS, CalendarSettings, CitySettings, ClickHouseSettings
from hotline.tokens import DEV_TOKEN

DEV_READER = "dev"
Scope = Literal["read", "supply"]
Denominator = Literal["offered", "answered", "abandon_ignored"]
EfficiencyScope = Literal["all", "dispatched"]


class ReaderGrant(BaseModel):
    reader: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$", description="who reads; a metrics label")
    scopes: list[Scope] = Field(default=["read"], min_length=1)
    department: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="restrict the token to this department's tickets (the tickets' `department` value)")
    level: str = Field(
        default="市本级", min_length=1, max_length=50,
        description="行政层级 of the department, as the data-share table prints it")

    @field_validator("department", "level")
    @classmethod
    def _printable(cls, v: str | None) -> str | None:
        if v is not None and (v != v.strip() or re.search(r"[\x00-\x1f\x7f]", v)):
            raise ValueError("must not have control characters or surrounding spaces")
        return v


class ReportDefaults(BaseModel):
    """The documented defaults of the choices a report builder can override per request
    (docs/domain.md "Choices made explicit")."""

    service_level_threshold_s: int = Field(default=30, ge=1, le=600)
    service_level_denominator: Denominator = "offered"
    short_abandon_s: int = Field(default=0, ge=0, le=600, description="0: no call is a short abandon")
    efficiency_scope: EfficiencyScope = Field(
        default="all", description="the efficiency table over all tickets (Huai'an) or dispatched ones only")
    top_n: int = Field(default=5, ge=1, le=50)


UnsatisfiedOn = Literal["resolution", "any"]
EvaluationsCount = Literal["latest", "all"]


class BriefDefaults(BaseModel):
    """The weekly/monthly brief and the department assessment (docs/briefs.md); each is also a
    query parameter, so a report builder can ask for another choice without a redeploy."""

    top_n: int = Field(default=10, ge=1, le=50, description="rows of each hot ranking")
    unsatisfied_on: UnsatisfiedOn = Field(
        default="resolution", description="an evaluation is unsatisfied when its resolution answer is "
        "false (resolution) or when either answer is (any)")
    evaluations: EvaluationsCount = Field(
        default="latest", description="a ticket evaluated more than once counts by its latest rated "
        "evaluation (latest) or by every one (all, as the annual report's satisfaction)")
    weight_satisfaction: float = Field(default=0.4, ge=0, le=1, description="the score's weight of satisfaction")
    weight_on_time: float = Field(default=0.3, ge=0, le=1, description="the score's weight of on-time completion")
    weight_completion: float = Field(default=0.3, ge=0, le=1, description="the score's weight of completion")

    @model_validator(mode="after")
    def _some_weight(self) -> "BriefDefaults":
        if self.weight_satisfaction + self.weight_on_time + self.weight_completion <= 0:
            raise ValueError("HOTLINE_API_BRIEF__WEIGHT_*: at least one weight must be above 0")
        return self


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOTLINE_API_", env_nested_delimiter="__", extra="ignore", populate_by_name=True,
        hide_input_in_errors=True,
    )

    env: Literal["development", "production"] = Field(
        default="development", validation_alias=AliasChoices("HOTLINE_ENV", "env"),
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=1, le=65535)
    tokens: dict[str, ReaderGrant] | None = Field(default=None, repr=False)
    report: ReportDefaults = Field(default_factory=ReportDefaults)
    brief: BriefDefaults = Field(default_factory=BriefDefaults)
    cache_entries: int = Field(default=64, ge=0, le=10_000, description="reports kept per process")
    live_refresh_s: float = Field(
        default=0.5, gt=0, le=60, description="the live figures are recomputed this often in the background")
    live_max_wait_s: int = Field(
        default=3600, ge=60, description="an offered call older than this with no outcome is not 'waiting' (lost event)")
    max_supplied_bytes: int = Field(default=256 * 1024, ge=1024)
    read_timeout_s: float = Field(
        default=30.0, gt=0, le=600,
        description="a request (headers and body) must arrive within this, else 408 (services/api/http.py)")
    compact_every_s: float = Field(
        default=300, ge=0, description="compact the facts tables this often when they changed (0: never); "
        "reports of compacted, untouched periods skip FINAL")
    prune_open_every_s: float = Field(
        default=60, ge=0, description="drop the old minutes of ticket_open this often (0: never; the live "
        "count of open dispatched tickets then reads more and more of them)")
    clickhouse: ClickHouseSettings = Field(default_factory=ClickHouseSettings)
    city: CitySettings = Field(default_factory=CitySettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)

    @field_validator("tokens", mode="before")
    @classmethod
    def _grants(cls, v: object) -> object:
        return bearer_tokens.grants(v, ReaderGrant, "HOTLINE_API_TOKENS")

    @field_validator("tokens")
    @classmethod
    def _token_syntax(cls, v: dict[str, ReaderGrant] | None) -> dict[str, ReaderGrant] | None:
        bearer_tokens.syntax_problems(v, "HOTLINE_API_TOKENS")
        for n, grant in enumerate((v or {}).values(), 1):
            # A department reads its own tickets; supplied figures are the city's, so a
            # department token that could write them would be a city-wide writer in disguise.
            if grant.department is not None and "supply" in grant.scopes:
                raise ValueError(f"HOTLINE_API_TOKENS: token no. {n} (reader {grant.reader!r}) is restricted to a "
                                 "department and so is read-only: remove 'supply' from its scopes")
        return v

    @model_validator(mode="after")
    def _secrets(self) -> "ApiSettings":
        if self.env == "development":
            if self.tokens is None:
                self.tokens = {DEV_TOKEN: ReaderGrant(reader=DEV_READER, scopes=["read", "supply"])}
            return self
        owners = {t: g.reader for t, g in (self.tokens or {}).items()}
        problems = bearer_tokens.production_problems(owners, "HOTLINE_API_TOKENS", "reader")
        # Checked here too: a ClickHouseSettings built without HOTLINE_ENV is a development one.
        password = bearer_tokens.secret_problem(
            "HOTLINE_CLICKHOUSE_PASSWORD", self.clickhouse.password.get_secret_value(), MIN_PASSWORD_CHARS)
        problems += [password] if password else []
        if problems:
            raise ValueError("HOTLINE_ENV=production: " + "; ".join(problems))
        return self


