-- Tickets per kind and first-level category (the TOP-N category tables).
SELECT
    toUInt8(day >= %(lo)s AND day <= %(hi)s) AS cur,
    kind, category, handling,
    count() AS tickets
FROM ${database}.ticket_facts ${final}
WHERE created_ms > 0
  AND ((day >= %(lo)s AND day <= %(hi)s) OR (day >= %(plo)s AND day <= %(phi)s))
  AND (%(department)s = '' OR department = %(department)s)
GROUP BY cur, kind, category, handling
