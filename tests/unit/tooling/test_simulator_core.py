"""The simulator's pure core: exact splits and sums, the profile read into targets, the previous
year from printed yoy, scaling, the plan's quotas and the generated stream."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from hotline.contract import validate_event
from tooling.simulator import previous, profile
from tooling.simulator.apportion import apportion, capped, round_parts, scaled
from tooling.simulator.draws import exact_sum
from tooling.simulator.generator import Stats, generate
from tooling.simulator.plan import build, ticket_classes
from tooling.simulator.profile import ProfileError, targets
from tooling.simulator.scale import scale


def test_apportion_is_exact_and_each_part_is_a_floor_or_ceiling():
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert apportion(7, [0.5, 0.25, 0.25]) == [3, 2, 2]  # 3.5, 1.75, 1.75: the largest remainders round up
    assert sum(apportion(365, [1.3] * 365)) == 365
    assert round_parts([14045.66, 192.09, 149.71], 14387) == [14045, 192, 150]
    assert scaled(1438746, 0.01) == 14387 and scaled(0.5, 1) == 1
    assert capped(100, [10, 1, 1], [40, 40, 40]) == [40, 30, 30]
    with pytest.raises(ValueError):
        capped(200, [1, 1], [50, 50])


def test_exact_sum_hits_the_target_within_bounds():
    rng = np.random.default_rng(3)
    for n, lo, hi, target in [(1, 601, 4799, 780), (7, 0, 30, 70), (1000, 20, 600, 191_600), (3, 7200, 2_592_000, 3_000_000)]:
        v = exact_sum(rng, n, lo, hi, target)
        assert v.sum() == target and v.min() >= lo and v.max() <= hi
    assert exact_sum(rng, 2, 0, 30, 100).sum() == 60  # clipped to what the bounds allow


def test_huaian_targets_keep_the_printed_counts():
    t = targets(profile.load("huaian-2023"))
    assert (t.citizen.total, t.citizen.phone, t.citizen.department) == (1_438_746, 1_404_566, 600_091)
    assert (t.talent.total, t.talent.online_specialist) == (2_231, 193)
    assert t.kinds == {"consult": 696_197, "non_consult": 754_502}
    assert t.categories["consult"]["城乡建设"] == 23_404  # 90,697 (all) − 67,293 (non-consult)
    assert t.categories["non_consult"]["民生保障"] == 153_544
    assert sum(t.departments.values()) == 605_302 and t.departments["市公安局"] == 26_851
    assert max(v for k, v in t.departments.items() if k not in t.top_departments) < 3_692
    # not printed: offered calls from the service level (answer rate (100 + 92.3) / 2 %)
    assert t.calls.offered == round(1_421_313 * 100 / 96.15)


def test_a_profile_that_cannot_hold_names_the_figure():
    doc = {"demands": {"rows": {"citizen": {"total": 100, "phone": 50, "internet": 10, "transfer_in": 10}}}}
    with pytest.raises(ProfileError, match="citizen sources"):
        targets(doc)
    with pytest.raises(ProfileError, match="service_level_30s_pct"):
        targets({"calls": {"inbound": {"answered": 900, "offered": 1000, "service_level_30s_pct": 95}}})


def test_the_previous_year_comes_from_the_printed_yoy():
    prev = previous.previous(profile.load("huaian-2023"))
    assert prev["year"] == 2022
    assert round(prev["demands"]["rows"]["citizen"]["total"]) == 1_577_054  # 1,438,746 / (1 − 8.77 %)
    assert round(prev["calls"]["inbound"]["service_level_30s_pct"], 2) == 78.13  # 92.30 / 1.1814
    assert round(prev["linkage_110"]["from_110"]) == 3_547  # no yoy: moves with transfer-in (+240 %)
    assert "yoy_pct" not in prev["demands"]
    t = targets(prev)
    # printed source yoys disagree with the total's by 0.27 %: parts are reconciled to the total
    assert t.citizen.total == 1_577_054 == t.citizen.phone + t.citizen.internet + t.citizen.transfer_in


def test_scaling_rounds_each_count_and_keeps_rows_adding_up():
    t = scale(targets(profile.load("huaian-2023")), 0.01)
    assert (t.citizen.total, t.citizen.phone, t.citizen.internet, t.citizen.transfer_in) == (14_387, 14_045, 192, 150)
    assert t.departments["市交通局"] == 37 and max(v for k, v in t.departments.items() if k not in t.top_departments) <= 36
    assert sum(t.categories["consult"].values()) == t.kinds["consult"] == 6_962
    with pytest.raises(ProfileError, match="too small"):
        scale(targets(profile.load("huaian-2023")), 0.001)


def test_the_plan_hands_out_exactly_the_published_counts():
    t = targets(profile.load("huaian-2023"))
    classes = ticket_classes(t)
    assert sum(classes.values()) == 1_450_699
    assert sum(n for (g, ch, h), n in classes.items() if ch == "110") == 12_060
    assert sum(n for (g, ch, h), n in classes.items() if ch == "maishangyi") == 568
    assert sum(n for (g, ch, h), n in classes.items() if g == "talent" and h == "online_specialist") == 193
    p = build(t)
    answers = {k: dict(zip(u.values, map(int, u.left))) for k, u in p.answers.urns.items()}
    responses = sum(sum(a.values()) for a in answers.values())
    assert responses == 603_032
    satisfied = sum(a["both"] + a["service_only"] for a in answers.values())
    assert satisfied == round(0.9882 * 603_032)


def test_the_stream_is_ordered_valid_deterministic_and_counted():
    doc = profile.load("riverside-2023")
    first, stats = [], Stats()
    for i, (ms, e) in enumerate(generate(doc, scale=0.02, seed=5, stats=stats)):
        first.append((ms, e["id"]))
        if i % 97 == 0:
            validate_event(e)
    assert all(a[0] <= b[0] for a, b in zip(first, first[1:]))
    assert len(first) == stats.events == len({i for _, i in first})
    assert stats.tickets == {2022: round(57_073 * 0.02), 2023: 1_200}  # 60,000 × 0.02
    again = [(ms, e["id"]) for ms, e in generate(doc, scale=0.02, seed=5)]
    assert again == first
    other = [(ms, e["id"]) for ms, e in generate(doc, scale=0.02, seed=6)]
    assert other != first


def test_phone_tickets_point_at_answered_calls_on_their_line():
    events = [e for _, e in generate(profile.load("huaian-2023"), scale=0.005, seed=2, with_previous=False)]
    by_type = collections.defaultdict(dict)
    for e in events:
        by_type[e["type"]][e["subject"]] = e
    created = by_type["hotline.ticket.created"].values()
    phone = [e for e in created if e["data"]["channel"] == "phone"]
    assert phone and all(e["data"]["call_id"] in by_type["hotline.call.answered"] for e in phone)
    talent = [e for e in phone if e["data"].get("line") == "talent"]
    assert talent and all(by_type["hotline.call.offered"][e["data"]["call_id"]]["data"].get("line") == "talent"
                          for e in talent)
    assert all("call_id" not in e["data"] for e in created if e["data"]["channel"] != "phone")
