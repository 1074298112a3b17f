-- Tickets of the period (and of the comparison period) summed by every attribute a report
-- table splits them by; services/api/report/figures.py turns the cube into figures.
-- ${bucket} is one of the fixed expressions of services/api/facts_reader.py (month, week, day).
-- ${final} is FINAL (one row per ticket, its newest version; 18.16 applies WHERE after the
-- merge), or empty when the period's days are compacted (hotline/storage/compaction.py).
-- A ticket without its created event (created_ms = 0) belongs to no period yet.
-- %(department)s: '' for the whole city, or a department's name for its token (only the
-- tickets whose final handling is that department; with FINAL the filter sees the newest
-- version, so a ticket re-dispatched elsewhere leaves the first department's figures).
-- Handling time: handling_work_s = -1 is pending (completed, but the working-day calendar does not
-- cover its creation or completion day yet; hotline/storage/sql/ticket_facts.sql). A pending
-- time is no figure: it is left out of work_s and of its denominator handling_known_n, so the
-- average is over known times only and never a guess, and handling_pending_n counts it instead.
SELECT
    toUInt8(day >= %(lo)s AND day <= %(hi)s) AS cur,
    ${bucket} AS bucket,
    requester, source, channel, handling, kind, line,
    count() AS tickets,
    sum(completed) AS completed_n,
    sumIf(handling_work_s, completed = 1 AND handling_work_s >= 0) AS work_s,
    countIf(completed = 1 AND handling_work_s >= 0) AS handling_known_n,
    countIf(completed = 1 AND handling_work_s < 0) AS handling_pending_n,
    sum(on_time) AS on_time_n,
    sum(to_110) AS to_110_n,
    sum(evaluation_requests) AS evaluation_requests_n,
    sum(evaluations) AS evaluations_n,
    sum(service_rated) AS service_rated_n,
    sum(service_satisfied) AS service_satisfied_n,
    sum(resolution_rated) AS resolution_rated_n,
    sum(resolution_satisfied) AS resolution_satisfied_n,
    countIf(service_rated + resolution_rated > 0) AS rated_tickets,
    countIf(service_satisfied + resolution_satisfied > 0) AS satisfied_tickets
FROM ${database}.ticket_facts ${final}
WHERE created_ms > 0
  AND ((day >= %(lo)s AND day <= %(hi)s) OR (day >= %(plo)s AND day <= %(phi)s))
  AND (%(department)s = '' OR department = %(department)s)
GROUP BY cur, bucket, requester, source, channel, handling, kind, line
