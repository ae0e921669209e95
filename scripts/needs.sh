#!/usr/bin/env bash
# What the test suite needs besides the Rust toolchain, checked before anything is built:
# PostgreSQL (Debian's cluster, or a server named by DUALTRACK_TEST_PG), Chromium and a
# Chinese font for the browser test, Node.js with npm for its driver, Python with venv for the
# schema fuzzer, PgBouncer and HAProxy for the failover drill of several instances. As root
# on Debian what is missing is installed with apt-get; otherwise the script stops at once
# with one line naming what is missing and the command that installs it.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
missing=()   # what is missing, in words
packages=()  # the Debian packages that bring it

need() { # need <words> <package...>
  missing+=("$1")
  shift
  packages+=("$@")
}

if [ -z "${DUALTRACK_TEST_PG:-}" ] && ! command -v pg_lsclusters >/dev/null 2>&1; then
  need "PostgreSQL" postgresql
fi
if [ ! -x "$CHROMIUM" ]; then
  need "Chromium（$CHROMIUM）" chromium
fi
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  need "中文字体" fonts-wqy-microhei fontconfig
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  need "Node.js 与 npm" nodejs npm
fi
if ! command -v pgbouncer >/dev/null 2>&1 || ! command -v haproxy >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
  need "PgBouncer、HAProxy 与 curl（多实例故障演练）" pgbouncer haproxy curl
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  need "Python 3 的 venv" python3 python3-venv
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

joined=$(IFS='、'; echo "${missing[*]}")
install="apt-get install -y ${packages[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${DUALTRACK_NO_INSTALL:-}" ]; then
  echo "安装测试所需：$joined"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  exit 0
fi
echo "测试缺少 $joined：请执行 sudo $install" >&2
exit 1
