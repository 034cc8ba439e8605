#!/usr/bin/env bash
# The scaling table of docs/benchmarks.md (issue #18): how peeremu's cost grows with
# the number of flows, on generated hub-and-spokes topologies (gen_hub_spokes: 1 in
# 100 flows TCP, 1 in 10 ping, the rest UDP), --no-capture, report.html written.
#
# Two runs per flow count:
#  1. Instructions per frame (callgrind, repeatable on a shared machine): about
#     200,000 frames at every size, so the flows get fewer packets as they get
#     more numerous: 1,000 x 200, 10,000 x 20, 100,000 x 2 packets. "loop" is
#     `sim::run::run` inclusive on the main thread (the event loop, with the
#     hosts' per-flow start inside it); "process" is every instruction of every
#     thread (load, setup, loop, outputs), both divided by the frames forwarded.
#  2. Wall time and memory: one datagram per flow (`--packets 1`), the run's own
#     "wall ... in all (load, setup, simulation, outputs)" line, and the peak RSS
#     from /usr/bin/time -v; "topology" is the peak RSS of `peeremu check` on the
#     same file (reading and validating it), "per flow" is (run - topology) / flows.
#     Wall times depend on the machine's load; the instruction counts do not.
#
# Usage: scripts/scaling.sh [FLOW COUNTS...]   (default: 1000 10000 100000)
#   SCALING_CALLGRIND=0 skips the callgrind runs (minutes each at 100,000 flows);
#   SCALING_BIN=path runs that binary instead of building target/release/peeremu.
#   Needs valgrind and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000 10000 100000)
callgrind=${SCALING_CALLGRIND:-1}
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

echo "peeremu scaling, $(date -u +%Y-%m-%d), $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg)"
echo
if [ "$callgrind" = 1 ]; then
  echo "| flows x packets | frames | loop instructions / frame | process instructions / frame |"
  echo "|---|---|---|---|"
  for n in "${counts[@]}"; do
    p=$((200000 / n))
    [ "$p" -ge 1 ] || p=1
    "$gen" --flows "$n" --packets "$p" >"$work/cg.toml"
    rm -rf "$work/cg" "$work"/cg.out*
    run valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$work/cg.out" \
      "$bin" run "$work/cg.toml" --no-capture --quiet --out "$work/cg" >/dev/null 2>"$work/valgrind.log" ||
      { cat "$work/valgrind.log" >&2; exit 2; }
    frames=$(frames_of "$work/cg")
    total=0
    for f in "$work"/cg.out*; do
      t=$(grep -E '^(totals|summary):' "$f" | head -1 | awk '{print $2}' || true)
      [ -n "$t" ] && total=$((total + t))
    done
    loop=$(callgrind_annotate --inclusive=yes "$work/cg.out-01" 2>/dev/null |
      grep -E 'peeremu::sim::run::run \[' | head -1 | awk '{print $1}' | tr -d ,)
    awk -v n="$n" -v p="$p" -v f="$frames" -v l="${loop:-0}" -v t="$total" 'BEGIN {
      printf "| %d x %d | %d | %.0f | %.0f |\n", n, p, f, l/f, t/f }'
  done
  echo
fi
echo "| flows (1 datagram each) | frames | wall in all | load | setup | simulation | outputs | setup + outputs | peak RSS | topology (check) | per flow |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for n in "${counts[@]}"; do
  "$gen" --flows "$n" --packets 1 >"$work/w.toml"
  /usr/bin/time -v "$bin" check "$work/w.toml" >/dev/null 2>"$work/check.time" ||
    { cat "$work/check.time" >&2; exit 2; }
  rm -rf "$work/w"
  run /usr/bin/time -v "$bin" run "$work/w.toml" --no-capture --out "$work/w" >"$work/run.txt" 2>"$work/run.time" ||
    { cat "$work/run.time" >&2; exit 2; }
  line=$(grep '^wall ' "$work/run.txt")
  frames=$(frames_of "$work/w")
  # wall T s in all (load L, setup S, simulation M, outputs O): ...
  read -r total load setup sim outs < <(echo "$line" | sed -E 's/^wall ([0-9.]+) s in all \(load ([0-9.]+), setup ([0-9.]+), simulation ([0-9.]+), outputs ([0-9.]+)\).*/\1 \2 \3 \4 \5/')
  awk -v n="$n" -v f="$frames" -v t="$total" -v l="$load" -v s="$setup" -v m="$sim" -v o="$outs" \
    -v r="$(rss_kb "$work/run.time")" -v c="$(rss_kb "$work/check.time")" 'BEGIN {
      printf "| %d | %d | %.2f s | %.2f | %.2f | %.2f | %.2f | %.0f %% | %.0f MB | %.0f MB | %.2f KB |\n",
        n, f, t, l, s, m, o, 100*(s+o)/t, r/1024, c/1024, (r-c)/n }'
done
