"""The brief's JSON Schema (schemas/report/v1/brief.json) holds the documents the renderers are
tested on, and fails on what a brief must not be."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[4]


def validator() -> jsonschema.Draft7Validator:
    schema = json.loads((ROOT / "schemas/report/v1/brief.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("name", ["brief-example.json", "brief-department.json"])
def test_the_fixtures_are_valid_briefs(name):
    doc = json.loads((ROOT / "tests/fixtures" / name).read_text(encoding="utf-8"))
    errors = [e.message for e in validator().iter_errors(doc)]
    assert errors == []


def test_the_schema_can_fail():
    doc = json.loads((ROOT / "tests/fixtures/brief-example.json").read_text(encoding="utf-8"))
    v = validator()
    bad = copy.deepcopy(doc)
    bad["unsatisfied"]["tickets"][0]["level"] = 3  # levels are once (1) and twice or more (2)
    assert not v.is_valid(bad)
    bad = copy.deepcopy(doc)
    bad["departments"]["rows"][0]["satisfaction_pct"] = 100.5
    assert not v.is_valid(bad)
    bad = copy.deepcopy(doc)
    del bad["trend"]  # a weekly brief has every section
    assert not v.is_valid(bad)
    table = {k: doc[k] for k in ("report", "city", "timezone", "period", "parameters", "generated_at", "coverage",
                                 "departments")}
    assert not v.is_valid(table)  # "weekly" without its sections
    assert v.is_valid({**table, "report": "departments"})
    assert not v.is_valid({**table, "report": "departments", "trend": doc["trend"]})
