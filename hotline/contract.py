"""The event contract v1 (docs/events.md): one validation for every service.

The rules live in JSON Schema files, `schemas/v1/envelope.json` and `schemas/v1/data/<type>.json`,
so ingest, aggregate and the simulator's tests judge events by the same files. The schemas folder
is `<repo>/schemas`, or `$HOTLINE_SCHEMAS_DIR` read when the schemas are first needed; it is
loaded and compiled once per process (call `warm_up()` at start-up to fail early on a broken one).

Two validators per schema: fastjsonschema answers "valid?" on the hot path; only an invalid event
pays for jsonschema, which lists every violation with its path. Neither's messages are used: a
rule is described from the schema (keyword, expected values, or a `$comment` beside a pattern or
a `not`), never from the offending value, because `caller` is a citizen's phone number and must
not reach logs or HTTP answers (docs/architecture.md, decision 7).

Patterns end in `$(?!\\n)`: Python's `$` also matches before a final newline, JSON Schema's does
not. `format: date-time` is checked here (pattern + a real calendar date) by both validators.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import fastjsonschema
from jsonschema import Draft7Validator, FormatChecker, ValidationError

from hotline.cloudevents import without_null_attributes

Entity = Literal["call", "ticket"]
Source = Literal["phone", "internet", "transfer_in"]

CALL_TYPES: frozenset[str] = frozenset({
    "hotline.call.offered",
    "hotline.call.answered",
    "hotline.call.abandoned",
    "hotline.call.ended",
})
TICKET_TYPES: frozenset[str] = frozenset({
    "hotline.ticket.created",
    "hotline.ticket.answered",
    "hotline.ticket.dispatched",
    "hotline.ticket.completed",
    "hotline.ticket.transferred",
    "hotline.ticket.supervised",
    "hotline.ticket.evaluation_requested",
    "hotline.ticket.evaluated",
    "hotline.ticket.returned",
})
# What producers send (and ingest accepts): the events of calls and tickets.
EVENT_TYPES: frozenset[str] = CALL_TYPES | TICKET_TYPES
# What the platform itself produces: the early warning's alerts (hotline.alert_events). They keep
# the same contract, so consumers validate them like any event, but no producer may send one:
# hotline.judge refuses them, so an alert can only come from the platform's detectors.
ALERT_PREFIX = "hotline.alert."
ALERT_TYPES: frozenset[str] = frozenset({
    "hotline.alert.raised",
    "hotline.alert.updated",
    "hotline.alert.closed",
})
# Every type the contract describes (envelope.json's `type` enum and one data schema each).
CONTRACT_TYPES: frozenset[str] = EVENT_TYPES | ALERT_TYPES

SOURCE_OF_CHANNEL: Mapping[str, Source] = MappingProxyType({
    "phone": "phone",
    "web": "internet",
    "app": "internet",
    "wechat": "internet",
    "email": "internet",
    "sms": "internet",
    "video": "internet",
    "110": "transfer_in",
    "maishangyi": "transfer_in",
    "business_hotline": "transfer_in",
    "other_platform": "transfer_in",
})

# `line` may be absent; the event is kept as sent, so whoever reads it applies this default.
DEFAULT_LINE = "12345"

SCHEMAS_DIR_ENV = "HOTLINE_SCHEMAS_DIR"
CONTRACT_VERSION = "v1"

_NOT_AN_OBJECT = "an event must be a JSON object"
# envelope.json's propertyNames pattern (checked equal when the schemas load).
_NAME_PATTERN = "^([a-z0-9]+|data_base64)$(?!\\n)"
_NAME = re.compile(r"[a-z0-9]+|data_base64")
_DATE_TIME = re.compile(
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]"
    r":([0-5][0-9]|60)(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
)
_TYPE_NAMES = {
    "object": "a JSON object", "array": "an array", "string": "a string",
    "integer": "an integer", "number": "a number", "boolean": "true or false", "null": "null",
}


def entity_of(event_type: str) -> Entity:
    """`"call"` or `"ticket"`: which entity (and topic) a producer's event type belongs to; an
    alert type is neither (alerts are not folded into calls or tickets): ValueError."""
    if event_type in CALL_TYPES:
        return "call"
    if event_type in TICKET_TYPES:
        return "ticket"
    raise ValueError("not an event type of contract v1")


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule. `path` is `time`, `data.direction`, `data.tags[2]`, or `""` (the event)."""

    path: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path or '(event)'}: {self.rule}"


class InvalidEvent(ValueError):
    """An event breaks the contract; `violations` lists every rule broken, never a value."""

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        super().__init__(self.violations)

    def __str__(self) -> str:
        return "invalid event: " + "; ".join(map(str, self.violations))


def validate_event(obj: object) -> dict[str, Any]:
    """Check one decoded event against envelope and data schemas; never mutates `obj`.

    An attribute given as `null` is absent (CloudEvents JSON format): a required one is reported
    as missing ("is required"). Returns the event itself, or a shallow copy without such attributes and with
    `data` = {} when `data` is absent and the type has no required data fields. Raises
    InvalidEvent listing every violation. Pure CPU, no IO after the first call (which loads the
    schemas). Every type of the contract passes here, the platform's alert types included; that
    producers may not send those is hotline.judge's rule.
    """
    if not isinstance(obj, dict):
        raise InvalidEvent((Violation("", _NOT_AN_OBJECT),))
    obj = without_null_attributes(obj)
    envelope, data_schemas = _contract()
    stage: tuple[str, ...] = ()
    try:
        if not _names_ok(obj):
            raise fastjsonschema.JsonSchemaValueException("attribute name")
        envelope.check(obj)
        data = obj.get("data")  # a present null already failed the envelope
        stage = ("data",)
        data_schemas[obj["type"]].check({} if data is None else data)
    except fastjsonschema.JsonSchemaValueException as exc:
        found = _violations(obj, envelope, data_schemas) or _fallback(exc, stage)
        raise InvalidEvent(found) from None
    return obj if data is not None else {**obj, "data": {}}


def warm_up() -> None:
    """Load and compile every schema now, so a missing or broken file fails at start-up."""
    _contract()


@dataclass(frozen=True)
class _Schema:
    check: Callable[[Any], Any]  # raises fastjsonschema.JsonSchemaValueException
    explain: Draft7Validator


def _is_date_time(value: object) -> bool:
    # The pattern alone would accept 2023-02-30; the seconds field may be 60 (leap second).
    if not isinstance(value, str):
        return True
    if _DATE_TIME.fullmatch(value) is None:
        return False
    try:
        date(int(value[0:4]), int(value[5:7]), int(value[8:10]))
    except ValueError:
        return False
    return True


def schemas_root() -> Path:
    """The schemas folder: `$HOTLINE_SCHEMAS_DIR`, or `<repo>/schemas`."""
    return Path(os.environ.get(SCHEMAS_DIR_ENV) or Path(__file__).resolve().parents[1] / "schemas")


@lru_cache(maxsize=1)
def _contract() -> tuple[_Schema, Mapping[str, _Schema]]:
    folder = schemas_root() / CONTRACT_VERSION
    envelope = json.loads((folder / "envelope.json").read_text(encoding="utf-8"))
    # A schemas folder from another release would silently shift what is accepted.
    if set(envelope["properties"]["type"]["enum"]) != CONTRACT_TYPES:
        raise RuntimeError(f"{folder / 'envelope.json'}: its types differ from CONTRACT_TYPES")
    data = {
        t: json.loads((folder / "data" / f"{t}.json").read_text(encoding="utf-8"))
        for t in sorted(CONTRACT_TYPES)
    }
    return _compile(envelope, _fast_copy(envelope)), MappingProxyType({t: _compile(s) for t, s in data.items()})


# Attribute names already seen to match the envelope's propertyNames pattern. Bounded: names are
# producer input, and a flood of new ones must not grow memory (past the bound: matched each time).
_NAMES_SEEN: set[str] = set()
_NAMES_SEEN_MAX = 1024


def _names_ok(obj: dict[str, Any]) -> bool:
    """The envelope's propertyNames rule, with a regex match only for a name not seen before."""
    for name in obj:
        if name not in _NAMES_SEEN:
            if not isinstance(name, str) or _NAME.fullmatch(name) is None:
                return False
            if len(_NAMES_SEEN) < _NAMES_SEEN_MAX:
                _NAMES_SEEN.add(name)
    return True


def _fast_copy(envelope: dict[str, Any]) -> dict[str, Any]:
    """The envelope for the compiled check, without two rules checked more cheaply elsewhere:
    propertyNames (`_names_ok`, a regex per name per event otherwise) and the time pattern (the
    date-time format, `_is_date_time`, matches the same pattern). The full schema still explains
    every failure (`_violations`), so messages are unchanged."""
    fast = json.loads(json.dumps(envelope))
    if fast.pop("propertyNames", {}).get("pattern") != _NAME_PATTERN:
        raise RuntimeError("envelope.json: propertyNames differs from hotline.contract._NAME_PATTERN")
    time = fast["properties"]["time"]
    if time.get("format") != "date-time":
        raise RuntimeError("envelope.json: time is no longer checked by the date-time format")
    time.pop("pattern", None)
    return fast


def _compile(schema: dict[str, Any], check_schema: dict[str, Any] | None = None) -> _Schema:
    Draft7Validator.check_schema(schema)
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_is_date_time)
    return _Schema(
        # use_default=False: a `default` documents the contract; the event is kept as sent.
        check=fastjsonschema.compile(
            check_schema or schema, formats={"date-time": _is_date_time}, use_default=False
        ),
        explain=Draft7Validator(schema, format_checker=checker),
    )


def _violations(
    event: dict[str, Any], envelope: _Schema, data_schemas: Mapping[str, _Schema]
) -> tuple[Violation, ...]:
    found = list(_explain(envelope.explain.iter_errors(event), ()))
    event_type = event.get("type")
    data = event.get("data", {})
    # Without a known type there is no data schema; beside data_base64 the envelope already says
    # why, and "data.x is required" would only add noise.
    if (isinstance(event_type, str) and event_type in data_schemas
            and "data_base64" not in event and isinstance(data, dict)):
        found += _explain(data_schemas[event_type].explain.iter_errors(data), ("data",))
    return _tidy(found)


def _explain(
    errors: Iterable[ValidationError], prefix: tuple[str | int, ...]
) -> Iterator[tuple[str, str, str]]:
    """(path, keyword, rule) for each error."""
    for e in errors:
        where = (*prefix, *e.absolute_path)
        if e.validator == "required":
            for name in e.validator_value:
                if name not in e.instance:
                    yield _path((*where, name)), "required", "is required"
        elif len(e.schema_path) >= 2 and e.schema_path[-2] == "propertyNames":
            yield _path((*where, e.instance)), str(e.validator), _rule(e)
        else:
            yield _path(where), str(e.validator), _rule(e)


def _rule(e: ValidationError) -> str:
    keyword, expected = e.validator, e.validator_value
    comment = e.schema.get("$comment") if isinstance(e.schema, dict) else None
    if comment and keyword in ("pattern", "not"):
        return comment
    if keyword == "type":
        names = [expected] if isinstance(expected, str) else expected
        return "must be " + " or ".join(_TYPE_NAMES.get(n, n) for n in names)
    if keyword == "minLength":
        if expected == 1:
            return "must be a non-empty string"
        return f"must be at least {expected} characters long"
    if keyword == "enum":
        return "must be one of " + ", ".join(json.dumps(v, ensure_ascii=False) for v in expected)
    if keyword == "const":
        return "must be " + json.dumps(expected, ensure_ascii=False)
    if keyword == "format" and expected == "date-time":
        return "must be a date and time that exist in the calendar"
    return f"must satisfy the schema keyword {keyword!r}"


def _tidy(found: list[tuple[str, str, str]]) -> tuple[Violation, ...]:
    # A wrong type makes every other rule on that path moot; a failed pattern makes the
    # calendar check (format) moot.
    keywords: dict[str, set[str]] = {}
    for path, keyword, _ in found:
        keywords.setdefault(path, set()).add(keyword)
    kept: dict[Violation, None] = {}
    for path, keyword, rule in found:
        seen = keywords[path]
        if ("type" in seen and keyword != "type") or ("pattern" in seen and keyword == "format"):
            continue
        kept[Violation(path, rule)] = None
    return tuple(sorted(kept, key=lambda v: v.path))


def _fallback(
    exc: fastjsonschema.JsonSchemaValueException, stage: tuple[str, ...]
) -> tuple[Violation, ...]:
    # Only reached if the two validators ever disagree; the tests try hard to make them.
    rule = f"must satisfy the schema keyword {exc.rule!r}"
    return (Violation(_path((*stage, *exc.path[1:])), rule),)


def _path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
