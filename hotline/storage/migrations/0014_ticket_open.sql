-- ticket_open: what the live count of open dispatched tickets reads (services/api/sql/live_open.sql),
-- so that its cost follows the tickets open now, not the history. Before, that count scanned the
-- whole ticket_facts table every few seconds (the flags of every version, then every candidate's
-- versions), and its cost grew with every year stored (docs/performance.md, "Changes").
--
-- Every facts version of a dispatched ticket is copied here by the view, with `open` (final handling
-- a department, not completed: the live figure's definition) and the deadline. `dispatched` only
-- ever goes from 0 to 1 as events are folded (a dispatch once folded stays), so every version
-- newer than one copied here is copied too, and a ticket's newest version here is its newest in
-- the facts. A reader takes argMax by `events` per ticket, as the facts' own readers do.
--
-- Partitioned by the minute the row was written (`written`, the server's clock), so the old rows
-- can be dropped whole: hotline/storage/open_tickets.py (run by the query API every minute) first
-- writes again, in the current minute, the newest version of every ticket that is still open (and
-- of any ticket whose newest version would otherwise be outvoted by an older one left behind), then
-- drops the minutes before the last few. What is left is the open tickets plus a few minutes of
-- versions. An API that does not prune leaves the table growing, never wrong. Old facts are not
-- kept apart here: the facts table stays the whole truth, and this table can be dropped and
-- refilled from it (the `fill` below) at any time.
CREATE TABLE IF NOT EXISTS ${database}.ticket_open
(
    ticket_id   String,
    events      UInt64,
    open        UInt8,
    deadline_ms Int64,
    written     DateTime
)
ENGINE = ReplacingMergeTree(events)
PARTITION BY intDiv(toUInt32(written), 60)
ORDER BY ticket_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.ticket_open_mv TO ${database}.ticket_open AS
SELECT ticket_id, events, toUInt8(handling = 'department' AND completed = 0) AS open, deadline_ms,
       now() AS written
FROM ${database}.ticket_facts
WHERE dispatched = 1;

-- The facts written before the view existed, with the view's own SELECT (every version; the first
-- prune keeps the open ones).
-- then: fill ticket_open from its view
