#!/usr/bin/env bash
# Load test of the query API while `pulse serve` ingests the boston-west replay at full speed, in a
# loop: p50/p99 latency per endpoint from wrk (Debian's), and the ingest rate sustained meanwhile.
#
#   PULSE_DATA_DIR=../shared/replay-data benches/load.sh [seconds per endpoint, default 15]
#
# Both share the 2 cores: the numbers are latency under full ingest, not on an idle server.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-15}
port=18090
export PULSE_DATA_DIR="${PULSE_DATA_DIR:-$(pwd)/../shared/replay-data}"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
cargo build --release -q -p pulse
data=$(mktemp -d)
./target/release/pulse serve --max --loop 0 --listen 127.0.0.1:$port --state-dir "$data" 2>"$data/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
sleep 10

ingested() { curl -s "http://127.0.0.1:$port/metrics" | awk '$1 == "pulse_posts_ingested_total" {print $2}'; }
echo "| endpoint | requests/s | p50 | p99 | non-2xx | posts/s ingested meanwhile |"
echo "|---|---|---|---|---|---|"
for path in "/v1/trends" "/v1/topics/love" "/v1/search?q=explosion" "/v1/search?q=boston&sort=recent"; do
  before=$(ingested)
  out=$(wrk -t1 -c8 -d"${duration}s" --latency "http://127.0.0.1:$port$path")
  after=$(ingested)
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  rate=$(awk -v a="$after" -v b="$before" -v d="$duration" 'BEGIN {printf "%.0f", (a - b) / d}')
  echo "| \`$path\` | $rps | $p50 | $p99 | ${non2xx:-0} | $rate |"
done
