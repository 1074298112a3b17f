"""The report's pure core: periods and parameters, cubes of facts, figures, labels, assembly.
Nothing here talks to ClickHouse or HTTP (services/api/facts_reader.py and routes/ do)."""
