-- The cluster detector's tickets: every located ticket created in [%(from_ms)s, %(to_ms)s), with
-- its caller: the creation's own caller_hash, else that of the call it came from (call_facts, the
-- newest refresh by `version`), else ''. ticket_places keeps the earliest creation of a ticket
-- (the highest version); argMax by version reads it before merges.
SELECT ticket_id, created_ms, subcategory, h3, community, district,
       if(own_caller != '', own_caller, call_caller) AS caller
FROM
(
    SELECT ticket_id,
           argMax(created_ms, version) AS created_ms, argMax(subcategory, version) AS subcategory,
           argMax(h3, version) AS h3, argMax(community, version) AS community,
           argMax(district, version) AS district, argMax(call_id, version) AS call_id,
           argMax(caller_hash, version) AS own_caller
    FROM ${database}.ticket_places
    WHERE ticket_id IN (
        SELECT ticket_id FROM ${database}.ticket_places
        WHERE created_ms >= %(from_ms)s AND created_ms < %(to_ms)s)
    GROUP BY ticket_id
    HAVING created_ms >= %(from_ms)s AND created_ms < %(to_ms)s
)
ANY LEFT JOIN
(
    SELECT call_id, argMax(caller_hash, version) AS call_caller
    FROM ${database}.call_facts
    WHERE call_id IN (
        SELECT call_id FROM ${database}.ticket_places
        WHERE created_ms >= %(from_ms)s AND created_ms < %(to_ms)s AND call_id != '')
    GROUP BY call_id
) USING call_id
ORDER BY created_ms, ticket_id
