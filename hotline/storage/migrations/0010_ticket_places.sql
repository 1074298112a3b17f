-- ticket_places: where each located ticket's matter is, for the early warning's concentrated
-- demands (many callers about one matter in one place). One row per ticket whose
-- hotline.ticket.created has a location with at least one part (street, community or h3);
-- tickets without one have no row. The location is as the platform stored it: coarse by
-- contract (no address, no coordinates) and the H3 cell at resolution 9 or coarser
-- (hotline/location.py), so nothing finer can be read from here either.
--
-- created_ms and day (the city's local date, from the events table) are the creation's; the
-- other columns are read from the creation's data (compact JSON, hotline/events.py data_json;
-- `location` holds no nested object, so visitParamExtractString on its raw text reads its own
-- keys only). caller_hash is the creation's own (a ticket opened online may carry one);
-- a phoned-in ticket's caller is its call's (join call_state on call_id).
--
-- A ticket may have more than one hotline.ticket.created (the contract does not forbid it):
-- version is larger for an earlier one, so the row of the earliest creation is the one kept,
-- as in the facts (hotline/fold.py); two at the same millisecond leave either. Duplicates of one
-- event give identical rows. Until a merge, read with FINAL.
--
-- The view first, then the one-time copy of the creations already stored (the runner's `fill`
-- directive, with the view's own SELECT): an event inserted in between is written by both, which
-- the table folds away. The runner records this migration only once every statement and the copy
-- succeeded, so it is applied once; should it ever run twice (a crash before the record, two
-- migration jobs at once) the copy writes the same rows again, with the same version, and nothing
-- changes for a reader.
CREATE TABLE IF NOT EXISTS ${database}.ticket_places
(
    ticket_id   String,
    created_ms  Int64,
    day         Date,
    kind        String,
    category    String,
    subcategory String,
    district    String,
    street      String,
    community   String,
    h3          String,
    call_id     String,
    caller_hash String,
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY ticket_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.ticket_places_mv TO ${database}.ticket_places AS
SELECT
    subject AS ticket_id,
    time_ms AS created_ms,
    local_date AS day,
    visitParamExtractString(data, 'kind') AS kind,
    visitParamExtractString(data, 'category') AS category,
    visitParamExtractString(data, 'subcategory') AS subcategory,
    visitParamExtractString(data, 'district') AS district,
    visitParamExtractString(visitParamExtractRaw(data, 'location'), 'street') AS street,
    visitParamExtractString(visitParamExtractRaw(data, 'location'), 'community') AS community,
    visitParamExtractString(visitParamExtractRaw(data, 'location'), 'h3') AS h3,
    visitParamExtractString(data, 'call_id') AS call_id,
    visitParamExtractString(data, 'caller_hash') AS caller_hash,
    toUInt64(toInt64(1000000000000000) - time_ms) AS version
FROM ${database}.events
WHERE entity = 'ticket' AND type = 'hotline.ticket.created'
    AND (street != '' OR community != '' OR h3 != '');

-- The creations stored before the view existed, with the view's own SELECT.
-- then: fill ticket_places from its view
