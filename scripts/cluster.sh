#!/usr/bin/env bash
# A province's set-up on one machine, on loopback: a PostgreSQL primary and a hot standby fed
# by synchronous streaming replication, PgBouncer in front of the primary, three `dualtrack
# serve` instances and HAProxy balancing them. For trying the set-up and for the failover
# drill; a real deployment puts each part on its own host with the same settings.
#
#   bash scripts/cluster.sh up        start everything (the demo is loaded once)
#   bash scripts/cluster.sh status    what runs, and the balancer's address
#   bash scripts/cluster.sh promote   the primary is stopped, the standby promoted, PgBouncer
#                                     pointed at it (what a county IT office does on failure)
#   bash scripts/cluster.sh drill     registrations through the balancer while one instance is
#                                     killed and the standby promoted; counts what was kept
#   bash scripts/cluster.sh down      stop everything and remove the folder
#   bash scripts/cluster.sh test      up, drill, down (the test suite runs this)
#
# Needs Debian's postgresql (15), pgbouncer and haproxy; run as root or as the postgres user.
# Settings: CLUSTER_DIR (default /tmp/dualtrack-cluster), CLUSTER_PORT (the first of nine
# ports in a row, default 56400), DUALTRACK (the program, default target/release/dualtrack,
# else target/debug/dualtrack).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR="${CLUSTER_DIR:-/tmp/dualtrack-cluster}"
BASE="${CLUSTER_PORT:-56400}"
PG_PRIMARY=$BASE
PG_STANDBY=$((BASE + 1))
BOUNCER=$((BASE + 2))
BALANCER=$((BASE + 3))
APPS=($((BASE + 4)) $((BASE + 5)) $((BASE + 6)))
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
if [ -z "${DUALTRACK:-}" ]; then
  # The newer of the two builds: a release binary left from an older checkout is not used.
  DUALTRACK=target/debug/dualtrack
  if [ -x target/release/dualtrack ] && { [ ! -x "$DUALTRACK" ] || [ target/release/dualtrack -nt "$DUALTRACK" ]; }; then
    DUALTRACK=target/release/dualtrack
  fi
fi
DUALTRACK="$(realpath "$DUALTRACK")"
DB_URL="postgres://dualtrack:dualtrack@127.0.0.1:$BOUNCER/dualtrack"
# The standby itself, for the reads that tolerate lag (after a promotion, the new primary).
REPLICA_URL="postgres://dualtrack:dualtrack@127.0.0.1:$PG_STANDBY/dualtrack"

# Commands of PostgreSQL and PgBouncer run as the postgres user: they refuse root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

say() { echo "[集群] $*"; }

wait_for() { # wait_for <what> <seconds> <command...>
  local what=$1 secs=$2
  shift 2
  for _ in $(seq 1 $((secs * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "[集群] 等待 $what 超时（$secs 秒）" >&2
  return 1
}

need() {
  local missing=()
  [ -x "$PGBIN/initdb" ] || missing+=(postgresql)
  command -v pgbouncer >/dev/null || missing+=(pgbouncer)
  command -v haproxy >/dev/null || missing+=(haproxy)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "[集群] 缺少 ${missing[*]}：请执行 sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  [ -x "$DUALTRACK" ] || { echo "[集群] 找不到程序 $DUALTRACK：请先 cargo build --release" >&2; exit 1; }
}

pg_up() { as_pg "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$1"; }

start_primary() {
  as_pg "$PGBIN/initdb" --no-instructions -D "$DIR/primary" -U postgres -A trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  cat >>"$DIR/primary/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PRIMARY
unix_socket_directories = '$DIR'
wal_level = replica
max_wal_senders = 4
hot_standby = on
max_connections = 200
EOF
  echo "host replication postgres 127.0.0.1/32 trust" >>"$DIR/primary/pg_hba.conf"
  as_pg "$PGBIN/pg_ctl" -D "$DIR/primary" -l "$DIR/primary.log" -w start >/dev/null
  as_pg psql -q -h 127.0.0.1 -p "$PG_PRIMARY" -U postgres -c "CREATE ROLE dualtrack LOGIN PASSWORD 'dualtrack'" \
    -c "CREATE DATABASE dualtrack OWNER dualtrack" >/dev/null
}

start_standby() {
  as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY" -U postgres -D "$DIR/standby" -R -X stream
  echo "port = $PG_STANDBY" >>"$DIR/standby/postgresql.conf"
  # After what `-R` wrote, so that this one counts: the name the primary waits for.
  echo "primary_conninfo = 'host=127.0.0.1 port=$PG_PRIMARY user=postgres application_name=standby'" \
    >>"$DIR/standby/postgresql.auto.conf"
  as_pg "$PGBIN/pg_ctl" -D "$DIR/standby" -l "$DIR/standby.log" -w start >/dev/null
  # From now on a commit is acknowledged once the standby has it too: a promoted standby
  # loses nothing that a client was told was saved.
  as_pg psql -q -h 127.0.0.1 -p "$PG_PRIMARY" -U postgres \
    -c "ALTER SYSTEM SET synchronous_standby_names = 'standby'" -c "SELECT pg_reload_conf()" >/dev/null
}

# PgBouncer in session mode: Debian's 1.18 cannot carry prepared statements of the
# extended protocol between transactions (that came in 1.21), and the server's driver
# prepares every statement; the app's own pool already keeps connections few and warm.
write_bouncer() { # write_bouncer <database port>
  cat >"$DIR/pgbouncer.ini" <<EOF
[databases]
dualtrack = host=127.0.0.1 port=$1 dbname=dualtrack
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER
admin_users = postgres
unix_socket_dir = $DIR
auth_type = trust
auth_file = $DIR/userlist.txt
pool_mode = session
ignore_startup_parameters = extra_float_digits
max_client_conn = 500
default_pool_size = 120
server_connect_timeout = 2
server_login_retry = 1
query_wait_timeout = 5
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
EOF
}

start_bouncer() {
  printf '"dualtrack" ""\n"postgres" ""\n' >"$DIR/userlist.txt"
  write_bouncer "$PG_PRIMARY"
  chown postgres "$DIR"/pgbouncer.ini "$DIR"/userlist.txt 2>/dev/null || true
  as_pg pgbouncer -q -d "$DIR/pgbouncer.ini"
  wait_for PgBouncer 10 pg_up "$BOUNCER"
}

start_app() { # start_app <index>
  local port=${APPS[$1]}
  nohup "$DUALTRACK" --config "$DIR/dualtrack.toml" serve --listen "127.0.0.1:$port" \
    >"$DIR/app$1.log" 2>&1 &
  echo $! >"$DIR/app$1.pid"
  wait_for "实例 $1" 60 curl -sf "http://127.0.0.1:$port/readyz"
}

start_balancer() {
  cat >"$DIR/haproxy.cfg" <<EOF
global
  maxconn 2000
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 2
  option redispatch
  # A request whose instance died before answering goes to another one: safe for writes too,
  # since each carries its idempotency key and is never applied twice.
  retry-on all-retryable-errors
frontend dualtrack
  bind 127.0.0.1:$BALANCER
  default_backend apps
backend apps
  balance roundrobin
  option httpchk GET /readyz
  default-server inter 500ms fall 2 rise 2
EOF
  for i in 0 1 2; do
    echo "  server app$i 127.0.0.1:${APPS[$i]} check" >>"$DIR/haproxy.cfg"
  done
  haproxy -D -f "$DIR/haproxy.cfg" -p "$DIR/haproxy.pid"
  wait_for HAProxy 10 curl -sf "http://127.0.0.1:$BALANCER/readyz"
}

up() {
  need
  if [ -e "$DIR/primary" ]; then
    echo "[集群] $DIR 已有集群：先执行 bash scripts/cluster.sh down" >&2
    exit 1
  fi
  mkdir -p "$DIR"
  chown postgres "$DIR" 2>/dev/null || true
  say "主库 127.0.0.1:$PG_PRIMARY"
  start_primary
  say "备库 127.0.0.1:$PG_STANDBY（同步流复制）"
  start_standby
  say "PgBouncer 127.0.0.1:$BOUNCER"
  start_bouncer
  # One configuration for the three instances: the same audit key file (made by the first
  # command that opens it); plain HTTP on loopback; the second factor left to each account,
  # so the drill's checkpoint account logs in with its password; the command view, briefing
  # and exports read the standby (the primary when it is down or behind).
  cat >"$DIR/dualtrack.toml" <<EOF
db = "$DB_URL"
audit_key_file = "$DIR/audit.key"
secure_cookies = false
second_factor = "optional"
[database]
replica_url = "$REPLICA_URL"
EOF
  say "载入演示数据"
  "$DUALTRACK" --config "$DIR/dualtrack.toml" demo >"$DIR/demo.log" 2>&1
  for i in 0 1 2; do
    say "实例 $i 127.0.0.1:${APPS[$i]}"
    start_app "$i"
  done
  say "HAProxy 127.0.0.1:$BALANCER"
  start_balancer
  say "就绪：http://127.0.0.1:$BALANCER"
  say "实例 0 的只读备库：$(replica_state 0)"
}

# The state of instance <index>'s standby for reading, as its /healthz gives it.
replica_state() {
  curl -s "http://127.0.0.1:${APPS[$1]}/healthz" | grep -o '"replica":{"state":"[a-z_]*"' | cut -d'"' -f6
}

promote() {
  say "停止主库（模拟故障）"
  as_pg "$PGBIN/pg_ctl" -D "$DIR/primary" -m immediate stop >/dev/null || true
  say "提升备库为主库"
  as_pg "$PGBIN/pg_ctl" -D "$DIR/standby" -w promote >/dev/null
  say "PgBouncer 改指新主库并重新加载"
  write_bouncer "$PG_STANDBY"
  as_pg psql -q -h 127.0.0.1 -p "$BOUNCER" -U postgres pgbouncer -c RELOAD >/dev/null 2>&1 ||
    kill -HUP "$(cat "$DIR/pgbouncer.pid")"
}

status() {
  for p in "$PG_PRIMARY" "$PG_STANDBY" "$BOUNCER"; do
    if pg_up "$p"; then echo "127.0.0.1:$p 运行中"; else echo "127.0.0.1:$p 未运行"; fi
  done
  for i in 0 1 2; do
    if curl -sf "http://127.0.0.1:${APPS[$i]}/readyz" >/dev/null; then s=就绪; else s=未就绪; fi
    echo "实例 $i 127.0.0.1:${APPS[$i]} $s"
  done
  echo "负载均衡 http://127.0.0.1:$BALANCER"
}

down() {
  for i in 0 1 2; do
    [ -f "$DIR/app$i.pid" ] && kill "$(cat "$DIR/app$i.pid")" 2>/dev/null || true
  done
  [ -f "$DIR/haproxy.pid" ] && kill "$(cat "$DIR/haproxy.pid")" 2>/dev/null || true
  [ -f "$DIR/pgbouncer.pid" ] && kill "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null || true
  for d in standby primary; do
    [ -d "$DIR/$d" ] && as_pg "$PGBIN/pg_ctl" -D "$DIR/$d" -m fast stop >/dev/null 2>&1 || true
  done
  rm -rf "$DIR"
  say "已停止"
}

# Registrations through the balancer for a while; one instance is killed, then the primary
# fails and the standby is promoted. The drill program counts what was acknowledged against
# what the new primary holds: nothing acknowledged missing, nothing twice, no 5xx but 503.
drill() {
  local secs=${DRILL_SECONDS:-40}
  [ -e "$DIR/primary" ] || up
  "$DUALTRACK" bench drill --url "http://127.0.0.1:$BALANCER" --db-url "$DB_URL" --seconds "$secs" &
  local driver=$!
  sleep $((secs / 4))
  say "kill -9 实例 1"
  kill -9 "$(cat "$DIR/app1.pid")"
  sleep $((secs / 4))
  promote
  wait "$driver"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  promote) promote ;;
  drill) drill ;;
  test)
    [ -e "$DIR" ] && down
    trap down EXIT
    up
    # The command view reads the standby: every instance finds it answering.
    for i in 0 1 2; do
      [ "$(replica_state "$i")" = ok ] || { echo "[集群] 实例 $i 未连上只读备库" >&2; exit 1; }
    done
    drill
    ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
