#!/usr/bin/env bash
# What profiling tables at commit costs: commits one generated table of ROWS rows (default
# 2,000,000) as .jsonl, .csv, .jsonl.gz and .jsonl.zst into a fresh lake, against the floor of
# reading the same bytes once: OpenSSL SHA-256 of the file (what lake hashes with), plus
# `gzip -dc`/`zstd -dc` piped to `wc -l` (compressed: the decompression a profile needs), each
# run RUNS times (default 5), medians. Usage: bench/profile.sh [ROWS] [RUNS]
# (build first: swift build -c release --static-swift-stdlib)
set -euo pipefail
rows=${1:-2000000}
runs=${2:-5}
lake=${LAKE_BIN:-$(cd "$(dirname "$0")/.." && swift build -c release --static-swift-stdlib --show-bin-path)/lake}
scratch=$(mktemp -d /tmp/lake-bench.XXXX)
trap 'chmod -R u+w "$scratch"; rm -rf "$scratch"' EXIT
mkdir "$scratch/data"
awk -v n="$rows" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"id\":%d,\"pool\":\"p%d\",\"text\":\"a line of generated text number %d\",\"score\":%.3f,\"meta\":{\"source\":\"s%d\",\"tags\":[1,2,3]}}\n", i, i % 7, i, (i % 1000) / 1000, i % 13 }' > "$scratch/data/t.jsonl"
awk -v n="$rows" 'BEGIN { print "id,pool,text,score"; for (i = 1; i <= n; i++) printf "%d,p%d,\"a line, of text %d\",%.3f\n", i, i % 7, i, (i % 1000) / 1000 }' > "$scratch/data/t.csv"
gzip -c "$scratch/data/t.jsonl" > "$scratch/data/t.jsonl.gz"
zstd -q -c "$scratch/data/t.jsonl" > "$scratch/data/t.jsonl.zst"

now() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# Milliseconds of one run of a command, its input read once before (warm page cache).
timed() {
  cat "$1" > /dev/null
  local s; s=$(now)
  eval "$2" > /dev/null
  echo $(( ($(now) - s) / 1000000 ))
}

printf '%-12s %10s %12s %12s %7s\n' file size floor_ms lake_ms ratio
for f in t.jsonl t.csv t.jsonl.gz t.jsonl.zst; do
  path="$scratch/data/$f"
  case $f in
    *.gz) floor_cmd="openssl dgst -sha256 '$path' & gzip -dc '$path' | wc -l; wait" ;;
    *.zst) floor_cmd="openssl dgst -sha256 '$path' & zstd -q -dc '$path' | wc -l; wait" ;;
    *) floor_cmd="openssl dgst -sha256 '$path'" ;;
  esac
  floor=(); lk=()
  for r in $(seq "$runs"); do
    floor+=("$(timed "$path" "$floor_cmd")")
    rm -rf "$scratch/lake"; "$lake" init "$scratch/lake" --quiet
    lk+=("$(timed "$path" "'$lake' --lake '$scratch/lake' commit '$path' --dataset d --quiet")")
  done
  fm=$(printf '%s\n' "${floor[@]}" | median); lm=$(printf '%s\n' "${lk[@]}" | median)
  printf '%-12s %10s %12s %12s %7s\n' "$f" "$(du -h "$path" | cut -f1)" "$fm" "$lm" "$(awk -v a="$lm" -v b="$fm" 'BEGIN { printf "%.2fx", a / b }')"
done
"$lake" --lake "$scratch/lake" query --format csv "SELECT path, rows, parse_errors, columns FROM snapshot_files"
