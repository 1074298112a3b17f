"""docker-compose.yml (the production-like stack) checked without Docker.

No machine of the project runs Docker, so this is what keeps the compose file honest: it must be
valid under the Compose Specification schema, and agree with the code it configures — the
settings classes (every HOTLINE_* variable must be a real field), the Kafka topics and partition
default, the ports, the Prometheus targets and the Grafana provisioning.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
import tomllib
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from hotline.settings import CitySettings, ClickHouseSettings, KafkaSettings, PrivacySettings, StackSettings

ROOT = Path(__file__).resolve().parents[3]
COMPOSE_FILE = ROOT / "docker-compose.yml"
PROMETHEUS_FILE = ROOT / "deploy/prometheus/prometheus.yml"
GRAFANA_DATASOURCES = ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml"
GRAFANA_DASHBOARDS = ROOT / "deploy/grafana/provisioning/dashboards/hotline.yml"
SCHEMA_FILE = Path(sys.prefix) / "share/compose-spec/compose-spec.json"

SERVICES = {"kafka", "kafka-init", "clickhouse", "migrate", "ingest", "aggregate", "api", "alerts", "prometheus",
            "grafana"}
APP_SERVICES = ("migrate", "ingest", "aggregate", "api", "alerts")
COMMANDS = {
    "migrate": "python -m hotline.storage migrate",
    # The slow-client protocol (408/431), as `hotline up` runs them (tooling/stack/services.py).
    "ingest": "uvicorn services.ingest.app:app --host 0.0.0.0 --port 8080 --http services.ingest.http:IngestHttp",
    "aggregate": "faust -A services.aggregate.app worker -l info --web-port 6066",
    "api": "uvicorn services.api.app:app --host 0.0.0.0 --port 8090 --http services.api.http:ApiHttp",
    "alerts": "uvicorn services.alerts.app:app --host 0.0.0.0 --port 8095",
}
PORTS = {"ingest": 8080, "aggregate": 6066, "api": 8090, "alerts": 8095, "prometheus": 9090, "grafana": 3000}
APP_ENV = {
    "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
    "HOTLINE_KAFKA_EXTERNAL": "true",
    "HOTLINE_KAFKA_PARTITIONS": "${HOTLINE_KAFKA_PARTITIONS:-8}",
    "HOTLINE_CLICKHOUSE_HOST": "clickhouse",
    "HOTLINE_CLICKHOUSE_PORT": "9000",
    "HOTLINE_CLICKHOUSE_HTTP_PORT": "8123",
    "HOTLINE_CLICKHOUSE_EXTERNAL": "true",
    "HOTLINE_CLICKHOUSE_DATABASE": "hotline",
    "HOTLINE_CLICKHOUSE_USER": "${HOTLINE_CLICKHOUSE_USER:-hotline}",
}
PASSWORD_REF = re.compile(r"^\$\{HOTLINE_CLICKHOUSE_PASSWORD:\?[^}]+\}$")

# Compose's own formats that the schema names but jsonschema does not know.
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$")
_PORTS = re.compile(r"^(?:(?:[\d.]+|\[[0-9a-fA-F:]+\]):)?(?:\d+(?:-\d+)?:)?\d+(?:-\d+)?(?:/(?:tcp|udp|sctp))?$")
_INTERPOLATION = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


# --- helpers -----------------------------------------------------------------------------------


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's variable substitution, enough for this file: $$, ${V}, ${V:-d}, ${V-d}, ${V:?e}."""

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, arg = m.group(1), m.group(2), m.group(3)
        val = env.get(name)
        if op in (":-", "-"):
            return val if val or (op == "-" and val is not None) else arg
        if op in (":?", "?") and (val is None or (op == ":?" and not val)):
            raise KeyError(f"{name}: {arg}")
        return val or ""

    return _INTERPOLATION.sub(one, value)


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {k: ("" if v is None else str(v)) for k, v in env.items()}


def command_text(service: dict) -> str:
    cmd = service.get("command", "")
    return " ".join(cmd) if isinstance(cmd, list) else cmd


def published(service: dict) -> set[tuple[int, int]]:
    """(host port, container port) pairs of a service's `ports`, short or long syntax."""
    out = set()
    for p in service.get("ports", []):
        if isinstance(p, dict):
            out.add((int(p["published"]), int(p["target"])))
        else:
            parts = str(p).split("/")[0].split(":")
            out.add((int(parts[-2]) if len(parts) > 1 else int(parts[-1]), int(parts[-1])))
    return out


def bind_mounts(service: dict) -> dict[str, str]:
    """Relative bind mounts of a service: source (as written) -> container path."""
    out = {}
    for v in service.get("volumes", []):
        source, target = (v["source"], v["target"]) if isinstance(v, dict) else v.split(":")[:2]
        if source.startswith("."):
            out[source.rstrip("/")] = target.rstrip("/")
    return out


def env_names(cls: type[BaseSettings]) -> set[str]:
    """The environment variables a settings class reads (pydantic-settings, case-insensitive)."""
    prefix = cls.model_config.get("env_prefix", "")
    names = set()
    for name, field in cls.model_fields.items():
        alias = field.validation_alias or field.alias
        if isinstance(alias, str):
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            names.update(c.upper() for c in alias.choices if isinstance(c, str))
        else:
            names.add(f"{prefix}{name}".upper())
    return names


def settings_classes() -> list[type[BaseSettings]]:
    """The shared settings classes plus every service's own, so the check grows as services land."""
    classes: list[type[BaseSettings]] = [StackSettings, ClickHouseSettings, KafkaSettings, CitySettings, PrivacySettings]
    for path in sorted(ROOT.glob("services/*/settings.py")):
        module = importlib.import_module(f"services.{path.parent.name}.settings")
        classes += [
            obj
            for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, BaseSettings) and obj is not BaseSettings and obj.__module__ == module.__name__
        ]
    return classes



@pytest.fixture(scope="module")
def raw() -> str:
    return COMPOSE_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compose(raw: str) -> dict:
    return yaml.safe_load(raw)


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


@pytest.fixture(scope="module")
def schema() -> dict:
    if not SCHEMA_FILE.is_file():
        pytest.fail(
            f"Compose Specification schema not found at {SCHEMA_FILE}; "
            "run scripts/fetch-compose-schema.sh (needs npm) to install it into the virtualenv"
        )
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


# --- the file as a whole -----------------------------------------------------------------------


def test_valid_under_compose_specification(compose: dict, schema: dict) -> None:
    formats = jsonschema.FormatChecker()
    formats.checks("duration")(lambda v: not isinstance(v, str) or bool(_DURATION.match(v)))
    formats.checks("ports")(lambda v: not isinstance(v, str) or bool(_PORTS.match(v)))
    # The schema declares draft 2019-09 (under its http:// name, which jsonschema does not map).
    jsonschema.Draft201909Validator.check_schema(schema)
    validator = jsonschema.Draft201909Validator(schema, format_checker=formats)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_no_version_key(compose: dict) -> None:
    assert "version" not in compose, "the Compose Specification has no top-level version"


def test_the_local_broker_runs_the_kafka_version_of_compose(services: dict) -> None:
    # One Kafka version everywhere: the local stack's jars (tooling/stack/kafka/pom.xml) and the
    # image production runs are upgraded together.
    pom = ElementTree.parse(ROOT / "tooling" / "stack" / "kafka" / "pom.xml").getroot()
    version = pom.find("{http://maven.apache.org/POM/4.0.0}properties/{http://maven.apache.org/POM/4.0.0}kafka.version").text
    assert services["kafka"]["image"] == services["kafka-init"]["image"] == f"apache/kafka:{version}"


def test_service_names(services: dict) -> None:
    assert set(services) == SERVICES


def test_images(services: dict) -> None:
    assert services["kafka"]["image"] == "apache/kafka:4.1.1"
    assert services["kafka-init"]["image"] == "apache/kafka:4.1.1"
    assert services["clickhouse"]["image"] == "clickhouse/clickhouse-server:24.8"
    assert services["prometheus"]["image"] == "prom/prometheus:v2.54.1"
    assert services["grafana"]["image"] == "grafana/grafana:11.2.0"
    for name in APP_SERVICES:
        build = services[name]["build"]
        assert (build["context"], build.get("dockerfile", "Dockerfile")) == (".", "Dockerfile"), name
    assert len({services[name]["image"] for name in APP_SERVICES}) == 1, "one image for all services"


def test_dockerfile() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    # The image installs the locked versions, as scripts/bootstrap.sh does, of the runtime's
    # dependencies only (pyproject's [project] dependencies, read in the build).
    assert re.search(r"^COPY [^\n]*\bconstraints\.txt\b", text, re.M)
    assert "['project']['dependencies']" in text
    assert re.search(r"pip install -c constraints\.txt -r runtime-requirements\.txt", text)
    assert "[test]" not in text and "[tools" not in text
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0"), "the services must not run as root"


def test_the_image_carries_the_runtime_only() -> None:
    # No simulator, local stack, benchmark or test code in the production image.
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied = {src for line in re.findall(r"^COPY (.+)$", text, re.M) for src in line.split()[:-1]}
    assert copied == {"pyproject.toml", "constraints.txt", "hotline/", "services/", "schemas/"}
    # ...and no tooling or test dependency among the runtime's.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {re.match(r"[A-Za-z0-9._-]+", spec).group(0).lower() for spec in project["dependencies"]}
    extras = {re.match(r"[A-Za-z0-9._-]+", spec).group(0).lower()
              for specs in project["optional-dependencies"].values() for spec in specs}
    assert {"pytest", "hypothesis", "chdb", "schemathesis", "import-linter"} <= extras
    assert "numpy" in runtime  # the alerts service's detectors compute with it
    assert not runtime & extras, f"tooling or test dependencies in the runtime: {sorted(runtime & extras)}"


def test_named_volumes_for_data(compose: dict, services: dict) -> None:
    declared = set(compose["volumes"])
    assert {"kafka-data:/var/lib/kafka/data"} <= set(services["kafka"]["volumes"])
    assert {"clickhouse-data:/var/lib/clickhouse"} <= set(services["clickhouse"]["volumes"])
    for service in services.values():
        for v in service.get("volumes", []):
            source = v["source"] if isinstance(v, dict) else v.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"volume {source} is not declared"


def test_bind_mount_sources_exist(services: dict) -> None:
    for name, service in services.items():
        for source in bind_mounts(service):
            assert (ROOT / source).exists(), f"{name} mounts {source}, which is not in the repo"


# --- start order -------------------------------------------------------------------------------


def test_depends_on_conditions(services: dict) -> None:
    def deps(name: str) -> dict[str, str]:
        return {k: v["condition"] for k, v in services[name].get("depends_on", {}).items()}

    assert deps("kafka-init") == {"kafka": "service_healthy"}
    assert deps("migrate") == {"clickhouse": "service_healthy"}
    for name in ("ingest", "aggregate", "api", "alerts"):
        assert deps(name) == {
            "kafka-init": "service_completed_successfully",
            "clickhouse": "service_healthy",
            "migrate": "service_completed_successfully",
        }, name
    # A condition on health needs a healthcheck to become true.
    for name in services:
        for dep, condition in deps(name).items():
            if condition == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep} to be healthy; it has no healthcheck"


def test_healthchecks(services: dict) -> None:
    assert "kafka-broker-api-versions.sh --bootstrap-server localhost:9092" in " ".join(
        services["kafka"]["healthcheck"]["test"]
    )
    assert "http://127.0.0.1:8123/ping" in services["clickhouse"]["healthcheck"]["test"]


def test_one_shots_do_not_restart(services: dict) -> None:
    for name in ("kafka-init", "migrate"):
        assert services[name].get("restart", "no") == "no", name


# --- Kafka -------------------------------------------------------------------------------------


def test_kafka_kraft_single_node(services: dict) -> None:
    env = environment(services["kafka"])
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert env["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"


def test_kafka_init_creates_the_settings_topics(services: dict, clean_env: pytest.MonkeyPatch) -> None:
    script = command_text(services["kafka-init"])
    creates = [line for line in script.splitlines() if "--create" in line]
    topics = [re.search(r"--topic\s+(\S+)", line).group(1) for line in creates]
    assert sorted(topics) == sorted(KafkaSettings().all_topics)
    assert sorted(topics) == ["hotline.alerts.v1", "hotline.calls.v1", "hotline.deadletter.v1", "hotline.tickets.v1"]
    for line in creates:
        assert "--if-not-exists" in line, line
        assert "--bootstrap-server kafka:9092" in line, line
        assert "--partitions ${HOTLINE_KAFKA_PARTITIONS:-8}" in line, line


def test_partition_default_agrees_with_settings(raw: str) -> None:
    default = KafkaSettings.model_fields["partitions"].default
    defaults = re.findall(r"\$\{HOTLINE_KAFKA_PARTITIONS(?::-(\d+))?\}", raw)
    assert defaults, "HOTLINE_KAFKA_PARTITIONS is not used"
    assert set(defaults) == {str(default)}, "every use of HOTLINE_KAFKA_PARTITIONS needs the settings default"


# --- ClickHouse --------------------------------------------------------------------------------


def test_clickhouse_server_matches_client_settings(services: dict) -> None:
    server = environment(services["clickhouse"])
    client = environment(services["ingest"])
    assert server["CLICKHOUSE_DB"] == client["HOTLINE_CLICKHOUSE_DATABASE"] == "hotline"
    assert server["CLICKHOUSE_USER"] == client["HOTLINE_CLICKHOUSE_USER"]
    assert PASSWORD_REF.match(server["CLICKHOUSE_PASSWORD"])
    assert services["clickhouse"]["ulimits"]["nofile"] == {"soft": 262144, "hard": 262144}


# --- the project's services --------------------------------------------------------------------


def test_commands(services: dict) -> None:
    assert {name: command_text(services[name]) for name in APP_SERVICES} == COMMANDS


def test_published_ports(services: dict) -> None:
    for name, port in PORTS.items():
        assert (port, port) in published(services[name]), name
    for name in ("kafka", "clickhouse", "migrate", "kafka-init"):
        assert not services[name].get("ports"), f"{name} is reached inside the compose network only"


def test_app_environment(services: dict) -> None:
    for name in APP_SERVICES:
        env = environment(services[name])
        assert {k: env.get(k) for k in APP_ENV} == APP_ENV, name
        assert PASSWORD_REF.match(env["HOTLINE_CLICKHOUSE_PASSWORD"]), f"{name}: password must be required (:?)"


def test_hotline_variables_are_settings_fields(services: dict) -> None:
    known = set().union(*(env_names(cls) for cls in settings_classes()))
    assert {"HOTLINE_STATE_DIR", "HOTLINE_CLICKHOUSE_PASSWORD", "HOTLINE_KAFKA_BOOTSTRAP_SERVERS"} <= known
    unknown = {
        f"{name}: {var}"
        for name, service in services.items()
        for var in environment(service)
        if var.upper().startswith("HOTLINE_") and var.upper() not in known
    }
    assert not unknown, f"not a field of any settings class: {sorted(unknown)}"


KEY = "q8Hn2LxV0sRkT5yW7mPzB3cJ6fD1gA9eUoQiXwE4"


def test_app_environment_builds_settings(services: dict, clean_env: pytest.MonkeyPatch) -> None:
    # Production refuses weak secrets (hotline/settings.py): these have the length and the variety.
    shell = {"HOTLINE_CLICKHOUSE_PASSWORD": "s3cret-Qm4xT9vW2pL7", "HOTLINE_CALLER_HASH_KEY": KEY,
             "HOTLINE_INGEST_TOKENS": '{"t": {"producer": "pbx", "sources": ["/pbx/"]}}',
             "HOTLINE_API_TOKENS": '{"Zk3v9QmW2xR7tY1uP8sL4nB6cV0aJ5": {"reader": "office"}}'}
    for var, value in environment(services["aggregate"]).items():
        clean_env.setenv(var, interpolate(value, shell))
    kafka, clickhouse = KafkaSettings(), ClickHouseSettings()
    assert kafka.addresses() == [("kafka", 9092)]
    assert kafka.external is True
    assert kafka.partitions == 8
    assert (clickhouse.host, clickhouse.port, clickhouse.http_port) == ("clickhouse", 9000, 8123)
    assert (clickhouse.user, clickhouse.database, clickhouse.external) == ("hotline", "hotline", True)
    assert clickhouse.password.get_secret_value() == "s3cret-Qm4xT9vW2pL7"
    privacy = PrivacySettings()
    assert (privacy.env, privacy.hash_key) == ("production", KEY.encode())
    from services.api.settings import ApiSettings

    api = ApiSettings()
    assert (api.env, list(api.tokens)) == ("production", ["Zk3v9QmW2xR7tY1uP8sL4nB6cV0aJ5"])
    from services.alerts.settings import AlertsSettings

    alerts = AlertsSettings()
    assert (alerts.kafka.topic_alerts, alerts.clickhouse.host, alerts.port) == ("hotline.alerts.v1", "clickhouse", 8095)


def test_missing_password_is_an_error(services: dict) -> None:
    with pytest.raises(KeyError, match="HOTLINE_CLICKHOUSE_PASSWORD"):
        interpolate(environment(services["api"])["HOTLINE_CLICKHOUSE_PASSWORD"], {})


# --- monitoring --------------------------------------------------------------------------------


def test_prometheus_scrapes_the_published_ports(services: dict) -> None:
    config = yaml.safe_load(PROMETHEUS_FILE.read_text(encoding="utf-8"))
    assert config["global"]["scrape_interval"] == "15s"
    jobs = {
        job["job_name"]: (
            job.get("metrics_path", "/metrics"),
            [target for static in job["static_configs"] for target in static["targets"]],
        )
        for job in config["scrape_configs"]
    }
    assert jobs == {
        "ingest": ("/metrics", ["ingest:8080"]),
        "aggregate": ("/metrics", ["aggregate:6066"]),
        "api": ("/metrics", ["api:8090"]),
        "alerts": ("/metrics", ["alerts:8095"]),
    }
    for _, targets in jobs.values():
        for target in targets:
            host, port = target.rsplit(":", 1)
            assert int(port) in {container for _, container in published(services[host])}, target


def test_prometheus_mounts_its_config(services: dict) -> None:
    prometheus = services["prometheus"]
    assert bind_mounts(prometheus) == {"./deploy/prometheus": "/etc/prometheus"}
    assert any(v.endswith(":ro") for v in prometheus["volumes"] if v.startswith("./deploy/prometheus"))
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]


def test_grafana_provisioning(services: dict) -> None:
    mounts = bind_mounts(services["grafana"])
    assert mounts == {
        "./deploy/grafana/provisioning": "/etc/grafana/provisioning",
        "./deploy/grafana/dashboards": "/var/lib/grafana/dashboards",
    }
    datasources = yaml.safe_load(GRAFANA_DATASOURCES.read_text(encoding="utf-8"))
    assert datasources["apiVersion"] == 1
    [source] = datasources["datasources"]
    assert (source["type"], source["url"], source["isDefault"]) == ("prometheus", "http://prometheus:9090", True)
    assert (9090, 9090) in published(services["prometheus"])

    dashboards = yaml.safe_load(GRAFANA_DASHBOARDS.read_text(encoding="utf-8"))
    assert dashboards["apiVersion"] == 1
    [provider] = dashboards["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == mounts["./deploy/grafana/dashboards"]
    assert (ROOT / "deploy/grafana/dashboards").is_dir()
