-- The four ticket cubes of a report from one read of the facts, for the tickets whose id is in
-- the range ${ids} (one of the fixed conditions on ticket_id of services/api/facts_reader.py;
-- on the sorting key, so that each read skips the other range's granules). The reader runs it
-- over two ranges of ids at once and adds the halves: a read with FINAL is one thread per query
-- in 18.16, and its cost grows with the columns read, so one read of all the columns in two
-- threads costs less than four reads of some of them (docs/performance.md). Only with FINAL:
-- a compacted period, read without it, is cheaper as four queries (facts_reader.py SEPARATE_CUBES).
-- Column g says which cube a row belongs to: 1 the ticket cube (ticket_cube.sql's dimensions
-- and measures), 2 categories (cur, kind, category, handling), 3 departments (cur, department;
-- tickets handled by a department only), 4 tags (cur, tag; a ticket once per tag it carries).
-- Dimensions a cube does not have are '' (bucket: 1970-01-01) in its rows; measures other than
-- `tickets` mean something in the ticket cube only.
-- The inner query groups by every dimension of every cube (tens of thousands of groups, not the
-- tickets); the outer one gives each group to the cubes it counts in (arrayJoin of the cube
-- numbers, then of its tags for the tag cube: a group without tags has no tag row).
-- Inner columns are t_*: an outer alias that named the column it is computed from would be a
-- cycle for ClickHouse.
-- The rest as in ticket_cube.sql: ${final}, the period's filter, %(department)s, handling time.
SELECT
    arrayJoin(if(t_handling = 'department', [1, 2, 3, 4], [1, 2, 4])) AS g,
    arrayJoin(if(g = 4, t_tags, [''])) AS tag,
    t_cur AS cur,
    if(g = 1, t_bucket, toDate(0)) AS bucket,
    if(g = 1, t_requester, '') AS requester,
    if(g = 1, t_source, '') AS source,
    if(g = 1, t_channel, '') AS channel,
    if(g IN (1, 2), t_handling, '') AS handling,
    if(g IN (1, 2), t_kind, '') AS kind,
    if(g = 1, t_line, '') AS line,
    if(g = 2, t_category, '') AS category,
    if(g = 3, t_department, '') AS department,
    sum(t_tickets) AS tickets,
    sum(t_completed_n) AS completed_n,
    sum(t_work_s) AS work_s,
    sum(t_handling_known_n) AS handling_known_n,
    sum(t_handling_pending_n) AS handling_pending_n,
    sum(t_on_time_n) AS on_time_n,
    sum(t_to_110_n) AS to_110_n,
    sum(t_evaluation_requests_n) AS evaluation_requests_n,
    sum(t_evaluations_n) AS evaluations_n,
    sum(t_service_rated_n) AS service_rated_n,
    sum(t_service_satisfied_n) AS service_satisfied_n,
    sum(t_resolution_rated_n) AS resolution_rated_n,
    sum(t_resolution_satisfied_n) AS resolution_satisfied_n,
    sum(t_rated_tickets) AS rated_tickets,
    sum(t_satisfied_tickets) AS satisfied_tickets
FROM
(
    SELECT
        toUInt8(day >= %(lo)s AND day <= %(hi)s) AS t_cur,
        ${bucket} AS t_bucket,
        requester AS t_requester, source AS t_source, channel AS t_channel, handling AS t_handling,
        kind AS t_kind, line AS t_line, category AS t_category,
        if(handling = 'department', department, '') AS t_department,
        tags AS t_tags,
        ${ticket_measures_t}
    FROM ${database}.ticket_facts ${final}
    WHERE ${ids}
      AND created_ms > 0
      AND ((day >= %(lo)s AND day <= %(hi)s) OR (day >= %(plo)s AND day <= %(phi)s))
      AND (%(department)s = '' OR department = %(department)s)
    GROUP BY t_cur, t_bucket, t_requester, t_source, t_channel, t_handling, t_kind, t_line, t_category,
             t_department, t_tags
)
GROUP BY g, tag, cur, bucket, requester, source, channel, handling, kind, line, category, department
