#!/usr/bin/env bash
# The main job: build lake, then use it as a pipeline would on a throwaway lake.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build -c release --product lake
lake="$(swift build -c release --show-bin-path)/lake"
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "lake $*"; "$lake" "$@"; }

cd "$work"
run init

# A scoring run the way step2-score leaves it: a run CSV, ok/failed JSONL logs.
mkdir -p runs/passX_20261121_101500/failed_batches
score_rows() { for i in $(seq 1 "$1"); do echo "$i,word$i,L$((i % 5)),tag$((i % 3)),0.9$i"; done; }
{ echo "word_id,word,rarity_level,tag,confidence"; score_rows 200; } > runs/passX_20261121_101500/scores.csv
for i in $(seq 1 200); do echo "{\"word_id\":$i,\"ok\":true}"; done > runs/passX_20261121_101500/ok.jsonl
echo '{"batch":7,"error":"timeout"}' > runs/passX_20261121_101500/failed_batches/7.failed.jsonl
run commit runs/passX_20261121_101500 --dataset runs/passX --kind run -m "first scoring pass"

# The job resumes and appends: a second version, and the new snapshot becomes _current.
{ for i in $(seq 201 260); do echo "$i,word$i,L$((i % 5)),tag$((i % 3)),0.8$i"; done; } >> runs/passX_20261121_101500/scores.csv
run commit runs/passX_20261121_101500 --dataset runs/passX -m "resumed: 60 more words" --promote field/_current/MERGED

# Committing again changes nothing: the stat cache and the snapshot ID say so.
run commit runs/passX_20261121_101500 --dataset runs/passX

run ls
run log runs/passX
run show field/_current/MERGED
run refs
run promote field/_current/MERGED runs/passX@1 --expect runs/passX@2 -m "compare against the first pass"
say "lake promote field/_current/MERGED runs/passX@2 --expect none   # stale expectation: exit 5"
"$lake" promote field/_current/MERGED runs/passX@2 --expect none || echo "(exit $?)"
run rollback field/_current/MERGED -m "back to the resumed run"
run log field/_current/MERGED
run cat 'field/_current/MERGED:failed_batches/7.failed.jsonl'
run checkout runs/passX@1 checkout/passX_v1

# A transform as a recorded run: words per level, from the promoted scores.
run exec --in scores=field/_current/MERGED --out levels=reports/levels -m "words per level" -- \
  sh -c 'tail -n +2 "$LAKE_IN_scores/scores.csv" | cut -d, -f3 | sort | uniq -c | awk "{print \$2\",\"\$1}" > "$LAKE_OUT_levels/levels.csv"'
run lineage reports/levels
run query --table s=runs/passX:scores.csv "SELECT rarity_level, count(*) AS words, round(avg(confidence), 3) AS confidence FROM s GROUP BY 1 ORDER BY 1"
run retention plan
run fsck
