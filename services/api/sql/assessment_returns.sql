-- 退单: per department, the tickets created in %(lo)s..%(hi)s it returned to the centre
-- (hotline.ticket.returned carries the returning department), whoever holds them now.
SELECT visitParamExtractString(data, 'department') AS department, uniqExact(subject) AS transferred_out
FROM ${database}.events
WHERE entity = 'ticket' AND type = 'hotline.ticket.returned'
  AND subject IN (SELECT ticket_id FROM ${database}.ticket_facts
                  WHERE created_ms > 0 AND day >= %(lo)s AND day <= %(hi)s)
  AND (%(department)s = '' OR visitParamExtractString(data, 'department') = %(department)s)
GROUP BY department
