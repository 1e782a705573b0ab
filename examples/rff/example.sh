#!/usr/bin/env bash
# The relational fact field loop (seed pipeline 4) as a lake pipeline: three iterations of
# PassX -> PassC -> salvage -> PassM -> PassX_link -> PassG, a cached rerun, a PassC gate that
# pauses the loop, lineage, counts, SQL questions, retention and a reproduction from an archive.
#
# usage: LAKE=/path/to/lake examples/rff/example.sh WORKDIR     (WORKDIR empty or absent)
source "$(dirname "$0")/../lib.sh"
start_example "$1"
export LAKE_ACTOR=rff-orchestrator

# Prints a shell command line as the reader would type it, then runs it.
say() { printf '$ %s\n' "$1"; eval "$1"; }

# One param of the newest run of a stage, as the run recorded it: last_param STAGE KEY.
last_param() {
  value "SELECT json_extract(params, '\$.' || :key) FROM runs WHERE stage = :stage ORDER BY started_at DESC LIMIT 1" \
    --param "stage=$1" --param "key=$2"
}

# Every ref and the version(s) it points at, one line: "REF=DATASET@N ...".
refs_now() {
  value "SELECT group_concat(x, ' ') FROM (SELECT r.name || '=' || v.dataset || '@' || v.version AS x
         FROM refs r JOIN version_details v ON v.snapshot_id = r.snapshot_id
         WHERE v.dataset NOT LIKE 'reproduce/%' ORDER BY r.name, v.dataset, v.version)"
}

# How many runs of lake have each status: "cached=N failed=N succeeded=N".
run_statuses() {
  value "SELECT group_concat(status || '=' || n, ' ') FROM (SELECT status, count(*) AS n FROM runs GROUP BY status ORDER BY status)"
}

# Starts iteration N: generates its batch of documents (deterministic from the seed, the
# iteration and the noise), commits it as the next version of inbox/docs, and pins the field
# the iteration starts from: field/_current/BASE := field/_current/MERGED.
new_iteration() {
  local it=$1 noise=$2
  local args=(--seed 7 --iteration "$it" --noise "$noise" --out "batches/it$it")
  printf '$ python3 gen_docs.py %s\n' "${args[*]}"
  python3 -B "$EXAMPLE_DIR/gen_docs.py" "${args[@]}"
  lk commit "batches/it$it" --dataset inbox/docs -m "iteration $it: 40 generated documents"
  lk promote field/_current/BASE field/_current/MERGED -m "iteration $it starts from the merged field"
}

# PassC's ok rate as a gate over the catalog's row counts, for `lake promote --gate`.
OK_RATE_GATE="SELECT (SELECT rows FROM snapshot_files WHERE snapshot_id = :candidate AND path = 'ok.jsonl') * 1.0 / (SELECT sum(rows) FROM snapshot_files WHERE snapshot_id = :candidate AND path IN ('ok.jsonl', 'bad.jsonl')) >= 0.98"

step "Set up: the pipeline, and the field the loop starts from"
cp -R "$EXAMPLE_DIR/lake.yaml" "$EXAMPLE_DIR/retention.yaml" "$EXAMPLE_DIR/stages" "$EXAMPLE_DIR/seed_field" .
echo "copied lake.yaml (6 stages), retention.yaml, stages/*.py and seed_field/ into $PWD"
lk commit seed_field --dataset field/seed -m "the field before the loop: 24 hand-made facts" --promote field/_current/MERGED
# Scripts that read field/_current/MERGED/ keep working: the path follows the ref, read-only.
lk ref bind field/_current/MERGED field/_current/MERGED

step "Iteration 1: every stage runs, each gate holds, the _current refs move"
new_iteration 1 0.015
lk run
lk refs
check "refs after iteration 1" "$(refs_now)" \
  "evals/_current/PASSC_LATEST=evals/passC@1 field/_current/BASE=field/seed@1 field/_current/EXP_LATEST=field/passM@1 field/_current/LINKS_LATEST=field/passXlink@1 field/_current/MERGED=field/passG@1"
check "runs after iteration 1" "$(run_statuses)" "succeeded=6"
echo "field/_current/MERGED on disk -> $(readlink field/_current/MERGED)"
check "facts.jsonl read through the bound path" "$(sha256sum < field/_current/MERGED/facts.jsonl)" \
  "$("$LAKE" cat field/_current/MERGED:facts.jsonl | sha256sum)"

step "The same iteration again: nothing changed, so every stage is reused (cached)"
lk run
check "runs after the rerun (6 new cached runs, each reusing a succeeded run)" "$(run_statuses)" "cached=6 succeeded=6"
check "cached runs whose reused run succeeded" \
  "$(value "SELECT count(*) FROM runs c JOIN runs r ON r.id = c.reuses WHERE c.status = 'cached' AND r.status = 'succeeded' AND r.stage = c.stage")" "6"
check "ref moves so far (the rerun moved none)" "$(value "SELECT count(*) FROM ref_moves")" "6"

step "Iteration 2: a new batch, and PassX_link keeps only links scoring 0.55 or more"
new_iteration 2 0.01
say "sed -i 's/min_score: 0.5,/min_score: 0.55,/' lake.yaml"
lk run --dry-run
lk run
check "PassX_link's min_score, as its run recorded it" "$(last_param passX_link min_score)" "0.55"
check "refs after iteration 2" "$(refs_now)" \
  "evals/_current/PASSC_LATEST=evals/passC@2 field/_current/BASE=field/passG@1 field/_current/EXP_LATEST=field/passM@2 field/_current/LINKS_LATEST=field/passXlink@2 field/_current/MERGED=field/passG@2"

step "Iteration 3: a noisy batch; PassC's ok rate falls under 0.98 and its gate pauses the loop"
new_iteration 3 0.05
before=$(refs_now)
expect_status 1 run
check "refs after the blocked iteration (none moved)" "$(refs_now)" "$before"
check "PassC's ok rate in evals/passC@3" \
  "$(value "SELECT printf('%.3f', sum(CASE WHEN path = 'ok.jsonl' THEN rows END) * 1.0 / sum(rows)) FROM snapshot_files WHERE snapshot_id = (SELECT snapshot_id FROM version_details WHERE dataset = 'evals/passC' AND version = 3)")" "0.950"
echo "PassC's run is recorded as succeeded and its output kept as evals/passC@3, for review:"
lk runs --stage passC
echo "What went wrong, by error code:"
lk counts evals/passC@3 --glob bad.jsonl --by error
echo "Promoting it by hand meets the same gate, written over the catalog's row counts (exit 3):"
expect_status 3 promote evals/_current/PASSC_LATEST evals/passC@3 --gate "$OK_RATE_GATE" -m "PassC for iteration 3"
check "PASSC_LATEST after the refused promote" "$(refs_now)" "$before"
lk log evals/_current/PASSC_LATEST

step "Iteration 3, retried: PassC gets the seed's one repair retry; PassX is reused"
say "sed -i 's/repair_retry: false/repair_retry: true/' lake.yaml"
lk run
check "PassC's repair_retry, as its run recorded it (true is 1)" "$(last_param passC repair_retry)" "1"
check "runs so far" "$(run_statuses)" "cached=7 succeeded=19"
check "refs after iteration 3" "$(refs_now)" \
  "evals/_current/PASSC_LATEST=evals/passC@4 field/_current/BASE=field/passG@2 field/_current/EXP_LATEST=field/passM@3 field/_current/LINKS_LATEST=field/passXlink@3 field/_current/MERGED=field/passG@3"

step "Where the merged field came from: its lineage, one iteration deep"
echo "(base: is the field the iteration started from, so the tree also reaches back into earlier iterations)"
lk lineage field/_current/MERGED --depth 4
# The whole lineage (default depth 20): which batches and which PassC attempts the field is made of.
upstream() {
  "$LAKE" lineage field/_current/MERGED --format json | python3 -c '
import json, sys
names = json.load(sys.stdin)["names"]
print(" ".join(sorted(n for ns in names.values() for n in ns if n.startswith(sys.argv[1]))))' "$1"
}
check "document batches in MERGED's lineage" "$(upstream inbox/docs@)" "inbox/docs@1 inbox/docs@2 inbox/docs@3"
check "PassC attempts in MERGED's lineage (the blocked @3 is not one)" "$(upstream evals/passC@)" "evals/passC@1 evals/passC@2 evals/passC@4"

step "What the merged field holds: its facts by relation"
lk counts field/_current/MERGED --glob facts.jsonl --by rel
check "facts in MERGED (lake counts) = facts_after (PassG's merge_metrics.json)" \
  "$("$LAKE" --json counts field/_current/MERGED --glob facts.jsonl | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')" \
  "$(value "SELECT CAST(value AS INTEGER) FROM metrics WHERE snapshot_id = (SELECT snapshot_id FROM refs WHERE name = 'field/_current/MERGED') AND key = 'facts_after'")"

step "Question 1: what was PassC's ok rate at each attempt (evals/passC versions)?"
Q1="SELECT v.version,
  sum(CASE WHEN f.path = 'ok.jsonl' THEN f.rows END) AS ok,
  sum(CASE WHEN f.path = 'bad.jsonl' THEN f.rows END) AS bad,
  printf('%.3f', sum(CASE WHEN f.path = 'ok.jsonl' THEN f.rows END) * 1.0 / sum(f.rows)) AS ok_rate,
  (SELECT count(*) FROM ref_moves m WHERE m.ref = 'evals/_current/PASSC_LATEST' AND m.to_id = v.snapshot_id) AS promoted
FROM version_details v JOIN snapshot_files f ON f.snapshot_id = v.snapshot_id
WHERE v.dataset = 'evals/passC' GROUP BY v.version ORDER BY v.version"
lk query "$Q1"
check "version:ok_rate:promoted" "$(value "SELECT group_concat(version || ':' || ok_rate || ':' || promoted, ' ') FROM ($Q1)")" \
  "1:0.985:1 2:0.990:1 3:0.950:0 4:0.985:1"

step "Question 2: how many facts did salvage recover, and how many stayed in quarantine?"
Q2="SELECT v.version,
  sum(CASE WHEN f.path = 'salvaged.jsonl' THEN f.rows END) AS recovered,
  sum(CASE WHEN f.path = 'unsalvageable.jsonl' THEN f.rows END) AS quarantined
FROM version_details v JOIN snapshot_files f ON f.snapshot_id = v.snapshot_id
WHERE v.dataset = 'evals/salvage' GROUP BY v.version ORDER BY v.version"
lk query "$Q2"
check "recovered/quarantined per salvage version" \
  "$(value "SELECT group_concat(version || ':' || recovered || '/' || quarantined, ' ') FROM ($Q2)")" "1:2/1 2:2/0 3:0/3"

step "Question 3: how did the field grow at each merge (PassG's merge_metrics.json)?"
Q3="SELECT v.version,
  CAST(max(CASE WHEN m.key = 'facts_before' THEN m.value END) AS INTEGER) AS facts_before,
  CAST(max(CASE WHEN m.key = 'facts_added' THEN m.value END) AS INTEGER) AS added,
  CAST(max(CASE WHEN m.key = 'facts_reinforced' THEN m.value END) AS INTEGER) AS reinforced,
  CAST(max(CASE WHEN m.key = 'facts_after' THEN m.value END) AS INTEGER) AS facts_after,
  CAST(max(CASE WHEN m.key = 'links_after' THEN m.value END) AS INTEGER) AS links_after
FROM version_details v JOIN metrics m ON m.snapshot_id = v.snapshot_id
WHERE v.dataset = 'field/passG' GROUP BY v.version ORDER BY v.version"
lk query "$Q3"
check "version:facts_after:links_after" "$(value "SELECT group_concat(version || ':' || facts_after || ':' || links_after, ' ') FROM ($Q3)")" \
  "1:202:223 2:358:463 3:499:679"

step "Retention: keep the _current targets and the last 2 iterations, archive the rest"
echo "keep_last counts versions: the blocked attempt evals/passC@3 is one, so evals/passC@2 goes too."
lk retention plan --policy retention.yaml
plan_bytes=$("$LAKE" --json retention plan --policy retention.yaml | python3 -c 'import json, sys; print(json.load(sys.stdin)["bytes_freed"])')
lk retention apply --policy retention.yaml --quiet
lk query "SELECT dataset, version, original_name, files, rows, substr(path, 19) AS archive FROM archives ORDER BY dataset, version"
check "archived versions" \
  "$(value "SELECT group_concat(x, ' ') FROM (SELECT dataset || '@' || version AS x FROM archives ORDER BY dataset, version)")" \
  "evals/passC@1 evals/passC@2 evals/salvage@1 field/passG@1 field/passM@1 field/passXlink@1 inbox/docs@1 runs/passX@1"
check "outputs of iteration 1's runs that are not archived" \
  "$(value "SELECT count(*) FROM run_outputs o WHERE o.run_id IN (SELECT id FROM runs WHERE status = 'succeeded' ORDER BY started_at LIMIT 6) AND NOT EXISTS (SELECT 1 FROM archives a WHERE a.dataset = o.dataset AND a.version = o.version)")" "0"

step "gc drops what only the archives hold; iteration 1's field is then gone from the store"
gc_would=$("$LAKE" --json gc --grace 0s --dry-run | python3 -c 'import json, sys; d = json.load(sys.stdin)["dropped"]; print(len(d), "objects,", sum(o["bytes"] for o in d), "bytes")')
lk gc --grace 0s
check "what gc dropped (its dry run) = what the plan said only archived versions hold" "$gc_would" "13 objects, $plan_bytes bytes"
expect_status 4 cat field/passG@1:merge_metrics.json

step "Reproduce iteration 1's merge from its archived inputs: identical"
echo '$ lake reproduce field/passG@1'
status=0
verdict=$("$LAKE" reproduce field/passG@1) || status=$?
echo "$verdict"
check "lake reproduce's exit status" "$status" "0"
check "reproduce's verdict" "$(sed -n '1s/.*: //p' <<<"$verdict")" "identical"
check "its output" "$(sed -n '2s/^ *\(.*\) [0-9a-f]*$/\1/p' <<<"$verdict")" "field: identical"

step "Done"
echo "The lake is in $PWD/.lake; try 'lake runs', 'lake log field/_current/MERGED' or 'lake query --list' there."
