-- The surge detector's rows: tickets created per hour by category, subcategory and district, for
-- creations in [%(from_ms)s, %(to_ms)s). ticket_facts keeps every refresh of a ticket until a merge
-- (ReplacingMergeTree(version)); the newest is taken with argMax by `version` rather than FINAL, so
-- that the range filter sees a ticket's newest creation time, not one a merge has not removed yet
-- (a late, earlier hotline.ticket.created moves it; `version` ranks the ticket's facts above a
-- tombstone of the same events, migration 0015). The inner IN only narrows the scan.
SELECT intDiv(created_ms, 3600000) * 3600000 AS hour, category, subcategory, district, count() AS tickets
FROM
(
    SELECT ticket_id,
           argMax(created_ms, version) AS created_ms, argMax(category, version) AS category,
           argMax(subcategory, version) AS subcategory, argMax(district, version) AS district
    FROM ${database}.ticket_facts
    WHERE ticket_id IN (
        SELECT ticket_id FROM ${database}.ticket_facts
        WHERE created_ms >= %(from_ms)s AND created_ms < %(to_ms)s)
    GROUP BY ticket_id
)
WHERE created_ms >= %(from_ms)s AND created_ms < %(to_ms)s
GROUP BY hour, category, subcategory, district
ORDER BY hour, category, subcategory, district
