-- The city's 退单量: the tickets created in %(lo)s..%(hi)s that any department returned, each once
-- (a ticket two departments returned is one ticket of the city, one of each department).
SELECT uniqExact(subject) AS transferred_out
FROM ${database}.events
WHERE entity = 'ticket' AND type = 'hotline.ticket.returned'
  AND subject IN (SELECT ticket_id FROM ${database}.ticket_facts
                  WHERE created_ms > 0 AND day >= %(lo)s AND day <= %(hi)s)
