#!/usr/bin/env bash
# Apache Kafka's jars for the local stack, from Maven Central (tooling/stack/kafka/pom.xml), into
# VENV/share/kafka/lib. Maven keeps its downloads in ~/.m2, so a second fetch is quick; the copy
# is redone only when the pom changed. Usage: scripts/fetch-kafka.sh .venv
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv}
pom=tooling/stack/kafka/pom.xml
dest="$venv/share/kafka"
stamp="$dest/.fetched-$(sha256sum "$pom" | cut -c1-16)"
[ -f "$stamp" ] && exit 0
command -v mvn >/dev/null || { echo "fetch-kafka: Maven (mvn) is not installed" >&2; exit 1; }
echo "fetch-kafka: resolving Apache Kafka's jars from Maven Central ($pom)"
rm -rf "$dest/lib"
mkdir -p "$dest"
mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$PWD/$dest/lib"
rm -f "$dest"/.fetched-*
touch "$stamp"
echo "fetch-kafka: $(ls "$dest/lib" | wc -l) jars in $dest/lib"
