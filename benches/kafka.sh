#!/usr/bin/env bash
# Pulse through a real Kafka-protocol broker: end-to-end posts/s with 1 and 2 ingest workers (consume
# → analyse → rollup → query node merge), next to the rate a bare rdkafka consumer drains the same
# topic, and the replay producer's rate. Results go in benches/RESULTS.md.
#
#   benches/kafka.sh                 # starts Tansu in memory on a free port
#   BROKERS=host:9092 benches/kafka.sh
#   LOOPS=10 benches/kafka.sh        # passes over boston-west (20,018 posts each; default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
export PULSE_DATA_DIR="${PULSE_DATA_DIR:-$(pwd)/../shared/replay-data}"
LOOPS="${LOOPS:-10}"
cargo build --release --quiet -p pulse -p pulse-kafka --examples --bins
pulse=target/release/pulse
drain=target/release/examples/drain
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pids=()
broker_pid=""
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; pids=(); }
trap 'cleanup; [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null; true' EXIT

if [ -z "${BROKERS:-}" ]; then
  port=$(free_port)
  tansu broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine memory://tansu/ >/tmp/pulse-bench-tansu.log 2>&1 &
  broker_pid=$!
  BROKERS="127.0.0.1:$port"
  sleep 1
fi
metric() { curl -s "$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
now() { date +%s.%N; }

echo "| workers | posts | replay → Kafka (posts/s) | bare drain (records/s) | Pulse end to end (posts/s) | ratio |"
echo "|---|---|---|---|---|---|"
for workers in 1 2; do
  tag="bench-$workers-$$"
  args=(--brokers "$BROKERS" --topic "posts-$tag" --rollups "rollups-$tag" --dlq "dlq-$tag" --group "g-$tag")
  "$pulse" topics create --partitions 4 "${args[@]}" 2>/dev/null
  # The producer's rate, with its default batching, into a topic of its own.
  "$pulse" topics create --partitions 4 --brokers "$BROKERS" --topic "produce-$tag" --rollups "produce-rollups-$tag" \
    --dlq "produce-dlq-$tag" 2>/dev/null
  t0=$(now)
  "$pulse" replay boston-west --loop "$LOOPS" --to kafka --brokers "$BROKERS" --topic "produce-$tag" 2>/dev/null
  t1=$(now)
  posts=$((20018 * LOOPS))
  produce_rate=$(python3 -c "print(round($posts / ($t1 - $t0)))")
  # The topic the pipeline reads: one record per batch, because Tansu 0.6 serves fetches only from
  # batch starts and a worker resuming mid-batch after the first rebalance would stall (README,
  # "Tansu notes"). Against real Kafka, drop PULSE_KAFKA_BATCH_NUM_MESSAGES.
  PULSE_KAFKA_BATCH_NUM_MESSAGES="${BATCH:-1}" "$pulse" replay boston-west --loop "$LOOPS" --to kafka "${args[@]}" 2>/dev/null
  drain_rate=$("$drain" "$BROKERS" "posts-$tag" | python3 -c 'import json, sys; print(json.load(sys.stdin)["records_per_second"])')
  qport=$(free_port)
  "$pulse" query "${args[@]}" --listen "127.0.0.1:$qport" --state-dir "/tmp/pulse-bench-query-$tag" 2>/dev/null &
  pids+=($!)
  until curl -sf "http://127.0.0.1:$qport/readyz" >/dev/null; do sleep 0.1; done
  ready=()
  for w in $(seq 1 "$workers"); do
    wport=$(free_port)
    "$pulse" ingest "${args[@]}" --listen "127.0.0.1:$wport" 2>/dev/null &
    pids+=($!)
    ready+=("http://127.0.0.1:$wport")
  done
  for url in "${ready[@]}"; do until curl -sf "$url/readyz" >/dev/null; do sleep 0.05; done; done
  t2=$(now)
  until [ "$(metric "http://127.0.0.1:$qport" pulse_posts_ingested_total)" = "$posts" ]; do sleep 0.1; done
  t3=$(now)
  e2e_rate=$(python3 -c "print(round($posts / ($t3 - $t2)))")
  ratio=$(python3 -c "print(f'{$e2e_rate / $drain_rate:.2f}')")
  echo "| $workers | $posts | $produce_rate | $drain_rate | $e2e_rate | $ratio |"
  cleanup
  rm -rf "/tmp/pulse-bench-query-$tag"
done
