-- Tickets per tag (a ticket with two tags counts once under each).
-- Read only for a compacted period, without FINAL, beside the other cubes (facts_reader.py
-- SEPARATE_CUBES); facts still changing give this cube through ticket_cubes.sql (g = 4).
-- ${month_column} / ${month_key}: empty, or column m, the month of each row's days, for a reader
-- that keeps a compacted read's rows month by month (facts_reader.py).
SELECT
    ${month_column}toUInt8(day >= %(lo)s AND day <= %(hi)s) AS cur,
    tag,
    count() AS tickets
FROM ${database}.ticket_facts ${final}
ARRAY JOIN tags AS tag
WHERE created_ms > 0
  AND ((day >= %(lo)s AND day <= %(hi)s) OR (day >= %(plo)s AND day <= %(phi)s))
  AND (%(department)s = '' OR department = %(department)s)
GROUP BY ${month_key}cur, tag
