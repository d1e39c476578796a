#!/usr/bin/env bash
# Benchmarks agentd against supervisord, runit and PM2 on this machine, in one run, and writes
# docs/BENCHMARKS-compare.md and docs/restart-latency.svg. Installs the peers when absent:
# supervisord and runit from Debian's packages (services are NOT started: a policy-rc.d
# refuses it during the install), PM2 from npm into a private prefix. Nothing here talks to
# anything but loopback and Unix sockets: PM2 gets a private PM2_HOME with its 'touch' file
# created first and PM2_DISABLE_VERSION_CHECK=1, and 'pm2 --version' is never run.
#
#   supervisor-examples/bench/compare.sh [--kills N] [--children N] [--idle-seconds N]
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS=${BENCH_TOOLS_DIR:-/tmp/bench-tools}

if ! command -v supervisord >/dev/null || ! command -v runsvdir >/dev/null; then
  created_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    created_policy=yes
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq supervisor runit >/dev/null
  [ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d
fi
if [ ! -x "$TOOLS/pm2/node_modules/.bin/pm2" ]; then
  mkdir -p "$TOOLS/pm2"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/pm2" pm2 >/dev/null
fi
[ -f supervisor-examples/target/agentd.jar ] || mvn -q -DskipTests package
java -jar supervisor-examples/target/agentd.jar bench compare --pm2 "$TOOLS/pm2/node_modules/.bin/pm2" --out docs "$@"
