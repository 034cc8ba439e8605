#!/usr/bin/env bash
# Time `peeremu import aws` on a synthetic account: 1,000 VPCs, 100,000 NACL and
# security group rules, 2,000 instances, 999 peerings (28 MB of JSON). The test
# writes the account (tests/import_support/synthetic.rs); this times the CLI,
# self-check included. Wall time depends on the machine's load: user + sys is
# the CPU the import needs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
cargo test --release --quiet --test import_aws synthetic_account >/dev/null
dir=target/tmp/import_aws/synthetic
for i in 1 2 3; do
  /usr/bin/time -f "wall %e s, user %U s, sys %S s, max RSS %M KB" \
    ./target/release/peeremu import aws "$dir" -o target/tmp/import_aws/synthetic.toml >target/tmp/import_aws/synthetic.report
  head -1 target/tmp/import_aws/synthetic.report
done
