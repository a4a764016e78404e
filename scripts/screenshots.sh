#!/usr/bin/env bash
# Takes the README's dashboard screenshots (docs/main.png, docs/story.png, 1400×1000) in headless
# Chromium, of `pulse serve` on the demo data cut at 2013-04-15 20:30 UTC (the evening of the
# Boston Marathon bombing), replayed once, so the page holds still while it is captured.
#
#   PULSE_DATA_DIR=../shared/replay-data ./scripts/screenshots.sh [path/to/pulse]
set -euo pipefail
cd "$(dirname "$0")/.."
pulse=${1:-target/release/pulse}
state=$(mktemp -d)
"$pulse" replay boston-west --until 2013-04-15T20:30:00Z --out "$state/cut.jsonl" 2>/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$pulse" serve --replay "$state/cut.jsonl" --max --loop 1 --workers 1 --listen "127.0.0.1:$port" --state-dir "$state/data" \
  2>"$state/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$state"' EXIT
story=""
for _ in $(seq 1 120); do
  story=$(curl -sf "http://127.0.0.1:$port/v1/stories" |
    python3 -c 'import json, sys; s = json.load(sys.stdin); print(s["stories"][0]["id"] if s["as_of"] >= "2013-04-15T20:19" and s["stories"] else "")' \
    2>/dev/null || true)
  [ -n "$story" ] && break
  sleep 0.5
done
[ -n "$story" ] || { echo "no story by 20:20 within 60 s" >&2; exit 1; }
SCREENSHOT_DIR=docs node tests/e2e/dashboard.mjs "http://127.0.0.1:$port" "$story" >/dev/null
echo "docs/main.png and docs/story.png (story $story)"
