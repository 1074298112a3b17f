"""The flattened event row both the naive consumer and the ClickHouse-native peer write.

One row per CloudEvent: the envelope, `time` as DateTime, and every `data` field the simulator
emits as its own column (`data_<key>`; '' or 0 when the event lacks it). Why columns and not
`data` kept as a JSON string: ClickHouse 18.16's JSONEachRow cannot read a JSON object into a
String column ("Cannot parse JSON string: expected opening quote"), so the Kafka engine can only
take `data` apart (input_format_import_nested_json), and the naive stage does the same work.
Fields outside this list are dropped by both, which the benchmark accepts (no validation).
"""

from __future__ import annotations

import datetime as dt

ENVELOPE = ("id", "source", "type", "subject")
DATA_STRINGS = ("direction", "caller", "agent_id", "requester", "channel", "kind", "category",
                "district", "call_id", "department", "by", "deadline", "level", "line", "to")
DATA_FLAGS = ("service_satisfied", "resolution_satisfied")  # JSON booleans -> UInt8

COLUMNS = (*ENVELOPE, "time", *(f"data_{k}" for k in DATA_STRINGS + DATA_FLAGS))


def create_table(database: str, table: str) -> str:
    """A plain MergeTree of flattened rows (no dedup, no partitioning: the cheapest target)."""
    cols = [f"`{c}` String" for c in ENVELOPE] + ["`time` DateTime"]
    cols += [f"`data_{k}` String" for k in DATA_STRINGS] + [f"`data_{k}` UInt8" for k in DATA_FLAGS]
    return (f"CREATE TABLE {database}.{table} ({', '.join(cols)}) "
            f"ENGINE = MergeTree ORDER BY (type, time)")


def insert(database: str, table: str) -> str:
    return f"INSERT INTO {database}.{table} ({', '.join(f'`{c}`' for c in COLUMNS)}) VALUES"


def to_columns(events: list[dict]) -> list[list]:
    """Decoded events -> one list per column of COLUMNS (for a columnar insert)."""
    data = [e.get("data") or {} for e in events]
    out: list[list] = [[e.get(k, "") for e in events] for k in ENVELOPE]
    # Unix seconds: the driver takes ints for DateTime without per-value timezone work.
    out.append([int(dt.datetime.fromisoformat(e["time"]).timestamp()) for e in events])
    out += [[d.get(k, "") for d in data] for k in DATA_STRINGS]
    out += [[1 if d.get(k) else 0 for d in data] for k in DATA_FLAGS]
    return out
