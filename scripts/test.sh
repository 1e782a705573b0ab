#!/usr/bin/env bash
# The whole test suite: unit tests of every module and CLI tests that run the built binary.
# The S3 tests run against two throwaway servers from scripts/s3-server.sh, Ceph RGW and moto,
# started while the build runs and stopped on exit, passed to the tests as
# LAKE_TEST_RGW_ENDPOINT, LAKE_TEST_RGW_ACCESS_KEY, LAKE_TEST_RGW_SECRET_KEY and
# LAKE_TEST_MOTO_ENDPOINT, LAKE_TEST_MOTO_ACCESS_KEY, LAKE_TEST_MOTO_SECRET_KEY.
# A server that does not start fails the run. Environment: LAKE_TEST_S3_START_TIMEOUT (seconds
# for each start, waiting for the other included, default 900) and those of scripts/s3-server.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

# Each server in its own temp dir, which also gets `env` (the export lines of its start, read
# below, never sourced) and `start.log` (the start's messages).
rgw_dir=$(mktemp -d /tmp/lake-test-radosgw.XXXXXX)
moto_dir=$(mktemp -d /tmp/lake-test-moto.XXXXXX)

# On any exit: end a start still running (the build failed first; timeout passes the TERM to
# all the start's processes), stop what the starts started (only the PIDs in DIR/pids), remove
# the dirs, and exit with the code we had (swift test's).
cleanup() {
  local rc=$? pid dir
  for pid in $(jobs -p); do kill -TERM "$pid" 2>/dev/null || true; done
  wait
  for dir in "$rgw_dir" "$moto_dir"; do
    bash scripts/s3-server.sh stop "$dir" || true
    rm -rf "$dir"
  done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# start_s3 KIND DIR: starts the server in the background. One start at a time (flock on
# s3-server.sh; -o: the servers must not inherit the lock), as both may run apt-get, which
# allows one at a time. timeout bounds the whole start.
declare -A start_pid
start_s3() {
  # The RGW OSD keeps what the tests store in memory and stops taking writes when full.
  S3_SERVER_MEMSTORE_BYTES=${S3_SERVER_MEMSTORE_BYTES:-$((4 << 30))} timeout -k 10 "${LAKE_TEST_S3_START_TIMEOUT:-900}" flock -o scripts/s3-server.sh \
    bash scripts/s3-server.sh start "$1" "$2" >"$2/env" 2>"$2/start.log" &
  start_pid[$1]=$!
}
start_s3 radosgw "$rgw_dir"
start_s3 moto "$moto_dir"

swift build --build-tests

# s3_value DIR NAME: the value in the line `export NAME=VALUE` printed by DIR's start.
s3_value() { sed -n "s/^export $2=//p" "$1/env"; }

# wait_s3 KIND DIR PREFIX: waits for the start, fails the run if it failed, and exports
# PREFIX_ENDPOINT, PREFIX_ACCESS_KEY and PREFIX_SECRET_KEY.
wait_s3() {
  local rc=0
  wait "${start_pid[$1]}" || rc=$?
  if [ $rc -ne 0 ] || [ -z "$(s3_value "$2" LAKE_S3_ENDPOINT)" ]; then
    cat "$2/start.log" >&2
    [ $rc -ne 124 ] || echo "test.sh: timed out after ${LAKE_TEST_S3_START_TIMEOUT:-900} s" >&2
    echo "test.sh: error: the $1 S3 server did not start (exit $rc, messages above); the S3 tests need it" >&2
    exit 1
  fi
  grep 'ready after' "$2/start.log" >&2 || true
  export "$3_ENDPOINT=$(s3_value "$2" LAKE_S3_ENDPOINT)" \
    "$3_ACCESS_KEY=$(s3_value "$2" AWS_ACCESS_KEY_ID)" \
    "$3_SECRET_KEY=$(s3_value "$2" AWS_SECRET_ACCESS_KEY)"
}
wait_s3 radosgw "$rgw_dir" LAKE_TEST_RGW
wait_s3 moto "$moto_dir" LAKE_TEST_MOTO

swift test --skip-build
