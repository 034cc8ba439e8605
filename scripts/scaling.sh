#!/usr/bin/env bash
# The scaling tables of docs/benchmarks.md (issue #18): how peeremu's cost grows with
# the number of flows, on generated hub-and-spokes topologies (gen_hub_spokes: 1 in
# 100 flows TCP, 1 in 10 ping, the rest UDP), --no-capture, report.html written.
#
# Instructions per frame (callgrind, repeatable on a shared machine), two ways:
#  1. About 200,000 frames at every size, so the flows get fewer packets as they
#     get more numerous: 1,000 x 200, 10,000 x 20, 100,000 x 2 packets. Each flow's
#     start (sockets, statistics) is then shared by fewer frames at 100,000 flows.
#  2. The same packets per flow at every size (SCALING_PACKETS, default 20): each
#     flow's start weighs the same at every size, so what grows is the cost per
#     frame of having more flows, sockets and ENIs (the issue's target).
#  "loop" is `sim::run::run` inclusive on the main thread (the event loop, with
#  the hosts' per-flow start inside it); "process" is every instruction of every
#  thread (load, setup, loop, outputs), both divided by the frames forwarded;
#  "load", "simulation" and "rest" split the process: `topology::load_*`,
#  `cli::run::simulate` (setup and loop) and everything else (outputs, the output
#  thread's work during the loop), in % of the process.
# Wall time and memory: one datagram per flow (`--packets 1`), SCALING_REPEAT runs (the
#  median one shown, see below), the run's own
#  "wall ... in all (load, setup, simulation, outputs)" line, and the peak RSS
#  from /usr/bin/time -v. Memory per flow: a second run with PEEREMU_MEMORY_REPORT
#  set prints the resident size once the topology is loaded (after returning the
#  parser's freed memory to the kernel) and the peak after that (see
#  src/output/memory.rs); "run" is their difference, "per flow" run / flows,
#  "per added flow" the growth of "run" from the previous size over the flows added
#  (what each further flow costs, without the fixed part).
#  Wall times depend on the machine's load; the instruction counts do not.
#
# Usage: scripts/scaling.sh [FLOW COUNTS...]   (default: 1000 10000 100000)
#   SCALING_CALLGRIND=0 skips the callgrind runs (minutes each at 100,000 flows);
#   SCALING_PACKETS=N packets per flow for the second callgrind table (0: skip it);
#   SCALING_BIN=path runs that binary instead of building target/release/peeremu;
#   SCALING_REPEAT=N timed runs per size (default 3): the row shows the run whose
#   setup + outputs share is the median.
#   Needs valgrind and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000 10000 100000)
callgrind=${SCALING_CALLGRIND:-1}
per_flow=${SCALING_PACKETS:-20}
repeat=${SCALING_REPEAT:-3}
[ "$repeat" -ge 1 ] || { echo "scaling.sh: SCALING_REPEAT must be at least 1" >&2; exit 2; }
for tool in /usr/bin/time valgrind; do
  if [ "$callgrind" = 1 ] || [ "$tool" != valgrind ]; then
    command -v "$tool" >/dev/null 2>&1 || { echo "scaling.sh: $tool is needed" >&2; exit 2; }
  fi
done
bin=${SCALING_BIN:-}
gen=target/release/examples/gen_hub_spokes
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin=target/release/peeremu
fi
[ -x "$gen" ] && [ -n "${SCALING_BIN:-}" ] || cargo build --release --quiet --example gen_hub_spokes
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# peeremu exits 1 on an unmet expectation of a generated topology: not a failure here.
run() { "$@" || [ $? = 1 ]; }
frames_of() { grep -o '"frames": [0-9]*' "$1/summary.json" | head -1 | grep -o '[0-9]*$'; }
rss_kb() { grep 'Maximum resident' "$1" | grep -o '[0-9]*$'; }
# Inclusive instructions of the first function matching $2 in callgrind file $1.
# callgrind_annotate runs outside the repository: run from its root, it shortens
# the paths of source files it finds there (src/sim/run.rs) but not of all their
# entries, and one function's cost is split between two names (the one with the
# binary's name after it held 1,385 M of sim::run::run's 1,553 M at 1,000 x 200:
# the loop column of earlier printouts read 11-15 % low for that reason).
inclusive() {
  (cd "$work" && callgrind_annotate --inclusive=yes "$1" 2>/dev/null) |
    grep -E "$2" | head -1 | awk '{print $1}' | tr -d , || true
}

# One callgrind run of N flows x P packets (once: a size in both tables is reused):
# sets `row` to "frames loop process load sim".
# Thread 1 (file -01) is the main thread: the event loop and the topology load.
declare -A measured
callgrind_row() {
  local n=$1 p=$2 key="$1x$2"
  if [ -z "${measured[$key]:-}" ]; then
    "$gen" --flows "$n" --packets "$p" >"$work/cg.toml"
    rm -rf "$work/cg" "$work"/cg.out*
    run valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$work/cg.out" \
      "$bin" run "$work/cg.toml" --no-capture --quiet --out "$work/cg" >/dev/null 2>"$work/valgrind.log" ||
      { cat "$work/valgrind.log" >&2; exit 2; }
    local frames total=0 t f
    frames=$(frames_of "$work/cg")
    for f in "$work"/cg.out*; do
      t=$(grep -E '^(totals|summary):' "$f" | head -1 | awk '{print $2}' || true)
      [ -n "$t" ] && total=$((total + t))
    done
    local main="$work/cg.out-01"
    measured[$key]="$frames $(inclusive "$main" 'peeremu::sim::run::run \[') $total \
$(inclusive "$main" 'peeremu::topology::flows_file::load_with_flows_placed \[') \
$(inclusive "$main" 'peeremu::cli::run::simulate \[')"
  fi
  row=${measured[$key]}
}
callgrind_table() {
  echo "| flows x packets | frames | loop instructions / frame | process instructions / frame | load | simulation | rest |"
  echo "|---|---|---|---|---|---|---|"
  local n p
  for n in "${counts[@]}"; do
    p=$1
    [ "$p" != fixed ] || p=$((200000 / n))
    [ "$p" -ge 1 ] || p=1
    callgrind_row "$n" "$p"
    read -r frames loop total load sim <<<"$row"
    awk -v n="$n" -v p="$p" -v f="$frames" -v l="${loop:-0}" -v t="$total" \
      -v d="${load:-0}" -v s="${sim:-0}" 'BEGIN {
      printf "| %d x %d | %d | %.0f | %.0f | %.0f %% | %.0f %% | %.0f %% |\n",
        n, p, f, l/f, t/f, 100*d/t, 100*s/t, 100*(t-d-s)/t }'
  done
  echo
}

echo "peeremu scaling, $(date -u +%Y-%m-%d), $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg)"
echo
if [ "$callgrind" = 1 ]; then
  echo "About 200,000 frames at every size:"
  echo
  callgrind_table fixed
  if [ "$per_flow" -gt 0 ]; then
    echo "$per_flow packets per flow at every size:"
    echo
    callgrind_table "$per_flow"
  fi
fi
echo "| flows (1 datagram each) | frames | wall in all | load | setup | simulation | outputs | setup + outputs | peak RSS | topology (check) | topology held | run | per flow | per added flow |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
prev_n=0
prev_own=0
for n in "${counts[@]}"; do
  "$gen" --flows "$n" --packets 1 >"$work/w.toml"
  /usr/bin/time -v "$bin" check "$work/w.toml" >/dev/null 2>"$work/check.time" ||
    { cat "$work/check.time" >&2; exit 2; }
  # `repeat` runs; the row is the one whose setup + outputs share is the median
  # (wall times on a shared machine vary from run to run; one run could be an
  # outlier either way).
  : >"$work/runs.txt"
  for ((i = 0; i < repeat; i++)); do
    rm -rf "$work/w"
    run /usr/bin/time -v "$bin" run "$work/w.toml" --no-capture --out "$work/w" >"$work/run.txt" 2>"$work/run.time.$i" ||
      { cat "$work/run.time.$i" >&2; exit 2; }
    # wall T s in all (load L, setup S, simulation M, outputs O): ...
    grep '^wall ' "$work/run.txt" |
      sed -E 's/^wall ([0-9.]+) s in all \(load ([0-9.]+), setup ([0-9.]+), simulation ([0-9.]+), outputs ([0-9.]+)\).*/\1 \2 \3 \4 \5/' |
      awk -v i="$i" '{ printf "%.6f %s %s\n", ($3 + $5) / $1, i, $0 }' >>"$work/runs.txt"
  done
  frames=$(frames_of "$work/w")
  read -r _ median total load setup sim outs < <(sort -n "$work/runs.txt" | sed -n "$(((repeat + 1) / 2))p")
  cp "$work/run.time.$median" "$work/run.time"
  # The same run again, measuring its memory beyond the loaded topology.
  rm -rf "$work/w"
  PEEREMU_MEMORY_REPORT=1 run "$bin" run "$work/w.toml" --no-capture --quiet --out "$work/w" 2>"$work/memory.txt" >/dev/null ||
    { cat "$work/memory.txt" >&2; exit 2; }
  # memory: topology T KB resident after load, peak P KB after it: run R KB
  read -r held own < <(sed -nE 's/^memory: topology ([0-9]+) KB .* run ([0-9]+) KB$/\1 \2/p' "$work/memory.txt")
  awk -v n="$n" -v f="$frames" -v t="$total" -v l="$load" -v s="$setup" -v m="$sim" -v o="$outs" \
    -v r="$(rss_kb "$work/run.time")" -v c="$(rss_kb "$work/check.time")" -v h="${held:-0}" -v w="${own:-0}" \
    -v pn="$prev_n" -v pw="$prev_own" 'BEGIN {
      added = (pn > 0 && n > pn) ? sprintf("%.2f KB", (w-pw)/(n-pn)) : "";
      printf "| %d | %d | %.2f s | %.2f | %.2f | %.2f | %.2f | %.0f %% | %.0f MB | %.0f MB | %.0f MB | %.1f MB | %.2f KB | %s |\n",
        n, f, t, l, s, m, o, 100*(s+o)/t, r/1024, c/1024, h/1024, w/1024, w/n, added }'
  prev_n=$n
  prev_own=${own:-0}
done
