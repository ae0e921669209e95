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
# The demo made once for the run; each test file's server starts on a copy of it.
TEMPLATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dualtrack-demo-XXXXXX")
trap 'rm -rf "$TEMPLATE_DIR"' EXIT
"$PWD/target/debug/dualtrack" demo --db "sqlite://$TEMPLATE_DIR/demo.db" >/dev/null
DUALTRACK_BIN="$PWD/target/debug/dualtrack" DUALTRACK_DEMO_TEMPLATE="$TEMPLATE_DIR/demo.db" \
  CHROMIUM="$CHROMIUM" node --test --test-reporter=spec e2e/
