#!/usr/bin/env bash
# The natural corpus collector (SEED-SYSTEMS.md, pipeline 3), adopted in place: three days of a
# simulated collector's root imported as datasets (one per stage and pool, ledgers, pitches,
# manifests, quarantine pools), a daily merge stage that dedupes by content_sha256, a gate on
# natural/_current/MERGED, a bound _current path, retention, a reproduction, and SQL answers.
#
# usage: LAKE=/path/to/lake examples/natural-corpus/example.sh WORKDIR     (WORKDIR empty or absent)
source "$(dirname "$0")/../lib.sh"
start_example "$1"
export LAKE_ACTOR=natural-orchestrator

# Prints a shell command as the reader would type it, then runs it.
say() { printf '$ %s\n' "$*"; "$@"; }

# The collector's run of day N: rewrites the root natural/ as the collector leaves it that day.
collector() {
  printf '$ python3 gen_collector.py natural --day %s\n' "$1"
  python3 -B "$EXAMPLE_DIR/gen_collector.py" natural --day "$1"
}

# How many versions the imports made (the merge's own versions are not counted).
versions() { value "SELECT count(*) FROM version_details WHERE source = 'import'"; }
# The snapshot a ref (or any TARGET) names.
snap() { "$LAKE" --json show "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["target"]["snapshot"])'; }
# A field of the merged corpus's report, read through the bound path, as any script would.
bound_report() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' natural_current/MERGED/report.json "$1"; }
# One numeric field of report.json in a merge version, from the catalog's metrics view.
metric() {
  value "SELECT CAST(value AS INTEGER) FROM metrics WHERE path = 'report.json' AND key = '$2'
         AND snapshot_id = (SELECT snapshot_id FROM version_details WHERE dataset = 'natural/merged' AND version = $1)"
}

# The promote gates of natural/_current/MERGED: at most 15 % of the merge's input rows were
# duplicates, and the merged corpus does not shrink against the current one.
# (report.json is the only metrics file of a merge, so its keys need no path.)
DUP_GATE="SELECT value <= 0.15 FROM metrics WHERE snapshot_id = :candidate AND key = 'duplicate_rate'"
GROW_GATE="SELECT (SELECT value FROM metrics WHERE snapshot_id = :candidate AND key = 'kept') >= coalesce((SELECT value FROM metrics WHERE snapshot_id = :current AND key = 'kept'), 0)"

step "1. Day 1: the collector writes its root; lake adopts it in place"
cp "$EXAMPLE_DIR/lake.yaml" "$EXAMPLE_DIR/merge.py" "$EXAMPLE_DIR/retention.yaml" .
collector 1
ls natural natural/combined/copyleft/shards
lk import natural --dry-run
check "versions after the dry run" "$(versions)" 0
lk import natural
check "datasets per kind" \
  "$(value "SELECT group_concat(kind || '=' || n, ' ') FROM (SELECT kind, count(DISTINCT dataset) AS n FROM version_details GROUP BY kind ORDER BY kind)")" \
  "ledger=2 manifest=1 other=3 pitch=1 quarantine=4 run=8"
check "the quarantine datasets" \
  "$(value "SELECT group_concat(dataset, ' ') FROM (SELECT DISTINCT dataset FROM version_details WHERE kind = 'quarantine' ORDER BY dataset)")" \
  "natural/combined/quarantine natural/raw/green/quarantine natural/raw/yellow/quarantine natural/screened_yellow/quarantine"
check "the ledger, pitch and manifest datasets" \
  "$(value "SELECT group_concat(dataset || ':' || kind, ' ') FROM (SELECT DISTINCT dataset, kind FROM version_details WHERE kind IN ('ledger', 'pitch', 'manifest') ORDER BY dataset)")" \
  "natural/_ledger/yellow_passed:ledger natural/_ledger/yellow_pitched:ledger natural/_manifests:manifest natural/_pitches:pitch"
check "every version says it was imported, dated by the collector's day" \
  "$(value "SELECT group_concat(DISTINCT source || ' ' || created_at) FROM version_details")" "import 2026-11-01T06:00:00.000Z"
lk show natural/combined/copyleft

step "2. Import again: nothing changed on disk, so nothing changes in the lake"
before=$(versions)
lk import natural
check "versions after importing twice (were $before)" "$(versions)" "$before"

step "3. Merge day 1 (lake run), a cached rerun, the gated promote, and the _current path"
lk run
check "day 1 merge: input_rows kept duplicates malformed" \
  "$(metric 1 input_rows) $(metric 1 kept) $(metric 1 duplicates) $(metric 1 malformed)" "44 39 5 2"
lk run
check "the rerun reused the merge (cached)" \
  "$(value "SELECT group_concat(status, ' ') FROM (SELECT status FROM runs ORDER BY started_at)")" "succeeded cached"
echo "The promote gates (the two --gate arguments below):"
printf '  %s\n' "$DUP_GATE" "$GROW_GATE"
lk promote natural/_current/MERGED natural/merged@1 --gate "$DUP_GATE" --gate "$GROW_GATE" -m "day 1 merge"
lk ref bind natural/_current/MERGED natural_current/MERGED
say ls natural_current/MERGED/
check "kept, read through natural_current/MERGED/report.json" "$(bound_report kept)" 39

step "4. Day 2: the collector runs again; the import makes new versions, ledgers grow"
collector 2
lk import natural --quiet
check "versions after day 2 (every dataset changed)" "$(versions)" 38
lk log natural/_ledger/yellow_passed
check "yellow_passed rows appended per version (version:appended)" \
  "$("$LAKE" query --named ledger-growth --param dataset=natural/_ledger/yellow_passed --format csv | tail -n +2 | cut -d, -f1,5 | tr ',\n' ': ' | sed 's/ $//')" \
  "1:20 2:20"
check "lake log shows the APPENDED column for a ledger" \
  "$("$LAKE" log natural/_ledger/yellow_passed | head -1 | grep -o APPENDED)" "APPENDED"
echo "A resumed screen job truncates the passed ledger to its first 25 lines; the import refuses it:"
say cp natural/_ledger/yellow_passed.jsonl yellow_passed.jsonl.bak
echo '$ head -n 25 yellow_passed.jsonl.bak > natural/_ledger/yellow_passed.jsonl'
head -n 25 yellow_passed.jsonl.bak > natural/_ledger/yellow_passed.jsonl
expect_status 5 import natural --quiet
check "versions after the refused import" "$(versions)" 38
say cp yellow_passed.jsonl.bak natural/_ledger/yellow_passed.jsonl
lk import natural --quiet
check "versions once the ledger is whole again" "$(versions)" 38

step "5. Merge day 2: a resumed combine job re-wrote a shard; the duplicate gate blocks it"
lk run
check "day 2 merge: input_rows kept duplicates" "$(metric 2 input_rows) $(metric 2 kept) $(metric 2 duplicates)" "106 76 30"
expect_status 3 promote natural/_current/MERGED natural/merged@2 --gate "$DUP_GATE" --gate "$GROW_GATE" -m "day 2 merge"
check "MERGED did not move" "$(snap natural/_current/MERGED)" "$(snap natural/merged@1)"
check "and the bound path still shows day 1" "$(bound_report kept)" 39
echo "Which shard repeats records seen earlier? (each record against every record before it)"
SEEN="SELECT _file, count(*) AS records, sum(EXISTS (SELECT 1 FROM p q WHERE q.content_sha256 = p.content_sha256 AND (q._file < p._file OR (q._file = p._file AND q._line < p._line)))) AS seen_before FROM p GROUP BY _file ORDER BY _file"
lk query --table p=natural/combined/permissive@2 "$SEEN"
check "shards of combined/permissive@2 where most records were seen before" \
  "$(value "SELECT group_concat(_file, ' ') FROM ($SEEN) WHERE seen_before * 2 > records" --table p=natural/combined/permissive@2)" \
  "shards/d2-00002.jsonl.gz"

step "6. Day 3: the collector removed the re-written shard; the merge passes the gates"
collector 3
lk import natural --quiet
lk diff natural/combined/permissive@2 natural/combined/permissive@3
lk run
check "day 3 merge: input_rows kept duplicates" "$(metric 3 input_rows) $(metric 3 kept) $(metric 3 duplicates)" "128 114 14"
lk promote natural/_current/MERGED natural/merged@3 --gate "$DUP_GATE" --gate "$GROW_GATE" -m "day 3 merge"
check "MERGED is merged@3" "$(snap natural/_current/MERGED)" "$(snap natural/merged@3)"
check "kept, read through the same path after the promote" "$(bound_report kept)" 114
check "permissive lines under natural_current/MERGED" "$(wc -l < natural_current/MERGED/permissive.jsonl)" 74
lk log natural/_current/MERGED
check "MERGED's moves, each with the 2 gates that held" \
  "$(value "SELECT group_concat(move || ':' || json_array_length(gates), ' ') FROM ref_moves WHERE ref = 'natural/_current/MERGED'")" "1:2 2:2"
lk lineage natural/_current/MERGED
echo "What day 3 changed in the merged corpus, record by record (the re-written shard added nothing):"
lk diff natural/merged@2 natural/merged@3 --key content_sha256 --glob '*.jsonl'
check "records of merged@3 against merged@2 (added/removed/changed/unchanged)" \
  "$("$LAKE" --json diff natural/merged@2 natural/merged@3 --key content_sha256 --glob '*.jsonl' | python3 -c 'import json, sys
r = json.load(sys.stdin)["records"]
print("%(added)d/%(removed)d/%(changed)d/%(unchanged)d" % r)')" "38/0/0/76"
lk counts natural/_current/MERGED --by source
check "MERGED's records by source" \
  "$("$LAKE" --json counts natural/_current/MERGED --by source | python3 -c 'import json, sys
print(" ".join("%s=%d" % (g["value"], g["rows"]) for g in json.load(sys.stdin)["groups"]))')" "green=90 yellow=24"

step "7. Retention: keep the last 2 merges and the ledgers; archive the oldest merge, then reproduce it"
archived_after_retention "natural/merged@1"
expect_status 4 cat natural/merged@1:report.json
echo '$ lake reproduce natural/merged@1'
verdict=$("$LAKE" reproduce natural/merged@1 2>/dev/null)
echo "$verdict"
check "reproduce's verdict" "$(sed -n '1s/.*: //p' <<<"$verdict")" "identical"
check "the reproduction's report" "$(value "SELECT CAST(value AS INTEGER) FROM metrics WHERE key = 'duplicates' AND snapshot_id = (SELECT latest_snapshot FROM dataset_summary WHERE dataset = 'reproduce/natural/merged')")" 5

step "Question 1: how many rows does each pool hold at each stage (latest versions, catalog profiles)?"
Q1="WITH latest AS (
  SELECT dataset, latest_snapshot AS snapshot_id, replace(dataset, rtrim(dataset, replace(dataset, '/', '')), '') AS pool
  FROM dataset_summary WHERE dataset GLOB 'natural/raw/*' OR dataset GLOB 'natural/screened_yellow/*' OR dataset GLOB 'natural/combined/*')
SELECT substr(l.dataset, 9, length(l.dataset) - length(l.pool) - 9) AS stage,
  sum(CASE WHEN l.pool = 'permissive' THEN f.rows END) AS permissive,
  sum(CASE WHEN l.pool = 'copyleft' THEN f.rows END) AS copyleft,
  sum(CASE WHEN l.pool = 'quarantine' THEN f.rows END) AS quarantine
FROM latest l JOIN snapshot_files f ON f.snapshot_id = l.snapshot_id GROUP BY stage ORDER BY stage"
lk query "$Q1"
rows_per_stage=$(value "SELECT group_concat(stage || ':' || permissive || '/' || copyleft || '/' || quarantine, ' ') FROM ($Q1)")
check "stage:permissive/copyleft/quarantine" "$rows_per_stage" \
  "combined:82/46/52 raw/green:60/30/30 raw/yellow:27/27/27 screened_yellow:22/16/22"
check "the same counts in the collector's own _catalogs/catalog.json" "$rows_per_stage" \
  "$("$LAKE" cat natural/_catalogs:catalog.json | python3 -c 'import json, sys
p = json.load(sys.stdin)["pools"]
n = lambda k: "/".join(str(p[x][k]) for x in ("permissive", "copyleft", "quarantine"))
print(" ".join(s + ":" + n(k) for s, k in [("combined", "combined"), ("raw/green", "raw_green"), ("raw/yellow", "raw_yellow"), ("screened_yellow", "screened_yellow")]))')"

step "Question 2: how many records did each merge drop as duplicates, and which one moved MERGED?"
Q2="SELECT v.version,
  CAST(max(CASE WHEN m.key = 'input_rows' THEN m.value END) AS INTEGER) AS input_rows,
  CAST(max(CASE WHEN m.key = 'kept' THEN m.value END) AS INTEGER) AS kept,
  CAST(max(CASE WHEN m.key = 'duplicates' THEN m.value END) AS INTEGER) AS duplicates,
  max(CASE WHEN m.key = 'duplicate_rate' THEN m.value END) AS rate,
  (SELECT count(*) FROM ref_moves r WHERE r.ref = 'natural/_current/MERGED' AND r.to_id = v.snapshot_id) AS promoted
FROM version_details v JOIN metrics m ON m.snapshot_id = v.snapshot_id AND m.path = 'report.json'
WHERE v.dataset = 'natural/merged' GROUP BY v.version ORDER BY v.version"
lk query "$Q2"
check "version:duplicates:promoted" "$(value "SELECT group_concat(version || ':' || duplicates || ':' || promoted, ' ') FROM ($Q2)")" \
  "1:5:1 2:30:0 3:14:1"
echo "The latest merge's duplicates, counted again by lake over the very snapshots the merge read:"
inputs=$(value "SELECT group_concat(i.name || '=' || i.snapshot_id, ' ') FROM run_inputs i JOIN runs r ON r.id = i.run_id
  WHERE r.status = 'succeeded' AND r.reproduces IS NULL AND r.id IN (SELECT run_id FROM run_outputs WHERE dataset = 'natural/merged' AND version = 3)")
DUPS="SELECT count(*) - count(DISTINCT content_sha256) AS duplicates FROM (SELECT content_sha256 FROM permissive UNION ALL SELECT content_sha256 FROM copyleft)"
tables=()
for t in $inputs; do tables+=(--table "$t"); done
lk query "${tables[@]}" "$DUPS"
check "duplicates of the latest merge: recounted over its inputs = report.json" \
  "$(value "$DUPS" "${tables[@]}" 2>/dev/null)" "$(metric 3 duplicates)"

step "Question 3: which shards have records that do not parse?"
Q3="SELECT v.dataset, f.path, f.rows, f.parse_errors FROM dataset_summary d
JOIN version_details v ON v.dataset = d.dataset AND v.version = d.latest_version
JOIN snapshot_files f ON f.snapshot_id = v.snapshot_id
WHERE f.path GLOB 'shards/*' AND f.parse_errors > 0 ORDER BY v.dataset, f.path"
lk query "$Q3"
check "dataset:shard:parse_errors" "$(value "SELECT group_concat(dataset || ':' || path || ':' || parse_errors, ' ') FROM ($Q3)")" \
  "natural/combined/copyleft:shards/d1-00001.jsonl.gz:2"
check "parse errors in every shard of the latest versions = the merge's malformed lines" \
  "$(value "SELECT sum(f.parse_errors) FROM dataset_summary d JOIN snapshot_files f ON f.snapshot_id = d.latest_snapshot WHERE f.path GLOB 'shards/*'")" \
  "$(metric 3 malformed)"

step "Done"
echo "The lake is in $PWD/.lake and the collector's root in $PWD/natural; try \"lake ls 'natural/*'\","
echo "'lake log natural/_ledger/yellow_pitched' or 'lake lineage natural/_current/MERGED' there."
