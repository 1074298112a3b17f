-- Tickets per category and subcategory, in the period (cur = 1: %(lo)s..%(hi)s) and in its
-- baseline days (cur = 0: %(blo)s..%(lo)s - 1): the hot ranking (services/api/brief/expected.py).
SELECT toUInt8(day >= %(lo)s) AS cur, category, subcategory, count() AS tickets
FROM ${database}.ticket_facts ${final}
WHERE created_ms > 0 AND day >= %(blo)s AND day <= %(hi)s
  AND (%(department)s = '' OR department = %(department)s)
GROUP BY cur, category, subcategory
