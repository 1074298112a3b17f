#!/usr/bin/env bash
# Install everything the platform needs on a fresh Debian machine: apt packages, a virtualenv in
# .venv with the project and its test extras, and the Compose Specification schema for tests.
# Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(clickhouse-server clickhouse-client)
# The printable report is checked in Debian's headless Chromium
# (tests/integration/api/test_report_html_chromium.py); a CJK font lets it draw the Chinese text
# instead of empty boxes. A chromium already on PATH is used as it is.
command -v chromium >/dev/null || APT_PACKAGES+=(chromium)
APT_PACKAGES+=(fonts-noto-cjk)
# promtool checks and unit-tests the alert rules (tests/integration/deploy/test_prometheus_rules.py);
# Debian ships it in the server's package. Only the binaries are wanted: no daemon (see below).
APT_PACKAGES+=(prometheus)
# The local broker is Apache Kafka, run from its Maven Central jars (scripts/fetch-kafka.sh) on
# Java 17; a Java and Maven already on PATH are used as they are.
command -v java >/dev/null || APT_PACKAGES+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || APT_PACKAGES+=(maven)
# kcat (librdkafka, the client under most non-Java producers) publishes to the local broker in
# tests/integration/ingest/test_kcat.py; wrk measures ingest from outside (bench/load.py).
APT_PACKAGES+=(kcat wrk)
# R's `surveillance` package holds the EARS C2 comparator of the early-warning detectors to the
# reference implementation (tests/unit/alerts/test_ears_vs_r.py).
APT_PACKAGES+=(r-cran-surveillance)
# ZooKeeper for the local cluster's replicated ClickHouse tables (`hotline up --cluster`): the
# stack runs it from the package's jars with a config of its own, never the package's daemon.
APT_PACKAGES+=(zookeeper)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  # A package's postinst starts its daemon (prometheus, clickhouse-server), but the stacks start
  # their own servers and CI must not be left with one running. A policy-rc.d exiting 101 is
  # Debian's switch for "start no service" (invoke-rc.d and deb-systemd-invoke obey it); one
  # already there (Docker images have it) is left as it is.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    guard=/usr/sbin/policy-rc.d
    trap '$SUDO rm -f "$guard"' EXIT
    printf '#!/bin/sh\n# written by hotline scripts/bootstrap.sh for the time of apt-get install\nexit 101\n' \
      | $SUDO tee "$guard" >/dev/null
    $SUDO chmod 755 "$guard"
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ -n "$guard" ]; then $SUDO rm -f "$guard"; trap - EXIT; fi
  # The unit was enabled all the same: keep it from starting at the next boot under systemd.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
fi

PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
"$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || { echo "bootstrap: Python 3.11 is required, found $("$PY" --version)" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv

# Every distribution at the exact version of constraints.txt (the lock, made by scripts/lock.sh),
# so a fresh install is the one the suite passed with. Reinstall only when the dependency list
# or the lock changed.
stamp=.venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing Python packages into .venv (pinned by constraints.txt)"
  .venv/bin/pip install -q --disable-pip-version-check -c constraints.txt -e '.[tools,test]'
  rm -f .venv/.installed-*; touch "$stamp"
fi

scripts/fetch-compose-schema.sh .venv
scripts/fetch-kafka.sh .venv

# The AsyncAPI CLI validates schemas/asyncapi.yaml (tests/unit/core/test_asyncapi.py), at an exact
# version, into the virtualenv rather than onto the machine (4.x: the last major that runs on
# Node 20). Reinstalled only when the pinned version changes.
ASYNCAPI_CLI=@asyncapi/cli@4.1.1
asyncapi_dir=.venv/share/asyncapi
if [ ! -x "$asyncapi_dir/node_modules/.bin/asyncapi" ] \
    || [ "$(cat "$asyncapi_dir/.installed" 2>/dev/null)" != "$ASYNCAPI_CLI" ]; then
  command -v npm >/dev/null || { echo "bootstrap: npm is needed to install $ASYNCAPI_CLI" >&2; exit 1; }
  echo "bootstrap: installing $ASYNCAPI_CLI into $asyncapi_dir"
  npm install --prefix "$asyncapi_dir" --save-exact --no-audit --no-fund --loglevel=error "$ASYNCAPI_CLI" >/dev/null
  echo "$ASYNCAPI_CLI" > "$asyncapi_dir/.installed"
fi
