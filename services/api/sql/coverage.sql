-- The first and last local day the platform holds events for: the days of the tickets created
-- and the calls offered, together (services/api/report/coverage.py decides from them whether a
-- period holds data at all and whether it holds all of it). Read again whenever any facts were
-- refreshed (all_changes.sql; FactsReader.coverage). No FINAL (slow on 18.16): min / max do not
-- care how many versions of a fact there are, and an older version has no day yet (created_ms /
-- offered_ms = 0, left out here) or the same day, unless a second, earlier creation event moved
-- it (the earliest wins): then the old day counts until the versions merge, which can only widen
-- the days held, and rarely happens.
-- A table with no such rows gives no row (HAVING): 18.16's min() over nothing is the zero date,
-- which would pass for a day. `parts` = 0: the platform holds no events at all.
SELECT min(lo) AS first, max(hi) AS last, count() AS parts
FROM (
    SELECT min(day) AS lo, max(day) AS hi FROM ${database}.ticket_facts WHERE created_ms > 0 HAVING count() > 0
    UNION ALL
    SELECT min(day) AS lo, max(day) AS hi FROM ${database}.call_facts WHERE offered_ms > 0 HAVING count() > 0
)
