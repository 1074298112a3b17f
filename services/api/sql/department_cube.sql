-- Tickets whose final handling is a department, per department (the TOP-N department table).
-- Read only for a compacted period, without FINAL, beside the other cubes (facts_reader.py
-- SEPARATE_CUBES); facts still changing give this cube through ticket_cubes.sql (g = 3).
SELECT
    toUInt8(day >= %(lo)s AND day <= %(hi)s) AS cur,
    department,
    count() AS tickets
FROM ${database}.ticket_facts ${final}
WHERE created_ms > 0 AND handling = 'department'
  AND ((day >= %(lo)s AND day <= %(hi)s) OR (day >= %(plo)s AND day <= %(phi)s))
  AND (%(department)s = '' OR department = %(department)s)
GROUP BY cur, department
