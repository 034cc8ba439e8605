#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need
# (tshark, to decode our captures; chromium, to open the run reports headless) and
# runs every test, including the ones that need them (#[ignore]d in a plain
# `cargo test` so it passes without them).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v tshark >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections || true
    apt-get update -qq
    apt-get install -y -qq tshark >/dev/null
  else
    echo "note: tshark not found and cannot be installed here; tshark tests will fail" >&2
  fi
fi
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium not found and cannot be installed here; the browser test will fail" >&2
  fi
fi
cargo test --release -- --include-ignored
