#!/usr/bin/env bash
# Instructions per frame, counted by callgrind (repeatable on a shared machine, unlike
# wall time): the 1,000 flows x 200 packets hub-and-spokes run with --no-capture --no-report.
# Prints, each divided by the frames the run forwarded: the event loop alone
# (`sim::run::run` inclusive, the figure issue #18 budgets), the main thread (which
# also loads the topology and sets up the hosts) and the whole process (every
# thread: the output thread too).
#
# Usage: scripts/instructions.sh [FLOWS] [PACKETS] [BINARY]
#   (default 1000 200 target/release/peeremu; builds the release binary first when
#   BINARY is not given). Needs valgrind (apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
flows=${1:-1000}
packets=${2:-200}
bin=${3:-}
if ! command -v valgrind >/dev/null 2>&1; then
  echo "instructions.sh: valgrind is needed (apt-get install valgrind)" >&2
  exit 2
fi
if [ -z "$bin" ]; then
  cargo build --release --quiet
  bin=target/release/peeremu
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run --release --quiet --example gen_hub_spokes -- --flows "$flows" --packets "$packets" >"$work/topo.toml"
valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$work/cg.out" \
  "$bin" run "$work/topo.toml" --no-capture --no-report --quiet --out "$work/out" >/dev/null 2>"$work/valgrind.log" || {
  status=$?
  # Exit 1 is an unmet expectation of the generated topology, not a failure here.
  [ "$status" = 1 ] || { cat "$work/valgrind.log" >&2; exit "$status"; }
}
frames=$(grep -o '"frames": [0-9]*' "$work/out/summary.json" | head -1 | grep -o '[0-9]*$')
total=0
loop=0
for f in "$work"/cg.out*; do
  # Thread total: the "totals:" line (or "summary:") of each per-thread file.
  t=$(grep -E '^(totals|summary):' "$f" | head -1 | awk '{print $2}' || true)
  [ -n "$t" ] || continue # a file without counts (callgrind's base file)
  total=$((total + t))
  case "$f" in *-01) loop=$t ;; esac # the main thread
done
# sim::run::run inclusive, annotated from the work folder (outside the source tree,
# so that its cost is not split between two spellings of the same file name).
run_fn=$(cd "$work" && callgrind_annotate --inclusive=yes "$(ls "$work"/cg.out*-01)" 2>/dev/null |
  grep -E ':peeremu::sim::run::run \[' | head -1 | awk '{gsub(",", "", $1); print $1}')
[ -n "$run_fn" ] || { echo "instructions.sh: sim::run::run not found in the profile" >&2; exit 1; }
echo "run: $flows flows x $packets packets, --no-capture, $frames frames"
awk -v r="$run_fn" -v l="$loop" -v t="$total" -v f="$frames" 'BEGIN {
  printf "event loop (sim::run::run):      %.1f M instructions, %.0f per frame\n", r/1e6, r/f;
  printf "main thread (load, setup, loop): %.1f M instructions, %.0f per frame\n", l/1e6, l/f;
  printf "whole process (all threads):     %.1f M instructions, %.0f per frame\n", t/1e6, t/f }'
