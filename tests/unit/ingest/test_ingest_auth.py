"""services.ingest.auth: bearer tokens and the source prefixes each may publish."""

from __future__ import annotations

import pytest

from services.ingest.auth import ANY_SOURCE, Authenticator, Producer, source_prefixes
from services.ingest.errors import Forbidden, Unauthorized
from services.ingest.settings import DEV_TOKEN, IngestSettings, ProducerGrant

PRODUCTION_TOKEN = "pbx-Zk3v9QmW2xR7tY1uP8sL4nB6cV0aJ5"
PRODUCTION_KEY = "q8Hn2LxV0sRkT5yW7mPzB3cJ6fD1gA9eUoQiXwE4"

AUTH = Authenticator({
    "pbx-token": ProducerGrant(producer="pbx", sources=["/pbx/", "/pbx/main/ivr"]),
    "portal-token": ProducerGrant(producer="portal", sources=["/portal"]),
    "gw-token": ProducerGrant(producer="gateway", sources=["urn:hotline:110:"]),
    "any-token": ProducerGrant(producer="dev", sources=["/"]),
})


@pytest.mark.parametrize("header", ["Bearer pbx-token", "bearer pbx-token", "  Bearer   pbx-token  "])
def test_a_known_token_names_its_producer(header: str) -> None:
    assert AUTH.authenticate(header).name == "pbx"


@pytest.mark.parametrize("header,error", [
    (None, None), ("", None), ("pbx-token", None), ("Basic cGJ4OnBieA==", None), ("Bearer", None),
    ("Bearer PBX-TOKEN", "invalid_token"), ("Bearer pbx-token2", "invalid_token"),
])
def test_missing_or_unknown_tokens_are_401(header: str | None, error: str | None) -> None:
    with pytest.raises(Unauthorized) as info:
        AUTH.authenticate(header)
    assert info.value.status == 401
    challenge = info.value.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="hotline-ingest"')
    assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)
    assert "pbx-token" not in str(info.value)


@pytest.mark.parametrize("producer,source,prefix", [
    ("pbx", "/pbx/main", "/pbx/"),
    ("pbx", "/pbx/main/ivr", "/pbx/main/ivr"),  # the most specific prefix
    ("pbx", "/pbx/main/ivr/7", "/pbx/main/ivr"),
    ("pbx", "/pbx/main/ivrx", "/pbx/"),
    ("pbx", "/portal/web", None),
    ("pbx", "/pbx", None),
    ("portal", "/portal", "/portal"),
    ("portal", "/portal/web", "/portal"),
    ("portal", "/portalfake", None),
    ("gateway", "urn:hotline:110:gw1", "urn:hotline:110:"),
    ("gateway", "/110", None),
    ("dev", "/anything/at/all", "/"),
    ("dev", "urn:x", None),  # "/" covers absolute paths only
    ("dev", "#pbx", None),
    ("dev", "pbx/main", None),
])
def test_prefix_of(producer: str, source: str, prefix: str | None) -> None:
    p = next(p for p in AUTH.producers if p.name == producer)
    assert p.prefix_of(source) == prefix


def test_source_prefixes_per_event() -> None:
    pbx = Producer("pbx", ("/pbx/",))
    events = [{"source": "/pbx/a"}, {"source": ""}, {"source": 7}, {}, "x", {"source": "/pbx/b"}]
    assert source_prefixes(pbx, events) == ["/pbx/", None, None, None, None, "/pbx/"]


def test_a_source_outside_the_prefixes_forbids_the_whole_request() -> None:
    pbx = Producer("pbx", ("/pbx/",))
    with pytest.raises(Forbidden) as info:
        source_prefixes(pbx, [{"source": "/pbx/a"}, {"source": "/portal/web"}, {}, {"source": "/x"}])
    assert info.value.status == 403
    assert info.value.extra["indexes"] == [1, 3]
    assert "index 1, 3" in info.value.detail and "(/pbx/)" in info.value.detail
    assert "/portal/web" not in info.value.detail


def test_many_forbidden_indexes_are_bounded() -> None:
    with pytest.raises(Forbidden) as info:
        source_prefixes(Producer("pbx", ("/pbx/",)), [{"source": "/x"}] * 500)
    assert len(info.value.extra["indexes"]) == 50 and info.value.detail.endswith("...; nothing was published")


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("source,prefix", [
    ("/pbx/main", "/"), ("#pbx", ANY_SOURCE), ("pbx/main", ANY_SOURCE), ("?line=12345", ANY_SOURCE),
    ("urn:hotline:110:gw1", ANY_SOURCE), ("https://portal.example/web", ANY_SOURCE),
])
def test_the_development_token_covers_every_source(source: str, prefix: str) -> None:
    auth = Authenticator(IngestSettings().tokens)  # the development default: dev-token
    dev = auth.authenticate(f"Bearer {DEV_TOKEN}")
    assert dev.prefix_of(source) == prefix
    assert source_prefixes(dev, [{"source": source}]) == [prefix]


def test_a_grant_with_every_source_covers_every_source_beyond_its_prefixes() -> None:
    auth = Authenticator({
        DEV_TOKEN: ProducerGrant(producer="dev", sources=["/pbx/"], every_source=True),
        "another-token-of-forty-characters-000000": ProducerGrant(producer="pbx", sources=["/pbx/"]),
    })
    dev = auth.authenticate(f"Bearer {DEV_TOKEN}")
    assert (dev.prefix_of("/pbx/main"), dev.prefix_of("#pbx")) == ("/pbx/", ANY_SOURCE)
    # The same prefixes without it: only its own.
    pbx = auth.authenticate("Bearer another-token-of-forty-characters-000000")
    assert (pbx.prefix_of("/pbx/main"), pbx.prefix_of("#pbx")) == ("/pbx/", None)


def test_other_tokens_keep_their_scopes_and_star_is_no_wildcard(clean_env) -> None:
    clean_env.setenv("HOTLINE_ENV", "production")
    clean_env.setenv("HOTLINE_CALLER_HASH_KEY", PRODUCTION_KEY)
    clean_env.setenv("HOTLINE_INGEST_TOKENS", f'{{"{PRODUCTION_TOKEN}": {{"producer": "pbx", "sources": ["/", "*"]}}}}')
    pbx = Authenticator(IngestSettings().tokens).authenticate(f"Bearer {PRODUCTION_TOKEN}")
    assert (pbx.prefix_of("/pbx/main"), pbx.prefix_of("*")) == ("/", "*")
    for source in ("#pbx", "pbx/main", "urn:x", "*x"):
        assert pbx.prefix_of(source) is None, source
    with pytest.raises(Forbidden):
        source_prefixes(pbx, [{"source": "#pbx"}])
