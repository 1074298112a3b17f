-- Finalise ticket_state into ticket_facts rows for the tickets selected by ${filter}.
-- Parameters: %(tz)s, the city's time zone; %(channels)s and %(sources)s, the channel -> source
-- mapping of the contract (hotline.contract.SOURCE_OF_CHANNEL), so it is written down once.
INSERT INTO ${database}.ticket_facts
SELECT
    ticket_id, events,
    if(created_ms > 0, toDate(toDateTime(intDiv(created_ms, 1000)), %(tz)s), toDate(0)) AS day,
    created_ms, requester, channel, transform(channel, %(channels)s, %(sources)s, '') AS source,
    kind, category, subcategory, district,
    if(created_ms > 0 AND line = '', '12345', line) AS line, call_id, tags,
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
    if(completed AND created_ms > 0,
       greatest(if(final_type = 'hotline.ticket.answered', final_work, done_work) - created_work, 0), 0) AS handling_work_s,
    toUInt8(completed AND (deadline_ms = 0 OR completed_ms <= deadline_ms)) AS on_time,
    toUInt8(channel = '110') AS from_110,
    to_110, supervised, evaluation_requests, evaluations,
    service_rated, service_satisfied, resolution_rated, resolution_satisfied,
    now() AS refreshed_at
FROM
(
    SELECT
        ticket_id,
        uniqExactMerge(events) AS events,
        argMinIfMerge(created) AS c,
        c.1 AS created_ms, c.2 AS created_work, c.3 AS requester, c.4 AS channel, c.5 AS kind,
        c.6 AS category, c.7 AS subcategory, c.8 AS district, c.9 AS line, c.10 AS call_id, c.11 AS tags,
        argMaxIfMerge(final) AS f,
        f.1 AS final_ms, f.2 AS final_work, f.3 AS final_type, f.4 AS final_by,
        argMaxIfMerge(dispatch) AS d,
        d.1 AS department, d.2 AS deadline_ms,
        argMaxIfMerge(completed) AS k,
        k.1 AS done_ms, k.2 AS done_work,
        maxMerge(to_110) AS to_110,
        uniqExactIfMerge(supervised) AS supervised,
        uniqExactIfMerge(evaluation_requests) AS evaluation_requests,
        uniqExactIfMerge(evaluations) AS evaluations,
        uniqExactIfMerge(service_rated) AS service_rated,
        uniqExactIfMerge(service_satisfied) AS service_satisfied,
        uniqExactIfMerge(resolution_rated) AS resolution_rated,
        uniqExactIfMerge(resolution_satisfied) AS resolution_satisfied
    FROM ${database}.ticket_state
    WHERE ${filter}
    GROUP BY ticket_id
)
