"""The pruning module's minute must be the partition of migration 0014: a prune that took other
slots for minutes would drop rows it had not copied."""

from __future__ import annotations

from importlib import resources

from hotline.storage import open_tickets


def test_slot_is_the_migrations_partition():
    sql = resources.files("hotline.storage").joinpath("migrations", "0014_ticket_open.sql").read_text()
    assert f"PARTITION BY intDiv(toUInt32(written), {open_tickets.SLOT_S})" in sql
    assert open_tickets.SLOT_S == 60


def test_copy_reads_the_cutoff_of_the_same_minutes():
    sql = open_tickets.copy_sql("hotline")
    assert sql.count("intDiv(toUInt32(written), 60)") == 2
    assert sql.count("%(cutoff)s") == 2
    assert sql.startswith("INSERT INTO hotline.ticket_open (ticket_id, events, open, deadline_ms, written) ")
