"""Who is reading: a bearer token names a reader and its scopes (`read`, `supply`), and may
restrict it to one department's tickets (a department's data share, docs/reliability/security.md).

A browser cannot send a bearer header, so the printable report page would be out of reach: the
same token is also accepted as the password of HTTP Basic (any user name), and the challenge
offers Basic, so a browser asks for it once.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass

from hotline.tokens import bearer, digest
from services.api.errors import Forbidden, Unauthorized
from services.api.settings import ReaderGrant

REALM = 'Bearer realm="hotline-api"'
BASIC = 'Basic realm="hotline-api", charset="UTF-8"'


def _token(authorization: str | None) -> str | None:
    if authorization and authorization[:6].lower() == "basic ":
        try:
            user_pass = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, sep, password = user_pass.partition(":")
        return password if sep and password else None
    return bearer(authorization)


@dataclass(frozen=True, slots=True)
class Reader:
    name: str
    scopes: frozenset[str]
    department: str | None = None  # None: city-wide; else this department's tickets only
    level: str = "市本级"  # 行政层级 of the department (the data-share table)


class Authenticator:
    """Bearer token -> Reader. Pure: built once from the settings; tokens held as digests."""

    def __init__(self, tokens: Mapping[str, ReaderGrant]) -> None:
        self._by_digest = {digest(t): Reader(g.reader, frozenset(g.scopes), g.department, g.level)
                           for t, g in tokens.items()}

    def authenticate(self, authorization: str | None, scope: str) -> Reader:
        token = _token(authorization)
        if token is None:
            raise Unauthorized("send a report token as 'Authorization: Bearer <token>' "
                               "(or, from a browser, as the password of HTTP Basic)",
                               headers={"WWW-Authenticate": f"{REALM}, {BASIC}"})
        reader = self._by_digest.get(digest(token))
        if reader is None:
            raise Unauthorized("the bearer token is not known",
                               headers={"WWW-Authenticate": f'{REALM}, error="invalid_token", {BASIC}'})
        if scope not in reader.scopes:
            raise Forbidden(f"this token lacks the '{scope}' scope",
                            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'})
        return reader

    def city_wide(self, authorization: str | None, what: str) -> Reader:
        """A `read` token that is not restricted to a department; Forbidden (naming why) for one
        that is: `what` is city-wide data, not the department's own tickets."""
        reader = self.authenticate(authorization, "read")
        if reader.department is not None:
            raise Forbidden(f"this token is restricted to the tickets of {reader.department}; {what} "
                            "is city-wide data, not that department's tickets",
                            headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope"'})
        return reader
