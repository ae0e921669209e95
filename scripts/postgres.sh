#!/usr/bin/env bash
# Starts the machine's PostgreSQL (Debian's cluster) if it is stopped, and makes sure the
# test role exists. Prints nothing on success but what it did.
set -euo pipefail
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  echo "PostgreSQL 未安装：请安装 postgresql（Debian: apt-get install postgresql），或设置 DUALTRACK_TEST_PG 指向可用的服务器" >&2
  exit 1
fi
read -r ver name status <<<"$(pg_lsclusters --no-header | awk 'NR==1 {print $1, $2, $4}')"
if [ -z "${ver:-}" ]; then
  echo "没有 PostgreSQL 集群：pg_createcluster 15 main 可创建一个" >&2
  exit 1
fi
if [ "$status" != "online" ]; then
  echo "启动 PostgreSQL $ver/$name"
  pg_ctlcluster "$ver" "$name" start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 1
done
as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sh -c "$1"; fi
}
as_postgres "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = 'dualtrack'\" | grep -q 1 || psql -qc \"CREATE ROLE dualtrack LOGIN CREATEDB PASSWORD 'dualtrack'\""
# Databases left by earlier test runs.
for db in $(as_postgres "psql -qtAc \"SELECT datname FROM pg_database WHERE datname LIKE 'dt\\_%'\""); do
  as_postgres "psql -qc 'DROP DATABASE IF EXISTS \"$db\"'" >/dev/null
done
