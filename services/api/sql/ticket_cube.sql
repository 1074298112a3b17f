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
-- ${ticket_measures}: the measures, written once in ticket_measures.sql (ticket_cubes.sql too).
-- ${month_column} / ${month_key}: empty, or column m, the month of each row's days, for a reader
-- that keeps a compacted read's rows month by month (facts_reader.py).
SELECT
    ${month_column}toUInt8(day >= %(lo)s AND day <= %(hi)s) AS cur,
    ${bucket} AS bucket,
    requester, source, channel, handling, kind, line,
    ${ticket_measures}
FROM ${database}.ticket_facts ${final}
WHERE created_ms > 0
  AND ((day >= %(lo)s AND day <= %(hi)s) OR (day >= %(plo)s AND day <= %(phi)s))
  AND (%(department)s = '' OR department = %(department)s)
GROUP BY ${month_key}cur, bucket, requester, source, channel, handling, kind, line
