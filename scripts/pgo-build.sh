#!/usr/bin/env bash
# Builds the fastest peeremu binary: profile-guided optimisation (PGO).
#
#   scripts/pgo-build.sh          # -> target/pgo/release/peeremu
#   scripts/pgo-build.sh --lto    # -> target/pgo/release-lto/peeremu (also fat LTO;
#                                 #    measured no faster than PGO alone)
#
# Three steps, 3 to 5 minutes on 2 cores:
#   1. build peeremu instrumented (rustc -Cprofile-generate), into target/pgo-gen;
#   2. run it on a training set: every bundled example (with captures), generated
#      hub-and-spokes topologies (many small flows, and fewer long ones) and a
#      short `peeremu bench`; rustup's llvm-profdata merges what the runs counted;
#   3. build again with the merged profile (rustc -Cprofile-use), into target/pgo.
# With the profile, LLVM lays out each branch's likely side first and inlines by
# measured call counts, across smoltcp, etherparse and peeremu alike: the event
# loop of `peeremu run` ran 5-12 % faster (README, "Large example"). Outputs are
# byte-identical to a plain release build's (scripts/pgo-check.sh, run by CI):
# PGO changes code layout, not results.
#
# The profile is made here, from this checkout, by this machine's rustc, rather
# than committed: a profile only fits the source and the LLVM version it came from.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
case "${1:-}" in
  "") ;;
  --lto) profile=release-lto ;;
  -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: scripts/pgo-build.sh [--lto]" >&2; exit 2 ;;
esac

host=$(rustc -vV | sed -n 's/^host: //p')
profdata="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
  echo "installing rustup's llvm-tools (for llvm-profdata)..." >&2
  rustup component add llvm-tools >/dev/null || true
fi
if [ ! -x "$profdata" ]; then
  # Exit code 3: the tool is missing, nothing else is wrong (see pgo-check.sh).
  echo "error: $profdata not found; 'rustup component add llvm-tools' installs it" >&2
  exit 3
fi

raw="$PWD/target/pgo-data/raw"
merged="$PWD/target/pgo-data/peeremu.profdata"
rm -rf "$raw" && mkdir -p "$raw"
# `--config` adds to the target's rustflags from .cargo/config.toml (cargo joins
# the arrays) where RUSTFLAGS would replace them.
flags() { printf 'target.%s.rustflags=["%s"]' "$host" "$1"; }

echo "1/3 instrumented build (target/pgo-gen)" >&2
cargo build --quiet --profile "$profile" --target-dir target/pgo-gen --bin peeremu \
  --example gen_hub_spokes --config "$(flags "-Cprofile-generate=$raw")"

echo "2/3 training runs" >&2
bin="target/pgo-gen/$profile/peeremu"
gen="target/pgo-gen/$profile/examples/gen_hub_spokes"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for topo in topologies/*.toml; do
  # Exit code 1 (an unmet expectation) still trains; anything else is an error.
  status=0
  "$bin" run "$topo" --quiet --out "$out/example" >/dev/null || status=$?
  [ "$status" -le 1 ] || exit "$status"
done
"$gen" --spokes 50 --flows 1000 --packets 200 >"$out/long.toml"
"$gen" --spokes 50 --flows 10000 --packets 20 >"$out/many.toml"
"$gen" --spokes 10 --flows 200 --packets 50 >"$out/captured.toml"
"$bin" run "$out/long.toml" --no-capture --quiet --out "$out/long"
"$bin" run "$out/many.toml" --no-capture --quiet --out "$out/many"
"$bin" run "$out/captured.toml" --quiet --out "$out/captured"
"$bin" bench --synthetic 100000 --lookups 2000000 >/dev/null
"$profdata" merge -o "$merged" "$raw"

echo "3/3 optimised build with the profile (target/pgo)" >&2
cargo build --quiet --profile "$profile" --target-dir target/pgo --bin peeremu \
  --config "$(flags "-Cprofile-use=$merged")"
echo "target/pgo/$profile/peeremu"
