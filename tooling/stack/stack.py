"""Bring the whole local stack up, down, or report on it.

Order of `up`: ClickHouse, broker, topics, migrations, then each landed service. Servers whose
settings point elsewhere (`external`) are not started, only checked and prepared (topics and
migrations still apply). `up` is idempotent; `down` stops only processes recorded in PID files.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Callable

from hotline import broker
from hotline.settings import CalendarSettings, CitySettings, ClickHouseSettings, KafkaSettings, StackSettings
from tooling.stack.broker_server import LocalBroker, LocalKafkaSettings
from tooling.stack.clickhouse_server import LocalClickHouse
from tooling.stack.server import start_together
from tooling.stack.services import SERVICES, LocalService, instances
from hotline.storage import client as ch_client
from hotline.storage import work_calendar
from hotline.storage.migrate import migrate


@dataclass(frozen=True)
class Settings:
    stack: StackSettings
    clickhouse: ClickHouseSettings
    kafka: KafkaSettings
    broker: LocalKafkaSettings = field(default_factory=LocalKafkaSettings)

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(StackSettings(), ClickHouseSettings(), KafkaSettings(), LocalKafkaSettings())


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    state: str  # running | stopped | external | not built yet
    address: str
    healthy: bool | None  # None: not applicable (not built, stopped)
    pid: int | None = None


Say = Callable[[str], None]


def _services(s: Settings, running_only: bool = False) -> list[LocalService]:
    out = [svc for spec in SERVICES if spec.landed() for svc in instances(s.stack, spec)]
    return [svc for svc in out if svc.pid()] if running_only else out


def up(s: Settings, say: Say = print) -> None:
    ch = LocalClickHouse(s.stack, s.clickhouse)
    if s.clickhouse.external:
        say(f"clickhouse: external at {ch.address()}, not started")
    else:
        say(f"clickhouse: {'started' if ch.start() else 'already running'} at {ch.address()}")
    applied = migrate(ch_client.connect(s.clickhouse, database=False), s.clickhouse.database)
    say(f"clickhouse: migrations {'applied: ' + ', '.join(f'{m.version:04d}_{m.name}' for m in applied) if applied else 'up to date'}")
    synced = work_calendar.sync_configured(s.clickhouse, CitySettings().timezone, CalendarSettings())
    say(f"calendar: covers up to {synced.combined.covered_until}"
        + "".join(f"; not used: {p}" for p in synced.combined.problems))

    br = LocalBroker(s.stack, s.kafka, s.broker)
    if s.kafka.external:
        say(f"broker: external at {s.kafka.bootstrap_servers}, not started")
    else:
        say(f"broker: Apache Kafka {'started' if br.start() else 'already running'} at {br.address()} "
            f"(data in {br.data_dir})")
    topics = broker.ensure_topics(s.kafka)
    say("broker: topics " + ", ".join(f"{t} ({n} partitions)" for t, n in sorted(topics.items())))

    # Started together, then waited for, as a deployment starts replicas: the aggregate workers
    # join their consumer group within a fraction of a second. With no initial rebalance delay
    # (a development setting, broker_server.py) the first to join may take every partition and
    # hand half back a moment later; what it had read and not committed is read again by the
    # other, which the fold absorbs (duplicates change no fact).
    services = _services(s)
    for svc, started in zip(services, start_together(services)):
        say(f"{svc.name}: {'started' if started else 'already running'} at http://{svc.address()}")
    for spec in SERVICES:
        if not spec.landed():
            say(f"{spec.name}: not built yet")


def down(s: Settings, purge: bool = False, say: Say = print) -> None:
    servers = [*reversed(_services(s)), LocalBroker(s.stack, s.kafka, s.broker),
               LocalClickHouse(s.stack, s.clickhouse)]
    for srv in servers:
        say(f"{srv.name}: {'stopped' if srv.stop() else 'was not running'}")
    if purge:
        for srv in servers:
            for d in srv.data_dirs():
                shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(s.stack.state_dir, ignore_errors=True)
        say(f"purged {s.stack.state_dir}")


def status(s: Settings) -> list[ComponentStatus]:
    out = []
    ch = LocalClickHouse(s.stack, s.clickhouse)
    br = LocalBroker(s.stack, s.kafka, s.broker)
    members = [(ch, s.clickhouse.external), (br, s.kafka.external)]
    for srv, external in members:
        pid = None if external else srv.pid()
        state = "external" if external else ("running" if pid else "stopped")
        healthy = srv.ready() if (external or pid) else None
        out.append(ComponentStatus(srv.name, state, srv.address(), healthy, pid))
    for spec in SERVICES:
        if not spec.landed():
            out.append(ComponentStatus(spec.name, "not built yet", "-", None))
            continue
        for svc in instances(s.stack, spec):
            pid = svc.pid()
            out.append(ComponentStatus(
                svc.name, "running" if pid else "stopped", f"http://{svc.address()}",
                svc.ready() if pid else None, pid,
            ))
    return out
