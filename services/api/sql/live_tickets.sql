-- Tickets created today by source, and tickets answered online / dispatched today (final
-- handling at a time of today) among those created in the last %(since)s days.
SELECT
    source,
    countIf(day = %(today)s) AS created_today,
    countIf(handling IN ('online_agent', 'online_specialist') AND handled_ms >= %(today_ms)s) AS answered_online_today,
    countIf(handling = 'department' AND handled_ms >= %(today_ms)s) AS dispatched_today
FROM
(
    SELECT ticket_id, argMax(day, events) AS day, argMax(source, events) AS source,
           argMax(handling, events) AS handling, argMax(handled_ms, events) AS handled_ms
    FROM ${database}.ticket_facts
    WHERE day >= %(since)s AND created_ms > 0
    GROUP BY ticket_id
)
GROUP BY source
