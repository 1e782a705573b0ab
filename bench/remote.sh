#!/usr/bin/env bash
# Remote transfers: starts a throwaway Ceph RGW on 127.0.0.1 (scripts/s3-server.sh), builds two
# datasets from files already on this machine (small: copies of system directories; large: big
# binaries) and times, in one run, `lake push` against `aws s3 sync` up and `lake clone` against
# `aws s3 sync` down, each into fresh buckets every run; plus a no-op re-push, a --metadata-only
# clone and checkouts from both clones, in absolute terms. Every tool's result is compared with
# the dataset by `diff -r` once, so a broken transfer cannot pass. Writes a Markdown report with
# medians (min–max), throughput and ratios to $OUT. Rules: ../shared/MEASURING.md.
#
# Usage: bash bench/remote.sh [--quick] [--runs=N]      (or: make bench-remote)
# Env:   RUNS (3)         timed runs of each command
#        QUICK=1          tiny datasets and 2 runs, for developing the script
#        LAKE_BIN         the lake binary (default: the release build's, built when missing)
#        OUT              the report (default: bench/RESULTS-remote.md)
#        DATASETS         which to run, default "large small"
#        AWS_MAX_CONCURRENT_REQUESTS (10, awscli's default) aws s3 sync's transfers in flight
#        S3_SERVER_MEMSTORE_BYTES (8 GiB) the OSD's capacity, held in RAM as used
#        NOTE             a line added to the report's header (e.g. how LAKE_BIN was built)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
root=$(cd "$here/.." && pwd)
for arg in "$@"; do
  case $arg in
    --quick) QUICK=1 ;;
    --runs=*) RUNS=${arg#--runs=} ;;
    *) echo "usage: bash bench/remote.sh [--quick] [--runs=N]" >&2; exit 2 ;;
  esac
done
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then RUNS=${RUNS:-2}; else RUNS=${RUNS:-3}; fi
OUT=${OUT:-$here/RESULTS-remote.md}
DATASETS=${DATASETS:-large small}
AWS_MAX_CONCURRENT_REQUESTS=${AWS_MAX_CONCURRENT_REQUESTS:-10}
export S3_SERVER_MEMSTORE_BYTES=${S3_SERVER_MEMSTORE_BYTES:-$((8 << 30))}
# Read now: the report is written at the end, after whatever the work tree went through meanwhile.
tree_at_start=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
cores=$(nproc)
tick=$(getconf CLK_TCK)

log() { echo "[remote $(date +%H:%M:%S)] $*" >&2; }

if [ -z "${LAKE_BIN:-}" ]; then
  LAKE_BIN=$(cd "$root" && swift build -c release --static-swift-stdlib --show-bin-path)/lake
  if [ ! -x "$LAKE_BIN" ]; then
    log "no release build: swift build -c release --static-swift-stdlib"
    (cd "$root" && swift build -c release --static-swift-stdlib) >&2
  fi
fi
lake=$LAKE_BIN
[ -x "$lake" ] || { echo "no lake binary at $lake (build: swift build -c release --static-swift-stdlib)" >&2; exit 1; }
command -v aws > /dev/null || { echo "aws (awscli) is not installed" >&2; exit 1; }

scratch=$(mktemp -d /tmp/lake-remote.XXXX)
s3dir=$scratch/s3   # the server's state and logs; no white space (ceph.conf)
server_started=0 server_pids=()
cleanup() {
  # Only the server this script started: s3-server.sh stops exactly the PIDs in $s3dir/pids.
  local p
  if (( server_started )); then
    bash "$root/scripts/s3-server.sh" stop "$s3dir" > /dev/null || true
    # Belt and braces: any of its processes still running (their command line names $s3dir).
    for p in "${server_pids[@]}"; do
      if tr '\0' ' ' < "/proc/$p/cmdline" 2> /dev/null | grep -qF -- "$s3dir"; then
        log "server process $p still runs after stop: killing it"; kill -KILL "$p" 2> /dev/null || true
      fi
    done
  fi
  chmod -R u+w "$scratch" 2> /dev/null; rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
attic=$scratch/attic   # retired trees of many files, deleted at the end
mkdir "$attic" "$scratch/work"
work=$scratch/work

# awscli reads its transfer settings from a config file only: a scratch one, so that the user's
# ~/.aws/config does not change the baseline either. Credentials come from the environment.
export AWS_CONFIG_FILE=$scratch/aws-config AWS_SHARED_CREDENTIALS_FILE=$scratch/aws-credentials
printf '[default]\ns3 =\n  max_concurrent_requests = %s\n' "$AWS_MAX_CONCURRENT_REQUESTS" > "$AWS_CONFIG_FILE"
: > "$AWS_SHARED_CREDENTIALS_FILE"

# ---------------------------------------------------------------------------------------------
# Measuring (as in suite.sh, plus CPU time: the client's, and the server's from its /proc/PID/stat)

declare -A T M U S FAIL SOURCE BYTES VERIFY   # per key: ms, peak RSS KiB, client CPU ms, server CPU ms of each run

warm() { find "$@" -type f -print0 | xargs -0 -r cat > /dev/null; }

# CPU time (utime + stime, in ms) the server's processes (mon, osd, radosgw) have used so far.
server_cpu() {
  local p sum=0 t
  for p in "${server_pids[@]}"; do
    t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2> /dev/null || echo 0)
    sum=$(( sum + t ))
  done
  echo $(( sum * 1000 / tick ))
}

# measure KEY CMD...: one timed run, after flushing earlier writes (writeback would otherwise land
# in this run). Peak memory is GNU time's %M: the largest single process.
measure() {
  local key=$1 t0 t1 c0 c1 rc=0; shift
  sync
  c0=$(server_cpu)
  t0=$(date +%s%N)
  /usr/bin/time -f '%M %U %S' -o "$scratch/mem" "$@" > /dev/null 2> "$scratch/err" || rc=$?
  t1=$(date +%s%N)
  c1=$(server_cpu)
  if (( rc )); then
    FAIL[$key]="exit $rc: $(grep -v '^Command exited' "$scratch/err" | tail -n 1)"
    log "FAILED $key: ${FAIL[$key]}"
    tail -n 5 "$scratch/err" | sed 's/^/    /' >&2
    return 0
  fi
  local ms=$(( (t1 - t0) / 1000000 ))
  T[$key]+="$ms "
  read -r mem us ss < <(tail -n 1 "$scratch/mem")
  M[$key]+="$mem "
  U[$key]+="$(awk -v u="$us" -v s="$ss" 'BEGIN { printf "%d", (u + s) * 1000 }') "
  S[$key]+="$(( c1 - c0 )) "
  log "  $key: $ms ms"
}

# measure_sum KEY A B: a run of KEY that took run N of A plus run N of B (the last runs).
measure_sum() {
  local a b
  a=$(last "$2" T); b=$(last "$3" T)
  [ -n "$a" ] && [ -n "$b" ] || return 0
  T[$1]+="$(( a + b )) "
  U[$1]+="$(( $(last "$2" U) + $(last "$3" U) )) "
  S[$1]+="$(( $(last "$2" S) + $(last "$3" S) )) "
  M[$1]+="$(printf '%s\n' "$(last "$2" M)" "$(last "$3" M)" | sort -n | tail -n 1) "
}
last() { local -n arr=$2; [ -n "${arr[$1]:-}" ] && awk '{print $NF}' <<< "${arr[$1]}"; }


# stats_of ARRAY KEY -> "median min max"
stats_of() {
  local -n arr=$1
  [ -n "${arr[$2]:-}" ] || return 0
  median_min_max <<< "${arr[$2]}"
}
median() { local s; s=$(stats_of T "$1"); echo "${s%% *}"; }
cell() {
  if [ -n "${FAIL[$1]:-}" ]; then echo "failed (${FAIL[$1]})"; return; fi
  local s; s=$(stats_of T "$1")
  [ -n "$s" ] || { echo "—"; return; }
  set -- $s
  if [ "$2" = "$3" ]; then echo "$1"; else echo "$1 ($2–$3)"; fi
}
# MB/s of BYTES moved in KEY's median time.
rate() {
  local m; m=$(median "$1")
  [ -n "$m" ] && [ -z "${FAIL[$1]:-}" ] || { echo "—"; return; }
  awk -v b="$2" -v m="$m" 'BEGIN { if (m == 0) print "—"; else printf "%.0f", b / 1e6 / (m / 1000) }'
}
# "client / server" CPU seconds, medians.
cpu() {
  local u s
  u=$(stats_of U "$1"); s=$(stats_of S "$1")
  [ -n "$u" ] && [ -z "${FAIL[$1]:-}" ] || { echo "—"; return; }
  awk -v u="${u%% *}" -v s="${s%% *}" 'BEGIN { printf "%.1f / %.1f", u / 1000, s / 1000 }'
}
peak_mb() {
  [ -n "${M[$1]:-}" ] && [ -z "${FAIL[$1]:-}" ] || { echo "—"; return; }
  tr ' ' '\n' <<< "${M[$1]}" | grep . | sort -n | tail -n 1 | awk '{printf "%d", $1/1024}'
}
runs() { if [ "$1" = 1 ]; then echo "1 run"; else echo "$1 runs"; fi; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print ""; else printf "%.2f", a / b }'; }

# ---------------------------------------------------------------------------------------------
# Datasets. Lake refuses symlinks that point outside the tree and aws copies what they point at:
# all are dropped. aws does not keep empty directories: those go too, so diff -r can compare.

build_small() {
  local src
  if [ "$QUICK" = 1 ]; then src=(/usr/include/linux); else src=(/usr/include /usr/share/man /usr/share/doc); fi
  copy_trees "$1" "${src[@]}"
  find "$1" -type d -empty -delete
  SOURCE[small]="copies of ${src[*]} (symlinks and empty directories dropped)"
}

# The files over 50 MB under /opt/swift, smallest first, up to 1.7 GB in all (QUICK: 2 files of
# 20–40 MB).
build_large() {
  local root=/opt/swift which
  [ -d "$root" ] || root=/usr
  if [ "$QUICK" = 1 ]; then
    which="2 files of 20–40 MB"
    find "$root" -xdev -type f -size +20M -size -40M -printf '%s\t%p\n' | sort -n | head -n 2
  else
    which="the files over 50 MB, smallest first, up to 1.7 GB"
    find "$root" -xdev -type f -size +50M -printf '%s\t%p\n' | sort -n |
      awk -F'\t' '{ t += $1; if (t > 1.7e9) exit; print }'
  fi > "$scratch/large.list"
  copy_listed "$1" "$scratch/large.list"
  SOURCE[large]="copies of $which under $root, exec bits cleared"
}

describe() { echo "$(find "$1" -type f | wc -l) files, $(awk -v b="${BYTES[$2]}" 'BEGIN { printf "%.0f", b / 1e6 }') MB"; }

# ---------------------------------------------------------------------------------------------
# The server

start_server() {
  log "starting radosgw in $s3dir (memstore $(( S3_SERVER_MEMSTORE_BYTES >> 20 )) MiB)"
  server_started=1
  bash "$root/scripts/s3-server.sh" start radosgw "$s3dir" > "$scratch/s3.env" 2> "$scratch/s3.err" ||
    { cat "$scratch/s3.err" >&2; echo "could not start radosgw" >&2; exit 1; }
  # shellcheck disable=SC1091
  . "$scratch/s3.env"
  endpoint=$LAKE_S3_ENDPOINT
  mapfile -t server_pids < "$s3dir/pids"
  log "radosgw at $endpoint (pids ${server_pids[*]})"
}

make_bucket() {
  aws --endpoint-url "$endpoint" s3 mb "s3://$1" > /dev/null 2> "$scratch/err" ||
    { echo "could not create bucket $1 (awscli hides RGW's error codes: see docs/s3-servers.md)" >&2; cat "$scratch/err" >&2; exit 1; }
}

# Drops a bucket and its objects inside the server at once (no deferred gc), so that memstore
# gives their memory back before the next run.
drop_bucket() {
  radosgw-admin -c "$s3dir/ceph.conf" bucket rm --bucket="$1" --purge-objects --bypass-gc > /dev/null 2>&1 ||
    log "could not drop bucket $1 (left until the server stops)"
}

# ---------------------------------------------------------------------------------------------
# One dataset NAME at TREE. Keys are NAME.WHAT. Lake and aws take turns going first.

verify() {   # verify DS WHAT TREE COPY: COPY must hold the same files as TREE, byte for byte
  if diff -r -q "$3" "$4" > "$scratch/diff" 2>&1; then
    VERIFY[$1]+="$2: identical. "
  else
    VERIFY[$1]+="**$2: DIFFERS** ($(wc -l < "$scratch/diff") lines of \`diff -rq\`, first: $(head -n 1 "$scratch/diff")). "
    VERIFY_FAILED=1
    log "VERIFY FAILED $1 $2: $(head -n 3 "$scratch/diff")"
  fi
}
VERIFY_FAILED=0

lake_up() {
  local ds=$1 lk=$2 tree=$3
  warm "$lk/.lake"; measure "$ds.push" "$lake" --lake "$lk" push --quiet
  measure "$ds.noop" "$lake" --lake "$lk" push --quiet
}
aws_up() {
  local ds=$1 tree=$2 bucket=$3
  warm "$tree"; measure "$ds.awsup" aws --endpoint-url "$endpoint" s3 sync "$tree" "s3://$bucket/x" --only-show-errors
}
lake_down() {
  local ds=$1 w=$2 bucket=$3
  measure "$ds.clone" "$lake" clone "s3://$bucket/bench" "$w/clone" --endpoint "$endpoint" --quiet
  warm "$w/clone/.lake"; measure "$ds.checkout" "$lake" --lake "$w/clone" checkout bench@1 "$w/co" --quiet
  measure_sum "$ds.clone+co" "$ds.clone" "$ds.checkout"
  measure "$ds.meta" "$lake" clone "s3://$bucket/bench" "$w/meta" --metadata-only --endpoint "$endpoint" --quiet
  measure "$ds.metaco" "$lake" --lake "$w/meta" checkout bench@1 "$w/metaco" --quiet
}
aws_down() {
  local ds=$1 w=$2 bucket=$3
  measure "$ds.awsdown" aws --endpoint-url "$endpoint" s3 sync "s3://$bucket/x" "$w/down" --only-show-errors
}

bench_dataset() {
  local ds=$1 tree=$2 i w lk lb ab
  for i in $(seq "$RUNS"); do
    log "$ds: run $i/$RUNS"
    w=$work/$ds-$i; mkdir "$w"; lk=$w/lake
    lb=lake-$ds-$i; ab=aws-$ds-$i
    make_bucket "$lb"; make_bucket "$ab"
    "$lake" init "$lk" --quiet
    "$lake" --lake "$lk" commit "$tree" --dataset bench --quiet
    "$lake" --lake "$lk" remote add origin "s3://$lb/bench" --endpoint "$endpoint" --quiet
    if (( i % 2 )); then
      lake_up "$ds" "$lk" "$tree"; aws_up "$ds" "$tree" "$ab"
      lake_down "$ds" "$w" "$lb"; aws_down "$ds" "$w" "$ab"
    else
      aws_up "$ds" "$tree" "$ab"; lake_up "$ds" "$lk" "$tree"
      aws_down "$ds" "$w" "$ab"; lake_down "$ds" "$w" "$lb"
    fi
    if [ "$i" = 1 ]; then
      log "$ds: checking every copy against the dataset"
      verify "$ds" "checkout of the full clone" "$tree" "$w/co"
      verify "$ds" "checkout of the --metadata-only clone" "$tree" "$w/metaco"
      verify "$ds" "aws s3 sync download" "$tree" "$w/down"
    fi
    retire "$w/co" "$w/metaco" "$w/down" "$w/clone" "$w/meta" "$lk"
    retire "$w"
    drop_bucket "$lb"; drop_bucket "$ab"
  done
}

# ---------------------------------------------------------------------------------------------
# Report

body=$scratch/body.md; : > "$body"

# row WHAT LAKE_KEY BASELINE BASE_KEY BYTES: ratio = Lake / baseline
row() {
  local what=$1 lk=$2 base=$3 bk=$4 bytes=$5 r=""
  [ -n "$bk" ] && r=$(ratio "$(median "$lk")" "$(median "$bk")")
  if [ -n "$bk" ]; then
    echo "| $what | $(cell "$lk") | $(rate "$lk" "$bytes") | $base | $(cell "$bk") | $(rate "$bk" "$bytes") | ${r:+${r}×} | $(cpu "$lk") | $(cpu "$bk") | $(peak_mb "$lk") | $(peak_mb "$bk") |"
  else
    echo "| $what | $(cell "$lk") | ${bytes:+$(rate "$lk" "$bytes")} | — | | | | $(cpu "$lk") | | $(peak_mb "$lk") | |"
  fi
}

report_dataset() {
  local ds=$1 desc=$2 b=${BYTES[$1]}
  {
    echo "## $ds: $desc"
    echo
    echo "Medians in ms (min–max) of $(runs "$RUNS"); MB/s = dataset bytes (10⁶) / median; ratio = Lake / baseline."
    echo "CPU = seconds of CPU time, medians: the client's (user + system) / the server's (ceph-mon, ceph-osd, radosgw; same $cores cores)."
    echo
    echo "| what | Lake ms | Lake MB/s | baseline | baseline ms | baseline MB/s | ratio | Lake CPU s (client / server) | baseline CPU s (client / server) | Lake peak MB | baseline peak MB |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    row '`lake push` (fresh bucket)' "$ds.push" '`aws s3 sync` up' "$ds.awsup" "$b"
    row '`lake clone` (full)' "$ds.clone" '`aws s3 sync` down' "$ds.awsdown" "$b"
    row '`lake clone` + `lake checkout`' "$ds.clone+co" '`aws s3 sync` down' "$ds.awsdown" "$b"
    row '`lake checkout` of a `--metadata-only` clone (fetches on demand)' "$ds.metaco" '`aws s3 sync` down' "$ds.awsdown" "$b"
    row 'no-op `lake push` (remote up to date)' "$ds.noop" "" "" ""
    row '`lake clone --metadata-only`' "$ds.meta" "" "" ""
    row '`lake checkout` of the full clone (local)' "$ds.checkout" "" "" "$b"
    echo
    echo "Correctness (run 1, \`diff -r\` against the dataset): ${VERIFY[$ds]:-not checked}"
    echo
  } | tee -a "$body"
}

version_of() { if command -v "$1" > /dev/null; then echo "$1: $("$@" 2>&1 | head -n 1)"; else echo "$1: not installed"; fi; }

header() {
  local built="" width
  case $lake in "$root"/.build/*) built="; this work tree's build" ;; esac
  width=$(sed -n 's/.*static let width = \([0-9]*\).*/\1/p' "$root/Sources/LakeRemote/Parallel.swift" 2> /dev/null | head -n 1)
  cat <<EOF
# Lake remote benchmark results

Written by \`bench/remote.sh\`$([ "$QUICK" = 1 ] && echo " in QUICK mode (tiny datasets: the figures say nothing about speed)") on $(date -u '+%Y-%m-%d %H:%M UTC'), $(runs "$RUNS"), in $(( SECONDS / 60 )) min $(( SECONDS % 60 )) s.
Ratios are of medians taken in the same run; see \`shared/MEASURING.md\` for why. Every run pushes
and uploads into fresh buckets and clones and downloads into fresh directories; Lake and aws take
turns going first. The server is a Ceph RGW with its objects in RAM (memstore) on 127.0.0.1, on
the same $cores cores as the client: what the server spends is not available to the client.

- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $cores cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) memory, Linux $(uname -r), scratch on $(df -T "$scratch" | awk 'NR==2 {print $2}')
- git: $tree_at_start ($root)
- lake: $("$lake" --version) ($lake$built)${NOTE:+; $NOTE}
- $(version_of aws --version); \`max_concurrent_requests = $AWS_MAX_CONCURRENT_REQUESTS\`, multipart threshold and chunk size 8 MB (the defaults)
- lake's transfers in flight: ${width:-unknown} (\`Sources/LakeRemote/Parallel.swift\`); objects under 1 MiB go up in packs of about 16 MiB, larger ones alone (see \`docs/remote.md\`)
- server: $(radosgw --version 2>&1 | head -n 1), \`scripts/s3-server.sh start radosgw\`, memstore $(( S3_SERVER_MEMSTORE_BYTES >> 20 )) MiB
- $(version_of curl --version)
- load average (1, 5, 15 min): $load_at_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end
$(nagle_note)

EOF
}

# RGW's beast frontend sends a listing's headers and body in two writes; without tcp_nodelay the
# body waits for the client's delayed ACK, about 40 ms on Linux loopback.
nagle_note() {
  local p
  for p in "${server_pids[@]}"; do
    if tr '\0' ' ' < "/proc/$p/cmdline" 2> /dev/null | grep -q -- '--rgw-frontends beast' &&
       ! tr '\0' ' ' < "/proc/$p/cmdline" | grep -q tcp_nodelay=1; then
      echo
      echo "The server's beast frontend runs without \`tcp_nodelay=1\`: every response whose body follows"
      echo "its headers in a second write (bucket listings, for one) waits about 40 ms for the client's"
      echo "delayed ACK (Nagle). Commands that make such requests one after another (the listings a push or"
      echo "clone starts with) pay that per request; the no-op push and the metadata-only clone are mostly that."
    fi
  done
}

# ---------------------------------------------------------------------------------------------

main() {
  start_server
  local ds tree
  mkdir -p "$scratch/data"
  for ds in $DATASETS; do
    tree=$scratch/data/$ds
    case $ds in
      small|large) log "building $ds"; "build_$ds" "$tree" ;;
      *) echo "unknown dataset $ds" >&2; exit 2 ;;
    esac
    BYTES[$ds]=$(find "$tree" -type f -printf '%s\n' | awk '{ t += $1 } END { printf "%d", t }')
    local desc; desc="$(describe "$tree" "$ds"): ${SOURCE[$ds]}"
    log "$ds: $desc"
    bench_dataset "$ds" "$tree"
    report_dataset "$ds" "$desc"
    retire "$tree"
  done
  { header; cat "$body"; } > "$OUT"
  log "wrote $OUT in $(( SECONDS / 60 )) min $(( SECONDS % 60 )) s"
  if (( VERIFY_FAILED )); then echo "a transfer did not give back the dataset: see $OUT" >&2; exit 1; fi
  if [ -n "${FAIL[*]:-}" ]; then echo "a measurement failed: see $OUT" >&2; exit 1; fi
}

main
