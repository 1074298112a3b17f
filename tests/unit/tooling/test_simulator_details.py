"""Subcategories and locations of simulated tickets (tooling/simulator/details.py, places.py,
subcategories.py): present with the stated shares, H3 cells valid at the stated resolutions,
names a pure function of the cell, and no coordinates in any event.

The stream: riverside-2023 at scale 0.05, seed 5, 2023 only (3,000 tickets: 1,408 consult and
1,592 non-consult)."""

from __future__ import annotations

import collections

import h3
import numpy as np
import pytest

from hotline.contract import validate_event
from tooling.simulator import profile
from tooling.simulator.generator import generate
from tooling.simulator.places import Places
from tooling.simulator.subcategories import CATEGORY_OF, GENERIC, SUBCATEGORIES

RIVERSIDE_DISTRICTS = ("城东区", "城西区", "城南区", "城北区", "开发区")
HUAIAN_DISTRICTS = ("清江浦区", "淮安区", "淮阴区", "洪泽区", "涟水县", "盱眙县", "金湖县", "淮安经济技术开发区")


@pytest.fixture(scope="module")
def events():
    return [e for _, e in generate(profile.load("riverside-2023"), scale=0.05, seed=5, with_previous=False)]


@pytest.fixture(scope="module")
def created(events):
    return [e["data"] for e in events if e["type"] == "hotline.ticket.created"]


def test_every_ticket_has_a_subcategory_of_its_category(created):
    assert len(created) == 3_000
    for d in created:
        assert d["subcategory"] in SUBCATEGORIES.get(d["category"], (GENERIC,))
    # A gentle Zipf within a category: the first name is the most frequent, every name occurs.
    housing = collections.Counter(d["subcategory"] for d in created if d["category"] == "住房保障")
    assert housing.most_common(1)[0][0] == "物业管理"
    assert set(housing) == {"物业管理", "房屋质量", "公积金", "保障性住房", "房屋租赁", "不动产登记"}


def test_subcategory_names_are_unique_across_categories():
    assert sum(len(v) for v in SUBCATEGORIES.values()) == len(CATEGORY_OF) == 81  # 16 categories, 4 to 7 names each
    assert all(4 <= len(v) <= 8 for v in SUBCATEGORIES.values())


def test_locations_have_the_stated_shares_and_valid_cells(created):
    shares = {}
    for kind in ("consult", "non_consult"):
        of_kind = [d for d in created if d["kind"] == kind]
        shares[kind] = sum("location" in d for d in of_kind) / len(of_kind)
    # 25 % of consult and 90 % of non-consult tickets, within 4 and 3 points (binomial: ~3 sd)
    assert abs(shares["consult"] - 0.25) < 0.04 and abs(shares["non_consult"] - 0.90) < 0.03
    located = [d for d in created if "location" in d]
    res = collections.Counter(h3.get_resolution(d["location"]["h3"]) for d in located)
    assert set(res) <= {9, 11, 12}
    fine = (res[11] + res[12]) / len(located)
    assert 0.01 <= fine <= 0.035  # 2 % finer than 9 (the platform coarsens them)
    for d in located:
        loc = d["location"]
        assert set(loc) == {"street", "community", "h3"} and h3.is_valid_cell(loc["h3"])
        assert loc["street"].startswith(d["district"]) and loc["community"].startswith(loc["street"])


def test_no_coordinates_in_any_event(events):
    def numbers(x):
        if isinstance(x, dict):
            return [n for v in x.values() for n in numbers(v)]
        if isinstance(x, list):
            return [n for v in x for n in numbers(v)]
        return [x] if isinstance(x, float) else []

    assert not [e for e in events if numbers(e["data"])]  # a coordinate would be a float
    keys = {k for e in events for k in _keys(e["data"])}
    assert not keys & {"lat", "lng", "lon", "latitude", "longitude", "coordinates", "point", "address"}


def _keys(d):
    for k, v in d.items():
        yield k
        if isinstance(v, dict):
            yield from _keys(v)


def test_a_cell_always_has_the_same_street_and_community(created):
    seen: dict[str, tuple[str, str]] = {}
    for d in created:
        if "location" in d:
            loc = d["location"]
            assert seen.setdefault(loc["h3"], (loc["street"], loc["community"])) == (loc["street"], loc["community"])
    fresh = Places(RIVERSIDE_DISTRICTS)  # another instance (another run) names them the same
    for cell, names in seen.items():
        loc = fresh.location(cell)
        assert (loc["street"], loc["community"]) == names
    # The res-9 parent of a finer cell has the finer cell's names (coarsening keeps the place).
    fine = next(c for c in seen if h3.get_resolution(c) > 9)
    assert fresh.location(h3.cell_to_parent(fine, 9))["community"] == seen[fine][1]


def test_streets_and_communities_are_named_from_the_cell_and_unique_in_a_district():
    places = Places(HUAIAN_DISTRICTS)
    # Fixed names for fixed cells (the layout of Huai'an's districts is fixed):
    assert places.location("8930862810fffff") == {"street": "清江浦区和平街道", "community": "清江浦区和平街道荷花社区",
                                                   "h3": "8930862810fffff"}
    assert places.district_of("8930862810fffff") == "清江浦区"
    # Two different community cells of one district never share a community name.
    by_name: dict[tuple[str, str], str] = {}
    rng = np.random.default_rng(0)
    for i in range(4_000):
        district = HUAIAN_DISTRICTS[i % len(HUAIAN_DISTRICTS)]
        cell = places.cell(rng, district)
        assert places.district_of(cell) == district  # the location follows the district
        parent = h3.cell_to_parent(cell, 7)
        loc = places.location(cell)
        assert by_name.setdefault((district, loc["community"]), parent) == parent
        assert loc["street"].endswith("镇" if district.endswith("县") else "街道")


def test_every_event_validates_against_the_contract(events):
    for e in events:
        validate_event(e)  # raises InvalidEvent naming every violation
    # what this checks includes the new parts of the contract, not only the old ones
    types = {e["type"] for e in events}
    assert {"hotline.ticket.created", "hotline.ticket.returned", "hotline.ticket.dispatched"} <= types
    assert any("location" in (e.get("data") or {}) for e in events)
