#!/usr/bin/env bash
# Pulse through a real Kafka-protocol broker: end-to-end posts/s with 1 and 2 ingest workers (consume
# → analyse → rollup → query node merge), next to the rate a bare rdkafka consumer drains the same
# topic, and the replay producer's rate. Results go in benches/RESULTS.md.
#
#   benches/kafka.sh                 # starts Tansu in memory on a free port
#   BROKERS=host:9092 benches/kafka.sh
#   LOOPS=10 benches/kafka.sh        # passes over boston-west (20,018 posts each; default 10)
#   INPUT=posts.jsonl benches/kafka.sh  # these posts instead (e.g. the head of benches/e2e.py's
#                                    # dense file: every post inside the query node's 24 h retention)
#   QUERY_NODES=2 benches/kafka.sh   # query nodes side by side (each reads every partition)
#   WORKERS="2" benches/kafka.sh     # only these ingest-worker counts (default "1 2")
#   RETENTION=2h benches/kafka.sh    # the query nodes' search retention (default theirs, 24 h): a
#                                    # short one fills on a long input, to see memory level off
#
# Each process logs to /tmp/pulse-bench-{query,ingest}-TAG-N.log, the replays to
# /tmp/pulse-bench-replay-TAG.log.
#
# Besides the rates it prints, per run, each query node's memory when it has merged every post
# (VmRSS and VmHWM from /proc, per million posts indexed) and whether the query nodes' top-10
# trends are the same list; and the first query node's RSS as it goes (every 100,000 posts merged),
# to see whether memory levels off once its retention is full.
set -euo pipefail
cd "$(dirname "$0")/.."
export PULSE_DATA_DIR="${PULSE_DATA_DIR:-$(pwd)/../shared/replay-data}"
LOOPS="${LOOPS:-10}"
QUERY_NODES="${QUERY_NODES:-1}"
WORKERS="${WORKERS:-1 2}"
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

if [ -n "${INPUT:-}" ]; then
  source=("$INPUT" --max)
  POSTS=$(wc -l < "$INPUT")
else
  source=(boston-west --loop "$LOOPS")
  POSTS=$((20018 * LOOPS))
fi
# kB of a /proc/PID/status field, as MiB.
mem() { awk -v f="$2:" '$1 == f { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
top10() { curl -s "$1/v1/trends?limit=10" | python3 -c 'import json, sys; print(" · ".join(t["topic"] for t in json.load(sys.stdin)["trends"]) or "(no trends)")'; }
memory=()
trace=()

echo "| workers | query nodes | posts | replay → Kafka (posts/s) | bare drain (records/s) | Pulse end to end (posts/s) | ratio |"
echo "|---|---|---|---|---|---|---|"
for workers in $WORKERS; do
  tag="bench-$workers-$$"
  args=(--brokers "$BROKERS" --topic "posts-$tag" --rollups "rollups-$tag" --dlq "dlq-$tag" --group "g-$tag")
  "$pulse" topics create --partitions 4 "${args[@]}" 2>/dev/null
  # The producer's rate, with its default batching, into a topic of its own.
  "$pulse" topics create --partitions 4 --brokers "$BROKERS" --topic "produce-$tag" --rollups "produce-rollups-$tag" \
    --dlq "produce-dlq-$tag" 2>/dev/null
  t0=$(now)
  "$pulse" replay "${source[@]}" --to kafka --brokers "$BROKERS" --topic "produce-$tag" \
    2>"/tmp/pulse-bench-replay-$tag.log"
  t1=$(now)
  posts=$POSTS
  produce_rate=$(python3 -c "print(round($posts / ($t1 - $t0)))")
  # The topic the pipeline reads: one record per batch, because Tansu 0.6 serves fetches only from
  # batch starts and a worker resuming mid-batch after the first rebalance would stall (README,
  # "Tansu notes"). Against real Kafka, drop PULSE_KAFKA_BATCH_NUM_MESSAGES.
  PULSE_KAFKA_BATCH_NUM_MESSAGES="${BATCH:-1}" "$pulse" replay "${source[@]}" --to kafka "${args[@]}" \
    2>>"/tmp/pulse-bench-replay-$tag.log"
  drain_rate=$("$drain" "$BROKERS" "posts-$tag" | python3 -c 'import json, sys; print(json.load(sys.stdin)["records_per_second"])')
  nodes=()
  node_pids=()
  for q in $(seq 1 "$QUERY_NODES"); do
    qport=$(free_port)
    "$pulse" query "${args[@]}" ${RETENTION:+--retention "$RETENTION"} --listen "127.0.0.1:$qport" \
      --state-dir "/tmp/pulse-bench-query-$tag-$q" \
      2>"/tmp/pulse-bench-query-$tag-$q.log" &
    pids+=($!)
    node_pids+=($!)
    nodes+=("http://127.0.0.1:$qport")
  done
  for url in "${nodes[@]}"; do until curl -sf "$url/readyz" >/dev/null; do sleep 0.1; done; done
  ready=()
  for w in $(seq 1 "$workers"); do
    wport=$(free_port)
    "$pulse" ingest "${args[@]}" --listen "127.0.0.1:$wport" 2>"/tmp/pulse-bench-ingest-$tag-$w.log" &
    pids+=($!)
    ready+=("http://127.0.0.1:$wport")
  done
  for url in "${ready[@]}"; do until curl -sf "$url/readyz" >/dev/null; do sleep 0.05; done; done
  t2=$(now)
  # End to end: every query node has merged every post. The first node's memory on the way.
  next_trace=100000
  for url in "${nodes[@]}"; do
    while true; do
      merged=$(metric "$url" pulse_posts_ingested_total)
      [ "$merged" = "$posts" ] && break
      if [ "$url" = "${nodes[0]}" ] && [ "${merged%.*}" -ge "$next_trace" ]; then
        trace+=("| $workers | $merged | $(metric "$url" pulse_index_documents) | $(mem "${node_pids[0]}" VmRSS) MiB |")
        next_trace=$((next_trace + 100000))
      fi
      sleep 0.1
    done
  done
  t3=$(now)
  e2e_rate=$(python3 -c "print(round($posts / ($t3 - $t2)))")
  ratio=$(python3 -c "print(f'{$e2e_rate / $drain_rate:.2f}')")
  echo "| $workers | $QUERY_NODES | $posts | $produce_rate | $drain_rate | $e2e_rate | $ratio |"
  # Memory once the indexer (behind the merge, at background priority) has caught up: its document
  # count unchanged for 3 s. The index keeps 24 h of posts, so it holds fewer than were read when
  # the posts span more than that.
  first_top=""
  for q in "${!nodes[@]}"; do
    url="${nodes[$q]}"
    docs=-1
    stable=0
    while [ "$stable" -lt 3 ]; do
      now_docs=$(metric "$url" pulse_index_documents)
      if [ "$now_docs" = "$docs" ]; then stable=$((stable + 1)); else stable=0; docs=$now_docs; fi
      sleep 1
    done
    rss=$(mem "${node_pids[$q]}" VmRSS)
    hwm=$(mem "${node_pids[$q]}" VmHWM)
    # Per million posts only when the index holds every post read (retention cut none of them).
    if [ "$docs" = "$posts" ]; then per_m="$(python3 -c "print(round($hwm * 1e6 / $docs))") MiB"; else per_m="—"; fi
    top=$(top10 "$url")
    if [ -z "$first_top" ]; then first_top="$top"; same="$top"; elif [ "$top" = "$first_top" ]; then same="the same"; else same="**differs**: $top"; fi
    memory+=("| $workers | $((q + 1)) | $posts | $docs | $rss MiB | $hwm MiB | $per_m | $same |")
  done
  cleanup
  rm -rf /tmp/pulse-bench-query-"$tag"-*
done
echo
echo "| workers | query node | posts read | posts in the index | RSS | max RSS | max RSS per million posts in the index | top-10 trends (node 1's; the others against it) |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${memory[@]}"
echo
echo "| workers | posts merged by query node 1 | posts in its index | its RSS |"
echo "|---|---|---|---|"
printf '%s\n' "${trace[@]}"
