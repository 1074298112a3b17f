"""Bearer tokens shared by the services that take them (ingest: producers; api: readers).

Tokens are held only as SHA-256 digests and looked up by digest, so the lookup's timing says
nothing useful about a token and a memory dump holds no usable token. Production refuses the
development token, placeholders and short tokens; a message names the token's position, never
its value.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pydantic import ValidationError

DEV_TOKEN = "dev-token"
# Below this length a production token is taken for a placeholder or a typo.
MIN_TOKEN_CHARS = 24
_PLACEHOLDER = re.compile(
    r"change.?(me|this|it)|placeholder|example|your.?(token|key|secret)|^(x+|secret|token|password|key)$",
    re.I,
)
# RFC 6750 b64token: what a client can put after "Bearer " without quoting.
TOKEN_SYNTAX = re.compile(r"^[A-Za-z0-9._~+/-]+=*$")


def weak(secret: str, min_length: int = MIN_TOKEN_CHARS) -> bool:
    """Too short, a placeholder, or too few distinct characters to be random."""
    return len(secret) < min_length or bool(_PLACEHOLDER.search(secret)) or len(set(secret)) < 8


def secret_problem(variable: str, secret: str, min_length: int, *, default: str | None = None) -> str | None:
    """Why production refuses the secret in `variable`, or None when it is fine. The message
    names the variable and the rule, never the value (not even its length)."""
    if not secret:
        return f"{variable} must be set"
    if default is not None and secret == default:
        return f"{variable} is the development default"
    if weak(secret, min_length):
        return (f"{variable} must be a random secret of at least {min_length} characters "
                "(not a placeholder, at least 8 distinct characters)")
    return None


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None when there is none."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def grants(tokens: object, model: Any, variable: str) -> object:
    """Validate each token's grant with `model` (a pydantic model) before the field is built, so
    that an error names the token's position, not the token: pydantic would put a dict's key
    (the token itself) into the error's location. Anything but a dict is left to pydantic."""
    if not isinstance(tokens, dict):
        return tokens
    out = {}
    for n, (token, grant) in enumerate(tokens.items(), 1):
        try:
            out[token] = model.model_validate(grant)
        except ValidationError as exc:
            first = exc.errors(include_input=False, include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "grant"
            raise ValueError(f"{variable}: token no. {n}: {where}: {first['msg']}") from None
    return out


def syntax_problems(tokens: object, variable: str) -> None:
    """Raise ValueError naming the first token (by position) that is not a bearer token."""
    for n, token in enumerate(tokens or {}, 1):  # type: ignore[arg-type]
        if not TOKEN_SYNTAX.match(token):
            raise ValueError(f"{variable}: token no. {n} is not a bearer token (letters, digits, -._~+/ and trailing =)")


def production_problems(tokens: dict[str, str] | None, variable: str, owner: str = "owner") -> list[str]:
    """What production refuses in `tokens` (token -> its owner's name, called `owner` in messages): none, the development token,
    placeholders, short ones. Empty when all is well."""
    if not tokens:
        return [f"{variable} must name at least one {owner} token"]
    return [
        f"{variable}: token no. {n} ({owner} {name!r}) is the development token, a placeholder or "
        f"shorter than {MIN_TOKEN_CHARS} characters"
        for n, (token, name) in enumerate(tokens.items(), 1)
        if token == DEV_TOKEN or weak(token)
    ]
