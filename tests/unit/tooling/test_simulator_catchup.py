"""Waiting for the facts: the exact count, which reads every facts row of the run, is made only
once the event table's parts hold enough rows (or hold none: empty, or a cluster's Distributed
table). The client here is a script of answers: what is tested is the order of the questions."""

from __future__ import annotations

import pytest

from tooling.simulator import catchup


class Scripted:
    """Answers the parts' row count from `stored` in turn, and the exact counts from `folded`."""

    def __init__(self, stored: list[int], folded: list[tuple[int, int]]):
        self.stored, self.folded, self.asked = list(stored), list(folded), []

    def execute(self, query: str, params: dict | None = None):
        if "system.parts" in query:
            self.asked.append("stored")
            return [(self.stored.pop(0),)]
        self.asked.append("folded")
        calls, tickets = self.folded[0]
        if "ticket_facts" in query:
            self.folded.pop(0)
            return [(tickets,)]
        return [(calls,)]


def test_the_exact_count_waits_for_the_event_rows():
    client = Scripted(stored=[500, 900, 1_000, 1_200], folded=[(400, 500), (450, 550)])
    catchup.wait(client, "hotline", "sim1-", 1_000, every_s=0.001)
    # 500 and 900 rows: too few for 1,000 events, nothing exact asked; at 1,000 the facts hold
    # 900, at 1,200 rows all 1,000.
    assert client.asked == ["stored", "stored", "stored", "folded", "folded", "stored", "folded", "folded"]


def test_no_parts_of_its_own_means_every_poll_is_exact():
    client = Scripted(stored=[0, 0], folded=[(10, 20), (40, 60)])
    catchup.wait(client, "hotline", "sim1-", 100, every_s=0.001)
    assert client.asked == ["stored", "folded", "folded", "stored", "folded", "folded"]


def test_at_the_timeout_the_error_gives_the_exact_count():
    client = Scripted(stored=[5, 5, 5], folded=[(2, 3)])
    with pytest.raises(catchup.NotCaughtUp) as caught:
        catchup.wait(client, "hotline", "sim1-", 100, timeout_s=0.0, every_s=0.001)
    assert (caught.value.folded, caught.value.want) == (5, 100)
