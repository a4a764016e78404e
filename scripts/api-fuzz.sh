#!/usr/bin/env bash
# Fuzzes the HTTP API with Schemathesis against its description, schemas/openapi.yaml: generated
# requests, valid and invalid, against a live `pulse serve` on the README's cut of the demo data.
# Fails on any finding (a 5xx, a response that does not match the description, a valid request
# refused, an invalid one accepted). Needs `pip install schemathesis`.
#
#   PULSE_DATA_DIR=../shared/replay-data ./scripts/api-fuzz.sh [path/to/pulse]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
pulse=$(realpath "${1:-target/debug/pulse}")
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$pulse" replay boston-west --until 2013-04-15T20:20:00Z --out "$work/cut.jsonl" 2>/dev/null
"$pulse" serve --replay "$work/cut.jsonl" --max --loop 1 --listen "127.0.0.1:$port" --state-dir "$work/state" \
  2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.2
done
cd "$root"
# Schemathesis' CLI (`st`) from the interpreter pip installed it for, whatever is on the PATH.
python3 -c 'import sys; from schemathesis.cli import schemathesis; sys.argv[0] = "st"; schemathesis()' \
  run schemas/openapi.yaml --url "http://127.0.0.1:$port" --checks all --seed 1 --no-color
