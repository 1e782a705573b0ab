#!/usr/bin/env bash
# The benchmark suite: builds three datasets from files already on this machine (small: copies of
# system directories; large: big binaries; pipeline: generated JSONL/CSV runs) and times, in one
# run, Lake against its baselines and peers: commit, no-op re-commit, commit after 1% of files
# changed, checkout (copy and --link), retention archive and restore, with peak memory. Writes a
# Markdown report with medians (min–max) and ratios to $OUT. Rules: ../shared/MEASURING.md.
#
# Usage: bash bench/suite.sh [--quick] [--runs=N]      (or: make bench / make bench-quick)
# Env:   RUNS (5)         timed runs of Lake and its baselines
#        PEER_RUNS (3)    timed runs of each peer's full commit (dvc, git, restic, borg)
#        QUICK=1          tiny datasets and 2 runs, for developing the suite
#        LAKE_BIN         the lake binary (default: the release build's)
#        OUT              the report (default: bench/RESULTS.md)
#        DATASETS         which to run, default "large pipeline small"
#        TREE=DIR         bench DIR as it is instead (dataset "tree"; read-only: no 1%-changed test)
#        BENCH_DIR        where the datasets, stores and copies go (default /tmp): its
#                         filesystem decides whether large files are cloned (XFS, btrfs)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
for arg in "$@"; do
  case $arg in
    --quick) QUICK=1 ;;
    --runs=*) RUNS=${arg#--runs=} ;;
    *) echo "usage: bash bench/suite.sh [--quick] [--runs=N]" >&2; exit 2 ;;
  esac
done
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then RUNS=${RUNS:-2}; else RUNS=${RUNS:-5}; fi
PEER_RUNS=${PEER_RUNS:-$(( RUNS < 3 ? RUNS : 3 ))}
OUT=${OUT:-$here/RESULTS.md}
if [ -n "${TREE:-}" ]; then DATASETS=${DATASETS:-tree}; else DATASETS=${DATASETS:-large pipeline small}; fi
LAKE_BIN=${LAKE_BIN:-$(cd "$here/.." && swift build -c release --static-swift-stdlib --show-bin-path)/lake}
# Read now: the report is written at the end, after whatever the work tree went through meanwhile.
tree_at_start=$(git -C "$here/.." describe --always --dirty 2>/dev/null || echo unknown)
lake=$LAKE_BIN
cores=$(nproc)

scratch=$(mktemp -d "${BENCH_DIR:-/tmp}/lake-suite.XXXX")
trap 'chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
attic=$scratch/attic   # retired trees of many files, deleted at the end
mkdir "$attic" "$scratch/work"
work=$scratch/work

# Peers keep caches and state under $HOME and /var/tmp; keep theirs in the scratch dir instead.
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR=$scratch/restic-cache BORG_BASE_DIR=$scratch/borg-base
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes DVC_NO_ANALYTICS=1
export DVC_SITE_CACHE_DIR=$scratch/dvc-site DVC_GLOBAL_CONFIG_DIR=$scratch/dvc-config
# Git without the user's config; no auto gc, which would run detached into the next timings.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_COUNT=2
export GIT_CONFIG_KEY_0=gc.auto GIT_CONFIG_VALUE_0=0 GIT_CONFIG_KEY_1=maintenance.auto GIT_CONFIG_VALUE_1=false
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost

log() { echo "[suite $(date +%H:%M:%S)] $*" >&2; }

# ---------------------------------------------------------------------------------------------
# Peers: one row each; commands run by bash with REPO (a fresh path) and TREE set.

PEERS=(git dvc restic borg)
declare -A PEER_BIN=([git]=git [dvc]=dvc [restic]=restic [borg]=borg)
declare -A PEER_WHAT=([git]='git add -A && git commit' [dvc]='dvc add' [restic]='restic backup' [borg]='borg create')
declare -A PEER_SETUP=(
  [git]='git --git-dir="$REPO" --work-tree="$TREE" init -q'
  # dvc adds only paths inside its repo: a hard-linked copy costs no data.
  [dvc]='mkdir "$REPO" && cd "$REPO" && dvc init -q --no-scm && cp -al "$TREE" data'
  [restic]='restic init -q --repo "$REPO"'
  [borg]='borg init -e none "$REPO"'
)
declare -A PEER_RUN=(
  [git]='git --git-dir="$REPO" --work-tree="$TREE" add -A && git --git-dir="$REPO" --work-tree="$TREE" commit -q -m bench'
  [dvc]='cd "$REPO" && dvc add -q data'
  [restic]='restic backup -q --repo "$REPO" "$TREE"'
  [borg]='borg create "$REPO::a" "$TREE"'
)

installed() { command -v "${PEER_BIN[$1]}" > /dev/null; }

# Best effort and quiet: a peer that cannot be installed is reported "not installed".
install_peers() {
  local apt=()
  installed restic || apt+=(restic)
  installed borg || apt+=(borgbackup)
  installed git || apt+=(git)
  if (( ${#apt[@]} )); then
    log "installing ${apt[*]}"
    { apt-get install -y -qq "${apt[@]}" || { apt-get update -qq && apt-get install -y -qq "${apt[@]}"; }; } \
      > /dev/null 2>&1 || true
  fi
  installed dvc || { log "installing dvc"; python3 -m pip install -q dvc > /dev/null 2>&1 || true; }
  hash -r
}

peer() { REPO=$1 TREE=$2 bash -c "$3"; }   # peer REPO TREE SCRIPT, run untimed

# ---------------------------------------------------------------------------------------------
# Measuring

declare -A T M FAIL SOURCE   # per key: wall ms of each run, peak RSS KiB of each run, last error; per dataset: where from

# Re-read the files under the given paths: the page cache drops what was unused for ~30 s.
warm() { find "$@" -type f -print0 | xargs -0 -r cat > /dev/null; }

# measure KEY CMD...: one timed run. Peak memory is GNU time's %M: the largest single process.
measure() {
  local key=$1 t0 t1 rc=0; shift
  t0=$(date +%s%N)
  /usr/bin/time -f %M -o "$scratch/mem" "$@" > /dev/null 2> "$scratch/err" || rc=$?
  t1=$(date +%s%N)
  if (( rc )); then
    FAIL[$key]="exit $rc: $(grep -v '^Command exited' "$scratch/err" | tail -n 1)"
    log "FAILED $key: ${FAIL[$key]}"
    return 0
  fi
  T[$key]+="$(( (t1 - t0) / 1000000 )) "
  M[$key]+="$(tail -n 1 "$scratch/mem") "
}

# stats KEY -> "median min max" in ms, nothing when there were no successful runs.
stats() {
  [ -n "${T[$1]:-}" ] || return 0
  median_min_max <<< "${T[$1]}"
}
median() { local s; s=$(stats "$1"); echo "${s%% *}"; }
peak_mb() {
  [ -n "${M[$1]:-}" ] || { echo "—"; return; }
  tr ' ' '\n' <<< "${M[$1]}" | grep . | sort -n | tail -n 1 | awk '{printf "%d", $1/1024}'
}
cell() {
  if [ -n "${FAIL[$1]:-}" ]; then echo "failed (${FAIL[$1]})"; return; fi
  local s; s=$(stats "$1")
  [ -n "$s" ] || { echo "—"; return; }
  set -- $s
  if [ "$2" = "$3" ]; then echo "$1"; else echo "$1 ($2–$3)"; fi
}
runs() { if [ "$1" = 1 ]; then echo "1 run"; else echo "$1 runs"; fi; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print ""; else printf "%.2f", a / b }'; }

# ---------------------------------------------------------------------------------------------
# Datasets

build_small() {
  local src
  if [ "$QUICK" = 1 ]; then src=(/usr/share/perl /usr/include/linux); else src=(/usr/share /usr/include); fi
  copy_trees "$1" "${src[@]}"
  SOURCE[small]="copies of ${src[*]} (symlinks dropped)"
}

build_large() {
  local root=/opt/swift which
  [ -d "$root" ] || root=/usr
  if [ "$QUICK" = 1 ]; then
    which="2 files of 20–40 MB"; find "$root" -xdev -type f -size +20M -size -40M -printf '%s\t%p\n' | sort -t$'\t' -k2 | head -n 2
  else
    which="the files over 50 MB"; find "$root" -xdev -type f -size +50M -printf '%s\t%p\n' | sort -t$'\t' -k2
  fi > "$scratch/large.list"
  copy_listed "$1" "$scratch/large.list"
  SOURCE[large]="copies of $which under $root, exec bits cleared"
}

# 30 run directories (4 in QUICK) like an LLM scoring pipeline's: scored records as JSON lines,
# a CSV summary and a manifest.
build_pipeline() {
  local runs=30 records=40000
  [ "$QUICK" = 1 ] && { runs=4; records=2000; }
  python3 - "$1" "$runs" "$records" <<'EOF'
import csv, json, os, random, sys
out, runs, records = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(7)
words = "the of card rarity pass field merged score model prompt token label gold silver corpus".split()
labels = ["keep", "drop", "review"]
for r in range(runs):
    d = os.path.join(out, "runs", f"pass{'XYZ'[r % 3]}_202611{10 + r // 10:02d}_{r * 3517 % 240000:06d}")
    os.makedirs(d)
    totals = {}
    with open(os.path.join(d, "scores.jsonl"), "w") as f, open(os.path.join(d, "summary.csv"), "w", newline="") as s:
        w = csv.writer(s)
        w.writerow(["id", "label", "score", "tokens"])
        for i in range(records):
            score = round(rnd.random(), 4)
            label = labels[min(int(score * 3), 2)]
            rec = {"id": f"r{r}-{i}", "text": " ".join(rnd.choices(words, k=rnd.randint(8, 24))),
                   "model": "scorer-v%d" % (r % 4), "score": score, "label": label,
                   "tokens": rnd.randint(20, 900), "meta": {"pool": rnd.randint(0, 63), "pass": r}}
            f.write(json.dumps(rec) + "\n")
            w.writerow([rec["id"], label, score, rec["tokens"]])
            totals[label] = totals.get(label, 0) + 1
    with open(os.path.join(d, "manifest.json"), "w") as m:
        json.dump({"run": os.path.basename(d), "records": records, "labels": totals}, m, indent=2)
EOF
  SOURCE[pipeline]="generated: $runs run directories of $records scored JSON-lines records, a CSV summary and a manifest.json each"
}

describe() { echo "$(find "$1" -type f | wc -l) files, $(du -sm "$1" | cut -f1) MB"; }

# ---------------------------------------------------------------------------------------------
# Benchmarks of one dataset NAME at TREE. Keys are NAME.WHAT.

bench_core() {
  local ds=$1 tree=$2 i lk files per
  local policy=$scratch/keep-last-1.yaml
  printf 'version: 1\nrules:\n  - datasets: "*"\n    keep_last: 1\n' > "$policy"
  files=$(find "$tree" -type f | wc -l)
  per=$(( files / (cores * 8) + 1 ))   # eight batches per core: large files spread over cores too
  for i in $(seq "$RUNS"); do
    log "$ds: run $i/$RUNS"
    local w=$work/$ds-$i; mkdir "$w"; lk=$w/lake
    warm "$tree"; measure "$ds.floor" bash -c \
      'find "$1" -type f -print0 | xargs -0 -P"$2" -n "$3" openssl dgst -sha256' _ "$tree" "$cores" "$per"
    warm "$tree"; measure "$ds.tar" tar -cf "$w/t.tar" -C "$tree" .
    retire "$w/t.tar"

    "$lake" init "$lk" --quiet
    warm "$tree"; measure "$ds.commit" "$lake" --lake "$lk" commit "$tree" --dataset bench --quiet

    warm "$lk/.lake"; measure "$ds.checkout" "$lake" --lake "$lk" checkout bench@1 "$w/co" --quiet
    warm "$tree"; measure "$ds.cp" cp -a "$tree" "$w/cp"
    warm "$lk/.lake"; measure "$ds.link" "$lake" --lake "$lk" checkout bench@1 "$w/ln" --link --quiet
    # What a checkout that only made hard links and directories would cost (a floor, not a
    # target): it shows whether "3x faster than cp -a" is reachable by linking at all.
    warm "$tree"; measure "$ds.cpl" cp -al "$tree" "$w/cpl"
    retire "$w/co" "$w/cp" "$w/ln" "$w/cpl"

    mkdir "$w/empty"
    "$lake" --lake "$lk" commit "$w/empty" --dataset bench --quiet   # so bench@1 is old
    warm "$tree"; measure "$ds.tarz" tar --zstd -cf "$w/t.tar.zst" -C "$(dirname "$tree")" "$(basename "$tree")"
    warm "$lk/.lake"; measure "$ds.archive" "$lake" --lake "$lk" retention apply --policy "$policy" --quiet
    mkdir "$w/x"
    warm "$w/t.tar.zst"; measure "$ds.untarz" tar --zstd -xf "$w/t.tar.zst" -C "$w/x"
    "$lake" --lake "$lk" gc --grace 0s --quiet
    warm "$lk/.lake"; measure "$ds.restore" "$lake" --lake "$lk" restore bench@1 --quiet
    retire "$w/x" "$w/t.tar.zst" "$lk"
    retire "$w"
  done
}

bench_peers() {
  local ds=$1 tree=$2 p i repo
  for p in "${PEERS[@]}"; do
    installed "$p" || { FAIL[$ds.peer.$p]="not installed"; continue; }
    for i in $(seq "$PEER_RUNS"); do
      log "$ds: $p run $i/$PEER_RUNS"
      repo=$work/$ds-$p-$i
      peer "$repo" "$tree" "${PEER_SETUP[$p]}" > /dev/null 2> "$scratch/err" ||
        { FAIL[$ds.peer.$p]="setup failed: $(tail -n 1 "$scratch/err")"; break; }
      warm "$tree"; measure "$ds.peer.$p" env REPO="$repo" TREE="$tree" bash -c "${PEER_RUN[$p]}"
      retire "$repo"
    done
  done
}

# A no-op re-commit against `git status` of a git repo of the same tree and, when MODIFY is 1,
# a commit after 1% of the files changed (a line appended) against `git add -A && git commit`.
# The files are truncated back after each run and both stores re-commit them untimed, so every
# run starts from the same tree; the appended line names the run, so its objects are new to both.
bench_changes() {
  local ds=$1 tree=$2 modify=$3 i lk=$work/$ds-chg-lake repo=$work/$ds-chg-git list=$scratch/$ds-changed
  local git_run=${PEER_RUN[git]} has_git=1
  installed git || { has_git=0; FAIL[$ds.status]="git not installed"; FAIL[$ds.gitchanged]="git not installed"; }
  find "$tree" -type f -printf '%s\t%p\n' | sort -t$'\t' -k2 | awk 'NR % 100 == 1' > "$list"
  # Files written in the same second as git's index are hashed again by every status: wait first.
  sleep 1
  "$lake" init "$lk" --quiet
  "$lake" --lake "$lk" commit "$tree" --dataset bench --quiet
  (( has_git )) && { peer "$repo" "$tree" "${PEER_SETUP[git]}"; peer "$repo" "$tree" "$git_run"; }
  for i in $(seq "$RUNS"); do
    log "$ds: changes run $i/$RUNS"
    warm "$tree"; measure "$ds.noop" "$lake" --lake "$lk" commit "$tree" --dataset bench --quiet
    (( has_git )) && { warm "$tree"; measure "$ds.status" git --git-dir="$repo" --work-tree="$tree" status; }
    (( modify )) || continue
    while IFS=$'\t' read -r size path; do echo "changed in run $i" >> "$path"; done < "$list"
    warm "$tree"; measure "$ds.changed" "$lake" --lake "$lk" commit "$tree" --dataset bench --quiet
    (( has_git )) && { warm "$tree"; measure "$ds.gitchanged" env REPO="$repo" TREE="$tree" bash -c "$git_run"; }
    while IFS=$'\t' read -r size path; do truncate -s "$size" "$path"; done < "$list"
    sleep 1
    "$lake" --lake "$lk" commit "$tree" --dataset bench --quiet
    (( has_git )) && peer "$repo" "$tree" "$git_run"
  done
  retire "$lk" "$repo"
}

# ---------------------------------------------------------------------------------------------
# Report

TARGETS_MET=0; TARGETS_ALL=0
summary=$scratch/summary.md; body=$scratch/body.md
: > "$summary"; : > "$body"

# row DS WHAT LAKE_KEY BASELINE BASE_KEY [MAX_RATIO TARGET_TEXT]
row() {
  local ds=$1 what=$2 lk=$3 base=$4 bk=$5 max=${6:-} text=${7:-—} r result="—"
  r=$(ratio "$(median "$lk")" "$(median "$bk")")
  if [ -n "$max" ]; then
    if [ -z "$r" ]; then result="—"
    elif awk -v r="$r" -v m="$max" 'BEGIN { exit !(r <= m) }'; then result=PASS
    else result=MISS; fi
    TARGETS_ALL=$((TARGETS_ALL + 1)); [ "$result" = PASS ] && TARGETS_MET=$((TARGETS_MET + 1))
    echo "| $ds | $what vs $base | ${r:-—}× | $text | $result |" >> "$summary"
  fi
  echo "| $what | $(cell "$lk") | $base | $(cell "$bk") | ${r:+${r}×} | $text | $result | $(peak_mb "$lk") | $(peak_mb "$bk") |"
}

# The small-file commit's memory target, in the same table shape.
memory_row() {
  local ds=$1 mb result
  mb=$(peak_mb "$ds.commit")
  result=$(awk -v m="$mb" 'BEGIN { print (m + 0 < 150 && m != "—") ? "PASS" : "MISS" }')
  TARGETS_ALL=$((TARGETS_ALL + 1)); [ "$result" = PASS ] && TARGETS_MET=$((TARGETS_MET + 1))
  echo "| $ds | peak memory of commit | $mb MB | < 150 MB | $result |" >> "$summary"
  echo "| peak memory of commit | $mb MB | | | | < 150 MB | $result | $mb | |"
}

report_dataset() {
  local ds=$1 desc=$2 commit_max="" commit_text="—" p
  case $ds in
    small) commit_max=2; commit_text="≤ 2×" ;;
    large) commit_max=1.3; commit_text="≤ 1.3×" ;;
  esac
  {
    echo "## $ds: $desc"
    echo
    echo "Medians in ms (min–max) of $(runs "$RUNS"); ratio = Lake / baseline; peak = largest process's RSS."
    echo
    echo "| what | Lake ms | baseline | baseline ms | ratio | target | result | Lake peak MB | baseline peak MB |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    row "$ds" "commit" "$ds.commit" "floor: OpenSSL SHA-256, $cores cores" "$ds.floor" "$commit_max" "$commit_text"
    row "$ds" "commit" "$ds.commit" '`tar -cf`' "$ds.tar"
    [ "$ds" = small ] && memory_row "$ds"
    [ -n "${T[$ds.noop]:-}${FAIL[$ds.noop]:-}" ] &&
      row "$ds" "no-op re-commit" "$ds.noop" '`git status`' "$ds.status" 2 "≤ 2×"
    [ -n "${T[$ds.changed]:-}${FAIL[$ds.changed]:-}" ] &&
      row "$ds" "commit, 1% of files changed" "$ds.changed" '`git add -A && git commit`' "$ds.gitchanged" 1.5 "≤ 1.5×"
    row "$ds" "checkout (copy)" "$ds.checkout" '`cp -a`' "$ds.cp" 1.2 "≤ 1.2×"
    row "$ds" "checkout --link" "$ds.link" '`cp -a`' "$ds.cp" 0.3334 "≤ 0.33× (3× faster)"
    row "$ds" "checkout --link" "$ds.link" '`cp -al` (links only)' "$ds.cpl"
    row "$ds" "retention archive" "$ds.archive" '`tar --zstd -cf`' "$ds.tarz" 1.1 "≤ 1.1×"
    row "$ds" "restore after gc" "$ds.restore" '`tar --zstd -xf`' "$ds.untarz" 1.1 "≤ 1.1×"
    echo
    echo "Peers, full commit of the same tree into a fresh store, $(runs "$PEER_RUNS") (ratio = tool / \`lake commit\`):"
    echo
    echo "| tool | ms | ratio vs lake | peak MB |"
    echo "| --- | --- | --- | --- |"
    echo "| \`lake commit\` | $(cell "$ds.commit") | 1.00× | $(peak_mb "$ds.commit") |"
    for p in "${PEERS[@]}"; do
      local r; r=$(ratio "$(median "$ds.peer.$p")" "$(median "$ds.commit")")
      echo "| \`${PEER_WHAT[$p]}\` | $(cell "$ds.peer.$p") | ${r:+${r}×} | $(peak_mb "$ds.peer.$p") |"
    done
    echo
  } >> "$body"
}

version_of() { if command -v "$1" > /dev/null; then echo "$1: $("$@" 2>&1 | head -n 1)"; else echo "$1: not installed"; fi; }

header() {
  local built=""
  case $lake in
    "$(cd "$here/.." && pwd)"/.build/*)
      built="; work tree at $tree_at_start" ;;
  esac
  cat <<EOF
# Lake benchmark results

Written by \`bench/suite.sh\`$([ "$QUICK" = 1 ] && echo " in QUICK mode (tiny datasets: the figures say nothing about speed)") on $(date -u '+%Y-%m-%d %H:%M UTC'), $(runs "$RUNS") ($PEER_RUNS for peers), in $(( SECONDS / 60 )) min $(( SECONDS % 60 )) s.
Ratios are of medians taken in the same run; see \`shared/MEASURING.md\` for why.

- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $cores cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) memory, Linux $(uname -r), scratch on $(df -T "$scratch" | awk 'NR==2 {print $2}')
- lake: $("$lake" --version) ($lake$built)
- $(version_of git --version)
- $(version_of dvc --version)
- $(version_of restic version)
- $(version_of borg --version)
- $(version_of tar --version)
- $(version_of zstd --version | tr -d '*' | tr -s ' ' | sed 's/ $//')
- $(version_of openssl version)

## Targets

$TARGETS_MET of $TARGETS_ALL met.

| dataset | target | ratio | wanted | result |
| --- | --- | --- | --- | --- |
EOF
  cat "$summary"
  echo
}

catalog_section() {
  local bin; bin=$(dirname "$lake")/lake-catalog-bench
  if [ -x "$bin" ]; then
    log "catalog scale: $bin"
    mkdir "$scratch/catalog"
    local args=("$scratch/catalog"); [ "$QUICK" = 1 ] && args+=(--quick)
    "$bin" "${args[@]}" || echo "lake-catalog-bench failed (exit $?)."
  else
    echo "## Catalog scale"
    echo
    echo "Not measured: \`lake-catalog-bench\` was not built ($bin)."
  fi
}

# ---------------------------------------------------------------------------------------------

main() {
  [ -x "$lake" ] || { echo "no lake binary at $lake (build: swift build -c release --static-swift-stdlib)" >&2; exit 1; }
  install_peers
  local ds tree
  for ds in $DATASETS; do
    tree=$scratch/data/$ds
    mkdir -p "$scratch/data"
    case $ds in
      tree) tree=$(cd "$TREE" && pwd); SOURCE[tree]="$tree, in place" ;;
      small|large|pipeline) log "building $ds"; "build_$ds" "$tree" ;;
      *) echo "unknown dataset $ds" >&2; exit 2 ;;
    esac
    local desc; desc="$(describe "$tree"): ${SOURCE[$ds]}"
    log "$ds: $desc"
    bench_core "$ds" "$tree"
    bench_peers "$ds" "$tree"
    case $ds in
      small|pipeline) bench_changes "$ds" "$tree" 1 ;;
      tree) bench_changes "$ds" "$tree" 0 ;;   # the user's files: nothing is modified
    esac
    report_dataset "$ds" "$desc"
  done
  catalog_section > "$scratch/catalog.md"
  { header; cat "$body" "$scratch/catalog.md"; } > "$OUT"
  log "wrote $OUT in $(( SECONDS / 60 )) min $(( SECONDS % 60 )) s"
}

main
