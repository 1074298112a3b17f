"""Every secret of the platform comes from the environment only, and production refuses a
default, placeholder or weak one with a message that names the variable, never the value:
the report tokens (with department tokens read-only), the ClickHouse password and the caller
hash key. Ingest's producer tokens: tests/unit/ingest/test_ingest_settings.py."""

from __future__ import annotations


import pytest
from pydantic import ValidationError

from hotline.settings import DEV_CALLER_HASH_KEY, ClickHouseSettings, PrivacySettings
from hotline.tokens import secret_problem
from services.aggregate.settings import AggregateSettings
from services.api.auth import Authenticator
from services.api.errors import Forbidden
from services.api.settings import ApiSettings
from services.ingest.settings import IngestSettings

CITY = "Zk3v9QmW2xR7tY1uP8sL4nB6cV0aJ5"
DEPT = "dept-Hq4w8Ne2Ry6Tu0Io3Pa7Sd1Fg5"
PASSWORD = "pW7-xQ2mZ9rT4vL8"
KEY = "q8Hn2LxV0sRkT5yW7mPzB3cJ6fD1gA9eUoQiXwE4"


pytestmark = pytest.mark.usefixtures("clean_env")  # tests/unit/conftest.py


def refused(build) -> str:
    with pytest.raises(ValidationError) as info:
        build()
    return str(info.value)


# --- department tokens ---------------------------------------------------------------------------

def test_a_department_token_is_read_only_in_any_env():
    tokens = {CITY: {"reader": "office", "scopes": ["read", "supply"]},
              DEPT: {"reader": "housing", "department": "市住建局", "scopes": ["read", "supply"]}}
    text = refused(lambda: ApiSettings(tokens=tokens))
    assert "HOTLINE_API_TOKENS: token no. 2 (reader 'housing')" in text and "remove 'supply'" in text
    assert DEPT not in text and CITY not in text


def test_department_tokens_from_the_environment(clean_env):
    clean_env.setenv("HOTLINE_API_TOKENS", f'{{"{DEPT}": {{"reader": "housing", "department": "市住建局", '
                                           f'"level": "清江浦区"}}}}')
    grant = ApiSettings().tokens[DEPT]
    assert (grant.department, grant.level, grant.scopes) == ("市住建局", "清江浦区", ["read"])
    clean_env.delenv("HOTLINE_API_TOKENS")
    assert ApiSettings(tokens={DEPT: {"reader": "x", "department": "市住建局"}}).tokens[DEPT].level == "市本级"


@pytest.mark.parametrize("grant", [{"reader": "x", "department": ""}, {"reader": "x", "department": " 市住建局"},
                                   {"reader": "x", "department": "市住\n建局"}, {"reader": "x", "level": ""}])
def test_a_malformed_grant_is_refused_by_position_not_by_token(grant):
    text = refused(lambda: ApiSettings(tokens={CITY: {"reader": "office"}, DEPT: grant}))
    assert "HOTLINE_API_TOKENS: token no. 2: " in text
    assert DEPT not in text  # pydantic alone would name the dict key, the token, in the error


def test_a_malformed_producer_grant_names_no_token():
    text = refused(lambda: IngestSettings(tokens={DEPT: {"producer": "PBX", "sources": ["/"]}}))
    assert "HOTLINE_INGEST_TOKENS: token no. 1: producer" in text and DEPT not in text


def test_a_department_reader_is_refused_city_wide_data():
    auth = Authenticator(ApiSettings(tokens={DEPT: {"reader": "housing", "department": "市住建局"},
                                             CITY: {"reader": "office"}}).tokens)
    reader = auth.authenticate(f"Bearer {DEPT}", "read")
    assert (reader.name, reader.department, reader.level) == ("housing", "市住建局", "市本级")
    with pytest.raises(Forbidden, match="restricted to the tickets of 市住建局; the live figures is city-wide"):
        auth.city_wide(f"Bearer {DEPT}", "the live figures")
    assert auth.city_wide(f"Bearer {CITY}", "the live figures").department is None


# --- the ClickHouse password -----------------------------------------------------------------------

@pytest.mark.parametrize("password, rule", [
    (None, "must be set"), ("", "must be set"), ("short-1A", "at least 16 characters"),
    ("changeme-changeme-1", "placeholder"), ("aaaaaaaaaaaaaaaaaaaa", "8 distinct characters"),
])
def test_production_refuses_a_weak_clickhouse_password(clean_env, password, rule):
    clean_env.setenv("HOTLINE_ENV", "production")
    if password is not None:
        clean_env.setenv("HOTLINE_CLICKHOUSE_PASSWORD", password)
    for build in (ClickHouseSettings, AggregateSettings):
        text = refused(build)
        assert "HOTLINE_ENV=production: HOTLINE_CLICKHOUSE_PASSWORD" in text and rule in text
        assert not password or password not in text


def test_the_api_checks_the_password_even_from_a_development_object(clean_env):
    text = refused(lambda: ApiSettings(env="production", tokens={CITY: {"reader": "office"}}))
    assert "HOTLINE_CLICKHOUSE_PASSWORD must be set" in text


def test_production_takes_a_strong_password_and_development_none(clean_env):
    assert ClickHouseSettings().password.get_secret_value() == ""
    clean_env.setenv("HOTLINE_ENV", "production")
    clean_env.setenv("HOTLINE_CLICKHOUSE_PASSWORD", PASSWORD)
    clean_env.setenv("HOTLINE_CALLER_HASH_KEY", KEY)
    clean_env.setenv("HOTLINE_API_TOKENS", f'{{"{CITY}": {{"reader": "office"}}}}')
    api, agg = ApiSettings(), AggregateSettings()
    assert api.clickhouse.password.get_secret_value() == agg.clickhouse.password.get_secret_value() == PASSWORD
    assert PASSWORD not in repr(api) and PASSWORD not in repr(agg) and CITY not in repr(api)


# --- the caller hash key -------------------------------------------------------------------------

@pytest.mark.parametrize("key", [DEV_CALLER_HASH_KEY, "k" * 40, "your-secret-key-goes-here-0123456789", "short"])
def test_production_refuses_a_weak_caller_hash_key(clean_env, key):
    clean_env.setenv("HOTLINE_ENV", "production")
    clean_env.setenv("HOTLINE_CLICKHOUSE_PASSWORD", PASSWORD)
    clean_env.setenv("HOTLINE_CALLER_HASH_KEY", key)
    for build in (PrivacySettings, AggregateSettings):
        text = refused(build)
        assert "HOTLINE_CALLER_HASH_KEY must be a random secret" in text and key not in text


# --- only from the environment -------------------------------------------------------------------

@pytest.mark.parametrize("cls", [ApiSettings, IngestSettings, AggregateSettings, ClickHouseSettings, PrivacySettings])
def test_settings_read_no_secrets_file(cls):
    """Environment only: no .env or secrets directory is read behind the operator's back."""
    assert cls.model_config.get("env_file") is None and cls.model_config.get("secrets_dir") is None


def test_secret_problem_never_quotes_the_value():
    assert secret_problem("V", "x" * 40, 16) == \
        "V must be a random secret of at least 16 characters (not a placeholder, at least 8 distinct characters)"
    assert secret_problem("V", "dev", 2, default="dev") == "V is the development default"
    assert secret_problem("V", PASSWORD, 16) is None
