-- Tickets created per local day from the first baseline day %(blo)s to the period's last %(hi)s
-- (services/api/brief/expected.py: the trend and its band). %(department)s: '' for the city.
SELECT day, count() AS tickets
FROM ${database}.ticket_facts ${final}
WHERE created_ms > 0 AND day >= %(blo)s AND day <= %(hi)s
  AND (%(department)s = '' OR department = %(department)s)
GROUP BY day
