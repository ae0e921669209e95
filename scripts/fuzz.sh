#!/usr/bin/env bash
# The schema fuzzer: schemathesis (from PyPI, pinned) against the real binary serving the demo
# on a loopback port, as two roles, for a bounded time. It fails on any 5xx, any answer that
# does not match the OpenAPI document (status, content type, schema, headers), and any error
# whose message is not in Chinese (scripts/fuzz_hooks.py).
#
# Logout, the change of one's own password and the ending of one's sessions are not fuzzed:
# they would end the session the run logs in with, and every later request would be a 401.
# The demo database is a throwaway file, so the fuzzer's writes are fine.
#
# FUZZ_ROLES, FUZZ_EXAMPLES (cases per operation) and FUZZ_SECONDS (per role) can be set.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
ROLES=${FUZZ_ROLES:-"golmud_operator grid_worker"}
EXAMPLES=${FUZZ_EXAMPLES:-10}
SECONDS_PER_ROLE=${FUZZ_SECONDS:-150}
PASSWORD='Haixi@2020'
HOOKS="$PWD/scripts/fuzz_hooks.py"

VENV=${FUZZ_VENV:-/tmp/dualtrack-fuzz-venv}
if ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo build --quiet --bin dualtrack
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dualtrack-fuzz-XXXXXX")
SERVER=
cleanup() {
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

./target/debug/dualtrack serve --demo --db "sqlite://$WORK/fuzz.db" --listen 127.0.0.1:0 \
  >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER=$!
BASE=
for _ in $(seq 1 120); do
  BASE=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/server.out" | head -n1 || true)
  [ -n "$BASE" ] && break
  if ! kill -0 "$SERVER" 2>/dev/null; then
    cat "$WORK/server.out" "$WORK/server.err" >&2
    echo "服务未能启动" >&2
    exit 1
  fi
  sleep 1
done
if [ -z "$BASE" ]; then
  echo "服务在 120 秒内未启动" >&2
  exit 1
fi
echo "fuzz: server at $BASE"

login() {
  "$VENV/bin/python" - "$BASE" "$1" "$PASSWORD" <<'PY'
import json, sys, urllib.request
base, user, password = sys.argv[1:]
req = urllib.request.Request(
    f"{base}/api/v1/auth/login",
    data=json.dumps({"username": user, "password": password}).encode(),
    headers={"Content-Type": "application/json"},
)
with urllib.request.urlopen(req, timeout=30) as r:
    print(json.load(r)["token"])
PY
}

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,error_messages_speak_chinese
# Stricter: no library English inside a Chinese message (FUZZ_STRICT_MESSAGES=1).
if [ "${FUZZ_STRICT_MESSAGES:-0}" = 1 ]; then
  CHECKS="$CHECKS,error_messages_carry_no_library_english"
fi

failed=0
for role in $ROLES; do
  token=$(login "$role")
  echo "fuzz: as $role, up to $EXAMPLES cases per operation, at most ${SECONDS_PER_ROLE}s"
  set +e
  # Run in the temporary folder, where schemathesis keeps its files.
  (cd "$WORK" && SCHEMATHESIS_HOOKS="$HOOKS" timeout --kill-after=30 $((SECONDS_PER_ROLE + 60)) \
    "$VENV/bin/st" run "$BASE/api/openapi.json" \
    --url "$BASE" \
    -H "Authorization: Bearer $token" \
    --checks "$CHECKS" \
    --exclude-path /api/v1/auth/logout \
    --exclude-path /api/v1/me/password \
    --exclude-path '/api/v1/me/sessions/{id}' \
    --phases examples,coverage,fuzzing \
    --max-examples "$EXAMPLES" \
    --max-time "$SECONDS_PER_ROLE" \
    --request-timeout 30 \
    --workers 2 \
    --seed 20200227 \
    --no-shrink \
    --suppress-health-check all \
    --output-truncate true)
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "fuzz: $role failed (exit $rc)" >&2
    failed=1
  fi
done

if grep -q 'panicked' "$WORK/server.err"; then
  echo "fuzz: the server panicked:" >&2
  grep -A1 'panicked' "$WORK/server.err" | grep -v '^--$' | sort | uniq -c | sort -rn | head -20 >&2
  failed=1
fi
if [ "$failed" -ne 0 ]; then
  echo "schema fuzzer: failures above" >&2
  exit 1
fi
echo "schema fuzzer: no failures"
