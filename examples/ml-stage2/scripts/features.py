"""Stage features: lexical features per split and per fold, as the seed's features/pipeline.py.

Each text is reduced to counts of lexicon words and their interactions; params.features says
which of them the model gets, in which order. Writes train.jsonl, val.jsonl, test.jsonl and
cv_folds/fold_K/{train,val}.jsonl (fold K's users are its val part), each row holding
item_id, user_id, valence and one field per feature, and manifest.json with the feature names.
"""
import os

from common import input_dir, log, output_dir, params, read_jsonl, read_lexicon, write_json, write_jsonl

p = params()
lexicon = read_lexicon(input_dir("lexicon"))
splits = input_dir("splits")


def extract(text):
    words = text.split()
    kinds = [lexicon.get(w, "neutral") for w in words]
    pos, neg = kinds.count("positive"), kinds.count("negative")
    intens, negation = int("intensifier" in kinds), int("negation" in kinds)
    diff = pos - neg
    return {"n_words": len(words), "pos": pos, "neg": neg, "diff": diff,
            "intens": intens, "negation": negation,
            "diff_x_intens": diff * intens, "diff_x_negation": diff * negation,
            "diff_x_both": diff * intens * negation}


names = p["features"]
unknown = [n for n in names if n not in extract("")]
if unknown:
    raise SystemExit("unknown features %s" % unknown)


def featurize(rows):
    out = []
    for r in rows:
        f = extract(r["text"])
        row = {"item_id": r["item_id"], "user_id": r["user_id"], "valence": r["valence"]}
        row.update({n: f[n] for n in names})
        out.append(row)
    return out


out = output_dir("feats")
rows = {}
for split in ("train", "val", "test"):
    src = read_jsonl(os.path.join(splits, split + ".jsonl"))
    write_jsonl(os.path.join(out, split + ".jsonl"), featurize(src))
    rows[split] = len(src)
    if split == "train":
        train = src

n_folds = 1 + max(r["fold"] for r in train)
for k in range(n_folds):
    d = os.path.join(out, "cv_folds", "fold_%d" % k)
    write_jsonl(os.path.join(d, "train.jsonl"), featurize([r for r in train if r["fold"] != k]))
    write_jsonl(os.path.join(d, "val.jsonl"), featurize([r for r in train if r["fold"] == k]))

write_json(os.path.join(out, "manifest.json"),
           {"names": names, "dim": len(names), "folds": n_folds, "rows": rows})
log("features: %d features (%s) for %s rows" % (len(names), ", ".join(names), rows))
