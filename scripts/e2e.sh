#!/usr/bin/env bash
# The browser test: the real binary serving the demo, driven in Debian's headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "没有找到 Chromium（$CHROMIUM）：Debian 上 apt-get install chromium" >&2
  exit 1
fi
cargo build --bin dualtrack
(cd e2e && npm ci --no-audit --no-fund --silent)
DUALTRACK_BIN="$PWD/target/debug/dualtrack" CHROMIUM="$CHROMIUM" node --test --test-reporter=spec e2e/
