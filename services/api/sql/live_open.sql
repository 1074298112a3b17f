-- Open dispatched tickets (final handling a department, not completed) and the overdue ones
-- (deadline passed), from ticket_open (migration 0014): the newest version of each ticket decides.
-- That table holds the open tickets and a few minutes of versions (hotline/storage/open_tickets.py
-- prunes it), so this read costs what is open now, whatever the history stored.
SELECT countIf(last_open = 1) AS open_dispatched,
       countIf(last_open = 1 AND last_deadline_ms > 0 AND last_deadline_ms < %(now_ms)s) AS overdue
FROM
(
    SELECT ticket_id, argMax(open, events) AS last_open, argMax(deadline_ms, events) AS last_deadline_ms
    FROM ${database}.ticket_open
    GROUP BY ticket_id
)
