#!/usr/bin/env bash
# The platform on one server of each kind and on the local cluster, side by side in one run, on
# this machine (docs/scale.md):
#   - a month of events written straight to the topics (`simulate --to kafka`, so ingest is not
#     measured) until the facts hold every event: events per second through the aggregate, with
#     the single-node stack (1 worker) and the cluster with 1, 2 and 4 workers;
#   - the annual report's time to answer (curl, from outside the API): the first answer, then
#     the median of N more, on each.
# Each stack starts from an empty state folder of its own and is stopped afterwards; ports are
# the cluster's defaults and the single-node stack's own (below), clear of the demo and tests.
#
#   bench/cluster.sh [MONTH] [SCALE] [N]     (defaults: 2023-03 0.1 7)
set -euo pipefail
cd "$(dirname "$0")/.."
month=${1:-2023-03}
scale=${2:-0.1}
n=${3:-7}
hotline=.venv/bin/hotline
state=$(mktemp -d /tmp/hotline-bench-cluster.XXXX)
auth="Authorization: Bearer ${HOTLINE_TOKEN:-dev-token}"
year=${month%-*}
single=(HOTLINE_STATE_DIR="$state/single" HOTLINE_CLICKHOUSE_PORT=29000 HOTLINE_CLICKHOUSE_HTTP_PORT=28123
        HOTLINE_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:29092 HOTLINE_INGEST_PORT=28080 HOTLINE_API_PORT=28090
        HOTLINE_AGGREGATE_PORT=26066 HOTLINE_ALERTS_PORT=28095)

through() {  # through LABEL API_URL ENV...: send the month, wait, time the report
  local label=$1 api=$2; shift 2
  local out
  out=$(env "$@" $hotline simulate --to kafka --month "$month" --scale "$scale" --no-previous --wait 2>&1)
  local events sent_s caught_s
  events=$(echo "$out" | sed -n 's/.*; \([0-9,]*\) distinct events.*/\1/p' | tr -d ,)
  sent_s=$(echo "$out" | sed -n 's/.* in \([0-9.]*\) s (.*/\1/p' | tail -1)
  caught_s=$(echo "$out" | sed -n 's/.*caught up \([0-9.]*\) s after.*/\1/p')
  local first times=() t
  first=$(curl -s -o /dev/null -w '%{time_total}' -H "$auth" "$api/v1/reports/annual/$year")
  for _ in $(seq "$n"); do
    t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "$auth" "$api/v1/reports/annual/$year")
    [ "${t%% *}" = 200 ] || { echo "HTTP ${t%% *} from $api" >&2; exit 1; }
    times+=("${t#* }")
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(( (n + 1) / 2 ))p")
  printf '%-22s %9s %9s %9s %9.0f %12s %12s\n' "$label" "$events" "$sent_s" "$caught_s" \
    "$(awk -v e="$events" -v s="$sent_s" -v c="$caught_s" 'BEGIN { print e / (s + c) }')" "$first" "$median"
}

printf '%-22s %9s %9s %9s %9s %12s %12s\n' stack events send_s catchup_s events/s report_first_s report_median_s
env "${single[@]}" $hotline up >/dev/null
through "one server of each" http://127.0.0.1:28090 "${single[@]}"
env "${single[@]}" $hotline down --purge >/dev/null
for w in 1 2 4; do
  HOTLINE_STATE_DIR="$state" HOTLINE_CLUSTER_AGGREGATE_WORKERS=$w $hotline up --cluster >/dev/null
  # shellcheck disable=SC2046 # the exports are KEY=VALUE words
  through "cluster, $w worker(s)" http://127.0.0.1:23461 \
    $(HOTLINE_STATE_DIR="$state" HOTLINE_CLUSTER_AGGREGATE_WORKERS=$w $hotline env --cluster | sed 's/^export //; s/'"'"'//g')
  HOTLINE_STATE_DIR="$state" $hotline down --cluster --purge >/dev/null
done
rm -rf "$state"
