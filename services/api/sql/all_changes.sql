-- How often any facts were refreshed, on any day: it only grows (0005_report_support.sql) and a
-- refresh marks its days after its facts are in, so while it stands still the days held
-- (coverage.sql) cannot have moved. One small table: about a millisecond, where coverage.sql
-- reads a column of every fact (about 50 ms over a city's two years).
SELECT sum(changes) AS changes FROM ${database}.facts_changes
