#!/usr/bin/env bash
# Runs every command of the README's console blocks (the lines that start with `$ `), in order, in one
# scratch directory, with `pulse` on the PATH and `pulse serve` on the README's cut of the demo data
# (the two commands the API tour shows; keep them in step). Fails on the first command that exits
# non-zero, or that answers with a JSON error where the README shows none.
#
#   PULSE_DATA_DIR=../shared/replay-data ./scripts/readme-check.sh [path/to/pulse]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
pulse=$(realpath "${1:-target/debug/pulse}")
work=$(mktemp -d)
mkdir -p "$work/bin"
ln -s "$pulse" "$work/bin/pulse"
export PATH="$work/bin:$PATH"
cd "$work"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pulse replay boston-west --until 2013-04-15T20:20:00Z --out boston-cut.jsonl 2>/dev/null
pulse serve --replay boston-cut.jsonl --max --loop 1 --workers 1 --listen "127.0.0.1:$port" --state-dir state \
  2>serve.log &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do
  as_of=$(curl -sf "http://127.0.0.1:$port/v1/stories" | python3 -c 'import json, sys; print(json.load(sys.stdin)["as_of"])' \
    2>/dev/null || true)
  [[ "$as_of" > "2013-04-15T20:09" ]] && break
  sleep 0.3
done
[[ "$as_of" > "2013-04-15T20:09" ]] || { echo "pulse serve did not reach the cut's end:" >&2; cat serve.log >&2; exit 1; }

# Each command as one line of JSON ({"command", "shows_error"}), in README order.
python3 - "$root/README.md" >commands.jsonl <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
in_console, current = False, None
def emit():
    if current is not None:
        print(json.dumps(current))
for line in lines:
    if line.startswith("```console"):
        in_console = True
    elif line.startswith("```") and in_console:
        emit(); current = None; in_console = False
    elif in_console and line.startswith("$ "):
        emit(); current = {"command": line[2:], "shows_error": False}
    elif in_console and current is not None and '"error"' in line:
        current["shows_error"] = True
PY

count=0
while IFS= read -r entry; do
  command=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["command"])' "$entry")
  shows_error=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["shows_error"])' "$entry")
  command=${command//localhost:8080/127.0.0.1:$port}
  echo "\$ $command" >&2
  if ! bash -o pipefail -c "$command" >out.txt 2>&1; then
    echo "readme-check: the command above failed:" >&2
    tail -20 out.txt >&2
    exit 1
  fi
  if [ "$shows_error" = False ] && grep -q '"error"' out.txt; then
    echo "readme-check: the command above answered with an error the README does not show:" >&2
    tail -20 out.txt >&2
    exit 1
  fi
  count=$((count + 1))
done <commands.jsonl
[ "$count" -gt 0 ] || { echo "readme-check: no console commands found in README.md" >&2; exit 1; }
echo "readme-check: all $count README commands ran" >&2
