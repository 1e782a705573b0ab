"""step2-score: a simulated LM classifies every word's rarity, 1 (everyday) to 5 (very rare).

Reads  $LAKE_IN_words/step1_words.csv  (from step1-export)
       $LAKE_IN_db/lexicon.csv         the corpus frequencies the "LM" knows
       $LAKE_PARAMS                    {"batch": N, "model": M, "seed": S}
Writes $LAKE_OUT_scores/scores.csv     word_id,word,rarity_level,tag,confidence (the run CSV)
       $LAKE_OUT_scores/lm_log.jsonl   one line per LM batch: batch, words, status, attempts

The "LM" is deterministic in (model, seed, word): no network, no clock. It reads a word's
Zipf frequency (log10 of occurrences per billion words), moves it by the model's calibration
and a little seeded noise, and cuts it into five levels. Now and then (3%) it "hallucinates" a
level with low confidence, so two runs can disagree by two levels or more: an outlier.
"""
import csv
import hashlib
import json
import math
import os

params = json.load(open(os.environ["LAKE_PARAMS"]))
MODEL, SEED, BATCH = params["model"], params["seed"], params["batch"]
CALIBRATION = {"sim-lm-ro-small": 0.0, "sim-lm-ro-large": -0.3}[MODEL]
CUTS = [5.6, 4.85, 4.02, 3.33]        # Zipf >= 5.6 is level 1, >= 4.85 level 2, ...
TAGS = {1: "core", 2: "core", 3: "standard", 4: "literary", 5: "archaic"}


def u(*parts):
    digest = hashlib.sha256("|".join(str(p) for p in (MODEL, SEED) + parts).encode()).hexdigest()
    return int(digest[:12], 16) / float(16 ** 12)


with open(os.path.join(os.environ["LAKE_IN_db"], "lexicon.csv"), newline="", encoding="utf-8") as f:
    freq = {r["word_id"]: float(r["freq_per_million"]) for r in csv.DictReader(f)}
with open(os.path.join(os.environ["LAKE_IN_words"], "step1_words.csv"), newline="", encoding="utf-8") as f:
    words = list(csv.DictReader(f))

out = os.environ["LAKE_OUT_scores"]
with open(os.path.join(out, "scores.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["word_id", "word", "rarity_level", "tag", "confidence"])
    for r in words:
        zipf = math.log10(freq[r["word_id"]]) + 3 + CALIBRATION + (u(r["word_id"], "noise") - 0.5) * 0.3
        level = 1 + sum(zipf < c for c in CUTS)
        margin = min(abs(zipf - c) for c in CUTS)
        confidence = 0.55 + min(0.44, margin * 0.8)
        if u(r["word_id"], "glitch") < 0.03:           # a hallucinated answer
            level, confidence = 1 + int(u(r["word_id"], "level") * 5), 0.3 + 0.2 * u(r["word_id"], "conf")
        tag = TAGS[level] if not (level == 5 and r["type"] != "noun") else "regional"
        w.writerow([r["word_id"], r["word"], level, tag, "%.2f" % confidence])

with open(os.path.join(out, "lm_log.jsonl"), "w", encoding="utf-8") as f:
    for b in range(0, len(words), BATCH):
        attempts = 2 if u(b, "timeout") < 0.2 else 1
        f.write(json.dumps({"attempts": attempts, "batch": b // BATCH + 1, "status": "retried" if attempts > 1 else "ok",
                            "words": len(words[b:b + BATCH])}, sort_keys=True) + "\n")
print("step2-score: %d words, model %s, seed %s" % (len(words), MODEL, SEED))
