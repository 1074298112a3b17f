"""A ticket's location, coarse on purpose: an H3 cell finer than resolution 9 is stored as its
resolution-9 parent.

`hotline.ticket.created` may say where the matter is (`data.location`: `street`, `community`,
`h3`, docs/events.md). The contract (schemas/v1) admits no other key, so an address or
coordinates never get in; this module adds the two rules JSON Schema cannot state: the `h3` must
be a real H3 cell (h3.is_valid_cell), and a cell finer than resolution 9 (about 0.1 km², a few
blocks) is replaced by its resolution-9 parent. A resolution-12 cell is a single building; the
platform counts matters per neighbourhood and keeps nothing finer. Like the caller's hash
(hotline.privacy), it is done by the first service that sees the event (hotline.judge), so only
the coarse cell is ever published or stored, and the same event gives the same cell whichever
way it came.

Pure functions, no IO; the input event is never mutated.
"""

from __future__ import annotations

from typing import Any

import h3

from hotline.contract import InvalidEvent, Violation

# The finest resolution the platform keeps (H3 resolution 9: cells of about 0.1 km²).
FINEST_RESOLUTION = 9
LOCATED_TYPE = "hotline.ticket.created"
NOT_A_CELL = Violation("data.location.h3", "must be a valid H3 cell id (h3.is_valid_cell)")


def coarsened(cell: str) -> str:
    """`cell` itself at resolution 9 or coarser, else its resolution-9 parent.

    Raises ValueError when `cell` is not a valid H3 cell id (an edge or vertex id is not a cell).
    """
    if not isinstance(cell, str) or not h3.is_valid_cell(cell):
        raise ValueError("not a valid H3 cell id")
    if h3.get_resolution(cell) <= FINEST_RESOLUTION:
        return cell
    return h3.cell_to_parent(cell, FINEST_RESOLUTION)


def scrub_location(event: dict[str, Any]) -> dict[str, Any]:
    """The event with `data.location.h3` coarsened to resolution 9 (same place in `data`).

    For a `hotline.ticket.created` that passed the contract. Returns `event` itself when there
    is nothing to change (another type, no location, no h3, or a cell of resolution ≤ 9), else
    a copy. Raises InvalidEvent naming `data.location.h3` when it is not a valid H3 cell.
    """
    if event.get("type") != LOCATED_TYPE:
        return event
    data = event.get("data")
    location = data.get("location") if isinstance(data, dict) else None
    if not isinstance(location, dict) or "h3" not in location:
        return event
    try:
        cell = coarsened(location["h3"])
    except ValueError:
        raise InvalidEvent((NOT_A_CELL,)) from None
    if cell == location["h3"]:
        return event
    return {**event, "data": {**data, "location": {**location, "h3": cell}}}
