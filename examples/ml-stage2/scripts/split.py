"""Stage split: leak-proof splits, as the seed's split_kfold.py.

Users, not items, are assigned: every item of a user lands in the same split (train, val or
test), and train users are spread over `folds` cross-validation folds, again whole users.
The assignment is a shuffle of the sorted user ids with params.split_seed.
"""
import os
import random

from common import input_dir, log, output_dir, params, read_jsonl, write_json, write_jsonl

p = params()
items = read_jsonl(os.path.join(input_dir("items"), "items.jsonl"))
users = sorted({i["user_id"] for i in items})
random.Random(p["split_seed"]).shuffle(users)

n_test = round(len(users) * p["test_fraction"])
n_val = round(len(users) * p["val_fraction"])
split_of, fold_of = {}, {}
for pos, user in enumerate(users):
    if pos < n_test:
        split_of[user] = "test"
    elif pos < n_test + n_val:
        split_of[user] = "val"
    else:
        split_of[user] = "train"
        fold_of[user] = (pos - n_test - n_val) % p["folds"]

out = output_dir("splits")
rows, user_counts = {}, {}
for split in ("train", "val", "test"):
    part = [dict(i, fold=fold_of[i["user_id"]]) if split == "train" else i
            for i in items if split_of[i["user_id"]] == split]
    write_jsonl(os.path.join(out, split + ".jsonl"), part)
    rows[split] = len(part)
    user_counts[split] = sum(1 for u in users if split_of[u] == split)

write_json(os.path.join(out, "manifest.json"),
           {"folds": p["folds"], "split_seed": p["split_seed"], "rows": rows, "users": user_counts})
log("split: %s rows, %s users, %d folds" % (rows, user_counts, p["folds"]))
