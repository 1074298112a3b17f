"""Where a ticket's matter is: a plausible map of the city's districts, points drawn on it,
turned into H3 cells with a street (街道/镇) and a community (社区/村) named from the cell.

Each district has a centre, a spread (urban districts tight, counties wide) and a few dense hot
spots (an old town, a big estate, a market). A point is drawn there, converted to an H3 cell and
forgotten: coordinates never leave this module, and no event carries them.

Every cell belongs to one district: the one whose centre is nearest to its resolution-7 parent;
a point drawn for a district that falls in another's area is drawn again, so a ticket's location
follows its district. Names are a pure function of the cell: the street is numbered by the
resolution-6 parent's place (a county's township: resolution 5) in the rings around the
district's centre, the community by the resolution-7 parent's place among its siblings, so the same cell always has the same street and
community, in any run, and no two streets (communities) of a district share a name.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import h3
import numpy as np

# A street office (街道) covers a resolution-6 cell's area (~36 km²), a township (镇) in a county a
# resolution-5 one (~250 km²); communities and villages are resolution-7 cells (~5 km²).
STREET_RES, TOWNSHIP_RES, COMMUNITY_RES = 6, 5, 7
KM_PER_DEG = 111.2
# (lat, lng, spread km) of districts with a known place (Huai'an's: the urban core tight, the
# counties wide); the names are unique in the country, so a profile naming them gets their place.
KNOWN: dict[str, tuple[float, float, float]] = {
    "清江浦区": (33.552, 119.026, 2.5), "淮阴区": (33.632, 119.035, 4.0), "淮安区": (33.503, 119.141, 4.0),
    "洪泽区": (33.294, 118.873, 4.0), "涟水县": (33.781, 119.261, 11.0), "盱眙县": (33.011, 118.545, 13.0),
    "金湖县": (33.025, 119.020, 11.0), "淮安经济技术开发区": (33.575, 119.105, 2.5),
}
DEFAULT_CENTRE = (31.90, 117.90)  # an invented city's centre, on land in eastern China
URBAN_SPREAD_KM, COUNTY_SPREAD_KM, COUNTY_RING_KM = 3.0, 12.0, 40.0
HOT_SPOTS, HOT_SHARE, HOT_SIGMA_KM = (0.5, 0.3, 0.2), 0.4, 0.45  # the spots' weights, their share, size
_HOT_CUM = np.cumsum(HOT_SPOTS) / sum(HOT_SPOTS)
TRIES = 30  # draws before a point falls back to its district's centre
DIRECTIONS = {"东": 0.0, "北": 90.0, "西": 180.0, "南": 270.0}
STREET_STEMS = ("府前", "长江", "淮海", "和平", "新城", "人民", "解放", "幸福", "文华", "运河", "清河", "东湖",
                "西湖", "南门", "北门", "翠园", "丰登", "盐河", "朝阳", "迎宾", "黄河", "金港", "钟楼", "太平",
                "永安", "兴隆", "双龙", "白鹭", "柳湾", "三河", "桃源", "高桥", "青莲", "石塘", "明远", "康宁")
VILLAGE_STEMS = tuple(a + b for b in "庄集圩营湾桥洼" for a in "王李张刘陈杨赵周吴徐孙朱马胡")  # 98 names
COMMUNITY_STEMS = ("春晖", "秀水", "景园", "花园", "新村", "友谊", "育才", "民主", "建设", "光明", "团结", "富康",
                   "怡和", "安居", "东苑", "西苑", "南苑", "北苑", "锦绣", "华庭", "枫林", "桂花", "荷花", "桥头")


@dataclass(frozen=True)
class District:
    name: str
    lat: float
    lng: float
    spread_km: float
    county: bool
    hot: tuple[tuple[float, float], ...]  # hot spots' (lat, lng)


def _is_county(name: str) -> bool:
    return name.endswith(("县", "市", "旗"))


def _offset(lat: float, lng: float, east_km: float, north_km: float) -> tuple[float, float]:
    return lat + north_km / KM_PER_DEG, lng + east_km / (KM_PER_DEG * math.cos(math.radians(lat)))


def layout(districts: Sequence[str]) -> dict[str, District]:
    """The districts' centres, spreads and hot spots: fixed for a known district, invented (and
    the same every time) for another one: urban districts on a small ring around the centre,
    counties on a wide one; a name with 东/西/南/北 lies that way."""
    known = {d: KNOWN[d] for d in districts if d in KNOWN}
    fixed = bool(known)
    out: dict[str, District] = {}
    urban = [d for d in districts if d not in known and not _is_county(d)]
    counties = [d for d in districts if d not in known and _is_county(d)]
    lat0, lng0 = DEFAULT_CENTRE
    if fixed:
        lat0 = sum(v[0] for v in known.values()) / len(known)
        lng0 = sum(v[1] for v in known.values()) / len(known)
    for group, radius, spread in ((urban, max(5.0, 1.2 * len(urban)), URBAN_SPREAD_KM),
                                  (counties, COUNTY_RING_KM, COUNTY_SPREAD_KM)):
        for i, name in enumerate(group):
            angle = next((a for k, a in DIRECTIONS.items() if k in name), 360.0 * i / max(len(group), 1) + 45.0)
            r = max(radius, 25.0) if fixed else radius  # beside a fixed layout: outside its core
            known[name] = (*_offset(lat0, lng0, r * math.cos(math.radians(angle)), r * math.sin(math.radians(angle))), spread)
    for name in districts:
        lat, lng, spread = known[name]
        rng = np.random.default_rng(zlib.crc32(name.encode()))  # the hot spots of a name never move
        hot = tuple(_offset(lat, lng, *(rng.normal(0.0, 0.6 * spread, 2))) for _ in HOT_SPOTS)
        out[name] = District(name, lat, lng, spread, _is_county(name), hot)
    return out


class Places:
    """Cells and their names for one city's districts. Caches names per community cell (a city
    has a few thousand), so a year's millions of tickets cost one dictionary look-up each."""

    def __init__(self, districts: Sequence[str]):
        self.districts = layout(districts)
        self._owner: dict[str, str] = {}
        self._names: dict[tuple[str, str], tuple[str, str]] = {}

    def cell(self, rng: np.random.Generator, district: str, res: int = 9) -> str:
        """A cell at `res` of a point drawn in `district` (a hot spot or the district's spread)."""
        d = self.districts[district]
        for _ in range(TRIES):
            if rng.random() < HOT_SHARE:
                lat, lng = d.hot[min(int(np.searchsorted(_HOT_CUM, rng.random(), side="right")), len(HOT_SPOTS) - 1)]
                sigma = HOT_SIGMA_KM
            else:
                lat, lng, sigma = d.lat, d.lng, d.spread_km
            east, north = rng.normal(0.0, sigma, 2)
            cell = h3.latlng_to_cell(*_offset(lat, lng, float(east), float(north)), res)
            if self.district_of(cell) == district:
                return cell
        return h3.latlng_to_cell(d.lat, d.lng, res)

    def district_of(self, cell: str) -> str:
        """The district whose centre is nearest to the cell's resolution-7 parent."""
        key = _parent(cell, COMMUNITY_RES)
        hit = self._owner.get(key)
        if hit is None:
            lat, lng = h3.cell_to_latlng(key)
            scale = math.cos(math.radians(lat))
            hit = min(self.districts.values(), key=lambda d: (d.lat - lat) ** 2 + ((d.lng - lng) * scale) ** 2).name
            self._owner[key] = hit
        return hit

    def location(self, cell: str) -> dict[str, str]:
        """{street, community, h3} of a cell (any resolution; a coarser one than 7 is named by its
        centre child)."""
        district = self.district_of(cell)
        key = (district, _parent(cell, COMMUNITY_RES))
        names = self._names.get(key)
        if names is None:
            names = self._names[key] = self._name(self.districts[district], key[1])
        return {"street": names[0], "community": names[1], "h3": cell}

    def _name(self, d: District, community_cell: str) -> tuple[str, str]:
        res = TOWNSHIP_RES if d.county else STREET_RES
        street_cell = h3.cell_to_parent(community_cell, res)
        n = _ring_number(h3.latlng_to_cell(d.lat, d.lng, res), street_cell)
        stem = STREET_STEMS[n] if n < len(STREET_STEMS) else f"第{n + 1}"
        street = f"{d.name}{stem}{'镇' if d.county else '街道'}"
        i = sorted(h3.cell_to_children(street_cell, COMMUNITY_RES)).index(community_cell)
        # 7 (49) siblings and 24 (98) stems: consecutive stems, so distinct within a street
        stems, k = (VILLAGE_STEMS, 49) if d.county else (COMMUNITY_STEMS, 7)
        return street, f"{street}{stems[(n * k + i) % len(stems)]}{'村' if d.county else '社区'}"


def _parent(cell: str, res: int) -> str:
    r = h3.get_resolution(cell)
    if r >= res:
        return h3.cell_to_parent(cell, res) if r > res else cell
    return h3.cell_to_center_child(cell, res)


def _ring_number(centre: str, cell: str) -> int:
    """0 for the centre, then 1, 2, ... ring by ring (cells of a ring in id order): unique per
    centre. Far or across a pentagon (no grid path), a number from the cell id, past the rings."""
    try:
        k = h3.grid_distance(centre, cell)
        ring = sorted(h3.grid_ring(centre, k)) if k else [centre]
        return (3 * k * (k - 1) + 1 if k else 0) + ring.index(cell)
    except (h3.H3BaseException, ValueError):
        return 10_000 + zlib.crc32(cell.encode()) % 90_000
