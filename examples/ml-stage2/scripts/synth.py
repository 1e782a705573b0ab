"""Stage synth: mock perception data, as the seed's synth_edge_cases.py + add_mock_labels.py.

Each user writes a few short texts drawn from the lexicon; each text gets a valence label in
[0, 1] that follows its positive and negative words (flipped by a negation, strengthened by
an intensifier), plus a per-user bias and noise. Unlike the seed's mock labels, these are
correlated with the text, so a good model can pass the acceptance gate. The per-user bias is
why splits must be grouped by user: a model that saw a user in training would look better on
that user's test items than it will on new users.

Deterministic from params.seed: the same seed gives the same bytes.
"""
import os
import random

from common import input_dir, log, output_dir, params, r6, read_lexicon, write_json, write_jsonl

p = params()
rng = random.Random(p["seed"])
lexicon = read_lexicon(input_dir("lexicon"))
by_kind = {}
for word in sorted(lexicon):
    by_kind.setdefault(lexicon[word], []).append(word)

# Chance that a word is of each kind; the rest are neutral.
SHARES = [("positive", 0.20), ("negative", 0.20), ("intensifier", 0.06), ("negation", 0.04)]

items = []
for u in range(p["users"]):
    user = "u%03d" % u
    bias = rng.gauss(0.0, p["user_sd"])
    for k in range(rng.randint(p["min_items"], p["max_items"])):
        words = []
        for _ in range(rng.randint(4, 14)):
            r, kind = rng.random(), "neutral"
            for name, share in SHARES:
                if r < share:
                    kind = name
                    break
                r -= share
            words.append(rng.choice(by_kind[kind]))
        diff = sum(lexicon[w] == "positive" for w in words) - sum(lexicon[w] == "negative" for w in words)
        intens = any(lexicon[w] == "intensifier" for w in words)
        negated = any(lexicon[w] == "negation" for w in words)
        effect = 0.08 * diff * (1.5 if intens else 1.0) * (-0.5 if negated else 1.0)
        valence = min(1.0, max(0.0, 0.5 + effect + bias + rng.gauss(0.0, p["noise"])))
        items.append({"item_id": "%s-%d" % (user, k), "user_id": user,
                      "text": " ".join(words), "valence": r6(valence)})

out = output_dir("items")
write_jsonl(os.path.join(out, "items.jsonl"), items)
# manifest.json: its numeric fields become rows of lake's `metrics` view.
write_json(os.path.join(out, "manifest.json"),
           {"seed": p["seed"], "users": p["users"], "items": len(items),
            "valence_mean": r6(sum(i["valence"] for i in items) / len(items))})
log("synth: %d items from %d users, seed %d" % (len(items), p["users"], p["seed"]))
