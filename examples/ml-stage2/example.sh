#!/usr/bin/env bash
# ML stage-2 training (SEED-SYSTEMS.md, pipeline 5) with lake: synthetic data -> user-grouped
# splits -> features -> OOF + model.pkl -> report.json, and a ref models/_current/ACCEPTED that
# moves only when the report's metrics pass the acceptance gate (in place of the seed's
# _final_accepted / _final_pending file names). Three iterations, a cached rerun, a rejected
# candidate, retention with archive and gc, a reproduction of the archived model, its lineage,
# and questions answered in SQL. Usage: example.sh WORKDIR (empty or new); needs python3.
source "$(dirname "$0")/../lib.sh"
start_example "$1"
export LAKE_ACTOR=${LAKE_ACTOR:-trainer}

# lake run with its table shown; requires its exit status and sets STAGES to "stage=status ...".
run_pipeline() {
  local want=$1; shift
  echo "\$ lake run${*:+ $*}"
  local got=0
  "$LAKE" run "$@" > run.out || got=$?
  cat run.out
  if [ "$got" != "$want" ]; then
    echo "CHECK FAILED: 'lake run $*' exited $got, expected $want" >&2
    exit 1
  fi
  STAGES=$(awk '/^STAGE +STATUS/ {t = 1; next} t {printf "%s%s=%s", s, $1, $2; s = " "}' run.out)
}

# Edits lake.yaml as a user would (a sed expression); fails when the expression changed nothing.
edit_pipeline() {
  printf "\$ sed -i '%s' lake.yaml\n" "$1"
  cp lake.yaml lake.yaml.before
  sed -i "$1" lake.yaml
  if cmp -s lake.yaml lake.yaml.before; then echo "CHECK FAILED: '$1' changed nothing in lake.yaml" >&2; exit 1; fi
  rm lake.yaml.before
}

# The DATASET@N that the ref models/_current/ACCEPTED points at.
accepted() {
  value "SELECT v.dataset || '@' || v.version FROM refs r JOIN version_details v ON v.snapshot_id = r.snapshot_id WHERE r.name = 'models/_current/ACCEPTED' ORDER BY v.dataset, v.version LIMIT 1"
}
moves() { value "SELECT count(*) FROM ref_moves WHERE ref = 'models/_current/ACCEPTED'"; }

step "Set up: the pipeline, its scripts and the hand-made lexicon the texts are drawn from"
cp -R "$EXAMPLE_DIR/lake.yaml" "$EXAMPLE_DIR/retention.yaml" "$EXAMPLE_DIR/scripts" "$EXAMPLE_DIR/lexicon" .
lk commit lexicon --dataset sources/lexicon -m "lexicon v1: 42 words in 5 kinds"

step "Iteration 1: seed 7, all 9 lexical features. Every stage runs; the gate holds, so ACCEPTED moves"
run_pipeline 0
check "iteration 1 stages" "$STAGES" "synth=ran split=ran features=ran train=ran evaluate=ran"
check "ACCEPTED after iteration 1" "$(accepted)" "candidates/valence@1"
lk cat candidates/valence@1:report.json

step "The same again: nothing changed, so every stage is reused (cached) and nothing runs"
run_pipeline 0
check "rerun stages" "$STAGES" "synth=cached split=cached features=cached train=cached evaluate=cached"
check "ACCEPTED moves after the rerun (already there: not logged again)" "$(moves)" "1"

step "Iteration 2: a weak feature set (no lexicon counts). The model trains, but the gate stops it"
edit_pipeline 's/^      features: \[.*\]$/      features: [n_words, intens, negation]/'
run_pipeline 1
check "iteration 2 stages" "$STAGES" "synth=cached split=cached features=ran train=ran evaluate=failed"
rmse_gate="SELECT value <= 0.09 FROM metrics WHERE snapshot_id = :candidate AND path = 'report.json' AND key = 'rmse'"
check "why evaluate failed" "$(sed -n 's/^evaluate  *failed  *-  *//p' run.out)" "gate failed: \"$rmse_gate\" returned 0; nothing was moved"
check "the rejected candidate is still recorded, with its RMSE" \
  "$(value "SELECT printf('%.4f', value) FROM metrics m JOIN version_details v ON v.snapshot_id = m.snapshot_id WHERE v.dataset = 'candidates/valence' AND v.version = 2 AND m.path = 'report.json' AND m.key = 'rmse'")" "0.1375"
check "ACCEPTED after iteration 2" "$(accepted)" "candidates/valence@1"

step "Promoting the weak candidate by hand meets the same gate: exit 3, and the ref stays"
expect_status 3 promote models/_current/ACCEPTED candidates/valence@2 --gate "$rmse_gate" -m "weak features, by hand"
check "ACCEPTED after the refused promote" "$(accepted)" "candidates/valence@1"
check "ACCEPTED moves after the refused promote" "$(moves)" "1"

step "Iteration 3: the full feature set again, on a new draw of the data (seed 11). Everything reruns"
edit_pipeline 's/^      features: \[.*\]$/      features: [n_words, pos, neg, diff, intens, negation, diff_x_intens, diff_x_negation, diff_x_both]/'
edit_pipeline 's/^      seed: 7$/      seed: 11/'
run_pipeline 0
check "iteration 3 stages" "$STAGES" "synth=ran split=ran features=ran train=ran evaluate=ran"
check "ACCEPTED after iteration 3" "$(accepted)" "candidates/valence@3"
lk log models/_current/ACCEPTED
check "gates logged with ACCEPTED's last move (all 4 held)" \
  "$(value "SELECT (SELECT count(*) FROM json_each(gates) WHERE json_extract(value, '$.value') = '1') || '/' || json_array_length(gates) || ' held' FROM ref_moves WHERE ref = 'models/_current/ACCEPTED' AND move = 2")" "4/4 held"

step "Q1. What is the accepted model's test RMSE? (report.json, through the metrics view)"
q1="SELECT printf('%.4f', value) FROM metrics WHERE snapshot_id = (SELECT snapshot_id FROM refs WHERE name = 'models/_current/ACCEPTED') AND path = 'report.json' AND key = 'rmse'"
echo "$q1"
check "accepted model's RMSE" "$(value "$q1")" "0.0559"

step "Q2. How did RMSE and Pearson move across the candidates?"
q2="SELECT group_concat(x, ' ') FROM (SELECT v.version || ':' || printf('%.4f', r.value) || '/' || printf('%.3f', p.value) AS x FROM version_details v JOIN metrics r ON r.snapshot_id = v.snapshot_id AND r.path = 'report.json' AND r.key = 'rmse' JOIN metrics p ON p.snapshot_id = v.snapshot_id AND p.path = 'report.json' AND p.key = 'pearson' WHERE v.dataset = 'candidates/valence' ORDER BY v.version)"
echo "$q2"
check "version:rmse/pearson of each candidate" "$(value "$q2")" "1:0.0512/0.929 2:0.1375/0.084 3:0.0559/0.948"

step "Q3. Which seed, split and features made the accepted model? (walk the lineage view up from the ref)"
made="WITH RECURSIVE up(snapshot_id) AS (SELECT snapshot_id FROM refs WHERE name = 'models/_current/ACCEPTED' UNION SELECT l.input_snapshot FROM up JOIN lineage l ON l.output_snapshot = up.snapshot_id JOIN runs r ON r.id = l.run_id AND r.status = 'succeeded' AND r.reproduces IS NULL), made AS (SELECT DISTINCT r.id, r.stage, r.params, o.dataset, o.version FROM up JOIN run_outputs o ON o.snapshot_id = up.snapshot_id JOIN runs r ON r.id = o.run_id AND r.status = 'succeeded' AND r.reproduces IS NULL)"
q3="$made SELECT 'seed=' || (SELECT json_extract(params, '$.seed') FROM made WHERE stage = 'synth') || ' split=' || (SELECT dataset || '@' || version FROM made WHERE stage = 'split') || ' split_seed=' || (SELECT json_extract(params, '$.split_seed') FROM made WHERE stage = 'split') || ' features=' || (SELECT dataset || '@' || version || ' (' || json_array_length(params, '$.features') || ' features)' FROM made WHERE stage = 'features')"
echo "$q3"
check "what made the accepted model" "$(value "$q3")" "seed=11 split=data/splits@2 split_seed=137 features=features/valence@3 (9 features)"
lk show "$(value "$made SELECT id FROM made WHERE stage = 'synth'")"

step "Q4. How many rows has each split of the accepted model, and does any user cross splits or folds?"
q4="SELECT group_concat(path || '=' || rows, ' ') FROM (SELECT path, rows FROM snapshot_files WHERE snapshot_id = (SELECT snapshot_id FROM version_details WHERE dataset = 'features/valence' AND version = 3) AND path NOT LIKE 'cv_folds/%' AND rows IS NOT NULL ORDER BY path)"
echo "$q4"
check "rows per split (features/valence@3)" "$(value "$q4")" "test.jsonl=68 train.jsonl=319 val.jsonl=69"
leak="SELECT count(DISTINCT user_id) FROM tr WHERE user_id IN (SELECT user_id FROM va UNION SELECT user_id FROM te)"
echo "$leak"
check "train users also in val or test" \
  "$(value "$leak" --table tr=features/valence@3:train.jsonl --table va=features/valence@3:val.jsonl --table te=features/valence@3:test.jsonl)" "0"
fold_leak="SELECT count(*) FROM (SELECT user_id FROM cv GROUP BY substr(_file, 1, 16), user_id HAVING count(DISTINCT _file) > 1)"
echo "$fold_leak"
check "users in both parts of one CV fold" "$(value "$fold_leak" --table cv=features/valence@3:'cv_folds/*.jsonl')" "0"

step "Retention: keep the last 2 iterations and what made ACCEPTED; archive iteration 1"
lk retention plan --policy retention.yaml
lk retention apply --policy retention.yaml
check "archived versions (archives view)" \
  "$(value "SELECT group_concat(dataset || '@' || version, ' ') FROM (SELECT dataset, version FROM archives ORDER BY dataset, version)")" \
  "candidates/valence@1 features/valence@1 models/valence@1"
lk gc --grace 0s
expect_status 4 cat models/valence@1:model.pkl

step "Reproduce the archived model: lake restores its archived input and runs the recorded train stage again"
printf '$ lake reproduce models/valence@1\n'
"$LAKE" reproduce models/valence@1 > reproduce.out
cat reproduce.out
verdict=$(head -n 1 reproduce.out)
check "reproduction verdict" "${verdict##*: }" "identical"
check "reproduction of stage" "$(echo "$verdict" | grep -o '(stage [a-z]*)')" "(stage train)"
check "reproduce/models/valence@1 holds the archived model's snapshot" \
  "$(value "SELECT (SELECT snapshot_id FROM version_details WHERE dataset = 'reproduce/models/valence' AND version = 1) = (SELECT snapshot_id FROM version_details WHERE dataset = 'models/valence' AND version = 1)")" "1"
check "the archived model's bytes are back and load (kind, coefficients, training rows)" \
  "$("$LAKE" cat models/valence@1:model.pkl | python3 -c 'import pickle, sys; m = pickle.load(sys.stdin.buffer); print(m["kind"], len(m["coef"]), m["n_train"])')" "ridge 9 331"

step "Lineage: exactly which split, features and data made the accepted model"
lk lineage models/_current/ACCEPTED
lineage=$("$LAKE" --json lineage models/_current/ACCEPTED | python3 -c 'import json, sys; d = json.load(sys.stdin); print(" ".join(sorted(n for ns in d["names"].values() for n in ns)) + " | " + " ".join(s["stage"] for s in d["steps"]))')
check "versions and stages upstream of ACCEPTED" "$lineage" \
  "candidates/valence@3 data/splits@2 data/synth@2 features/valence@3 models/valence@3 sources/lexicon@1 | synth split features train evaluate"

step "Done: every check passed"
