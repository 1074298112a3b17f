-- Open dispatched tickets (final handling a department, not completed) and the overdue ones
-- (deadline passed). The inner scan reads two one-byte columns to find candidates; the newest
-- version of each candidate decides.
SELECT count() AS open_dispatched, countIf(last_deadline_ms > 0 AND last_deadline_ms < %(now_ms)s) AS overdue
FROM
(
    SELECT ticket_id, argMax(handling, events) AS last_handling, argMax(completed, events) AS last_completed,
           argMax(deadline_ms, events) AS last_deadline_ms
    FROM ${database}.ticket_facts
    WHERE ticket_id IN (SELECT ticket_id FROM ${database}.ticket_facts WHERE dispatched = 1 AND completed = 0)
    GROUP BY ticket_id
)
WHERE last_handling = 'department' AND last_completed = 0
