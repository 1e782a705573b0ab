"""Stage evaluate: the candidate, as the seed's evaluate_calibration.py and the metrics report
of train_perception.py.

Predicts the held-out test users with the pickled model and writes the candidate: model.pkl
(the same bytes), predictions.jsonl and report.json with the acceptance metrics (rmse, mae,
pearson, spearman, ece, n). lake indexes report.json's numeric fields in its `metrics` view,
where the gate in lake.yaml reads them.
"""
import os
import pickle
import shutil

from common import (ece, input_dir, log, mae, output_dir, params, pearson, r6, read_json, read_jsonl,
                    rmse, spearman, write_json, write_jsonl)

p = params()
model_dir, feats = input_dir("model"), input_dir("feats")
with open(os.path.join(model_dir, "model.pkl"), "rb") as f:
    model = pickle.load(f)

test = read_jsonl(os.path.join(feats, "test.jsonl"))
preds = [min(1.0, max(0.0, model["intercept"] + sum(c * float(r[n]) for c, n in zip(model["coef"], model["features"]))))
         for r in test]
true = [r["valence"] for r in test]

out = output_dir("candidate")
shutil.copyfile(os.path.join(model_dir, "model.pkl"), os.path.join(out, "model.pkl"))
write_jsonl(os.path.join(out, "predictions.jsonl"),
            [{"item_id": r["item_id"], "user_id": r["user_id"], "pred": r6(y), "valence": r["valence"]}
             for r, y in zip(test, preds)])
report = {"variable": "valence", "split": "test", "n": len(test),
          "rmse": r6(rmse(preds, true)), "mae": r6(mae(preds, true)),
          "pearson": r6(pearson(preds, true)), "spearman": r6(spearman(preds, true)),
          "ece": r6(ece(preds, true, p["bins"])),
          "oof_rmse": read_json(os.path.join(model_dir, "oof_metrics.json"))["oof_rmse"],
          "features": len(model["features"])}
write_json(os.path.join(out, "report.json"), report)
log("evaluate: test n=%d rmse=%.4f pearson=%.3f spearman=%.3f ece=%.4f"
    % (report["n"], report["rmse"], report["pearson"], report["spearman"], report["ece"]))
