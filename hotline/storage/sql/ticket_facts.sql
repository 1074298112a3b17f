-- Finalise ticket_state into ticket_facts rows for the tickets selected by ${filter}.
-- Parameters: %(tz)s, the city's time zone; %(channels)s and %(sources)s, the channel -> source
-- mapping of the contract (hotline.contract.SOURCE_OF_CHANNEL), so it is written down once.
-- Working time: W(t) from the calendar in force (work_calendar, migration 0009; the same W as
-- hotline/calendar/work.py WorkCalendar.work_seconds_ms). Day index i counts from 2004-01-01
-- (day 12418 since 1970); W = cal[i + 1] * 86400 + (cal[i + 2] - cal[i + 1]) * seconds since local
-- midnight. A creation or completion day the calendar does not cover (i + 2 > length(cal)) leaves
-- the handling time pending: handling_work_s = -1, never a guess.
-- Partitions (migration 0016): the month of `day` is the partition. A ticket whose creation
-- times (every hotline.ticket.created folded, `creations`) fall in more than one month gets,
-- beside its facts (k = 0), one tombstone for each creation day in another month than its own
-- (k >= 1): the facts with created_ms 0 on that day, version events * 2 (the facts: events * 2 +
-- 1), which replaces any version written on that month's partition while that creation was the
-- earliest.
-- Those rows come from the layer ${partition_rows} (partition_rows.sql, shared by both refreshes).
INSERT INTO ${database}.ticket_facts
WITH (SELECT argMax(before, version) FROM ${database}.work_calendar) AS cal
SELECT
    ticket_id, events, events * 2 + toUInt64(k = 0) AS version,
    if(k = 0, own_day, stale_days[k]) AS day,
    if(k = 0, creation_ms, toInt64(0)) AS created_ms, requester, channel, transform(channel, %(channels)s, %(sources)s, '') AS source,
    kind, category, subcategory, district,
    if(creation_ms > 0 AND line = '', '12345', line) AS line, call_id, tags,
    multiIf(final_type = 'hotline.ticket.dispatched', 'department',
            final_type = 'hotline.ticket.answered' AND final_by = 'specialist', 'online_specialist',
            final_type = 'hotline.ticket.answered', 'online_agent', '') AS handling,
    final_ms AS handled_ms, department, deadline_ms,
    toUInt8(department != '') AS dispatched,
    -- An online answer closes the ticket when it is the final handling; a department's ticket
    -- is complete once a completion is at or after its final dispatch (reopened: not complete).
    toUInt8(final_type = 'hotline.ticket.answered'
            OR (final_type = 'hotline.ticket.dispatched' AND done_ms >= final_ms AND done_ms > 0)) AS completed,
    if(completed, if(final_type = 'hotline.ticket.answered', final_ms, done_ms), 0) AS completed_ms,
    -- Inline aliases (ClickHouse scopes them to the whole query) keep the column list that of
    -- the table: created_t/completed_t are the instants, created_i/completed_i their day indexes.
    multiIf(NOT completed OR creation_ms = 0, toInt64(0),
            (toInt32(toUInt16(toDate(toDateTime(intDiv(creation_ms, 1000)) AS created_t, %(tz)s))) - 12418 AS created_i) < 0
            OR (toInt32(toUInt16(toDate(toDateTime(intDiv(completed_ms, 1000)) AS completed_t, %(tz)s))) - 12418 AS completed_i) < 0
            OR created_i + 2 > length(cal) OR completed_i + 2 > length(cal), toInt64(-1),
            greatest(toInt64(cal[completed_i + 1]) * 86400
                     + (toInt64(cal[completed_i + 2]) - cal[completed_i + 1])
                       * (toHour(completed_t, %(tz)s) * 3600 + toMinute(completed_t, %(tz)s) * 60 + toSecond(completed_t, %(tz)s))
                     - toInt64(cal[created_i + 1]) * 86400
                     - (toInt64(cal[created_i + 2]) - cal[created_i + 1])
                       * (toHour(created_t, %(tz)s) * 3600 + toMinute(created_t, %(tz)s) * 60 + toSecond(created_t, %(tz)s)),
                     toInt64(0))) AS handling_work_s,
    toUInt8(completed AND (deadline_ms = 0 OR completed_ms <= deadline_ms)) AS on_time,
    toUInt8(channel = '110') AS from_110,
    to_110, supervised, evaluation_requests, evaluations,
    service_rated, service_satisfied, resolution_rated, resolution_satisfied,
    now() AS refreshed_at
FROM
(
${partition_rows}
FROM
(
    SELECT
        ticket_id,
        uniqExactMerge(events) AS events,
        argMinIfMerge(created) AS c,
        c.1 AS creation_ms, c.2 AS requester, c.3 AS channel, c.4 AS kind,
        c.5 AS category, c.6 AS subcategory, c.7 AS district, c.8 AS line, c.9 AS call_id, c.10 AS tags,
        argMaxIfMerge(final) AS f,
        f.1 AS final_ms, f.2 AS final_type, f.3 AS final_by,
        argMaxIfMerge(dispatch) AS d,
        d.1 AS department, d.2 AS deadline_ms,
        argMaxIfMerge(completed) AS done_ms,
        maxMerge(to_110) AS to_110,
        uniqExactIfMerge(supervised) AS supervised,
        uniqExactIfMerge(evaluation_requests) AS evaluation_requests,
        uniqExactIfMerge(evaluations) AS evaluations,
        uniqExactIfMerge(service_rated) AS service_rated,
        uniqExactIfMerge(service_satisfied) AS service_satisfied,
        uniqExactIfMerge(resolution_rated) AS resolution_rated,
        uniqExactIfMerge(resolution_satisfied) AS resolution_satisfied,
        groupUniqArrayIfMerge(creations) AS creations
    FROM ${database}.ticket_state
    WHERE ${filter}
    GROUP BY ticket_id
)
)
