"""Stage train: out-of-fold predictions and the final model, as the seed's train_oof.py and
train_perception.py, with a ridge linear regression in place of LightGBM (stdlib only).

For each fold K: fit on cv_folds/fold_K/train.jsonl, predict fold_K/val.jsonl; the
predictions of every fold make oof.jsonl (each train item predicted by a model that never saw
its user) and oof_metrics.json. Then fit on all of train.jsonl and pickle the model.
"""
import os
import pickle

from common import (input_dir, log, output_dir, params, pearson, r6, read_json, read_jsonl, rmse,
                    write_json, write_jsonl)

p = params()
feats = input_dir("feats")
names = read_json(os.path.join(feats, "manifest.json"))["names"]


def solve(a, b):
    """Solves a x = b by Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        piv = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[piv] = m[piv], m[c]
        for r in range(n):
            if r != c and m[r][c] != 0.0:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit(rows):
    """Ridge regression with an unpenalized intercept: (X'X + lambda I) w = X'y."""
    xs = [[1.0] + [float(r[n]) for n in names] for r in rows]
    ys = [r["valence"] for r in rows]
    d = len(names) + 1
    a = [[sum(x[i] * x[j] for x in xs) for j in range(d)] for i in range(d)]
    for i in range(1, d):
        a[i][i] += p["ridge"] * len(rows)
    b = [sum(x[i] * y for x, y in zip(xs, ys)) for i in range(d)]
    w = solve(a, b)
    return {"kind": "ridge", "features": list(names), "intercept": w[0], "coef": w[1:],
            "ridge": p["ridge"], "n_train": len(rows)}


def predict(model, row):
    y = model["intercept"] + sum(c * float(row[n]) for c, n in zip(model["coef"], model["features"]))
    return min(1.0, max(0.0, y))


out = output_dir("model")
oof, fold_rmse = [], []
k = 0
while os.path.isdir(os.path.join(feats, "cv_folds", "fold_%d" % k)):
    d = os.path.join(feats, "cv_folds", "fold_%d" % k)
    model = fit(read_jsonl(os.path.join(d, "train.jsonl")))
    val = read_jsonl(os.path.join(d, "val.jsonl"))
    preds = [predict(model, r) for r in val]
    fold_rmse.append(r6(rmse(preds, [r["valence"] for r in val])))
    oof += [{"item_id": r["item_id"], "fold": k, "pred": r6(y), "valence": r["valence"]}
            for r, y in zip(val, preds)]
    k += 1

oof.sort(key=lambda r: r["item_id"])
write_jsonl(os.path.join(out, "oof.jsonl"), oof)
write_json(os.path.join(out, "oof_metrics.json"), {
    "oof_rmse": r6(rmse([r["pred"] for r in oof], [r["valence"] for r in oof])),
    "oof_pearson": r6(pearson([r["pred"] for r in oof], [r["valence"] for r in oof])),
    "fold_rmse": fold_rmse, "n": len(oof)})

model = fit(read_jsonl(os.path.join(feats, "train.jsonl")))
model["intercept"] = r6(model["intercept"])
model["coef"] = [r6(c) for c in model["coef"]]
with open(os.path.join(out, "model.pkl"), "wb") as f:
    pickle.dump(model, f, protocol=4)
log("train: %d folds, oof rmse %s; model on %d rows, %d features"
    % (k, r6(rmse([r["pred"] for r in oof], [r["valence"] for r in oof])), model["n_train"], len(names)))
