"""Who is sending, and which sources they may publish as.

A bearer token (RFC 6750) names a producer (the PBX, the web portal, the 110 gateway...) and the
`source` prefixes its events may carry: a PBX token cannot publish as the web portal. Tokens are
held only as SHA-256 digests and looked up by digest, so the lookup's timing says nothing useful
about a token, and a memory dump holds no usable token.

A source is under a prefix ending in "/" or ":" when it starts with it ("/" itself: every
source that is an absolute path such as "/pbx/main"); under any other prefix when it equals it or
continues with "/" ("/pbx" covers "/pbx/main" but not "/pbxfake").

A grant with `every_source` (the development token's, services/ingest/settings.py) may publish
every source, whatever its prefixes: a relative reference such as "#pbx" or "pbx/main", an
absolute URI such as "urn:hotline:110:gw1", so any producer works against a local stack. Such a
source counts under the label ANY_SOURCE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hotline.tokens import bearer, digest
from services.ingest.errors import Forbidden, Unauthorized
from services.ingest.settings import ProducerGrant

REALM = 'Bearer realm="hotline-ingest"'
# The label of a source the development token sends outside its configured prefixes (not a
# prefix: a grant listing "*" gets no wildcard).
ANY_SOURCE = "*"
_MAX_LISTED = 50


@dataclass(frozen=True, slots=True)
class Producer:
    name: str
    prefixes: tuple[str, ...]  # longest first: an event counts under its most specific prefix
    every_source: bool = False  # ProducerGrant.every_source

    def prefix_of(self, source: str) -> str | None:
        """The configured prefix `source` falls under (ANY_SOURCE for the development token
        outside them), or None when the token may not send it."""
        for prefix in self.prefixes:
            if _under(source, prefix):
                return prefix
        return ANY_SOURCE if self.every_source else None


def _under(source: str, prefix: str) -> bool:
    if prefix.endswith(("/", ":")):
        return source.startswith(prefix)
    return source == prefix or source.startswith(prefix + "/")


class Authenticator:
    """Bearer token -> Producer. Pure: built once from the settings, no IO."""

    def __init__(self, tokens: Mapping[str, ProducerGrant]) -> None:
        self._by_digest = {
            digest(token): Producer(g.producer, tuple(sorted(set(g.sources), key=len, reverse=True)),
                                    every_source=g.every_source)
            for token, g in tokens.items()
        }

    @property
    def producers(self) -> list[Producer]:
        return list(self._by_digest.values())

    def authenticate(self, authorization: str | None) -> Producer:
        """The producer of an `Authorization: Bearer <token>` header; raises Unauthorized."""
        token = bearer(authorization)
        if token is None:
            raise Unauthorized(
                "send the producer's token as 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": REALM},
            )
        producer = self._by_digest.get(digest(token))
        if producer is None:
            raise Unauthorized(
                "the bearer token is not known",
                headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
            )
        return producer


def source_prefixes(producer: Producer, events: Sequence[object]) -> list[str | None]:
    """Per event, the prefix its `source` falls under (a bounded metrics label); None when the
    event has no non-empty string source (the contract rejects it).

    Raises Forbidden, listing the indexes, when any event's source is outside the producer's
    prefixes: publishing as another system is a configuration error of the whole request, and
    nothing of it is written, not even to the dead-letter topic.
    """
    found: list[str | None] = []
    known: dict[str, str | None] = {}  # sources repeat within a batch
    outside: list[int] = []
    for i, event in enumerate(events):
        source = event.get("source") if isinstance(event, dict) else None
        if not isinstance(source, str) or not source:
            found.append(None)
            continue
        if source not in known:
            known[source] = producer.prefix_of(source)
        prefix = known[source]
        if prefix is None:
            outside.append(i)
        found.append(prefix)
    if outside:
        listed = ", ".join(map(str, outside[:_MAX_LISTED])) + (" ..." if len(outside) > _MAX_LISTED else "")
        raise Forbidden(
            f"{len(outside)} event(s) carry a source outside this token's prefixes "
            f"({', '.join(producer.prefixes)}): index {listed}; nothing was published",
            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope"'},
            indexes=outside[:_MAX_LISTED],
        )
    return found
