"""schemas/asyncapi.yaml: valid for the AsyncAPI CLI, and in step with the settings and the contract.

The CLI (npm @asyncapi/cli, pinned in scripts/bootstrap.sh, installed into the virtualenv) parses
the document and resolves every $ref, so a payload pointing at a schema file that is not there
fails here. A missing CLI is a failure, not a skip: a document nobody validated is not checked.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from hotline.contract import ALERT_TYPES, CALL_TYPES, CONTRACT_TYPES, TICKET_TYPES
from hotline.settings import KafkaSettings
from services.aggregate.settings import AggregateSettings

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = ROOT / "schemas"
DOCUMENT = SCHEMAS / "asyncapi.yaml"
CLI = Path(sys.prefix) / "share/asyncapi/node_modules/.bin/asyncapi"
DRAFT_07 = "application/schema+json;version=draft-07"


def default(model: type, name: str) -> Any:
    """A settings field's default (not the environment's value: the document states defaults)."""
    return model.model_fields[name].default


TOPICS = {default(KafkaSettings, f"topic_{n}") for n in ("calls", "tickets", "deadletter", "alerts")}


@pytest.fixture
def doc() -> dict[str, Any]:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def validate(path: Path, tmp_path: Path) -> tuple[int, list[dict[str, Any]], str]:
    """(exit code, diagnostics, output) of `asyncapi validate`, failing on warnings as well."""
    if not CLI.exists():
        pytest.fail(f"the AsyncAPI CLI is not installed ({CLI}): run scripts/bootstrap.sh")
    # The CLI reports usage to a telemetry service unless its config file says no: tests do not.
    config = tmp_path / "asyncapi-analytics.json"
    config.write_text(json.dumps({"analyticsEnabled": "false", "infoMessageShown": "true", "userID": "tests"}))
    proc = subprocess.run(
        [str(CLI), "validate", str(path), "--fail-severity", "warn", "--diagnostics-format", "json"],
        capture_output=True, text=True, timeout=180, cwd=ROOT,
        env={**os.environ, "ASYNCAPI_METRICS_CONFIG_PATH": str(config), "NO_COLOR": "1"},
    )
    output = proc.stdout + proc.stderr
    start = re.search(r"^\[", proc.stdout, re.M)
    diagnostics = json.JSONDecoder().raw_decode(proc.stdout, start.start())[0] if start else []
    return proc.returncode, diagnostics, output


def test_the_asyncapi_cli_validates_the_document(tmp_path: Path) -> None:
    code, diagnostics, output = validate(DOCUMENT, tmp_path)
    assert code == 0, output
    assert "is valid" in output
    # severity 0 error, 1 warning, 2 information, 3 hint
    assert [d for d in diagnostics if d["severity"] < 2] == [], output


def broken_copy(doc: dict[str, Any], tmp_path: Path, name: str) -> Path:
    (tmp_path / "v1").symlink_to(SCHEMAS / "v1", target_is_directory=True)  # the $refs still resolve
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_cli_refuses_a_broken_ref(doc: dict[str, Any], tmp_path: Path) -> None:
    payload = doc["components"]["messages"]["ticketEvaluated"]["payload"]["schema"]
    payload["allOf"][1]["properties"]["data"]["$ref"] = "./v1/data/hotline.ticket.rated.json"
    code, diagnostics, output = validate(broken_copy(doc, tmp_path, "broken-ref.yaml"), tmp_path)
    assert code != 0, output
    errors = [d for d in diagnostics if d["severity"] == 0]
    assert [d["code"] for d in errors] == ["invalid-ref"], output
    assert errors[0]["path"][:3] == ["components", "messages", "ticketEvaluated"]
    assert "hotline.ticket.rated.json" in errors[0]["message"]


def test_the_cli_refuses_a_missing_required_field(doc: dict[str, Any], tmp_path: Path) -> None:
    del doc["operations"]["ingestPublishesCalls"]["action"]
    code, diagnostics, output = validate(broken_copy(doc, tmp_path, "no-action.yaml"), tmp_path)
    assert code != 0, output
    errors = [d for d in diagnostics if d["severity"] == 0]
    assert errors and all(d["path"][:2] == ["operations", "ingestPublishesCalls"] for d in errors), output
    assert any("action" in d["message"] for d in errors), output


# --- in step with the settings and the contract ------------------------------------------------------


def test_every_topic_is_one_the_settings_define(doc: dict[str, Any]) -> None:
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == TOPICS
    partitions = default(KafkaSettings, "partitions")
    for channel in doc["channels"].values():
        kafka = channel["bindings"]["kafka"]
        assert (kafka["topic"], kafka["partitions"]) == (channel["address"], partitions)


def test_ingest_sends_and_aggregate_receives(doc: dict[str, Any]) -> None:
    ops = {(o["action"], doc_ref(doc, o["channel"]["$ref"])["address"]) for o in doc["operations"].values()}
    calls, tickets, deadletter, alerts = (default(KafkaSettings, f"topic_{n}")
                                          for n in ("calls", "tickets", "deadletter", "alerts"))
    assert ops == {("send", calls), ("send", tickets), ("send", deadletter),
                   ("receive", calls), ("receive", tickets), ("send", alerts)}
    group = default(AggregateSettings, "app_id")
    for name, op in doc["operations"].items():
        if op["action"] == "receive":
            assert name.startswith("aggregate") and op["bindings"]["kafka"]["groupId"]["const"] == group
        # an operation's messages are messages of its channel
        channel = op["channel"]["$ref"]
        assert all(m["$ref"].startswith(channel + "/messages/") for m in op["messages"]), name
        assert all(doc_ref(doc, m["$ref"]) for m in op["messages"])


def test_every_data_schema_has_a_message_that_refers_to_the_files(doc: dict[str, Any]) -> None:
    files = {p.stem for p in (SCHEMAS / "v1/data").glob("*.json")}
    assert files == CONTRACT_TYPES
    structured = {m["name"]: m for m in doc["components"]["messages"].values() if m["name"] in CONTRACT_TYPES}
    assert set(structured) == files
    for event_type, message in structured.items():
        assert message["payload"]["schemaFormat"] == DRAFT_07
        envelope, specific = message["payload"]["schema"]["allOf"]
        assert envelope == {"$ref": "./v1/envelope.json"}
        assert specific["properties"] == {"type": {"const": event_type},
                                          "data": {"$ref": f"./v1/data/{event_type}.json"}}
        assert message["traits"] == [{"$ref": "#/components/messageTraits/structuredEvent"}]
    for channel, types in (("calls", CALL_TYPES), ("tickets", TICKET_TYPES), ("alerts", ALERT_TYPES)):
        names = {doc_ref(doc, m["$ref"])["name"] for m in doc["channels"][channel]["messages"].values()}
        assert names & CONTRACT_TYPES == types


def test_binary_messages_cover_the_types_of_their_topic(doc: dict[str, Any]) -> None:
    for message, types in (("callEventBinary", CALL_TYPES), ("ticketEventBinary", TICKET_TYPES)):
        m = doc["components"]["messages"][message]
        assert set(m["headers"]["allOf"][1]["properties"]["ce_type"]["enum"]) == types
        assert {s["$ref"] for s in m["payload"]["schema"]["anyOf"]} == {f"./v1/data/{t}.json" for t in types}


def test_keys_are_the_subject(doc: dict[str, Any]) -> None:
    trait = doc["components"]["messageTraits"]["structuredEvent"]
    assert trait["bindings"]["kafka"]["key"] == {"$ref": "#/components/schemas/subjectKey"}
    assert trait["correlationId"] == {"$ref": "#/components/correlationIds/subject"}
    assert doc["components"]["correlationIds"]["subject"]["location"] == "$message.payload#/subject"
    assert "ce_subject" in doc["components"]["schemas"]["binaryHeaders"]["required"]


def test_every_referenced_file_exists(doc: dict[str, Any]) -> None:
    refs = set(re.findall(r"\$ref': '(\./[^']+)'", str(doc)))
    assert refs and all((SCHEMAS / ref).is_file() for ref in refs), refs


def doc_ref(doc: dict[str, Any], ref: str) -> Any:
    """The object a local `#/a/b` $ref points at."""
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node
