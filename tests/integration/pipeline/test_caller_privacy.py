"""A caller's number is nowhere in clear (docs/architecture.md, decision 7), checked end to end.

A stack of this module's own (`hotline up`: ClickHouse, the broker, ingest, an aggregate worker,
the API) gets real traffic carrying distinctive caller numbers in the shapes producers write
them ("139 1357 0001", "139-1357-0002", "+86 139 1357 0003", "+8613913570004", …): valid events
(structured, batch, binary mode, a ticket with a caller), events ingest rejects and dead-letters
(a bad time, a caller attribute, a ce-caller header, a caller of the wrong type, a data that is
a string), an event of a year the working-day calendar does not cover (stored like any other),
an invalid event published straight to Kafka (dead-lettered by the aggregate worker), and
requests refused whole with 4xx (malformed JSON, no token, a source outside the token's
prefixes, a wrong content type; report parameters holding a number). Once the pipeline has
caught up it greps every shape of every number, and its bare 11 digits, in:

- every record of every Kafka topic: keys, values, header names and values;
- every row of every table of the ClickHouse database (all columns, as ClickHouse writes them
  in TabSeparated, aggregate states included);
- every file under the stack's logs folder (the services', the broker's and ClickHouse's);
- every HTTP response body this test received.

Any hit fails the test. The same grep finds every number in the request bodies sent (so it can
fail), and the numbers' HMACs are found in Kafka and ClickHouse (so the data it searched is the
data that was sent).
"""

from __future__ import annotations

import uuid

import httpx
import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer

from hotline.settings import DEV_CALLER_HASH_KEY, KafkaSettings
from tests.integration.ingest.ingest_support import read_topic
from tests.support.caller_rule import caller_hash
from tests.support.own_stack import REPO, own_stack
from tests.support.waiting import eventually

pytestmark = [pytest.mark.stack, pytest.mark.kafka, pytest.mark.clickhouse]

PORTS = {"HOTLINE_CLICKHOUSE_PORT": "20400", "HOTLINE_CLICKHOUSE_HTTP_PORT": "20423",
         "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:20492", "HOTLINE_INGEST_PORT": "20480",
         "HOTLINE_API_PORT": "20490", "HOTLINE_AGGREGATE_PORT": "20466",
         "HOTLINE_ALERTS_PORT": "20495"}
PBX_TOKEN = "pbx-only-token-7Gh2Kq9Wm4Xz1Rt6"
ENV = {**PORTS, "HOTLINE_INGEST_TOKENS": orjson.dumps({
    "dev-token": {"producer": "dev", "sources": ["/"]},
    PBX_TOKEN: {"producer": "pbx", "sources": ["/pbx/"]}}).decode()}
STATE = "caller-privacy"
RUN = f"priv{uuid.uuid4().hex[:8]}"
DEV = {"Authorization": "Bearer dev-token"}
STRUCTURED, BATCH = "application/cloudevents+json", "application/cloudevents-batch+json"


def number(n: int) -> str:
    return f"1391357{n:04d}"


def shapes(n: int) -> list[str]:
    """The shapes a number was sent in, plus its bare digits (what a careless normaliser keeps)."""
    d = number(n)
    return [d, f"{d[:3]} {d[3:7]} {d[7:]}", f"{d[:3]}-{d[3:7]}-{d[7:]}", f"+86 {d[:3]} {d[3:7]} {d[7:]}",
            f"+86{d}", f"+86-{d[:3]}-{d[3:7]}-{d[7:]}"]


NUMBERS = range(1, 23)
NEEDLES = {shape.encode() for n in NUMBERS for shape in shapes(n)}


def found(blob: bytes) -> set[bytes]:
    return {n for n in NEEDLES if n in blob}


SENT_AS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 0, 6: 5, 7: 1, 8: 3, 14: 2, 22: 3}  # number -> the shape it was sent in


def hmac_of(n: int) -> bytes:
    """The platform's hash of number n as sent (HMAC-SHA256 of the number with spaces and dashes
    stripped, "+86" kept), recomputed on the test side (tests/support/caller_rule.py)."""
    return caller_hash(DEV_CALLER_HASH_KEY.encode(), shapes(n)[SENT_AS[n]]).encode()


def event(name: str, type_: str = "hotline.call.offered", data: object = None, **top: object) -> dict:
    e = {"specversion": "1.0", "id": f"{RUN}-{name}", "source": "/pbx/main", "type": type_,
         "time": "2024-03-01T08:00:00+08:00", "subject": f"call-{RUN}-{name}",
         "data": {"direction": "inbound"} if data is None else data}
    return {**e, **top}


class Traffic:
    """Sends requests and keeps every body sent and received."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.received: list[bytes] = []
        self.http = httpx.Client(timeout=30)

    def post(self, body: bytes, content_type: str, headers: dict[str, str] | None = None,
             token: str | None = "dev-token") -> httpx.Response:
        h = {"Content-Type": content_type, **(headers or {})}
        if token:
            h["Authorization"] = f"Bearer {token}"
        self.sent.append(body + orjson.dumps(h))
        r = self.http.post(f"http://127.0.0.1:{PORTS['HOTLINE_INGEST_PORT']}/v1/events", content=body, headers=h)
        self.received.append(r.content + orjson.dumps(dict(r.headers)))
        return r

    def get(self, path: str, params: dict[str, str]) -> httpx.Response:
        self.sent.append(path.encode() + orjson.dumps(params))  # as typed, before URL encoding
        r = self.http.get(f"http://127.0.0.1:{PORTS['HOTLINE_API_PORT']}{path}", params=params, headers=DEV)
        self.received.append(r.content + orjson.dumps(dict(r.headers)))
        return r


def send_everything(t: Traffic) -> int:
    """All the traffic; returns how many events ingest accepted (each reaches `events`)."""
    j = orjson.dumps
    # Valid: structured, a batch of four shapes, binary mode, a ticket carrying a caller.
    r = t.post(j(event("s1", data={"direction": "inbound", "caller": shapes(1)[1]})), STRUCTURED)
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    batch = [event(f"b{n}", data={"direction": "inbound", "caller": shapes(n)[k]})
             for n, k in ((2, 2), (3, 3), (4, 4), (5, 0))]
    r = t.post(j(batch), BATCH)
    assert r.status_code == 200 and r.json()["accepted"] == 4, r.text
    ce = {"ce-specversion": "1.0", "ce-id": f"{RUN}-bin6", "ce-source": "/pbx/main",
          "ce-type": "hotline.call.offered", "ce-time": "2024-03-01T08:00:00+08:00", "ce-subject": f"call-{RUN}-bin6"}
    r = t.post(j({"direction": "inbound", "caller": shapes(6)[5]}), "application/json", ce)
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    ticket = event("t7", "hotline.ticket.created", {"requester": "citizen", "channel": "phone", "kind": "consult",
                                                    "category": "民生保障", "caller": shapes(7)[1]},
                   subject=f"T-{RUN}-t7", source="/crm/main")
    r = t.post(j(ticket), STRUCTURED)
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    # Rejected and dead-lettered by ingest.
    rejected = [
        event("x8", data={"direction": "inbound", "caller": shapes(8)[3]}, time="yesterday"),
        event("x9", caller=shapes(9)[1]),  # a caller attribute: personal data in the wrong place
        event("x10", data={"direction": "inbound", "caller": int(number(10))}),  # not a string
        event("x11", data=f"caller {shapes(11)[2]}"),  # data that is not an object
        event("x12", data={"direction": "sideways", "caller": shapes(12)[4]}),
    ]
    r = t.post(j(rejected), BATCH)
    assert r.status_code == 422 and r.json()["rejected"] == 5, r.text  # 422: none accepted
    r = t.post(j({"direction": "inbound", "caller": shapes(13)[1]}), "application/json",
               {**ce, "ce-id": f"{RUN}-bin13", "ce-caller": shapes(13)[0]})
    assert r.status_code == 422 and r.json()["rejected"] == 1, r.text
    # Beyond the working-day calendar: accepted and stored like any other (handling time pending).
    r = t.post(j(event("late14", data={"direction": "inbound", "caller": shapes(14)[2]},
                       time="2031-03-03T08:00:00+08:00")), STRUCTURED)
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    # Refused whole (4xx), nothing published.
    refusals = [
        (b'{"specversion": "1.0", "data": {"caller": "' + shapes(15)[1].encode() + b'"', STRUCTURED, {}, "dev-token", 400),
        (j(event("u16", data={"direction": "inbound", "caller": shapes(16)[0]})), STRUCTURED, {}, None, 401),
        (j({**event("f17", data={"direction": "inbound", "caller": shapes(17)[2]}), "source": "/web/portal"}),
         STRUCTURED, {}, PBX_TOKEN, 403),
        (f"caller {shapes(18)[3]}".encode(), "text/plain", {}, "dev-token", 415),
    ]
    for body, ctype, headers, token, status in refusals:
        r = t.post(body, ctype, headers, token)
        assert r.status_code == status, (status, r.status_code, r.text)
    for path, params in (("/v1/reports/period", {"from": number(19), "to": "2024-03-01"}),
                         ("/v1/series", {"from": "2024-03-01", "to": "2024-03-02", "interval": shapes(20)[1]}),
                         ("/v1/reports/annual/2024", {"top_n": shapes(21)[3]})):
        r = t.get(path, params)
        assert r.status_code == 400, r.text
    return 1 + 4 + 1 + 1 + 1


def kafka_bytes(kafka: KafkaSettings, producers_own: bytes) -> tuple[list[str], bytes]:
    """Every record of every topic, but the one this test published straight to Kafka with a
    clear number (keyed `producers_own`): that one is the producer's doing, no service's."""
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers)
    topics = sorted(consumer.topics())
    consumer.close()
    parts = []
    for topic in topics:
        for rec in read_topic(kafka, topic, since_ms=0):  # all of it (the stack is this module's own)
            if topic != "hotline.deadletter.v1" and rec.key == producers_own:
                continue
            parts += [rec.key or b"", rec.value or b""]
            parts += [k.encode() + (v or b"") for k, v in rec.headers]
    return topics, b"\n".join(parts)


def clickhouse_bytes(http: httpx.Client, database: str) -> tuple[list[str], bytes]:
    url = f"http://127.0.0.1:{PORTS['HOTLINE_CLICKHOUSE_HTTP_PORT']}/"

    def query(sql: str) -> bytes:
        r = http.post(url, content=sql.encode())
        assert r.status_code == 200, r.text
        return r.content

    tables = query(f"SELECT name FROM system.tables WHERE database = '{database}' AND engine != 'Kafka' "
                   "ORDER BY name FORMAT TabSeparated").decode().split()
    return tables, b"\n".join(query(f"SELECT * FROM {database}.`{t}` FORMAT TabSeparated") for t in tables)


def count(http: httpx.Client, sql: str) -> int:
    r = http.post(f"http://127.0.0.1:{PORTS['HOTLINE_CLICKHOUSE_HTTP_PORT']}/", content=sql.encode())
    assert r.status_code == 200, r.text
    return int(r.text)


def test_no_caller_number_in_clear_anywhere():
    traffic = Traffic()
    with own_stack(STATE, ENV):
        accepted = send_everything(traffic)
        kafka = KafkaSettings(bootstrap_servers=PORTS["HOTLINE_KAFKA_BOOTSTRAP_SERVERS"])
        http = httpx.Client(timeout=60)
        stored = f"SELECT count() FROM hotline.events WHERE subject LIKE '%{RUN}%' FORMAT TabSeparated"
        eventually(lambda: count(http, stored), until=lambda n: n >= accepted, timeout_s=120, interval_s=0.5,
                   what=f"the {accepted} accepted events in ClickHouse")
        # Published straight to Kafka (no ingest in front), invalid: the aggregate worker's dead letter.
        direct = orjson.dumps(event("direct22", data={"direction": "sideways", "caller": shapes(22)[3]}))
        traffic.sent.append(direct)
        producer = KafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
        producer.send("hotline.calls.v1", key=f"call-{RUN}-direct22".encode(), value=direct)
        producer.flush()
        producer.close()
        eventually(lambda: read_topic(kafka, "hotline.deadletter.v1", f"{RUN}-direct22".encode()), timeout_s=60,
                   interval_s=0.5, what="the aggregate worker's dead letter of the invalid event from Kafka")
        # Every accepted entity folded into the facts (7 calls and a ticket), so that the grep
        # below searches the facts tables too.
        folded = ("SELECT (SELECT count() FROM hotline.call_facts FINAL WHERE call_id LIKE '%{r}%') + "
                  "(SELECT count() FROM hotline.ticket_facts FINAL WHERE ticket_id LIKE '%{r}%') FORMAT TabSeparated")
        eventually(lambda: count(http, folded.format(r=RUN)), until=lambda n: n >= accepted, timeout_s=60,
                   interval_s=0.5, what=f"the facts of the {accepted} accepted entities")
        # A report of the calls sent, once they are facts (before, 2024 holds no event: a 404).
        r = traffic.get("/v1/reports/annual/2024", {})
        assert r.status_code == 200, r.text
        topics, in_kafka = kafka_bytes(kafka, producers_own=f"call-{RUN}-direct22".encode())
        tables, in_clickhouse = clickhouse_bytes(http, "hotline")
        logs = {p.name: p.read_bytes() for p in (REPO / ".state" / STATE / "logs").rglob("*") if p.is_file()}

    # The grep finds what it looks for: every number is in the bodies that were sent.
    assert found(b"\n".join(traffic.sent)) >= {number(n).encode() for n in (5, 13)}
    for n in NUMBERS:
        assert any(shape.encode() in b"\n".join(traffic.sent) for shape in shapes(n)), n
    # It searched the data that was sent: topics, tables and logs are there, and hold the hashes.
    assert {"hotline.calls.v1", "hotline.tickets.v1", "hotline.deadletter.v1"} <= set(topics)
    assert {"events", "call_facts", "ticket_facts", "data_shares"} <= set(tables)
    assert {"ingest.log", "aggregate.log", "api.log", "broker.log"} <= set(logs)
    for n in (1, 2, 3, 4, 5, 6, 14, 22):
        assert hmac_of(n) in in_kafka and (n == 22 or hmac_of(n) in in_clickhouse), n
    assert hmac_of(7) in in_clickhouse and hmac_of(8) in in_kafka  # a ticket's caller; a rejected event's

    # And no number in clear anywhere.
    assert not found(in_kafka), f"in Kafka: {sorted(found(in_kafka))}"
    assert not found(in_clickhouse), f"in ClickHouse: {sorted(found(in_clickhouse))}"
    leaked_logs = {name: sorted(found(blob)) for name, blob in logs.items() if found(blob)}
    assert not leaked_logs, f"in the logs: {leaked_logs}"
    leaked_answers = [body for body in traffic.received if found(body)]
    assert not leaked_answers, f"in HTTP answers: {leaked_answers}"
