"""One router per resource: reports and series, supplied figures, live figures, operations."""
