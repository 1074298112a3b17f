#!/usr/bin/env bash
# The time a brief takes to answer, measured from outside the API with curl, on the stack
# `./run demo` leaves running (the Huai'an profile at scale 0.1: 2023 and 2022, ≈ 2.3 M events).
# Briefs are not cached: each request computes its document and renders it. Prints the median
# and the slowest of N requests (default 7) per answer.
#
#   bench/brief_latency.sh [N] [API_URL]
set -euo pipefail
n=${1:-7}
api=${2:-http://127.0.0.1:8090}
auth="Authorization: Bearer ${HOTLINE_TOKEN:-dev-token}"
paths=(
  "/v1/reports/weekly/2023-W52"
  "/v1/reports/weekly/2023-W52?format=html"
  "/v1/reports/weekly/2023-W52?format=xlsx"
  "/v1/reports/monthly/2023-12"
  "/v1/reports/departments?from=2023-01-01&to=2023-12-31"
)
printf '%-58s %10s %10s\n' "answer" "median_s" "max_s"
for p in "${paths[@]}"; do
  times=()
  for _ in $(seq "$n"); do
    times+=("$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "$auth" "$api$p" | {
      read -r code t; [ "$code" = 200 ] || { echo "HTTP $code for $p" >&2; exit 1; }; echo "$t"; })")
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -g)
  median=$(echo "$sorted" | sed -n "$(( (n + 1) / 2 ))p")
  printf '%-58s %10s %10s\n' "$p" "$median" "$(echo "$sorted" | tail -1)"
done
