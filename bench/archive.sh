#!/usr/bin/env bash
# Times 'lake archive' of a committed tree against 'tar --zstd -cf' of the same files, and
# 'lake restore' (objects dropped by gc first) against 'tar --zstd -xf', in one run; prints
# medians and ratios (see ../shared/MEASURING.md). Both use zstd level 3.
# Usage: bench/archive.sh TREE [RUNS]     (build first: swift build -c release)
set -euo pipefail
tree=$(cd "$1" && pwd); runs=${2:-3}
lake=${LAKE_BIN:-$(cd "$(dirname "$0")/.." && swift build -c release --show-bin-path)/lake}
scratch=$(mktemp -d /tmp/lake-bench.XXXX)
trap 'chmod -R u+w "$scratch"; rm -rf "$scratch"' EXIT
warm() { find "$1" -type f -print0 | xargs -0 cat > /dev/null; }
ms() { local s=$(date +%s%N); "$@" > /dev/null; echo $(( ($(date +%s%N) - s) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%d", m}'; }
policy="$scratch/policy.yaml"
printf 'version: 1\nrules:\n  - datasets: "*"\n    keep_last: 1\n' > "$policy"
declare -A t
for i in $(seq "$runs"); do
  lk="$scratch/lake$i"
  "$lake" init "$lk" --quiet
  "$lake" --lake "$lk" commit "$tree" --dataset bench --quiet
  mkdir -p "$scratch/empty$i"
  "$lake" --lake "$lk" commit "$scratch/empty$i" --dataset bench --quiet   # bench@1 is now old
  warm "$tree"; t[tar_c]+="$(ms tar --zstd -cf "$scratch/t$i.tar.zst" -C "$(dirname "$tree")" "$(basename "$tree")") "
  warm "$lk/.lake"; t[archive]+="$(ms "$lake" --lake "$lk" retention apply --policy "$policy" --quiet) "
  mkdir "$scratch/x$i"
  t[tar_x]+="$(ms tar --zstd -xf "$scratch/t$i.tar.zst" -C "$scratch/x$i") "
  "$lake" --lake "$lk" gc --grace 0s --quiet
  t[restore]+="$(ms "$lake" --lake "$lk" restore bench@1 --quiet) "
done
files=$(find "$tree" -type f | wc -l); size=$(du -sh "$tree" | cut -f1)
echo "tree: $tree ($files files, $size), $runs runs, medians in ms"
tc=$(echo ${t[tar_c]} | tr ' ' '\n' | median); tx=$(echo ${t[tar_x]} | tr ' ' '\n' | median)
for k in tar_c archive tar_x restore; do
  m=$(echo ${t[$k]} | tr ' ' '\n' | median)
  base=$tc; [ "$k" = tar_x ] || [ "$k" = restore ] && base=$tx
  printf "%-8s %6d ms  %5.2fx %s   (runs: %s)\n" "$k" "$m" "$(echo "$m / $base" | bc -l)" "$([ $base = $tc ] && echo 'tar --zstd -cf' || echo 'tar --zstd -xf')" "${t[$k]}"
done
