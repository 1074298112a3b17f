-- Finalise call_state into call_facts rows for the calls selected by ${filter}.
-- Parameters: %(tz)s, the city's time zone.
-- Partitions (migration 0016): the month of `day` is the partition. A call whose offer times
-- (every hotline.call.offered folded, `offers`) fall in more than one month gets, beside its facts
-- (k = 0), one tombstone for each offer day in another month than its own (k >= 1): the facts with
-- offered_ms 0 on that day, version events * 2 (the facts: events * 2 + 1), which replaces any
-- version written on that month's partition while that offer was the earliest.
-- Those rows come from the layer ${partition_rows} (partition_rows.sql, shared by both refreshes).
INSERT INTO ${database}.call_facts
SELECT
    call_id, events, events * 2 + toUInt64(k = 0) AS version,
    if(k = 0, own_day, stale_days[k]) AS day,
    if(k = 0, offer_ms, toInt64(0)) AS offered_ms, direction, if(line = '', '12345', line) AS line, caller_hash,
    answered_ms, agent_id, abandoned_ms, ended_ms,
    multiIf(answered_ms > 0, 'answered', abandoned_ms > 0 OR ended_ms > 0, 'abandoned',
            offer_ms > 0, 'waiting', 'unknown') AS status,
    multiIf(offer_ms = 0, -1,
            answered_ms > 0, greatest(answered_ms - offer_ms, 0),
            abandoned_ms > 0, greatest(abandoned_ms - offer_ms, 0),
            ended_ms > 0, greatest(ended_ms - offer_ms, 0), -1) AS wait_ms,
    if(answered_ms > 0 AND ended_ms > 0, greatest(ended_ms - answered_ms, 0), -1) AS talk_ms,
    now() AS refreshed_at
FROM
(
${partition_rows}
FROM
(
    SELECT
        call_id,
        uniqExactMerge(events) AS events,
        argMinIfMerge(offered) AS o,
        o.1 AS offer_ms, o.2 AS direction, o.3 AS line, o.4 AS caller_hash,
        argMinIfMerge(answered) AS a,
        a.1 AS answered_ms, a.2 AS agent_id,
        minIfMerge(abandoned_ms) AS abandoned_ms,
        maxIfMerge(ended_ms) AS ended_ms,
        groupUniqArrayIfMerge(offers) AS offers
    FROM ${database}.call_state
    WHERE ${filter}
    GROUP BY call_id
)
)
