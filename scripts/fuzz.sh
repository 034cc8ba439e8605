#!/usr/bin/env bash
# Fuzzing for a bounded time. The fuzz targets are proptest tests:
#   tests/dataplane_fuzz.rs      random and mutated frames into the VPC router, from
#                                every ingress of every example topology;
#   tests/topology_robustness.rs mutated topology text through loading, checking and
#                                (when it still loads) the whole engine;
#   tests/conservation.rs        random topologies (NAT/IGW, routes into instances,
#                                datagrams up to 65,507 bytes, early ends) through the
#                                run's own frame-conservation check.
# They run round after round with fresh seeds until MINUTES have passed or one
# fails; each round prints its seed, so a failure reproduces with
#   PROPTEST_RNG_SEED=<seed> PEEREMU_FUZZ_CASES=<cases> cargo test --release --test <target>
# (proptest also records the shrunk case in tests/<target>.proptest-regressions).
#
# FUZZ_SEED fixes the first round's seed (default: the clock) and FUZZ_ROUNDS caps the
# rounds, so a run can be repeated exactly (CI does: the same seeds on every machine).
#
# Usage: scripts/fuzz.sh [MINUTES] [CASES_PER_ROUND]   (default 2 minutes, 2,000 cases;
# CI runs the default; a long local run: scripts/fuzz.sh 30)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-2}
cases=${2:-2000}
targets=(--test dataplane_fuzz --test topology_robustness --test conservation)
cargo test --release --no-run "${targets[@]}" >/dev/null 2>&1 || cargo test --release --no-run "${targets[@]}"
base=${FUZZ_SEED:-$(date +%s)}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
end=$((SECONDS + minutes * 60))
round=0
max_rounds=${FUZZ_ROUNDS:-0}
while [ "$SECONDS" -lt "$end" ]; do
  if [ "$max_rounds" -gt 0 ] && [ "$round" -ge "$max_rounds" ]; then break; fi
  round=$((round + 1))
  seed=$((base + round))
  echo "fuzz: round $round, PROPTEST_RNG_SEED=$seed, $cases cases per target"
  if ! PROPTEST_RNG_SEED=$seed PEEREMU_FUZZ_CASES=$cases \
      cargo test --release -q "${targets[@]}" >"$log" 2>&1; then
    cat "$log"
    echo "fuzz: FAILED in round $round (PROPTEST_RNG_SEED=$seed PEEREMU_FUZZ_CASES=$cases)" >&2
    exit 1
  fi
done
echo "fuzz: $round rounds of $cases cases per target in ${SECONDS} s, no failure"
