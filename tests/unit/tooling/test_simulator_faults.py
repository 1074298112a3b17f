"""tooling.simulator.faults: which faults, when they are released, and that malformed copies are
refused by the contract while the originals pass."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter

import pytest

from hotline.contract import InvalidEvent, validate_event
from hotline.errors import HotlineError
from tooling.simulator.faults import MALFORMED_KINDS, FaultRates, FaultRatesError, Faults

TZ = dt.timezone(dt.timedelta(hours=8))
T0 = int(dt.datetime(2023, 3, 1, 8, tzinfo=TZ).timestamp() * 1000)
HOUR = 3_600_000


def event(i: int, t: int) -> dict:
    iso = dt.datetime.fromtimestamp(t / 1000, TZ).isoformat()
    if i % 2:
        return {"specversion": "1.0", "id": f"e{i}", "source": "/pbx/main", "type": "hotline.call.offered",
                "time": iso, "subject": f"c{i}", "data": {"direction": "inbound"}}
    return {"specversion": "1.0", "id": f"e{i}", "source": "/portal/web", "type": "hotline.ticket.created",
            "time": iso, "subject": f"t{i}",
            "data": {"requester": "citizen", "channel": "web", "kind": "consult", "category": "民生保障"}}


def stream(n: int, step_ms: int = 60_000):
    for i in range(n):
        yield T0 + i * step_ms, event(i, T0 + i * step_ms)


def released(faults: Faults, n: int, step_ms: int) -> list[tuple[str, int]]:
    """(id, how many input events had been read when it was yielded) for every output item."""
    consumed = 0

    def counting():
        nonlocal consumed
        for item in stream(n, step_ms):
            consumed += 1
            yield item

    return [(e["id"], consumed) for _, e in faults.apply(counting())]


def test_rates_are_checked_and_errors_name_the_field():
    assert issubclass(FaultRatesError, HotlineError)
    for name in ("duplicate", "reorder", "late", "malformed"):
        for bad in (-0.1, 1.5, math.nan):
            with pytest.raises(FaultRatesError, match=name):
                FaultRates(**{name: bad})
    with pytest.raises(FaultRatesError, match="late_days"):
        FaultRates(late_days=(3, 1))
    with pytest.raises(FaultRatesError, match="reorder_window"):
        FaultRates(reorder_window=0)


def test_parse_the_cli_form():
    assert FaultRates.parse("duplicate=0.01,reorder=0.02,late=0.001,malformed=0.001") == FaultRates(
        duplicate=0.01, reorder=0.02, late=0.001, malformed=0.001)
    assert FaultRates.parse("") == FaultRates()
    assert FaultRates.parse(" late=0.5 , late_days=2-4, reorder_window=10") == FaultRates(
        late=0.5, late_days=(2, 4), reorder_window=10)
    with pytest.raises(FaultRatesError) as info:
        FaultRates.parse("duplicate=0.1,teleport=0.2")
    assert "'teleport'" in str(info.value)
    assert "duplicate, reorder, late, malformed" in str(info.value)
    with pytest.raises(FaultRatesError, match="reorder"):
        FaultRates.parse("reorder=lots")
    with pytest.raises(FaultRatesError, match="late"):
        FaultRates.parse("late=2")


def test_no_faults_is_the_identity():
    faults = Faults(FaultRates(), seed=1)
    assert list(faults.apply(stream(500))) == list(stream(500))
    assert faults.counts == Counter(duplicate=0, reorder=0, late=0, malformed=0)


def test_same_seed_same_output_and_another_seed_another():
    rates = FaultRates(duplicate=0.1, reorder=0.1, late=0.01, malformed=0.05)
    a = list(Faults(rates, seed=7).apply(stream(1000)))
    b = list(Faults(rates, seed=7).apply(stream(1000)))
    c = list(Faults(rates, seed=8).apply(stream(1000)))
    assert a == b
    assert a != c


def test_rates_over_1000_events_and_nothing_valid_is_lost():
    faults = Faults(FaultRates(duplicate=0.1, reorder=0.1, late=0.01, malformed=0.05), seed=7)
    out = list(faults.apply(stream(1000)))
    c = faults.counts
    assert 60 <= c["duplicate"] <= 140
    assert 60 <= c["reorder"] <= 140
    assert 1 <= c["late"] <= 25
    assert 25 <= c["malformed"] <= 80
    assert len(out) == 1000 + c["duplicate"] + c["malformed"]
    seen = Counter(e["id"] for _, e in out)
    originals = {f"e{i}" for i in range(1000)}
    assert all(seen[i] in (1, 2) for i in originals)
    assert sum(1 for i in originals if seen[i] == 2) == c["duplicate"]
    assert sum(1 for i in seen if i.endswith("-malformed")) == c["malformed"]
    # Every item keeps its event's own time (a malformed copy may have lost the offset).
    for t, e in out:
        if not e["id"].endswith("-malformed"):
            assert dt.datetime.fromisoformat(e["time"]).timestamp() * 1000 == t


def test_reordered_events_leave_after_1_to_window_later_events():
    out = released(Faults(FaultRates(reorder=1.0, reorder_window=3), seed=5), n=50, step_ms=60_000)
    assert sorted(i for i, _ in out) == sorted(f"e{i}" for i in range(50))
    for ident, consumed in out:
        i = int(ident[1:])
        # Read as input i + 1, released after 1..3 further inputs (or at the end of the input).
        assert min(i + 2, 50) <= consumed <= min(i + 4, 50)
    assert [i for i, _ in out] != [f"e{i}" for i in range(50)]


def test_late_events_wait_until_the_clock_passed_their_time_plus_the_days():
    # One event every 6 h, each held exactly 1 day: event i leaves when input i + 4 (24 h later)
    # has been read; events 9..12 have no such input and leave at the end, in release order.
    out = released(Faults(FaultRates(late=1.0, late_days=(1, 1)), seed=3), n=13, step_ms=6 * HOUR)
    assert out == [(f"e{i}", i + 5) for i in range(9)] + [(f"e{i}", 13) for i in range(9, 13)]


def test_late_days_range():
    out = released(Faults(FaultRates(late=1.0, late_days=(1, 3)), seed=3), n=40, step_ms=6 * HOUR)
    assert len(out) == 40
    for ident, consumed in out:
        i = int(ident[1:])
        # 24..72 h later = 4..12 inputs later.
        assert i + 5 <= consumed <= i + 13 or consumed == 40


def test_duplicates_keep_source_and_id_and_follow_within_the_window():
    faults = Faults(FaultRates(duplicate=1.0, reorder_window=4), seed=11)
    out = released(faults, n=30, step_ms=60_000)
    assert faults.counts["duplicate"] == 30
    first: dict[str, int] = {}
    for ident, consumed in out:
        if ident not in first:
            first[ident] = consumed
            assert consumed == int(ident[1:]) + 1  # the original is not delayed
        else:
            assert min(first[ident] + 1, 30) <= consumed <= min(first[ident] + 4, 30)
    assert Counter(i for i, _ in out) == Counter({f"e{i}": 2 for i in range(30)})
    items = list(Faults(FaultRates(duplicate=1.0), seed=11).apply(stream(3)))
    assert sorted((e["source"], e["id"], t) for t, e in items) == sorted(
        (e["source"], e["id"], t) for t, e in stream(3) for _ in range(2))


def test_each_malformed_kind_is_refused_and_every_original_passes():
    assert [name for name, _ in MALFORMED_KINDS] == [
        "no-subject", "time-without-offset", "specversion-0.3", "unknown-type", "data-not-object", "kind-gossip"]
    faults = Faults(FaultRates(malformed=1.0), seed=2)
    out = list(faults.apply(stream(12)))
    assert faults.counts["malformed"] == 12
    assert len(out) == 24
    originals, copies = out[0::2], out[1::2]
    assert originals == list(stream(12))
    for (t, orig), (t_copy, copy) in zip(originals, copies):
        validate_event(orig)
        assert t_copy == t
        assert copy["id"] == orig["id"] + "-malformed"
    # Two of each kind, in this order; the path of the rule each one breaks.
    expected_paths = ["subject", "time", "specversion", "type", "data", "data.kind"] * 2
    for (_, copy), path in zip(copies, expected_paths):
        with pytest.raises(InvalidEvent) as info:
            validate_event(copy)
        assert [v.path for v in info.value.violations] == [path]
    assert copies[1][1]["time"] == "2023-03-01T08:01:00"
    assert copies[3][1]["type"] == "hotline.call.teleported"
    assert copies[5][1]["type"] == "hotline.ticket.created"  # e5 was a call.offered


def test_apply_is_lazy():
    def endless():
        for i in itertools.count():
            yield T0 + i * 1000, event(i, T0 + i * 1000)

    faults = Faults(FaultRates(duplicate=0.1, reorder=0.1, late=0.01, malformed=0.01), seed=1)
    assert len(list(itertools.islice(faults.apply(endless()), 10_000))) == 10_000
