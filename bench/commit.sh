#!/usr/bin/env bash
# Times `lake commit` of a tree against the hashing floor (OpenSSL SHA-256 over the same files
# on all cores) and `tar -cf`, in one run; prints medians and ratios (see ../shared/MEASURING.md).
# Usage: bench/commit.sh TREE [RUNS]     (build first: swift build -c release)
set -euo pipefail
tree=$(cd "$1" && pwd); runs=${2:-5}
lake=${LAKE_BIN:-$(cd "$(dirname "$0")/.." && swift build -c release --show-bin-path)/lake}
scratch=$(mktemp -d /tmp/lake-bench.XXXX)
trap 'chmod -R u+w "$scratch"; rm -rf "$scratch"' EXIT
cores=$(nproc)
warm() { find "$tree" -type f -print0 | xargs -0 cat > /dev/null; }
secs() { local s=$(date +%s%N); "$@" > /dev/null; echo $(( ($(date +%s%N) - s) / 1000000 )); }
files=$(find "$tree" -type f | wc -l)
# Eight batches per core, so a few large files spread over the cores as well as many small ones.
per=$(( files / (cores * 8) + 1 ))
floor() { find "$tree" -type f -print0 | xargs -0 -P"$cores" -n "$per" openssl dgst -sha256; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%d", m}'; }
declare -A t
for i in $(seq "$runs"); do
  warm; t[floor]+="$(secs floor) "
  warm; t[tar]+="$(secs tar -cf "$scratch/t.tar" -C "$tree" .) "; rm -f "$scratch/t.tar"
  "$lake" init "$scratch/lake$i" --quiet
  warm; t[commit]+="$(secs "$lake" --lake "$scratch/lake$i" commit "$tree" --dataset bench --quiet) "
  t[noop]+="$(secs "$lake" --lake "$scratch/lake$i" commit "$tree" --dataset bench --quiet) "
  mv "$scratch/lake$i" "$scratch/old$i"   # delete at the end: mass deletes slow later file creation
done
size=$(du -sh "$tree" | cut -f1)
f=$(echo ${t[floor]} | tr ' ' '\n' | median)
echo "tree: $tree ($files files, $size), $runs runs, medians in ms"
for k in floor tar commit noop; do
  m=$(echo ${t[$k]} | tr ' ' '\n' | median)
  printf "%-8s %6d ms  %5.2fx floor   (runs: %s)\n" "$k" "$m" "$(echo "$m / $f" | bc -l)" "${t[$k]}"
done
