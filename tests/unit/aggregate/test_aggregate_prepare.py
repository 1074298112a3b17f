"""The aggregate's pure batch preparation: decode, validate, scrub, enrich, rows, dead letters."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from zoneinfo import ZoneInfo

from hotline.privacy import caller_hash
from hotline.storage.event_rows import EVENT_COLUMNS
from services.aggregate.batches import dedup_token
from services.aggregate.prepare import Incoming, prepare

KEY = b"k" * 32
NOW = dt.datetime(2023, 3, 6, 1, 0, 0, 123000, tzinfo=dt.timezone.utc)
CAL = ZoneInfo("Asia/Shanghai")


def offered(**over):
    e = {"specversion": "1.0", "id": "e1", "source": "/pbx/main", "type": "hotline.call.offered",
         "time": "2023-03-06T09:00:00+08:00", "subject": "c1",
         "data": {"direction": "inbound", "caller": "138 0013 8000", "vip": True}}
    e.update(over)
    return e


def msg(value, offset=0, headers=(), topic="hotline.calls.v1"):
    return Incoming(topic, 3, offset, value if isinstance(value, bytes) or value is None else orjson.dumps(value), headers)


def test_structured_event_becomes_a_row_with_caller_hashed():
    out = prepare([msg(offered(), 41)], CAL, KEY, now=NOW)
    assert out.dead_letters == [] and len(out.rows) == 1
    row = dict(zip(EVENT_COLUMNS, out.rows[0]))
    assert (row["entity"], row["subject"], row["type"], row["partition"], row["offset"]) == (
        "call", "c1", "hotline.call.offered", 3, 41)
    assert row["time"] == 1678064400  # 2023-03-06 01:00:00 UTC in whole seconds, as the driver takes it
    assert row["ingested_at"] == 1678064400  # NOW, to the second
    assert row["time_ms"] == 1678064400000
    assert row["local_date"] == dt.date(2023, 3, 6)
    data = orjson.loads(row["data"])
    assert data == {"direction": "inbound", "caller_hash": caller_hash(KEY, "13800138000"), "vip": True}
    assert "13800138000" not in repr(out.rows) and "138 0013 8000" not in repr(out.rows)
    assert out.calls == {"c1"} and out.tickets == set()
    assert out.accepted == {"hotline.call.offered": 1}
    assert out.newest_ms == 1678064400000


def test_binary_mode_kafka_message():
    headers = [("ce_specversion", b"1.0"), ("ce_id", b"b1"), ("ce_source", b"/portal/web"),
               ("ce_type", b"hotline.ticket.answered"), ("ce_time", b"2023-03-06T10:00:00Z"),
               ("ce_subject", b"t9"), ("content-type", b"application/json")]
    out = prepare([msg(b'{"by":"specialist"}', headers=headers, topic="hotline.tickets.v1")], CAL, KEY, now=NOW)
    row = dict(zip(EVENT_COLUMNS, out.rows[0]))
    assert (row["source"], row["id"], row["subject"], orjson.loads(row["data"])) == (
        "/portal/web", "b1", "t9", {"by": "specialist"})
    assert out.tickets == {"t9"}


def test_bad_messages_are_dead_lettered_not_raised():
    bad = [
        msg(b"{not json", 1),
        msg(None, 2),
        msg(offered(time="2023-03-06T09:00+08:00", data={"direction": "sideways", "caller": "13800138000"}), 3),
        msg([offered()], 5),
    ]
    out = prepare(bad + [msg(offered(id="ok"), 6)], CAL, KEY, now=NOW)
    assert len(out.rows) == 1 and len(out.dead_letters) == 4
    assert out.rejected == {"undecodable": 2, "invalid": 2}
    records = [orjson.loads(v) for _, v in out.dead_letters]
    assert [r["offset"] for r in records] == [1, 2, 3, 5]
    assert records[0]["reasons"] == [{"path": "", "rule": "malformed JSON at line 1 column 2"}]
    assert {r["path"] for r in records[2]["reasons"]} == {"time", "data.direction"}
    assert all(r["stage"] == "aggregate" and r["received_at"] == "2023-03-06T01:00:00.123Z" for r in records)
    # The clear number never leaves, not even in a dead letter.
    assert b"13800138000" not in b"".join(v for _, v in out.dead_letters)
    assert out.dead_letters[2][0] == b"c1"


@pytest.mark.parametrize("time", ["2027-01-05T09:00:00+08:00", "2031-03-06T09:00:00+08:00", "2003-12-31T23:00:00+08:00"])
def test_a_year_the_working_calendar_does_not_cover_is_stored_like_any_other(time):
    # The first design dead-lettered these (reason "calendar"): from 1 January 2027 every event.
    ticket = {"specversion": "1.0", "id": "t-e1", "source": "/crm", "type": "hotline.ticket.created", "time": time,
              "subject": "t1", "data": {"requester": "citizen", "channel": "phone", "kind": "consult", "category": "民生保障"}}
    out = prepare([msg(offered(time=time), 1), msg(ticket, 2, topic="hotline.tickets.v1")], CAL, KEY, now=NOW)
    assert (len(out.rows), out.dead_letters, dict(out.rejected)) == (2, [], {})
    assert (out.calls, out.tickets) == ({"c1"}, {"t1"})
    assert {dict(zip(EVENT_COLUMNS, r))["local_date"] for r in out.rows} == {dt.date.fromisoformat(time[:10])}


def test_dedup_token_is_stable_per_offsets():
    batch = [msg(offered(), 7), msg(offered(), 5), Incoming("hotline.tickets.v1", 0, 9, b"")]
    assert dedup_token(batch) == "hotline.calls.v1/3/5-7;hotline.tickets.v1/0/9-9"
    assert dedup_token(list(reversed(batch))) == dedup_token(batch)


@pytest.mark.parametrize("value", [b"", b"null", b"42", b'"x"'])
def test_non_events(value):
    out = prepare([msg(value)], CAL, KEY, now=NOW)
    assert out.rows == [] and len(out.dead_letters) == 1


def _as_ingest_publishes(event: dict, key: bytes = KEY) -> Incoming:
    from hotline.judge import judge
    from hotline.judged import HEADER, seal
    value = orjson.dumps(judge(event, KEY).event)
    return msg(value, headers=[("content-type", b"application/cloudevents+json"), (HEADER, seal(value, key))])


def test_an_event_ingest_sealed_gives_the_row_it_gives_judged_here() -> None:
    sealed_row = prepare([_as_ingest_publishes(offered())], CAL, KEY, now=NOW).rows
    judged_row = prepare([msg(offered())], CAL, KEY, now=NOW).rows
    assert sealed_row == judged_row and len(sealed_row) == 1
    assert orjson.loads(dict(zip(EVENT_COLUMNS, sealed_row[0]))["data"])["caller_hash"] == caller_hash(KEY, "13800138000")


def test_a_sealed_message_is_not_judged_again() -> None:
    # An attribute name the contract refuses (upper case) is dead-lettered when judged here; under
    # ingest's seal the message is taken as judged, so the rule is not looked at a second time.
    from hotline.judged import HEADER, seal
    value = orjson.dumps({**offered(data={"direction": "inbound"}), "Upper": 1})
    unsealed = prepare([msg(value)], CAL, KEY, now=NOW)
    assert (len(unsealed.rows), len(unsealed.dead_letters)) == (0, 1)
    sealed = prepare([msg(value, headers=[(HEADER, seal(value, KEY))])], CAL, KEY, now=NOW)
    assert (len(sealed.rows), len(sealed.dead_letters)) == (1, 0)


def test_a_seal_from_another_key_or_value_counts_for_nothing() -> None:
    from hotline.judged import HEADER, seal
    clear = orjson.dumps(offered())  # the caller number in clear, as a producer on Kafka may send it
    forged = [
        msg(clear, headers=[(HEADER, seal(clear, b"a producer's guess" * 2))]),
        msg(clear, headers=[(HEADER, seal(orjson.dumps(offered(id="e2")), KEY))]),
    ]
    out = prepare(forged, CAL, KEY, now=NOW)
    assert len(out.rows) == 2 and "13800138000" not in repr(out.rows) and "138 0013 8000" not in repr(out.rows)
    bad = orjson.dumps({**offered(), "Upper": 1})
    out = prepare([msg(bad, headers=[(HEADER, seal(bad, b"a producer's guess" * 2))])], CAL, KEY, now=NOW)
    assert (len(out.rows), len(out.dead_letters)) == (0, 1)
