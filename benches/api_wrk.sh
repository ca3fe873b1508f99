#!/usr/bin/env bash
# API bench: starts `fogd serve --no-jobs` on port 0 in a temp directory, seeds the example cases, and runs wrk
# (Debian `wrk`) with 200 connections against GET /api/v1/cases/{ref} and the ops page. Prints wrk's latency
# distribution and a p99 line per target. Target: API p99 under 10 ms, no errors. `/healthz` (no database, no
# token) runs first as the floor of this machine at the moment; the load average is printed, since other work on the
# machine moves the tail. FOGD_API_CACHE=false measures without the response cache.
# Usage: benches/api_wrk.sh [seconds]   (build first: cargo build --release)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
bin="${CARGO_TARGET_DIR:-target}/release/fogd"
[ -x "$bin" ] || { echo "build first: cargo build --release ($bin missing)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
dir="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
printf '[database]\nurl = "sqlite://%s/fogd.db"\n' "$dir" > "$dir/fogd.toml"
export FOGD_CONFIG="$dir/fogd.toml" FOGD_LOG=warn
token="$("$bin" token create --role admin --name bench 2>/dev/null)"
"$bin" serve --listen 127.0.0.1:0 --no-jobs > "$dir/out" 2> "$dir/err" &
pid=$!
for _ in $(seq 100); do grep -q '^listening on ' "$dir/out" 2>/dev/null && break; sleep 0.1; done
base="$(sed -n 's/^listening on //p' "$dir/out")"
[ -n "$base" ] || { cat "$dir/err" >&2; exit 1; }
curl -sf -H "Authorization: Bearer $token" -H "Content-Type: application/json" --data-binary @fixtures/cases/cases.json "$base/api/v1/cases" > /dev/null
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for target in "/healthz" "/api/v1/cases/A-2026-000123" "/"; do
  echo "== GET $target (200 connections, ${secs}s)"
  wrk --latency -t2 -c200 -d"${secs}s" -H "Authorization: Bearer $token" "$base$target" | tee "$dir/wrk.txt"
  p99="$(awk '$1=="99%"{print $2}' "$dir/wrk.txt")"
  errors="$(grep -E 'Non-2xx|Socket errors' "$dir/wrk.txt" || true)"
  echo "p99 $target: $p99 ${errors:+(ERRORS: $errors)}"
done
