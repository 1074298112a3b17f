"""The departments and categories of a city-year beyond the published TOP rows.

A report prints only the TOP-N departments and categories; the simulator needs every ticket's.
The printed rows keep their counts; the rest of each column is spread over plausible names
(city bureaus, then district offices; the usual first-level categories), each kept below the
smallest printed row so the simulated ranking is the published one.
"""

from __future__ import annotations

from typing import Any

from tooling.simulator.apportion import apportion, capped
from tooling.simulator.profile import DEFAULT_DISTRICTS, DISTRICTS, KINDS, ProfileError, get

DEPARTMENT_KINDS = ("公安局", "住建局", "卫健委", "交通局", "人社局", "市场监管局", "城管局", "教育局", "民政局",
                    "自然资源和规划局", "生态环境局", "水利局", "农业农村局", "医保局", "商务局", "文旅局",
                    "应急管理局", "司法局", "财政局", "税务局")


def departments(doc: dict[str, Any], dept: int) -> dict[str, int]:
    """Every department's dispatched tickets: the published TOP rows as printed, the rest of the
    department column spread over district offices, each below the smallest TOP row."""
    rows = {r["department"]: int(r["count"]) for r in get(doc, "top_departments.rows", [])}
    rest = dept - sum(rows.values())
    if rest < 0:
        raise ProfileError(f"top_departments: the rows add up to more than the department column ({dept:,})")
    cap = min(rows.values()) - 1 if rows else rest
    districts = get(doc, "districts", DISTRICTS.get(get(doc, "city", ""), DEFAULT_DISTRICTS))
    names = [n for n in (f"市{k}" for k in DEPARTMENT_KINDS) if n not in rows]
    names += [f"{d}{k}" for d in districts for k in DEPARTMENT_KINDS]
    if rest and cap <= 0:
        raise ProfileError("top_departments: the smallest row leaves no room for other departments")
    while rest > cap * len(names):
        names.append(f"其他单位{len(names) + 1}")
    weights = [1.0 / (i + 8) for i in range(len(names))]  # a gentle Zipf: city bureaus first
    counts = capped(rest, weights, [cap] * len(names)) if rest else [0] * len(names)
    return {**rows, **{n: c for n, c in zip(names, counts) if c}}


CATEGORIES = ("民生保障", "经济综合", "住房保障", "交通出行", "城乡建设", "党务政务", "教育文体", "卫生健康",
              "农业农村", "生态环境", "公共安全", "市场监管", "劳动社保", "科技信息", "文化旅游", "应急管理")


def categories(doc: dict[str, Any], kinds: dict[str, int]) -> dict[str, dict[str, int]]:
    """Tickets per kind and category over the whole year: the published TOP rows; an "all" row
    pins the other kind's count of its category; the rest spread below each list's smallest
    row (and below the smallest "all" row once both kinds are summed)."""
    top = {k: {r["category"]: int(r["count"]) for r in get(doc, f"top_categories.{k}", [])} for k in (*KINDS, "all")}
    known = {k: dict(top[k]) for k in KINDS}
    for cat, n in top["all"].items():
        inside = [k for k in KINDS if cat in top[k]]
        if len(inside) == 1:
            other = KINDS[1 - KINDS.index(inside[0])]
            known[other][cat] = n - top[inside[0]][cat]
            if known[other][cat] < 0:
                raise ProfileError(f"top_categories.all {cat}: {n:,} is less than its {inside[0]} count")
        elif not inside:
            split = apportion(n, [kinds["consult"], kinds["non_consult"]])
            known["consult"][cat], known["non_consult"][cat] = split
    all_cap = min(top["all"].values()) - 1 if top["all"] else None
    out: dict[str, dict[str, int]] = {}
    for k in KINDS:
        rest = kinds[k] - sum(known[k].values())
        if rest < 0:
            raise ProfileError(f"top_categories.{k}: the rows add up to more than the {k} demands ({kinds[k]:,})")
        names = [c for c in CATEGORIES if c not in known[k]]
        cap_k = min(top[k].values()) - 1 if top[k] else rest
        caps = []
        for c in names:
            cap = cap_k
            if all_cap is not None and c not in top["all"]:
                cap = min(cap, all_cap - sum(out.get(j, {}).get(c, 0) for j in KINDS if j != k))
            caps.append(max(cap, 0))
        while rest > sum(caps):
            names.append(f"其他{len(names) + 1}")
            caps.append(max(0, min(cap_k, all_cap if all_cap is not None else cap_k)))
            if caps[-1] == 0:
                raise ProfileError(f"top_categories.{k}: no room below the TOP rows for {rest:,} more demands")
        weights = [1.0 / (i + 3) for i in range(len(names))]
        counts = dict(zip(names, capped(rest, weights, caps)))
        out[k] = {**known[k], **{c: n for c, n in counts.items() if n}}
    return out
