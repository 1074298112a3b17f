"""Who is reading: a bearer token names a reader and its scopes (`read`, `supply`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hotline.tokens import bearer, digest
from services.api.errors import Forbidden, Unauthorized
from services.api.settings import ReaderGrant

REALM = 'Bearer realm="hotline-api"'


@dataclass(frozen=True, slots=True)
class Reader:
    name: str
    scopes: frozenset[str]


class Authenticator:
    """Bearer token -> Reader. Pure: built once from the settings; tokens held as digests."""

    def __init__(self, tokens: Mapping[str, ReaderGrant]) -> None:
        self._by_digest = {digest(t): Reader(g.reader, frozenset(g.scopes)) for t, g in tokens.items()}

    def authenticate(self, authorization: str | None, scope: str) -> Reader:
        token = bearer(authorization)
        if token is None:
            raise Unauthorized("send a report token as 'Authorization: Bearer <token>'",
                               headers={"WWW-Authenticate": REALM})
        reader = self._by_digest.get(digest(token))
        if reader is None:
            raise Unauthorized("the bearer token is not known",
                               headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
        if scope not in reader.scopes:
            raise Forbidden(f"this token lacks the '{scope}' scope",
                            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'})
        return reader
