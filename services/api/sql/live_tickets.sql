-- Tickets created today by last_source, and tickets answered online / dispatched today (final
-- last_handling at a time of today) among those created in the last %(since)s days.
SELECT
    last_source AS source,
    countIf(last_day = %(today)s) AS created_today,
    countIf(last_handling IN ('online_agent', 'online_specialist') AND last_handled_ms >= %(today_ms)s) AS answered_online_today,
    countIf(last_handling = 'department' AND last_handled_ms >= %(today_ms)s) AS dispatched_today
FROM
(
    SELECT ticket_id, argMax(day, events) AS last_day, argMax(source, events) AS last_source,
           argMax(handling, events) AS last_handling, argMax(handled_ms, events) AS last_handled_ms
    FROM ${database}.ticket_facts
    WHERE day >= %(since)s AND created_ms > 0
    GROUP BY ticket_id
)
GROUP BY last_source
