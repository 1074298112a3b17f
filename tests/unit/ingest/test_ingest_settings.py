"""services.ingest.settings: development defaults, production refusals, JSON tokens."""

from __future__ import annotations


import pytest
from pydantic import ValidationError

from hotline.settings import DEV_CALLER_HASH_KEY, PrivacySettings
from services.ingest.settings import DEV_TOKEN, IngestSettings

GOOD_TOKEN = "pbx-Zk3v9QmW2xR7tY1uP8sL4nB6cV0aJ5"
GOOD_KEY = "q8Hn2LxV0sRkT5yW7mPzB3cJ6fD1gA9eUoQiXwE4"


pytestmark = pytest.mark.usefixtures("clean_env")  # tests/unit/conftest.py


def production(monkeypatch, tokens: str | None, key: str | None) -> IngestSettings:
    monkeypatch.setenv("HOTLINE_ENV", "production")
    if tokens is not None:
        monkeypatch.setenv("HOTLINE_INGEST_TOKENS", tokens)
    if key is not None:
        monkeypatch.setenv("HOTLINE_CALLER_HASH_KEY", key)
    return IngestSettings()


def test_development_defaults_work_out_of_the_box():
    s = IngestSettings()
    assert (s.env, s.host, s.port) == ("development", "127.0.0.1", 8080)
    assert {t: (g.producer, g.sources) for t, g in s.tokens.items()} == {DEV_TOKEN: ("dev", ["/"])}
    assert s.hash_key == DEV_CALLER_HASH_KEY.encode()
    assert s.kafka.bootstrap_servers == "127.0.0.1:9092"


def test_environment_variables(clean_env):
    clean_env.setenv("HOTLINE_INGEST_PORT", "18080")
    clean_env.setenv("HOTLINE_INGEST_MAX_BODY_BYTES", "2048")
    clean_env.setenv("HOTLINE_INGEST_MAX_BATCH_EVENTS", "7")
    clean_env.setenv("HOTLINE_INGEST_PUBLISH_TIMEOUT_S", "2.5")
    clean_env.setenv("HOTLINE_INGEST_TOKENS", '{"t-1": {"producer": "pbx", "sources": ["/pbx/", "/ivr"]}}')
    clean_env.setenv("HOTLINE_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    s = IngestSettings()
    assert (s.port, s.max_body_bytes, s.max_batch_events, s.publish_timeout_s) == (18080, 2048, 7, 2.5)
    assert s.tokens["t-1"].sources == ["/pbx/", "/ivr"]
    assert s.kafka.bootstrap_servers == "127.0.0.1:19092"


def test_production_with_real_secrets(clean_env):
    s = production(clean_env, f'{{"{GOOD_TOKEN}": {{"producer": "pbx", "sources": ["/pbx/"]}}}}', GOOD_KEY)
    assert s.env == "production" and s.hash_key == GOOD_KEY.encode()


@pytest.mark.parametrize("tokens,message", [
    (None, "HOTLINE_INGEST_TOKENS must name at least one producer token"),
    ("{}", "HOTLINE_INGEST_TOKENS must name at least one producer token"),
    (f'{{"{DEV_TOKEN}": {{"producer": "dev", "sources": ["/"]}}}}', "token no. 1 (producer 'dev')"),
    ('{"short-token": {"producer": "pbx", "sources": ["/"]}}', "shorter than 24"),
    ('{"changeme-changeme-changeme-123": {"producer": "pbx", "sources": ["/"]}}', "placeholder"),
    ('{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": {"producer": "pbx", "sources": ["/"]}}', "placeholder"),
    (f'{{"{GOOD_TOKEN}": {{"producer": "pbx", "sources": ["/"]}}, "short": {{"producer": "b", "sources": ["/"]}}}}',
     "token no. 2 (producer 'b')"),
])
def test_production_refuses_development_and_placeholder_tokens(clean_env, tokens, message):
    with pytest.raises(ValidationError) as info:
        production(clean_env, tokens, GOOD_KEY)
    text = str(info.value)
    assert "HOTLINE_ENV=production" in text and message in text
    for secret in (GOOD_KEY, GOOD_TOKEN, "short-token", "changeme-changeme-changeme-123"):
        assert secret not in text  # the message never shows a secret it was given


@pytest.mark.parametrize("key", [None, DEV_CALLER_HASH_KEY, "too-short-key"])
def test_production_refuses_the_development_or_a_short_caller_hash_key(clean_env, key):
    with pytest.raises(ValidationError, match="HOTLINE_CALLER_HASH_KEY") as info:
        production(clean_env, f'{{"{GOOD_TOKEN}": {{"producer": "pbx", "sources": ["/"]}}}}', key)
    assert GOOD_TOKEN not in str(info.value) and "too-short-key" not in str(info.value)


def test_the_key_is_the_one_every_service_uses(clean_env):
    clean_env.setenv("HOTLINE_CALLER_HASH_KEY", GOOD_KEY)
    assert IngestSettings().hash_key == PrivacySettings().hash_key == GOOD_KEY.encode()


def test_a_development_key_object_in_production_is_refused(clean_env):
    with pytest.raises(ValidationError, match="built for development"):
        IngestSettings(env="production", tokens={GOOD_TOKEN: {"producer": "pbx", "sources": ["/"]}},
                       privacy=PrivacySettings(env="development"))


@pytest.mark.parametrize("tokens,message", [
    ('{"t": {"producer": "PBX", "sources": ["/pbx/"]}}', "producer"),
    ('{"t": {"producer": "pbx", "sources": []}}', "sources"),
    ('{"t": {"producer": "pbx", "sources": [""]}}', "non-empty"),
    ('{"t": {"producer": "pbx", "sources": ["/a\\nb"]}}', "control characters"),
    ('{"has space": {"producer": "pbx", "sources": ["/"]}}', "not a bearer token"),
    ("not json", "tokens"),
])
def test_malformed_tokens_are_refused_in_any_env(clean_env, tokens, message):
    clean_env.setenv("HOTLINE_INGEST_TOKENS", tokens)
    with pytest.raises(ValidationError, match=message):
        IngestSettings()


def test_secrets_are_not_in_repr():
    s = IngestSettings(tokens={"abc-secret-token": {"producer": "pbx", "sources": ["/"]}},
                       privacy=PrivacySettings(caller_hash_key="hash-key-value"))
    assert "abc-secret-token" not in repr(s) and "hash-key-value" not in repr(s)
