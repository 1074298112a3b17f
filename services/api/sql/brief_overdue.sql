-- Dispatched tickets created up to the period's last day %(hi)s that are overdue at the as-of
-- instant %(asof_ms)s: the latest dispatch before it, its deadline before it, and no completion
-- before it (completed_ms is the completion after the latest dispatch; a ticket completed later
-- was still overdue then).
SELECT ticket_id, department, deadline_ms, completed
FROM ${database}.ticket_facts ${final}
WHERE created_ms > 0 AND day <= %(hi)s AND handling = 'department'
  AND handled_ms < %(asof_ms)s AND deadline_ms > 0 AND deadline_ms < %(asof_ms)s
  AND (completed = 0 OR completed_ms >= %(asof_ms)s)
  AND (%(department)s = '' OR department = %(department)s)
