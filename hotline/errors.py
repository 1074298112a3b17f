"""Typed errors of the shared core. Each is handled in one place (the CLI prints its message)."""

from __future__ import annotations


class HotlineError(Exception):
    """Base of every error the platform raises on purpose; str() is a message for a person."""


class StackError(HotlineError):
    """The local stack could not be brought to the state asked for."""


class PortInUse(StackError):
    def __init__(self, what: str, host: str, port: int, env_var: str):
        super().__init__(
            f"port {port} on {host} ({what}) is already in use by a process the stack did not start; "
            f"stop that process or set {env_var} to a free port"
        )
        self.port = port


class ServerFailedToStart(StackError):
    def __init__(self, name: str, reason: str, log_path: str, log_tail: str):
        tail = "\n".join("    " + line for line in log_tail.splitlines()) or "    (log is empty)"
        super().__init__(f"{name} failed to start: {reason}\n  last lines of {log_path}:\n{tail}")
        self.name = name


class MissingDependency(StackError):
    """A program the stack needs is not installed and could not be installed."""


class StorageUnavailable(HotlineError):
    """ClickHouse did not answer or did not take a write: retry later.

    Raised by the storage adapters, which say which failures they count as this (the aggregate's
    writer, the API's facts reader). Handled in one place per service: the aggregate retries the
    batch and commits no offset meanwhile; the query API answers 503 with Retry-After.
    """


class MigrationError(HotlineError):
    """A schema migration failed or an applied migration was edited after the fact."""


class ClusterError(HotlineError):
    """The configured ClickHouse cluster is not one the platform can run on (unknown name, shards
    of unequal weight, a node that does not answer while the schema is made)."""
