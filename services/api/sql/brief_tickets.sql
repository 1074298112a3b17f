-- The facts a follow-up list shows of each ticket in %(ids)s: its latest dispatch's department
-- ('' when answered online) and whether it is completed now.
SELECT ticket_id, department, completed
FROM ${database}.ticket_facts ${final}
WHERE ticket_id IN %(ids)s AND created_ms > 0
