#!/usr/bin/env bash
# The whole test suite, from a machine with only the Rust toolchain: what else it needs is
# checked first (scripts/needs.sh installs it as root on Debian, or names the one command
# that does), PostgreSQL is started, formatting and lints are checked, then unit and
# integration tests run on SQLite and on PostgreSQL, the schema fuzzer against the running
# server (bounded, about 3 minutes per role), the browser tests in headless Chromium, and the
# failover drill of three instances on a PostgreSQL primary and standby (about 3 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/needs.sh
if [ -z "${DUALTRACK_TEST_PG:-}" ]; then
  bash scripts/postgres.sh
  export DUALTRACK_TEST_PG=postgres://dualtrack:dualtrack@127.0.0.1:5432/postgres
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --all-targets
bash scripts/fuzz.sh
bash scripts/e2e.sh
bash scripts/cluster.sh test
