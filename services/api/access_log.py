"""The access log without query strings.

uvicorn logs every request line with its query string. A report URL's parameters are dates and
choices, but whatever a user typed there (a pasted phone number, a name) would be written to the
log as it is; the path and the status are what an operator needs, so the query is cut to "?…".
"""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"


class DropQueryString(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn's access record: (client, method, path with query, HTTP version, status).
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (args[0], args[1], args[2].split("?", 1)[0] + "?…", args[3], args[4])
        return True


def install() -> None:
    """Idempotent: one filter on uvicorn's access logger however many apps a process builds."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, DropQueryString) for f in logger.filters):
        logger.addFilter(DropQueryString())
