#!/usr/bin/env bash
# Runs Pulse's whole test suite on a fresh machine: installs what the tests need, then runs them.
#
#   ./scripts/test.sh            # everything
#   ./scripts/test.sh -p pulse-core   # extra arguments go to `cargo nextest run`
#
# The tests read the real public datasets from PULSE_DATA_DIR (default: ../shared/replay-data)
# and the labelled sentiment sets from PULSE_EVAL_DIR (default: ../shared/eval/sentiment).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

export PULSE_DATA_DIR="${PULSE_DATA_DIR:-$root/../shared/replay-data}"
export PULSE_EVAL_DIR="${PULSE_EVAL_DIR:-$root/../shared/eval/sentiment}"
[ -d "$PULSE_EVAL_DIR" ] || {
  echo "labelled sentiment sets not found at $PULSE_EVAL_DIR: set PULSE_EVAL_DIR (see the README)" >&2
  exit 1
}

# Headless Chromium (Debian's) for the dashboard test, driven through playwright-core from npm.
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "installing chromium" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d tests/e2e/node_modules/playwright-core ]; then
  echo "installing playwright-core (no browser download: it drives Debian's chromium)" >&2
  npm ci --prefix tests/e2e --no-audit --no-fund >/dev/null
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "installing cargo-nextest" >&2
  cargo install cargo-nextest --locked
fi

# The Helm chart: lint, render and validate it with Helm v4's SDK and the Kubernetes 1.30 schemas (offline).
if ! python3 -c 'import helm_python, kubernetes_validate, openapi_spec_validator, schemathesis' 2>/dev/null; then
  echo "installing helm-python-sdk, kubernetes-validate, openapi-spec-validator and schemathesis" >&2
  python3 -m pip install --quiet helm-python-sdk kubernetes-validate openapi-spec-validator schemathesis
fi
# The API description must be valid OpenAPI 3.1 (the API tests check every response against it).
python3 -m openapi_spec_validator schemas/openapi.yaml
# Build every test binary once, with the workspace's features: this also builds target/debug/pulse,
# which the chart check below runs (a separate `cargo build -p pulse` would resolve other
# features and build tantivy, axum and the binary a second time).
cargo nextest run --workspace --no-run --locked
# Without a local copy of the datasets, fetch the ones the tests read from their public origin
# (checksums verified) into target/datasets.
if [ ! -d "$PULSE_DATA_DIR" ]; then
  echo "no datasets at $PULSE_DATA_DIR: fetching them from their origin into target/datasets" >&2
  export PULSE_CACHE_DIR="$root/target/datasets" PULSE_DATA_DIR="$root/target/datasets"
  for dataset in crisislex-t6 crisislex-t26 airline-sentiment; do
    target/debug/pulse data fetch "$dataset"
  done
fi
# The chart's rendered config must be accepted by the real binary.
PULSE_BIN="$root/target/debug/pulse" python3 scripts/helm-check.py

# A real Kafka-protocol broker for the Kafka tests: Tansu, in memory, on a free local port (set
# PULSE_TEST_BROKERS to use another broker instead). Building Tansu takes ~20 min the first time.
if [ -z "${PULSE_TEST_BROKERS:-}" ]; then
  if ! command -v tansu >/dev/null 2>&1; then
    echo "installing tansu (a Kafka-protocol broker; slow the first time)" >&2
    cargo install tansu --locked --features dynostore,libsql
  fi
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p target
  tansu broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine memory://tansu/ >target/tansu.log 2>&1 &
  tansu_pid=$!
  trap 'kill $tansu_pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  export PULSE_TEST_BROKERS="127.0.0.1:$port"
  echo "tansu broker on $PULSE_TEST_BROKERS (log: target/tansu.log)" >&2
fi

cargo nextest run --workspace --no-fail-fast "$@"
# The examples in the crates' documentation must run as written (nextest does not run doc tests).
cargo test --doc --workspace --locked --quiet
# Every command of the README's console blocks must run as written.
./scripts/readme-check.sh target/debug/pulse
# The API holds to its description under generated requests (Schemathesis, fixed seed).
./scripts/api-fuzz.sh target/debug/pulse
