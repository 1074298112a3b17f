"""Id lists are cut so every refresh query stays inside ClickHouse's query limits."""

from hotline.storage.facts import MAX_ID_CHARS_PER_QUERY, chunks


def test_many_short_ids_are_cut_by_count():
    ids = [f"t{i}" for i in range(85_000)]
    parts = chunks(ids)
    assert [len(p) for p in parts] == [40_000, 40_000, 5_000]
    assert [i for p in parts for i in p] == ids


def test_long_ids_are_cut_by_size():
    ids = ["x" * 1_200_000, "y" * 1_200_000, "z"]
    assert [len(p) for p in chunks(ids)] == [1, 2]
    assert all(sum(len(i) + 4 for i in p) <= MAX_ID_CHARS_PER_QUERY for p in chunks(ids))


def test_nothing_gives_no_query():
    assert chunks([]) == []
