"""Concentrated demands on hand-written tickets (expected episodes written out here), and on a
synthetic city for the detection and false-alarm targets."""

from __future__ import annotations

import random

import h3
import numpy as np
import pytest

from services.alerts.detect.cluster import ClusterParams, PlacedTicket, detect_clusters
from services.alerts.detect.poisson import surprise, tail
from services.alerts.episode import series_of

HOUR = 3_600_000
DAY = 24 * HOUR
T0 = 1_709_481_600_000  # 2024-03-04 00:00 +08:00, a Monday
CELL = "8930862020bffff"  # resolution 9, in Huai'an
NEIGHBOURS = ["89308620203ffff", "8930862020fffff", "8930862021bffff", "89308620247ffff", "89308620257ffff"]
SUB = "供水-停水"
COMMUNITY = "清河社区"
DISTRICT = "清江浦区"


def ticket(tid, at_ms, caller, cell=CELL, sub=SUB, community=COMMUNITY):
    return PlacedTicket(tid, at_ms, sub, cell, community, DISTRICT, caller)


def quiet_history():
    """Two tickets of the subcategory in the cell over the 90 days before: fewer than 1 a month."""
    return [ticket("old1", T0 - 40 * DAY, "h1"), ticket("old2", T0 - 70 * DAY, "h2")]


def burst():
    """Five tickets from four callers within three days (caller a phones twice)."""
    return [
        ticket("t1", T0 + 9 * HOUR, "a"),
        ticket("t2", T0 + 15 * HOUR, "b"),
        ticket("t3", T0 + DAY + 10 * HOUR, "c"),
        ticket("t4", T0 + DAY + 11 * HOUR, "a"),
        ticket("t5", T0 + 2 * DAY + 8 * HOUR, "d"),
    ]


def test_poisson_tail_against_hand_values():
    assert tail(1, 20.0) == pytest.approx(0.9999999979388464, rel=1e-12)  # 1 − e^-20
    assert tail(5, 3.0) == pytest.approx(0.18473675547622792, rel=1e-10)
    assert tail(10, 3.0) == pytest.approx(0.0011024881301154, rel=1e-9)
    assert tail(4, 0.025) == pytest.approx(1.5953887586915e-08, rel=1e-9)
    assert tail(0, 0.5) == 1.0
    assert surprise(100, 0.01) == pytest.approx(357.9743, abs=1e-3)  # no underflow to 0


def test_five_tickets_from_four_callers_in_a_quiet_cell_is_a_cluster():
    episodes = detect_clusters(quiet_history() + burst(), T0 + 2 * DAY + 12 * HOUR)
    assert len(episodes) == 1  # the community episode of the same tickets is not reported
    (e,) = episodes
    assert e.kind == "cluster"
    assert e.series == (("district", DISTRICT), ("h3", CELL), ("subcategory", SUB))
    assert e.started_ms == T0 + 9 * HOUR
    assert e.detected_ms == T0 + 2 * DAY + 8 * HOUR  # the fifth ticket
    assert e.updated_ms == e.detected_ms and e.closed_ms == 0
    assert (e.observed, e.callers) == (5, 4)
    assert e.tickets == ("t1", "t2", "t3", "t4", "t5")
    assert e.expected == pytest.approx(2.5 / 90 * 3)  # (2 + ½) tickets in 90 days, over 3 days
    assert e.score == pytest.approx(5.726, abs=1e-3)  # p = 1.88e-6


def test_four_tickets_are_not_enough():
    assert detect_clusters(quiet_history() + burst()[:4], T0 + 3 * DAY) == []


def test_one_caller_phoning_twenty_times_is_not_a_cluster():
    calls = [ticket(f"r{i}", T0 + i * 3 * HOUR, "same") for i in range(20)]
    assert detect_clusters(quiet_history() + calls, T0 + 3 * DAY) == []
    # nor three callers with twenty tickets between them
    calls = [ticket(f"r{i}", T0 + i * 3 * HOUR, "abc"[i % 3]) for i in range(20)]
    assert detect_clusters(quiet_history() + calls, T0 + 3 * DAY) == []


def test_unknown_callers_count_each_as_their_own():
    calls = [ticket(f"u{i}", T0 + i * 5 * HOUR, "") for i in range(5)]
    (e,) = detect_clusters(calls, T0 + DAY)
    assert (e.observed, e.callers, e.detected_ms) == (5, 5, T0 + 20 * HOUR)


def test_the_same_burst_in_a_busy_cell_is_not_a_cluster():
    # one ticket a day from a different caller for the 90 days before: λ = 90.5 / 90 × 3
    busy = [ticket(f"b{i}", T0 - i * DAY + 12 * HOUR, f"bg{i}") for i in range(1, 91)]
    assert detect_clusters(busy + burst(), T0 + 2 * DAY + 12 * HOUR) == []
    # it takes 15 callers within the three days there (λ = 89.5 / 90 × 3, p = 7e-7; 14: p = 4e-6):
    # the 14th ticket of a burst every 4 hours, with the usual one of the day before (b1)
    many = [ticket(f"m{i}", T0 + 3 * HOUR + i * 4 * HOUR, f"m{i}") for i in range(15)]
    (e,) = detect_clusters(busy + many, T0 + 3 * DAY)
    assert e.detected_ms == T0 + 55 * HOUR and e.started_ms == T0 - 12 * HOUR
    assert (e.observed, e.callers, len(e.tickets)) == (16, 16, 16)  # m14 joined; the peak window
    assert e.expected == pytest.approx(89.5 / 90 * 3)


def test_order_of_the_input_does_not_matter():
    tickets = quiet_history() + burst() + [ticket(f"x{i}", T0 + 5 * DAY + i * HOUR, f"x{i}") for i in range(3)]
    expected = detect_clusters(tickets, T0 + 6 * DAY)
    assert len(expected) == 1 and len(expected[0].tickets) == 8
    for seed in range(5):
        shuffled = tickets[:]
        random.Random(seed).shuffle(shuffled)
        assert detect_clusters(shuffled, T0 + 6 * DAY) == expected


def test_a_later_watermark_keeps_the_id_and_detection_and_closes_it():
    early = detect_clusters(quiet_history() + burst(), T0 + 2 * DAY + 9 * HOUR)
    later_tickets = [ticket("t6", T0 + 3 * DAY, "e"), ticket("t7", T0 + 4 * DAY + 6 * HOUR, "f")]
    late = detect_clusters(quiet_history() + burst() + later_tickets, T0 + 8 * DAY)
    assert [e.id for e in early] == [e.id for e in late]
    (e,) = late
    assert e.detected_ms == early[0].detected_ms == T0 + 2 * DAY + 8 * HOUR
    assert e.updated_ms == T0 + 4 * DAY + 6 * HOUR
    assert e.closed_ms == T0 + 7 * DAY + 6 * HOUR  # three days without a ticket there
    assert e.callers == 6 and len(e.tickets) == 7
    assert e.version > early[0].version
    # the watermark exactly at the closing instant: still open
    (still,) = detect_clusters(quiet_history() + burst() + later_tickets, T0 + 7 * DAY + 6 * HOUR)
    assert still.closed_ms == 0


def test_asked_at_an_earlier_watermark_its_closing_is_decided_as_of_what_is_known():
    # the episode as it stood on T0 + 6 d (its last ticket t7 on T0 + 4 d 6 h), the events known
    # up to T0 + 8 d: closed three days after t7; a ticket after the watermark is not its evidence
    later_tickets = [ticket("t6", T0 + 3 * DAY, "e"), ticket("t7", T0 + 4 * DAY + 6 * HOUR, "f"),
                     ticket("t8", T0 + 6 * DAY + 12 * HOUR, "g")]
    tickets = quiet_history() + burst() + later_tickets
    (e,) = detect_clusters(tickets, T0 + 6 * DAY, known_ms=T0 + 8 * DAY)
    assert (e.updated_ms, e.closed_ms) == (T0 + 4 * DAY + 6 * HOUR, T0 + 7 * DAY + 6 * HOUR)
    assert "t8" not in e.tickets
    (still,) = detect_clusters(tickets, T0 + 6 * DAY, known_ms=T0 + 7 * DAY + 6 * HOUR)
    assert still.closed_ms == 0  # known exactly up to the closing instant: still open
    (same,) = detect_clusters(tickets, T0 + 6 * DAY)
    assert same.closed_ms == 0  # without known_ms, as of the watermark


def test_a_new_burst_after_closing_is_a_new_episode():
    # the first burst is in the baseline now (7 tickets: λ = 7.5 / 90 × 3): six callers needed
    again = [ticket(f"n{i}", T0 + 10 * DAY + i * 2 * HOUR, f"n{i}") for i in range(6)]
    params = ClusterParams(horizon_days=14)  # both detections within the windows evaluated
    first, second = detect_clusters(quiet_history() + burst() + again, T0 + 11 * DAY, params)
    assert first.closed_ms == T0 + 5 * DAY + 8 * HOUR
    assert second.started_ms == T0 + 10 * DAY and second.detected_ms == T0 + 10 * DAY + 10 * HOUR
    assert second.closed_ms == 0 and first.id != second.id


def test_spread_over_cells_of_one_community_is_a_community_cluster():
    spread = [ticket(f"s{i}", T0 + i * 6 * HOUR, f"s{i}", cell=c) for i, c in enumerate(NEIGHBOURS)]
    (e,) = detect_clusters(spread, T0 + 2 * DAY)
    assert e.series == series_of({"subcategory": SUB, "community": COMMUNITY, "district": DISTRICT})
    assert (e.observed, e.callers, e.detected_ms) == (5, 5, T0 + 24 * HOUR)


def test_a_finer_cell_counts_in_its_resolution_9_parent_and_a_coarse_one_in_none():
    fine = [ticket(f"f{i}", T0 + i * HOUR, f"f{i}", cell=h3.cell_to_center_child(CELL, 11), community="")
            for i in range(5)]
    (e,) = detect_clusters(fine, T0 + DAY)
    assert dict(e.series)["h3"] == CELL
    coarse = [ticket(f"c{i}", T0 + i * HOUR, f"c{i}", cell=h3.cell_to_parent(CELL, 7), community="")
              for i in range(5)]
    assert detect_clusters(coarse, T0 + DAY) == []


def test_windows_after_the_watermark_are_not_evaluated():
    assert detect_clusters(quiet_history() + burst(), T0 + 2 * DAY + 8 * HOUR - 1) == []


def test_only_the_horizon_is_evaluated():
    # detected at T0 + 2 d 8 h: a call at T0 + 9 d evaluates windows from T0 + 2 d 0 h (7 days) and
    # still has it; at T0 + 9 d 9 h it is past the horizon and no longer reported
    tickets = quiet_history() + burst()
    (e,) = detect_clusters(tickets, T0 + 9 * DAY)
    assert e.closed_ms == T0 + 5 * DAY + 8 * HOUR
    assert detect_clusters(tickets, T0 + 9 * DAY + 9 * HOUR) == []


# --- a synthetic city: 4,000 tickets a day, 70 % with a cell, skewed towards the centre -------

CITY_DAYS = 107  # 90 days of baseline + 3 of window + the 14 days evaluated
HORIZON = 14


def synthetic_city(rng: np.random.Generator):
    centre = h3.latlng_to_cell(33.60, 119.02, 9)
    cells = sorted(h3.grid_disk(centre, 30))  # 2,791 cells
    ring = np.array([h3.grid_distance(centre, c) for c in cells])
    weight = np.exp(-ring / 10.0) * rng.gamma(2.0, 0.5, len(cells))
    weight /= weight.sum()
    sub_weight = 1.0 / np.arange(1, 81) ** 1.1  # 80 subcategories, Zipf-like
    sub_weight /= sub_weight.sum()
    community = [h3.cell_to_parent(c, 7) for c in cells]
    district = [h3.cell_to_parent(c, 5) for c in cells]
    n = 4000 * CITY_DAYS
    times = T0 + rng.integers(0, CITY_DAYS * DAY, n)
    has_cell = rng.random(n) < 0.7
    ci = rng.choice(len(cells), n, p=weight)
    si = rng.choice(len(sub_weight), n, p=sub_weight)
    caller = rng.integers(0, 5_000_000, n)
    regular = rng.random(n) < 0.1  # one ticket in ten from one of the pair's three regular callers
    regular_no = rng.integers(0, 3, n)
    unknown = rng.random(n) < 0.05
    tickets = [
        PlacedTicket(
            f"bg{k}", int(times[k]), f"sub{si[k]}", cells[ci[k]] if has_cell[k] else "",
            community[ci[k]], district[ci[k]],
            "" if unknown[k] else (f"r{ci[k]}-{si[k]}-{regular_no[k]}" if regular[k] else f"c{caller[k]}"),
        )
        for k in range(n)
    ]
    rate_per_month = 0.7 * 4000 * 30 * np.outer(weight, sub_weight)
    return tickets, cells, community, district, rate_per_month


def test_synthetic_city_detects_quiet_cell_bursts_and_raises_few_false_clusters():
    rng = np.random.default_rng(20240304)
    tickets, cells, community, district, rate = synthetic_city(rng)
    assert len(tickets) == 428_000
    assert rate.max() * 7 / 30 > 7  # the busiest cell-subcategory pairs get several a week and more
    watermark = T0 + CITY_DAYS * DAY
    # 100 bursts of 5 tickets from 4 callers within 3 days, in pairs that get fewer than 1 a month
    quiet = np.argwhere(rate < 1.0)
    picked = quiet[rng.choice(len(quiet), 100, replace=False)]
    injected, fifth = [], {}
    for q, (c, s) in enumerate(picked):
        start = watermark - HORIZON * DAY + int(rng.integers(0, (HORIZON - 3) * DAY))
        offsets = np.sort(rng.integers(0, 3 * DAY, 5))
        offsets -= offsets[0]
        callers = ["a", "b", "c", "d", "a"]
        for k in range(5):
            injected.append(PlacedTicket(f"in{q}-{k}", start + int(offsets[k]), f"sub{s}", cells[c],
                                         community[c], district[c], f"in{q}{callers[k]}"))
        fifth[(cells[c], f"sub{s}")] = start + int(offsets[-1])
    episodes = detect_clusters(tickets + injected, watermark, ClusterParams(horizon_days=HORIZON))

    hits = 0
    for e in episodes:
        key = (dict(e.series).get("h3"), dict(e.series)["subcategory"])
        # found by the fifth ticket + 24 h (a background ticket in the window may make it sooner)
        if key in fifth and e.detected_ms <= fifth[key] + DAY and any(t.startswith("in") for t in e.tickets):
            hits += 1
    false = [e for e in episodes if not any(t.startswith("in") for t in e.tickets)]
    # seed 20240304: 94 of the 100 bursts found, all at their fifth ticket or sooner (the misses
    # are pairs whose 90 days happened to hold 3 or 4 tickets: four callers are then p > 2e-6),
    # and no false cluster in the 14 days evaluated (55,998 background tickets). While tuning on
    # another seed: 4 false cell clusters in 30 days, each 5-7 callers where λ was 0.35-0.8.
    assert hits >= 90
    assert len(false) <= 2
