"""docker-compose.yml (the production-like stack) checked without Docker.

No machine of the project runs Docker, so this is what keeps the compose file honest: it must be
valid under the Compose Specification schema, and agree with the code it configures — the
settings classes (every HOTLINE_* variable must be a real field), the Kafka topics and partition
default, the ports, the Prometheus targets and the Grafana provisioning. The optional profile
`cluster` (the same platform on 3 Kafka nodes and 2 x 2 ClickHouse nodes) is checked against its
server configs in deploy/clickhouse/cluster/, and by `docker compose config` where a client is
installed.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import shutil
import subprocess
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
CLUSTER_CONFIGS = ROOT / "deploy/clickhouse/cluster"

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

# The profile `cluster`: the same services on clusters, each ClickHouse node with its shard.
CLICKHOUSE_NODES = {"clickhouse-1-1": 1, "clickhouse-1-2": 1, "clickhouse-2-1": 2, "clickhouse-2-2": 2}
KAFKA_NODES = ("kafka-1", "kafka-2", "kafka-3")
CLUSTER_APPS = {f"{name}-cluster": name for name in APP_SERVICES}
CLUSTER_SERVICES = {"clickhouse-keeper", *CLICKHOUSE_NODES, *KAFKA_NODES, "kafka-init-cluster", *CLUSTER_APPS}
CLUSTER_PORTS = {"ingest-cluster": {(18080, 8080)}, "api-cluster": {(18090, 8090)}}
CLUSTER_APP_ENV = {
    "HOTLINE_KAFKA_BOOTSTRAP_SERVERS": "kafka-1:9092,kafka-2:9092,kafka-3:9092",
    "HOTLINE_KAFKA_REPLICATION_FACTOR": "3",
    "HOTLINE_CLICKHOUSE_HOST": "clickhouse-1-1",
    "HOTLINE_CLICKHOUSE_PORT": "9000",
    "HOTLINE_CLICKHOUSE_ALT_HOSTS": "clickhouse-1-2:9000,clickhouse-2-1:9000,clickhouse-2-2:9000",
    "HOTLINE_CLICKHOUSE_CLUSTER": "hotline",
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
    assert set(services) == SERVICES | CLUSTER_SERVICES


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


# --- profile `cluster` -------------------------------------------------------------------------


def profiles(service: dict) -> set[str]:
    return set(service.get("profiles", []))


def config_d(service: dict) -> list[ElementTree.Element]:
    """The repository's XML files a ClickHouse node mounts into its config.d/, parsed."""
    return [ElementTree.parse(ROOT / source).getroot() for source, target in bind_mounts(service).items()
            if target.startswith("/etc/clickhouse-server/config.d/")]


def single(roots: list[ElementTree.Element], path: str) -> ElementTree.Element:
    """The one element at `path` among a node's config files (two would be merged by the server,
    a reading this test does not attempt)."""
    found = [e for root in roots for e in root.findall(path)]
    assert len(found) == 1, f"{path}: {len(found)} elements"
    return found[0]


def remote_servers(roots: list[ElementTree.Element]) -> dict[str, list[list[tuple[str, int]]]]:
    """cluster name -> its shards -> their replicas' (host, port)."""
    return {
        cluster.tag: [[(r.findtext("host"), int(r.findtext("port"))) for r in shard.findall("replica")]
                      for shard in cluster.findall("shard")]
        for cluster in single(roots, "remote_servers")
    }


def test_the_cluster_profile_is_optional(services: dict) -> None:
    # `docker compose up` without --profile starts exactly the single-node stack, as before.
    assert {name for name, s in services.items() if not profiles(s)} == SERVICES
    for name in CLUSTER_SERVICES:
        assert services[name]["profiles"] == ["cluster"], name
    # The cluster nodes reuse the single ones' definitions; these keep their own values.
    assert (services["kafka"]["hostname"], services["clickhouse"]["hostname"]) == ("kafka", "clickhouse")
    kafka = environment(services["kafka"])
    assert kafka["KAFKA_NODE_ID"] == "1" and kafka["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert "KAFKA_MIN_INSYNC_REPLICAS" not in kafka and "CLUSTER_ID" in kafka
    assert services["clickhouse"]["volumes"] == ["clickhouse-data:/var/lib/clickhouse"]


def test_depends_on_stays_within_a_profile(services: dict) -> None:
    # A dependency in another profile would not start (or, from a default service, would pull
    # the cluster into every `up`).
    for name, service in services.items():
        for dep in service.get("depends_on", {}):
            assert dep in services, f"{name} depends on {dep}, which is not a service"
            assert profiles(services[dep]) <= profiles(service), f"{name} depends on {dep} of another profile"


def test_cluster_images(services: dict) -> None:
    server = services["clickhouse"]["image"]
    for name in CLICKHOUSE_NODES:
        assert services[name]["image"] == server, name
    # Keeper is released with the server: the same version.
    assert services["clickhouse-keeper"]["image"] == "clickhouse/clickhouse-keeper:" + server.split(":", 1)[1]
    for name in (*KAFKA_NODES, "kafka-init-cluster"):
        assert services[name]["image"] == services["kafka"]["image"], name
    for name, single_node in CLUSTER_APPS.items():
        assert services[name]["build"] == services[single_node]["build"], name
        assert services[name]["image"] == services[single_node]["image"], name


def test_cluster_commands(services: dict) -> None:
    assert {name: command_text(services[name]) for name in CLUSTER_APPS} == {
        name: COMMANDS[single_node] for name, single_node in CLUSTER_APPS.items()}


def test_cluster_depends_on(services: dict) -> None:
    def deps(name: str) -> dict[str, str]:
        return {k: v["condition"] for k, v in services[name].get("depends_on", {}).items()}

    nodes = {name: "service_healthy" for name in CLICKHOUSE_NODES}
    for name in CLICKHOUSE_NODES:
        assert deps(name) == {"clickhouse-keeper": "service_healthy"}, name
    assert deps("kafka-init-cluster") == {name: "service_healthy" for name in KAFKA_NODES}
    # The migrations reach every node: each must answer.
    assert deps("migrate-cluster") == nodes
    for name in CLUSTER_APPS.keys() - {"migrate-cluster"}:
        assert deps(name) == {"kafka-init-cluster": "service_completed_successfully", **nodes,
                              "migrate-cluster": "service_completed_successfully"}, name
    for name in ("kafka-init-cluster", "migrate-cluster"):
        assert services[name]["restart"] == "no", name


def test_cluster_app_environment(services: dict) -> None:
    # Everything but the servers' addresses as the single-node services have it.
    rest = {k: v for k, v in environment(services["api"]).items() if k not in CLUSTER_APP_ENV}
    for name in CLUSTER_APPS:
        env = environment(services[name])
        assert env == {**rest, **CLUSTER_APP_ENV}, name


def test_cluster_app_environment_builds_settings(services: dict, clean_env: pytest.MonkeyPatch) -> None:
    shell = {"HOTLINE_CLICKHOUSE_PASSWORD": "s3cret-Qm4xT9vW2pL7"}
    for var, value in environment(services["aggregate-cluster"]).items():
        if var.startswith(("HOTLINE_KAFKA_", "HOTLINE_CLICKHOUSE_")):
            clean_env.setenv(var, interpolate(value, shell))
    kafka, clickhouse = KafkaSettings(), ClickHouseSettings()
    assert kafka.addresses() == [("kafka-1", 9092), ("kafka-2", 9092), ("kafka-3", 9092)]
    assert kafka.replication_factor == 3
    assert (clickhouse.host, clickhouse.port, clickhouse.cluster) == ("clickhouse-1-1", 9000, "hotline")
    assert clickhouse.alt_hosts == "clickhouse-1-2:9000,clickhouse-2-1:9000,clickhouse-2-2:9000"


def test_cluster_addresses_are_the_nodes(services: dict) -> None:
    # What the services are told is what the servers advertise and are named in the compose network.
    env = environment(services["ingest-cluster"])
    advertised = [environment(services[n])["KAFKA_ADVERTISED_LISTENERS"].removeprefix("PLAINTEXT://")
                  for n in KAFKA_NODES]
    assert env["HOTLINE_KAFKA_BOOTSTRAP_SERVERS"].split(",") == advertised
    clickhouse = [f"{env['HOTLINE_CLICKHOUSE_HOST']}:{env['HOTLINE_CLICKHOUSE_PORT']}",
                  *env["HOTLINE_CLICKHOUSE_ALT_HOSTS"].split(",")]
    assert clickhouse == [f"{services[n]['hostname']}:9000" for n in CLICKHOUSE_NODES]


def test_cluster_published_ports(services: dict) -> None:
    # The profile runs beside the single-node stack: no host port twice.
    hosts = [host for service in services.values() for host, _ in published(service)]
    assert len(hosts) == len(set(hosts)), sorted(hosts)
    assert {name: published(services[name]) for name in CLUSTER_SERVICES if published(services[name])} == CLUSTER_PORTS


def test_two_aggregate_workers(services: dict) -> None:
    aggregate = services["aggregate-cluster"]
    assert aggregate["deploy"]["replicas"] == 2
    assert not aggregate.get("ports"), "two replicas cannot publish one host port"


def test_cluster_data_volumes(compose: dict, services: dict) -> None:
    data = {"clickhouse-keeper": "/var/lib/clickhouse", **dict.fromkeys(CLICKHOUSE_NODES, "/var/lib/clickhouse"),
            **dict.fromkeys(KAFKA_NODES, "/var/lib/kafka/data")}
    sources = []
    for name, path in data.items():
        named = [v.split(":")[0] for v in services[name]["volumes"] if v.split(":")[1] == path]
        assert len(named) == 1 and named[0] in compose["volumes"], f"{name}: {path} is not a named volume"
        sources += named
    assert len(sources) == len(set(sources)), "each node needs a volume of its own"


# ClickHouse


def test_every_cluster_config_is_mounted(services: dict) -> None:
    mounted = {Path(source).name for name in ("clickhouse-keeper", *CLICKHOUSE_NODES)
               for source in bind_mounts(services[name])}
    assert mounted == {p.name for p in CLUSTER_CONFIGS.iterdir()}


def test_clickhouse_node_mounts(services: dict) -> None:
    for name in CLICKHOUSE_NODES:
        configs = {Path(s).name: t for s, t in bind_mounts(services[name]).items()}
        assert configs == {"cluster.xml": "/etc/clickhouse-server/config.d/hotline-cluster.xml",
                           f"node-{name.removeprefix('clickhouse-')}.xml":
                               "/etc/clickhouse-server/config.d/hotline-node.xml"}, name
        assert all(v.endswith(":ro") for v in services[name]["volumes"] if v.startswith("./")), name


def test_clickhouse_clusters(services: dict) -> None:
    shards = [[(n, 9000) for n, s in CLICKHOUSE_NODES.items() if s == shard] for shard in (1, 2)]
    assert shards[0] == [("clickhouse-1-1", 9000), ("clickhouse-1-2", 9000)]
    for name in CLICKHOUSE_NODES:
        roots = config_d(services[name])
        assert remote_servers(roots) == {
            "hotline": shards,
            "hotline_all": [[(n, 9000) for n in CLICKHOUSE_NODES]],
        }, name
        for shard in single(roots, "remote_servers").iter("shard"):
            assert shard.findtext("internal_replication") == "true", name
        # The image's entrypoint removes the open `default` user: replicas log in as the one it
        # creates, from the node's own environment.
        env = environment(services[name])
        for replica in single(roots, "remote_servers").iter("replica"):
            assert replica.find("user").get("from_env") == "CLICKHOUSE_USER"
            assert replica.find("password").get("from_env") == "CLICKHOUSE_PASSWORD"
        assert {"CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD"} <= env.keys()
        assert PASSWORD_REF.match(env["CLICKHOUSE_PASSWORD"])


def test_clickhouse_macros(services: dict) -> None:
    replicas = []
    for name, shard in CLICKHOUSE_NODES.items():
        roots = config_d(services[name])
        macros = {m.tag: m.text for m in single(roots, "macros")}
        assert macros == {"cluster": "hotline", "shard": str(shard), "replica": name}, name
        # The shard macro names the shard of remote_servers the node is a replica of.
        hotline = remote_servers(roots)["hotline"]
        assert (name, 9000) in hotline[shard - 1], name
        assert single(roots, "interserver_http_host").text == services[name]["hostname"] == name
        assert macros["cluster"] == CLUSTER_APP_ENV["HOTLINE_CLICKHOUSE_CLUSTER"]
        replicas.append(macros["replica"])
    # Two replicas of one name would share their place in Keeper and fetch nothing from each other.
    assert len(set(replicas)) == len(replicas), "replica macros must be unique"


def test_clickhouse_coordination(services: dict) -> None:
    keeper = ElementTree.parse(CLUSTER_CONFIGS / "keeper.xml").getroot()
    port = int(keeper.findtext("keeper_server/tcp_port"))
    for name in CLICKHOUSE_NODES:
        roots = config_d(services[name])
        nodes = single(roots, "zookeeper").findall("node")
        assert [(n.findtext("host"), int(n.findtext("port"))) for n in nodes] == [
            (services["clickhouse-keeper"]["hostname"], port)], name
        assert single(roots, "distributed_ddl").findtext("path") == "/clickhouse/task_queue/ddl", name


def test_keeper(services: dict) -> None:
    service = services["clickhouse-keeper"]
    assert bind_mounts(service) == {
        "./deploy/clickhouse/cluster/keeper.xml": "/etc/clickhouse-keeper/keeper_config.xml"}
    keeper = ElementTree.parse(CLUSTER_CONFIGS / "keeper.xml").getroot()
    assert keeper.findtext("listen_host") == "0.0.0.0", "the image's default listens on loopback only"
    server = keeper.find("keeper_server")
    [raft] = server.findall("raft_configuration/server")
    assert raft.findtext("id") == server.findtext("server_id")
    assert raft.findtext("hostname") == service["hostname"]
    data = next(v.split(":")[1] for v in service["volumes"] if not v.startswith("./"))
    for path in ("log_storage_path", "snapshot_storage_path"):
        assert server.findtext(path).startswith(data + "/"), f"{path} is not in the named volume"
    check = " ".join(service["healthcheck"]["test"])
    assert f"/dev/tcp/127.0.0.1/{server.findtext('tcp_port')}" in check and "ruok" in check


# Kafka


def test_kafka_quorum(services: dict) -> None:
    envs = {name: environment(services[name]) for name in KAFKA_NODES}
    ids = {name: int(env["KAFKA_NODE_ID"]) for name, env in envs.items()}
    assert len(set(ids.values())) == len(KAFKA_NODES), "node ids must be unique"
    voters = {env["KAFKA_CONTROLLER_QUORUM_VOTERS"] for env in envs.values()}
    assert len(voters) == 1, "every node must name the same quorum"
    assert sorted(voters.pop().split(",")) == sorted(f"{ids[n]}@{services[n]['hostname']}:9093" for n in KAFKA_NODES)
    assert len({env["CLUSTER_ID"] for env in envs.values()}) == 1, "one cluster id"
    assert envs["kafka-1"]["CLUSTER_ID"] != environment(services["kafka"])["CLUSTER_ID"]
    for name, env in envs.items():
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller", name
        assert env["KAFKA_LISTENERS"] == "PLAINTEXT://:9092,CONTROLLER://:9093", name
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{services[name]['hostname']}:9092", name
        assert services[name]["hostname"] == name
        assert {k: env[k] for k in ("KAFKA_DEFAULT_REPLICATION_FACTOR", "KAFKA_MIN_INSYNC_REPLICAS",
                                    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                                    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                                    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR")} == {
            "KAFKA_DEFAULT_REPLICATION_FACTOR": "3", "KAFKA_MIN_INSYNC_REPLICAS": "2",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "3", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "3",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "2"}, name
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false", name
        assert "kafka-broker-api-versions.sh" in " ".join(services[name]["healthcheck"]["test"]), name


def test_kafka_init_cluster_creates_replicated_topics(services: dict, clean_env: pytest.MonkeyPatch) -> None:
    script = command_text(services["kafka-init-cluster"])
    assert re.search(r"^\s*servers=(\S+)$", script, re.M).group(1) == CLUSTER_APP_ENV["HOTLINE_KAFKA_BOOTSTRAP_SERVERS"]
    creates = [line for line in script.splitlines() if "--create" in line]
    topics = [re.search(r"--topic\s+(\S+)", line).group(1) for line in creates]
    assert sorted(topics) == sorted(KafkaSettings().all_topics)
    for line in creates:
        assert "--if-not-exists" in line and "--bootstrap-server $$servers" in line, line
        assert "--partitions ${HOTLINE_KAFKA_PARTITIONS:-8}" in line, line
        assert f"--replication-factor {CLUSTER_APP_ENV['HOTLINE_KAFKA_REPLICATION_FACTOR']}" in line, line


# The file as Docker Compose reads it (interpolation, merge keys, profiles), where a client is
# installed; none is on the project's machines, so this usually skips.


def compose_client() -> list[str] | None:
    if shutil.which("docker"):
        try:
            if subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=60).returncode == 0:
                return ["docker", "compose"]
        except subprocess.TimeoutExpired:
            pass
    return ["docker-compose"] if shutil.which("docker-compose") else None


@pytest.mark.parametrize("profile", [[], ["--profile", "cluster"]], ids=["default", "cluster"])
def test_docker_compose_config(profile: list[str]) -> None:
    client = compose_client()
    if client is None:
        pytest.skip("no docker compose client (a client only is needed: config never starts anything)")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("HOTLINE_")}
    env.update(HOTLINE_CLICKHOUSE_PASSWORD="s3cret-Qm4xT9vW2pL7", HOTLINE_CALLER_HASH_KEY=KEY,
               HOTLINE_INGEST_TOKENS="{}", HOTLINE_API_TOKENS="{}")
    done = subprocess.run([*client, "-f", str(COMPOSE_FILE), *profile, "config", "-q"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
