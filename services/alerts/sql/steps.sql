-- The ping-pong detector's steps: every dispatch, return and completion (each event once, by
-- source and id) up to %(to_ms)s of the tickets with at least one such step in
-- [%(from_ms)s, %(to_ms)s]: a ticket's whole sequence, however long ago it began. `subject IN`
-- reads by the table's sorting key. (Aliases differ from the columns: 18.16 would read an alias
-- named like a column in WHERE as the aggregate.)
SELECT subject, step, department, at_ms, id
FROM
(
    SELECT subject, source, id, any(type) AS step,
           any(visitParamExtractString(data, 'department')) AS department, any(time_ms) AS at_ms
    FROM ${database}.events
    WHERE entity = 'ticket'
        AND type IN ('hotline.ticket.dispatched', 'hotline.ticket.returned', 'hotline.ticket.completed')
        AND time_ms <= %(to_ms)s
        AND subject IN (
            SELECT subject FROM ${database}.events
            WHERE entity = 'ticket'
                AND type IN ('hotline.ticket.dispatched', 'hotline.ticket.returned', 'hotline.ticket.completed')
                AND time_ms >= %(from_ms)s AND time_ms <= %(to_ms)s)
    GROUP BY subject, source, id
)
ORDER BY subject, at_ms, id
