#!/usr/bin/env bash
# How Tests/Fixtures/lake-v1 was made (once, with format 1). The fixture is frozen: it is never
# regenerated, so that tests notice when later code stops reading today's format.
set -euo pipefail
lake=${LAKE_BIN:-.build/debug/lake}
out=$(cd "$(dirname "$0")" && pwd)/lake-v1
work=$(mktemp -d)
export LAKE_ACTOR=fixture@lake
rm -rf "$out" && mkdir -p "$out"
"$lake" init "$out"
mkdir -p "$work/run/sub"
printf 'word_id,word,rarity_level\n1,apple,L1\n2,quixotic,L4\n' > "$work/run/scores.csv"
printf '{"id":1,"ok":true}\n{"id":2,"ok":false}\n' > "$work/run/ok.jsonl"
printf '#!/bin/sh\necho hi\n' > "$work/run/run.sh" && chmod 755 "$work/run/run.sh"
printf 'two\nlines\n' > "$work/run/sub/name with
newline.txt"
ln -s ../ok.jsonl "$work/run/sub/latest"
{ yes lake || true; } | head -c 1100000 > "$work/run/big.txt"
"$lake" commit "$work/run" --lake "$out" --dataset runs/passX --kind run -m "first run" --promote field/_current/MERGED
printf '3,zephyr,L3\n' >> "$work/run/scores.csv"
"$lake" commit "$work/run" --lake "$out" --dataset runs/passX -m "resumed" --promote field/_current/MERGED
printf '{"target":"t1"}\n' > "$work/ledger.jsonl"
"$lake" commit "$work/ledger.jsonl" --lake "$out" --dataset corpus/_ledger/yellow_passed --kind ledger
rm -rf "$work"
