#!/usr/bin/env bash
# Lexical rarity (SEED-SYSTEMS.md, pipeline 1), end to end: three iterations of scoring a
# Romanian word list with an LM, the L1 Jaccard gate before upload, a cached rerun,
# retention, and a reproduction from an archive.
# Usage: LAKE=/path/to/lake examples/rarity/example.sh WORKDIR   (WORKDIR empty or new)
source "$(dirname "$0")/../lib.sh"
start_example "$1"

# Reads JSON on stdin and prints what the Python expression (over `d`) gives.
json() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
# The snapshot a target names, from the catalog.
snap() { "$LAKE" --json show "$1" | json 'd["target"]["snapshot"]'; }

# The upload gates (cli.md, Gates). `cand` is the candidate merge's final.csv, `cur` the one
# rarity/_current/TRUSTED points at now, `anchors` the curated list of words that must be L1.
jaccard_gate="WITH a AS (SELECT word_id FROM cand WHERE final_level = 1), b AS (SELECT word_id FROM cur WHERE final_level = 1) SELECT (SELECT count(*) FROM a WHERE word_id IN (SELECT word_id FROM b)) * 1.0 / (SELECT count(*) FROM (SELECT word_id FROM a UNION SELECT word_id FROM b)) >= 0.8"
anchor_gate="SELECT (SELECT count(*) FROM anchors WHERE word_id IN (SELECT word_id FROM cand WHERE final_level = 1)) * 1.0 / (SELECT count(*) FROM anchors) >= 0.9"
# The L1 Jaccard of two merges, to 4 decimals: the gate's query without its comparison.
l1_jaccard() { value "SELECT round(j, 4) FROM (${jaccard_gate% >= 0.8} AS j)" --table cand="$1:final.csv" --table cur="$2:final.csv"; }

step "1. The project: a pipeline file, its scripts, a DB export and the anchor words"
cp "$EXAMPLE_DIR"/lake.yaml "$EXAMPLE_DIR"/*.py "$EXAMPLE_DIR"/retention.yaml .
cp -R "$EXAMPLE_DIR"/data .
mkdir db && cp data/lexicon_v1.csv db/lexicon.csv
ls
lk commit db --dataset rarity/lexicon -m "DB export 1"
lk commit data/anchors.csv --dataset rarity/anchors -m "curated L1 anchors"
check "words in DB export 1 / anchors" \
  "$(value "SELECT group_concat(rows, ' / ') FROM (SELECT rows FROM version_details WHERE dataset IN ('rarity/lexicon', 'rarity/anchors') ORDER BY dataset DESC)")" "205 / 20"

step "2. Iteration 1: export, two scoring runs, compare (the stages up to step3-compare)"
lk run step3-compare
check "merged words / outliers in rarity/compare@1" \
  "$(value "SELECT group_concat(rows, ' / ') FROM (SELECT rows FROM snapshot_files WHERE snapshot_id = (SELECT snapshot_id FROM version_details WHERE dataset = 'rarity/compare' AND version = 1) ORDER BY path)")" "205 / 4"
# The first merge has nothing to be compared with: it is reviewed by hand and promoted
# without a gate (a gate that reads :current needs the ref to exist).
lk promote rarity/_current/TRUSTED rarity/compare@1 -m "first merge, reviewed by hand"
lk run step4-upload
lk counts rarity/upload_report --by action
check "upload actions" \
  "$("$LAKE" --json counts rarity/upload_report --by action | json '" ".join("%s=%d" % (g.get("value"), g["rows"]) for g in d["groups"])')" \
  "unchanged=106 insert=73 update=22 skip_outlier=4"

step "3. Run the whole pipeline again, nothing changed: all five stages are reused (cached)"
printf '$ lake --json run\n'
statuses=$("$LAKE" --json run | json '" ".join(s["stage"] + "=" + s["status"] for s in d["stages"])')
check "stage statuses" "$statuses" \
  "step1-export=cached step2-score-a=cached step2-score-b=cached step3-compare=cached step4-upload=cached"
check "cached runs in the catalog" "$(value "SELECT count(*) FROM runs WHERE status = 'cached'")" 5

step "Q1. How many words are at each level in the trusted merge?"
lk counts rarity/_current/TRUSTED --by final_level --glob final.csv
check "rows per level (lake counts)" \
  "$("$LAKE" --json counts rarity/_current/TRUSTED --by final_level --glob final.csv | json '" ".join("L%s=%d" % (g.get("value"), g["rows"]) for g in d["groups"])')" \
  "L1=47 L2=46 L3=43 L5=35 L4=34"
check "rows per level (SQL)" \
  "$(value "SELECT group_concat('L' || final_level || '=' || n, ' ') FROM (SELECT final_level, count(*) AS n FROM t GROUP BY 1 ORDER BY 1)" --table t=rarity/_current/TRUSTED:final.csv)" \
  "L1=47 L2=46 L3=43 L4=34 L5=35"

step "Q2. Which scoring runs did step3 merge into the trusted merge, and how far do they agree?"
lk lineage rarity/_current/TRUSTED --depth 1
check "step3's inputs" \
  "$(value "SELECT group_concat(name || '=' || v, ' ') FROM (SELECT i.name, d.dataset || '@' || d.version AS v FROM runs r JOIN run_outputs o ON o.run_id = r.id JOIN run_inputs i ON i.run_id = r.id JOIN version_details d ON d.snapshot_id = i.snapshot_id WHERE r.stage = 'step3-compare' AND r.status = 'succeeded' AND o.snapshot_id = (SELECT snapshot_id FROM refs WHERE name = 'rarity/_current/TRUSTED') ORDER BY i.name)")" \
  "a=rarity/runs/score_a@1 b=rarity/runs/score_b@1"
lk counts rarity/_current/TRUSTED --by agreement --glob final.csv
check "L1 Jaccard of the two scoring runs (40 shared of 50)" \
  "$(value "WITH x AS (SELECT word_id FROM a WHERE rarity_level = 1), y AS (SELECT word_id FROM b WHERE rarity_level = 1) SELECT round((SELECT count(*) FROM x WHERE word_id IN y) * 1.0 / (SELECT count(*) FROM (SELECT word_id FROM x UNION SELECT word_id FROM y)), 4)" \
     --table a=rarity/runs/score_a@1:scores.csv --table b=rarity/runs/score_b@1:scores.csv)" 0.8

step "4. Iteration 2: score with a larger model. Its merge fails the upload gate"
sed -i 's/model: sim-lm-ro-small/model: sim-lm-ro-large/' lake.yaml
grep 'params:' lake.yaml
lk run step3-compare
expect_status 3 promote rarity/_current/TRUSTED rarity/compare@2 --gate "$jaccard_gate" --gate "$anchor_gate" \
  --table cand=:candidate:final.csv --table cur=:current:final.csv --table anchors=rarity/anchors -m "larger model"
check "rarity/_current/TRUSTED did not move" "$(snap rarity/_current/TRUSTED)" "$(snap rarity/compare@1)"
check "its log still has one move" "$(value "SELECT count(*) FROM ref_moves WHERE ref = 'rarity/_current/TRUSTED'")" 1

step "Q3. Why did it fail? The L1 Jaccard against the trusted merge, and the L1 words that moved"
check "L1 Jaccard, compare@2 vs TRUSTED (31 shared of 47)" "$(l1_jaccard rarity/compare@2 rarity/_current/TRUSTED)" 0.6596
lk query --table cand=rarity/compare@2:final.csv --table cur=rarity/_current/TRUSTED:final.csv \
  "SELECT cur.word_id, cur.word, cand.final_level AS new_level FROM cur JOIN cand USING (word_id) WHERE cur.final_level = 1 AND cand.final_level <> 1 ORDER BY cur.word_id"
check "L1 words the larger model moved down" \
  "$(value "SELECT count(*) FROM cur JOIN cand USING (word_id) WHERE cur.final_level = 1 AND cand.final_level <> 1" --table cand=rarity/compare@2:final.csv --table cur=rarity/_current/TRUSTED:final.csv)" 16
check "anchor recall of compare@2 (the second gate would fail too)" \
  "$(value "SELECT round(r, 4) FROM (${anchor_gate% >= 0.9} AS r)" --table cand=rarity/compare@2:final.csv --table anchors=rarity/anchors)" 0.65

step "5. The whole pipeline again: step4-upload still reads the trusted merge, so it is cached"
lk run
check "upload reports made so far" "$(value "SELECT count(*) FROM version_details WHERE dataset = 'rarity/upload_report'")" 1
check "step4-upload's last run" "$(value "SELECT status FROM runs WHERE stage = 'step4-upload' ORDER BY started_at DESC LIMIT 1")" cached

step "6. Iteration 3: back to the small model, and a new DB export (15 words added, 3 deleted)"
sed -i 's/model: sim-lm-ro-large/model: sim-lm-ro-small/' lake.yaml
cp data/lexicon_v2.csv db/lexicon.csv
lk commit db --dataset rarity/lexicon -m "DB export 2"
lk run step3-compare
check "L1 Jaccard, compare@3 vs TRUSTED (46 shared of 53)" "$(l1_jaccard rarity/compare@3 rarity/_current/TRUSTED)" 0.8679
lk promote rarity/_current/TRUSTED rarity/compare@3 --gate "$jaccard_gate" --gate "$anchor_gate" \
  --table cand=:candidate:final.csv --table cur=:current:final.csv --table anchors=rarity/anchors -m "DB export 2, L1 Jaccard >= 0.8"
check "rarity/_current/TRUSTED is compare@3" "$(snap rarity/_current/TRUSTED)" "$(snap rarity/compare@3)"
check "the move logged both gates" \
  "$(value "SELECT json_array_length(gates) FROM ref_moves WHERE ref = 'rarity/_current/TRUSTED' AND move = 2")" 2
lk run step4-upload
check "upload actions of report 2" \
  "$("$LAKE" --json counts rarity/upload_report@2 --by action | json '" ".join("%s=%d" % (g.get("value"), g["rows"]) for g in d["groups"])')" \
  "unchanged=106 insert=83 update=22 skip_outlier=6"
lk log rarity/_current/TRUSTED

step "Q4. What changed between the first and the last trusted merge, word by word?"
lk diff rarity/compare@1 rarity/compare@3 --key word_id --glob final.csv
check "words added, removed, changed; Jaccard of all word_ids" \
  "$("$LAKE" --json diff rarity/compare@1 rarity/compare@3 --key word_id --glob final.csv | json '"%d added, %d removed, %d changed; %.4f" % (d["records"]["added"], d["records"]["removed"], d["records"]["changed"], d["records"]["jaccard"])')" \
  "15 added, 3 removed, 0 changed; 0.9182"
check "rows per level in the new trusted merge" \
  "$(value "SELECT group_concat('L' || final_level || '=' || n, ' ') FROM (SELECT final_level, count(*) AS n FROM t GROUP BY 1 ORDER BY 1)" --table t=rarity/_current/TRUSTED:final.csv)" \
  "L1=52 L2=49 L3=46 L4=34 L5=36"

step "7. Retention: archive what no rule keeps (the oldest iteration's runs and merge)"
archived_after_retention "rarity/compare@1 rarity/runs/score_a@1 rarity/runs/score_b@1"
expect_status 4 cat rarity/runs/score_a@1:scores.csv

step "8. Reproduce iteration 1's merge from the archived scoring runs: same bytes?"
printf '$ lake reproduce rarity/compare@1\n'
status=0
out=$("$LAKE" reproduce rarity/compare@1 2>/dev/null) || status=$?
echo "$out"
check "reproduce exit status" "$status" 0
check "reproduce verdict" "$(printf '%s\n' "$out" | sed -n '1s/.*: //p')" identical
check "reproduce/rarity/compare@1 equals rarity/compare@1" "$(snap reproduce/rarity/compare@1)" "$(snap rarity/compare@1)"
check "its archived inputs were restored (lake cat works again)" "$("$LAKE" cat rarity/runs/score_a@1:scores.csv | wc -l)" 206

step "Done: every check held"
