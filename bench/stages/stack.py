"""The benchmark's own stack: `hotline up` with private ports and state, purged first.

HOTLINE_* variables already set win over the defaults below, so the benchmark never touches the
developer's stack or the tests' (the broker's KRaft controller port is LocalBroker's default
unless HOTLINE_BROKER_CONTROLLER_PORT is set). One ClickHouse override goes into the private
config dir (the server merges etc/users.d into the rendered users.xml; the template is not
touched): the Kafka-engine peer (stage 4) needs it, the platform ignores it; and the server keeps
system.query_log and system.part_log (config.d), for the windows' breakdown of stage 1. The engine itself
runs with ClickHouse's default librdkafka settings (the stack's config has no <kafka> section).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from hotline.settings import REPO_ROOT
from tooling.stack import stack
from tooling.stack.clickhouse_server import LocalClickHouse

DEFAULTS = {
    "HOTLINE_STATE_DIR": str(REPO_ROOT / ".state" / "bench-city"),
    "HOTLINE_CLICKHOUSE_PORT": "19800", "HOTLINE_CLICKHOUSE_HTTP_PORT": "18823",
    "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:19892",
    "HOTLINE_INGEST_PORT": "18880", "HOTLINE_API_PORT": "18890", "HOTLINE_AGGREGATE_PORT": "16866", "HOTLINE_ALERTS_PORT": "18895",
    "HOTLINE_ENV": "development",
}
# The Kafka engine parses with the default profile's settings; this one lets JSONEachRow map
# the `data` object onto `data.<key>` columns. It changes nothing for inputs that parse without it.
# log_queries feeds system.query_log, which bench/stages/windows.py reads to split stage 1's
# server time by query kind.
PROFILE_OVERRIDE = """<?xml version="1.0"?>
<yandex><profiles><default>
    <input_format_import_nested_json>1</input_format_import_nested_json>
    <log_queries>1</log_queries>
</default></profiles></yandex>
"""
# The stack's config keeps no server logs in tables; the benchmark's keeps the queries and the
# parts' history (merges by table), flushed every 7.5 s as the server's defaults would.
LOGS_OVERRIDE = """<?xml version="1.0"?>
<yandex>
    <query_log><database>system</database><table>query_log</table>
        <flush_interval_milliseconds>7500</flush_interval_milliseconds></query_log>
    <part_log><database>system</database><table>part_log</table>
        <flush_interval_milliseconds>7500</flush_interval_milliseconds></part_log>
</yandex>
"""


@contextmanager
def bench_stack(workers: int, say=print) -> Iterator[stack.Settings]:
    """A fresh stack with `workers` aggregate workers; stopped on the way out, also on error
    (the data stays in the state dir until the next run purges it)."""
    for k, v in DEFAULTS.items():
        os.environ.setdefault(k, v)
    os.environ["HOTLINE_AGGREGATE_WORKERS"] = str(workers)
    s = stack.Settings.from_env()
    stack.down(s, purge=True, say=lambda line: None)
    etc = LocalClickHouse(s.stack, s.clickhouse).config_path.parent
    for sub, name, text in (("users.d", "bench-profile.xml", PROFILE_OVERRIDE), ("config.d", "bench-logs.xml", LOGS_OVERRIDE)):
        (etc / sub).mkdir(parents=True, exist_ok=True)
        (etc / sub / name).write_text(text)
    try:
        stack.up(s, say=lambda line: say("  " + line))
        yield s
    finally:
        stack.down(s, say=lambda line: None)


def clickhouse_pid(s: stack.Settings) -> int:
    pid = LocalClickHouse(s.stack, s.clickhouse).pid()
    assert pid is not None, "the stack is up"
    return pid


def clickhouse_errors(s: stack.Settings):
    return LocalClickHouse(s.stack, s.clickhouse).log_path.parent / "clickhouse-server.err.log"
