-- Finalise call_state into call_facts rows for the calls selected by ${filter}.
-- Parameters: %(tz)s, the city's time zone.
INSERT INTO ${database}.call_facts
SELECT
    call_id, events,
    if(offered_ms > 0, toDate(toDateTime(intDiv(offered_ms, 1000)), %(tz)s), toDate(0)) AS day,
    offered_ms, direction, if(line = '', '12345', line) AS line, caller_hash,
    answered_ms, agent_id, abandoned_ms, ended_ms,
    multiIf(answered_ms > 0, 'answered', abandoned_ms > 0 OR ended_ms > 0, 'abandoned',
            offered_ms > 0, 'waiting', 'unknown') AS status,
    multiIf(offered_ms = 0, -1,
            answered_ms > 0, greatest(answered_ms - offered_ms, 0),
            abandoned_ms > 0, greatest(abandoned_ms - offered_ms, 0),
            ended_ms > 0, greatest(ended_ms - offered_ms, 0), -1) AS wait_ms,
    if(answered_ms > 0 AND ended_ms > 0, greatest(ended_ms - answered_ms, 0), -1) AS talk_ms,
    now() AS refreshed_at
FROM
(
    SELECT
        call_id,
        uniqExactMerge(events) AS events,
        argMinIfMerge(offered) AS o,
        o.1 AS offered_ms, o.2 AS direction, o.3 AS line, o.4 AS caller_hash,
        argMinIfMerge(answered) AS a,
        a.1 AS answered_ms, a.2 AS agent_id,
        minIfMerge(abandoned_ms) AS abandoned_ms,
        maxIfMerge(ended_ms) AS ended_ms
    FROM ${database}.call_state
    WHERE ${filter}
    GROUP BY call_id
)
