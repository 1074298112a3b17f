-- Tickets per tag (a ticket with two tags counts once under each).
SELECT
    toUInt8(day >= %(lo)s AND day <= %(hi)s) AS cur,
    tag,
    count() AS tickets
FROM ${database}.ticket_facts ${final}
ARRAY JOIN tags AS tag
WHERE created_ms > 0
  AND ((day >= %(lo)s AND day <= %(hi)s) OR (day >= %(plo)s AND day <= %(phi)s))
  AND (%(department)s = '' OR department = %(department)s)
GROUP BY cur, tag
