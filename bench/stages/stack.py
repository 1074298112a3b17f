"""The private ClickHouse + Tansu stack the stages run against, started with the project's code.

Ports and state default to the benchmark's own (never the developer's `hotline up` stack);
HOTLINE_* variables already set win. Both servers are stopped on the way out, also on error.
The ClickHouse config gets two overrides in the private state dir (the server merges
etc/config.d and etc/users.d into the rendered files; the templates are not touched), both
needed by the peer stage and inert for the others.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hotline import broker
from hotline.settings import REPO_ROOT, ClickHouseSettings, KafkaSettings, StackSettings
from hotline.stack.broker_server import LocalBroker
from hotline.stack.clickhouse_server import LocalClickHouse

DEFAULTS = {
    "HOTLINE_STATE_DIR": str(REPO_ROOT / ".state" / "bench-peer"),
    "HOTLINE_CLICKHOUSE_PORT": "19800",
    "HOTLINE_CLICKHOUSE_HTTP_PORT": "18823",
    "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:19892",
}
# Tansu answers a consumer's first JoinGroup only after half its session timeout; librdkafka
# 2.0's default (45 s) made the engine wait 23 s before reading a message (measured). The
# template's <kafka> section (api_version_request, broker_version_fallback) stays as it is.
KAFKA_OVERRIDE = """<?xml version="1.0"?>
<yandex><kafka><session_timeout_ms>6000</session_timeout_ms></kafka></yandex>
"""
# The Kafka engine parses with the global (default profile) settings; this one lets
# JSONEachRow map the `data` object onto `data.<key>` columns. It changes nothing for inputs
# that parse without it (only keys with no column of their own are affected).
PROFILE_OVERRIDE = """<?xml version="1.0"?>
<yandex><profiles><default>
    <input_format_import_nested_json>1</input_format_import_nested_json>
</default></profiles></yandex>
"""


@dataclass(frozen=True)
class Stack:
    kafka: KafkaSettings
    clickhouse: ClickHouseSettings
    pids: tuple[int, ...]  # the servers' processes, so stages can count their CPU and memory
    clickhouse_errors: Path  # the server's error log, where the Kafka engine's failures land


@contextmanager
def local_stack() -> Iterator[Stack]:
    """Start ClickHouse and the broker (memory storage: topics are empty), create the topics."""
    for k, v in DEFAULTS.items():
        os.environ.setdefault(k, v)
    stack, kafka, ch = StackSettings(), KafkaSettings(), ClickHouseSettings()
    clickhouse = LocalClickHouse(stack, ch)
    servers = [clickhouse, LocalBroker(stack, kafka)]
    etc = clickhouse.config_path.parent
    for sub, name, text in (("config.d", "bench-kafka.xml", KAFKA_OVERRIDE),
                            ("users.d", "bench-profile.xml", PROFILE_OVERRIDE)):
        (etc / sub).mkdir(parents=True, exist_ok=True)
        (etc / sub / name).write_text(text)
    try:
        for server in servers:
            server.start()
        broker.ensure_topics(kafka)
        yield Stack(kafka, ch, tuple(p for p in (s.pid() for s in servers) if p),
                    clickhouse.log_path.parent / "clickhouse-server.err.log")
    finally:
        for server in reversed(servers):
            server.stop()
