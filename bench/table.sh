#!/usr/bin/env bash
# Loads a generated JSON-lines file of ROWS rows (default 1,000,000) as a query table and
# reports the time and peak memory, against reading the same file with cat and counting its
# lines with wc -l (the floor). Usage: bench/table.sh [ROWS]   (build: swift build -c release --static-swift-stdlib)
set -euo pipefail
rows=${1:-1000000}
lake=${LAKE_BIN:-$(cd "$(dirname "$0")/.." && swift build -c release --static-swift-stdlib --show-bin-path)/lake}
scratch=$(mktemp -d /tmp/lake-bench.XXXX)
trap 'chmod -R u+w "$scratch"; rm -rf "$scratch"' EXIT
mkdir "$scratch/data"
awk -v n="$rows" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"id\":%d,\"pool\":\"p%d\",\"score\":%.3f,\"meta\":{\"source\":\"s%d\"}}\n", i, i % 7, (i % 1000) / 1000, i % 13 }' > "$scratch/data/rows.jsonl"
"$lake" init "$scratch/lake" --quiet
"$lake" --lake "$scratch/lake" commit "$scratch/data" --dataset big --quiet
size=$(du -h "$scratch/data/rows.jsonl" | cut -f1)
cat "$scratch/data/rows.jsonl" > /dev/null
s=$(date +%s%N); wc -l < "$scratch/data/rows.jsonl" > /dev/null; floor=$(( ($(date +%s%N) - s) / 1000000 ))
out=$( { /usr/bin/time -f "%M" "$lake" --lake "$scratch/lake" query --table t=big "SELECT pool, count(*), round(avg(score), 3) FROM t GROUP BY 1" > /dev/null; } 2>&1 )
s=$(date +%s%N); "$lake" --lake "$scratch/lake" query --table t=big "SELECT count(*) FROM t" > /dev/null; ms=$(( ($(date +%s%N) - s) / 1000000 ))
echo "rows.jsonl: $rows rows, $size"
echo "wc -l:               ${floor} ms"
echo "lake query --table:  ${ms} ms ($(( rows * 1000 / (ms > 0 ? ms : 1) )) rows/s), peak memory ${out##*$'\n'} KiB"
