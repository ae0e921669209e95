#!/usr/bin/env bash
# The whole test suite: unit and integration tests on SQLite and on PostgreSQL, the schema
# fuzzer against the running server (bounded, about 4 minutes per role), then the browser
# test in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DUALTRACK_TEST_PG:-}" ]; then
  bash scripts/postgres.sh
  export DUALTRACK_TEST_PG=postgres://dualtrack:dualtrack@127.0.0.1:5432/postgres
fi

cargo test --workspace --all-targets
bash scripts/fuzz.sh
bash scripts/e2e.sh
