#!/usr/bin/env bash
# Starts or stops a throwaway S3-compatible server on 127.0.0.1 for tests (Debian 12, as root).
#
#   eval "$(bash scripts/s3-server.sh start radosgw DIR)"   # Ceph RGW on a one-node memstore cluster
#   eval "$(bash scripts/s3-server.sh start moto DIR)"      # moto_server (PyPI moto[s3] + flask)
#   bash scripts/s3-server.sh stop DIR
#
# start installs what is missing (apt-get: radosgw ceph-mon ceph-osd; pip: moto[s3] flask
# flask-cors), keeps all state and logs under DIR, waits (bounded) until the server answers,
# writes the PIDs it started to DIR/pids and prints `export` lines for AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION and LAKE_S3_ENDPOINT=http://127.0.0.1:PORT
# (path-style; both servers also take virtual-host style at http://BUCKET.localhost:PORT).
# Everything else goes to stderr. stop kills exactly the PIDs in DIR/pids.
# docs/s3-servers.md tells what each server does and does not check.
#
# Environment: S3_SERVER_TIMEOUT (seconds for each wait, default 120),
#              S3_SERVER_INSTALL_TIMEOUT (seconds for each apt-get or pip step, default 600),
#              S3_SERVER_MEMSTORE_BYTES (radosgw OSD capacity, default 2 GiB, held in RAM as used),
#              S3_SERVER_MOTO_AUTH=1 (moto: check SigV4 against an IAM key; default 0: any key
#                passes. moto 5.2.1 then rejects correctly signed requests whose path or query
#                holds percent-encoded characters such as %2F, %2B, %3D, %25 or UTF-8),
#              S3_SERVER_VENV (venv for moto when the system Python refuses pip installs,
#                default /var/cache/lake-s3-server/venv).
set -euo pipefail

timeout_s=${S3_SERVER_TIMEOUT:-120}
install_timeout_s=${S3_SERVER_INSTALL_TIMEOUT:-600}
region=us-east-1

log() { echo "s3-server: $*" >&2; }
die() { echo "s3-server: error: $*" >&2; exit 1; }

usage() {
  echo "usage: $0 start radosgw|moto DIR | stop DIR" >&2
  exit 2
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# Random upper-case hex string of $1 bytes (twice as many characters).
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F; }

pids_file=""
started=()

# Records a PID we started, at once, so a failing start or `stop` can end it.
remember() {
  started+=("$1")
  echo "$1" >>"$pids_file"
}

# Drops a PID that has exited from the list and from DIR/pids.
forget() {
  local keep=() p
  for p in "${started[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  started=("${keep[@]}")
  printf '%s\n' "${started[@]}" >"$pids_file"
}

# True while PID exists and is not a zombie waiting to be reaped.
running() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# Sends TERM to each PID in DIR/pids that still runs a command naming DIR and waits for it,
# KILLing it after 10 s. Only PIDs this script wrote are touched.
stop_dir() {
  local dir=$1 file=$1/pids pid
  [ -f "$file" ] || { log "no $file: nothing to stop"; return 0; }
  local pids=()
  while read -r pid; do
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    # Guard against PID reuse: every process we start has DIR in its command line.
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir"; then
      pids+=("$pid")
    fi
  done <"$file"
  # One at a time, last started first (radosgw, then osd, then mon): radosgw and the OSD
  # shut down promptly only while the daemons they talk to still run.
  local i deadline
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    kill -TERM "$pid" 2>/dev/null || continue
    deadline=$((SECONDS + 10))
    while running "$pid"; do
      if [ $SECONDS -ge $deadline ]; then
        log "killing $pid: still running 10 s after SIGTERM"
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
  done
  [ ${#pids[@]} -eq 0 ] || log "stopped ${pids[*]}"
  rm -f "$file"
}

# On a failed start: show the logs' last lines and end what this run started.
on_fail() {
  local rc=$?
  [ $rc -eq 0 ] && return
  if [ -n "${logs_dir:-}" ] && [ -d "$logs_dir" ]; then
    local f
    for f in "$logs_dir"/*.log "$logs_dir"/*.out; do
      [ -s "$f" ] || continue
      echo "----- last lines of $f -----" >&2
      tail -n 25 "$f" >&2
    done
  fi
  if [ ${#started[@]} -gt 0 ]; then
    log "start failed: stopping ${started[*]}"
    kill -TERM "${started[@]}" 2>/dev/null || true
    sleep 1
    kill -KILL "${started[@]}" 2>/dev/null || true
    rm -f "$pids_file"
  fi
  exit $rc
}

# wait_until DESCRIPTION COMMAND...: retries COMMAND until it succeeds or timeout_s passes.
wait_until() {
  local what=$1; shift
  local deadline=$((SECONDS + timeout_s))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      die "timed out after ${timeout_s} s waiting for $what"
    fi
    for pid in "${started[@]}"; do
      kill -0 "$pid" 2>/dev/null || die "process $pid exited while waiting for $what"
    done
    sleep 0.5
  done
}

# launch_http NAME LOG COMMAND... : runs COMMAND (each "@PORT@" in it replaced by a free port)
# in the background and waits until it answers HTTP on that port; sets http_port. A port free
# when chosen can be taken before the server binds it (radosgw then crashes), so a server that
# exits before answering is retried on another port, three times at most.
launch_http() {
  local name=$1 out=$2; shift 2
  local try pid deadline arg args
  for try in 1 2 3; do
    http_port=$(free_port)
    args=()
    for arg in "$@"; do args+=("${arg//@PORT@/$http_port}"); done
    log "starting $name on 127.0.0.1:$http_port"
    "${args[@]}" </dev/null >>"$out" 2>&1 &
    pid=$!
    remember "$pid"
    deadline=$((SECONDS + timeout_s))
    until http_answers "$http_port"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        forget "$pid"
        log "$name exited before answering on port $http_port (try $try of 3)"
        continue 2
      fi
      [ $SECONDS -lt $deadline ] || die "timed out after ${timeout_s} s waiting for $name on port $http_port"
      sleep 0.5
    done
    return 0
  done
  die "$name exited before answering, three times"
}

# True when something answers HTTP on the port (any status code, e.g. 403 for an anonymous GET).
http_answers() {
  local code
  code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$1/") || return 1
  [ "$code" != "000" ]
}

apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (apt-get)"
  timeout "$install_timeout_s" apt-get update -qq >&2 || die "apt-get update failed or timed out"
  DEBIAN_FRONTEND=noninteractive timeout "$install_timeout_s" \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
    || die "apt-get install ${missing[*]} failed or timed out after ${install_timeout_s} s"
}

print_exports() {
  cat <<EOF
export AWS_ACCESS_KEY_ID=$1
export AWS_SECRET_ACCESS_KEY=$2
export AWS_DEFAULT_REGION=$region
export LAKE_S3_ENDPOINT=http://127.0.0.1:$3
EOF
}

start_radosgw() {
  local dir=$1
  apt_install radosgw ceph-mon ceph-osd
  command -v python3 >/dev/null || apt_install python3

  local conf=$dir/ceph.conf
  local mon_port fsid osd_uuid
  mon_port=$(free_port)
  fsid=$(cat /proc/sys/kernel/random/uuid)
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  mkdir -p "$dir/run" "$dir/mon.a" "$dir/osd.0" "$dir/rgw"

  # One monitor, one OSD on memstore, one radosgw; no cephx (S3 signatures are checked by RGW
  # itself with the keys from `radosgw-admin user create`); every path under DIR.
  cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
public network = 127.0.0.0/8
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
# Without cephx there is no session key, so the default "secure" mode for clients such as
# radosgw talking to the mon must be relaxed, or they fail with get_initial_auth_request -13.
ms mon client mode = crc
keyring = $dir/keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $logs_dir/\$name.log
pid file = $dir/run/\$name.pid
log to stderr = false
err to stderr = false
mon cluster log file = $logs_dir/cluster.log
crash dir = $dir/crash
osd pool default size = 1
osd pool default min size = 1
# radosgw creates its pools at first start and waits for each to be active: one PG a pool and
# a short paxos interval (default 1 s) bring a cold start from about 15 s down to about 3 s.
osd pool default pg num = 1
osd pool default pgp num = 1
paxos propose interval = 0.05
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1

[mon]
mon data = $dir/mon.\$id

[osd]
osd data = $dir/osd.\$id
osd objectstore = memstore
memstore device bytes = ${S3_SERVER_MEMSTORE_BYTES:-2147483648}

[client.rgw.lake]
# rgw frontends (beast endpoint=127.0.0.1:PORT tcp_nodelay=1) is given on the command line.
# Without tcp_nodelay a response whose body follows its headers in a second write (a bucket
# listing) waits about 40 ms for the client's delayed ACK.
# Path-style requests to 127.0.0.1 work either way; this adds virtual-host style at
# http://BUCKET.localhost:PORT/KEY (as moto does).
rgw dns name = localhost
rgw data = $dir/rgw
rgw enable usage log = false
EOF

  local setup_log=$logs_dir/setup.log
  ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >>"$setup_log" 2>&1
  ceph-authtool "$dir/keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >>"$setup_log" 2>&1
  monmaptool --create --clobber --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" \
    >>"$setup_log" 2>&1
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring" >>"$setup_log" 2>&1

  log "starting ceph-mon on 127.0.0.1:$mon_port"
  ceph-mon -c "$conf" -i a -f </dev/null >>"$logs_dir/mon.a.out" 2>&1 &
  remember $!
  wait_until "ceph-mon to answer" timeout 10 ceph -c "$conf" --connect-timeout 5 mon stat

  local osd_id
  osd_id=$(timeout "$timeout_s" ceph -c "$conf" osd new "$osd_uuid" 2>>"$setup_log")
  [ "$osd_id" = 0 ] || die "expected osd id 0, got '$osd_id'"
  timeout "$timeout_s" ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$setup_log" 2>&1
  log "starting ceph-osd (memstore)"
  ceph-osd -c "$conf" -i 0 -f </dev/null >>"$logs_dir/osd.0.out" 2>&1 &
  remember $!
  wait_until "the OSD to be up" osd_up "$conf"

  launch_http radosgw "$logs_dir/rgw.out" \
    radosgw -c "$conf" -n client.rgw.lake -f --rgw-frontends "beast endpoint=127.0.0.1:@PORT@ tcp_nodelay=1"
  local rgw_port=$http_port

  local access secret
  access=$(random_hex 10)
  secret=$(random_hex 20)
  timeout "$timeout_s" radosgw-admin -c "$conf" user create --uid=lake --display-name=lake \
    --access-key="$access" --secret-key="$secret" >"$dir/user.json" \
    || die "radosgw-admin user create failed"
  print_exports "$access" "$secret" "$rgw_port"
}

osd_up() {
  timeout 10 ceph -c "$1" --connect-timeout 5 osd stat -f json | grep -q '"num_up_osds":1'
}

# moto_server needs only these: moto[server] would add every other service's dependencies
# (cfn-lint, docker, graphql, ...) and take twice as long to install.
moto_pip=('moto[s3]' flask flask-cors)

# The Python that has (or gets) moto's server: the venv S3_SERVER_VENV if an earlier run made
# it, else the python3 on PATH, else that venv when the python3 on PATH refuses pip installs
# (PEP 668, as Debian's own python3 does).
moto_python() {
  local py venv=${S3_SERVER_VENV:-/var/cache/lake-s3-server/venv}
  if "$venv/bin/python" -c 'import moto.server, flask, flask_cors' 2>/dev/null; then
    echo "$venv/bin/python"
    return
  fi
  py=$(command -v python3 || true)
  if [ -n "$py" ] && "$py" -c 'import moto.server, flask, flask_cors' 2>/dev/null; then
    "$py" -c 'import sys; print(sys.executable)'
    return
  fi
  [ -n "$py" ] || { apt_install python3 python3-venv; py=$(command -v python3); }
  log "installing ${moto_pip[*]} (pip)"
  if timeout "$install_timeout_s" "$py" -m pip install -q "${moto_pip[@]}" >&2; then
    "$py" -c 'import sys; print(sys.executable)'
    return
  fi
  log "pip refused; using a venv at $venv"
  apt_install python3-venv
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
  "$venv/bin/python" -c 'import moto.server' 2>/dev/null \
    || timeout "$install_timeout_s" "$venv/bin/python" -m pip install -q "${moto_pip[@]}" >&2 \
    || die "pip install ${moto_pip[*]} failed or timed out"
  echo "$venv/bin/python"
}

start_moto() {
  local dir=$1 py port
  py=$(moto_python)
  # moto keeps its state in memory; DIR holds its log. The extra argument after -c tags the
  # command line with DIR so that `stop` can check the PID is ours.
  launch_http moto_server "$logs_dir/moto.log" \
    "$py" -c 'import sys; from moto.server import main; main(sys.argv[2:])' \
    "$dir" -H 127.0.0.1 -p @PORT@
  port=$http_port
  if [ "${S3_SERVER_MOTO_AUTH:-0}" != 1 ]; then
    # moto then accepts any key pair and checks no signature.
    print_exports testing testing "$port"
    return
  fi
  # Make moto check SigV4 as S3 does: while its auth is still off, create an IAM user with an
  # allow-all policy and an access key, then switch auth on: every later request must be signed
  # with that key (a wrong signature gets 403 SignatureDoesNotMatch).
  local keys
  keys=$(MOTO_ENDPOINT="http://127.0.0.1:$port" timeout "$timeout_s" "$py" -c '
import json, os, urllib.request
import boto3
endpoint = os.environ["MOTO_ENDPOINT"]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
iam.create_user(UserName="lake")
iam.put_user_policy(UserName="lake", PolicyName="all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="lake")["AccessKey"]
# Not the default form content type: Flask would swallow the body as form fields.
req = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                             headers={"Content-Type": "text/plain"})
urllib.request.urlopen(req, timeout=10).read()
print(key["AccessKeyId"], key["SecretAccessKey"])
') || die "could not create moto's IAM access key"
  print_exports "${keys% *}" "${keys#* }" "$port"
}

cmd=${1:-}
case "$cmd" in
  start)
    [ $# -eq 3 ] || usage
    kind=$2
    case "$kind" in radosgw | moto) ;; *) usage ;; esac
    case "$3" in *[[:space:]]*) die "DIR must not contain white space (ceph.conf paths)" ;; esac
    mkdir -p "$3"
    dir=$(cd "$3" && pwd)
    pids_file=$dir/pids
    logs_dir=$dir/log
    if [ -s "$pids_file" ]; then
      die "$pids_file exists: stop that server first ($0 stop $dir)"
    fi
    # State of an earlier, stopped run in DIR: only what this script creates there.
    rm -rf "$logs_dir" "$dir"/{ceph.conf,keyring,monmap,mon.a,osd.0,rgw,run,crash,user.json}
    mkdir -p "$logs_dir"
    : >"$pids_file"
    trap on_fail EXIT
    t0=$SECONDS
    case "$kind" in
      radosgw) start_radosgw "$dir" ;;
      moto) start_moto "$dir" ;;
    esac
    trap - EXIT
    log "$kind ready after $((SECONDS - t0)) s (pids: ${started[*]}; logs: $logs_dir)"
    ;;
  stop)
    [ $# -eq 2 ] || usage
    [ -d "$2" ] || die "no directory $2"
    stop_dir "$(cd "$2" && pwd)"
    ;;
  *) usage ;;
esac
