-- data_shares: every answer with ticket data that went to a department's token (the query
-- API's department-scoped reports, docs/reliability/security.md). Written before the answer
-- leaves (services/api/share_log.py), so no share goes unlogged; the annual table
-- "共享数据情况" of the published report is computed from it.
--
-- day is the city's local date of the share (the table of a year lists the shares made in it);
-- level is the department's 行政层级 and method its 共享方式, both as configured for the token;
-- route / table_name / format / period_from / period_to say what was shared, tickets how many
-- of the department's tickets the answer covered (its period's, not the comparison year's).
CREATE TABLE IF NOT EXISTS ${database}.data_shares
(
    shared_at   DateTime,
    day         Date,
    reader      String,
    department  String,
    level       String,
    method      String,
    route       String,
    table_name  String,
    format      String,
    period_from Date,
    period_to   Date,
    tickets     UInt64
)
ENGINE = MergeTree()
ORDER BY (day, department, shared_at);
