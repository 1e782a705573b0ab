"""step3-compare: merges two scoring runs into final_level, and lists the outliers.

Reads  $LAKE_IN_a/scores.csv, $LAKE_IN_b/scores.csv  (two step2-score runs)
Writes $LAKE_OUT_merged/final.csv     word_id,word,final_level,level_a,level_b,agreement
       $LAKE_OUT_merged/outliers.csv  word_id,word,level_a,level_b,confidence_a,confidence_b

agreement is "agree" (same level), "adjacent" (one level apart: the more confident run wins,
run a on a tie) or "outlier" (two or more apart: final_level is still the more confident
run's, and the word is listed in outliers.csv for review; step4 does not upload it).
"""
import csv
import os


def read(name):
    with open(os.path.join(os.environ["LAKE_IN_" + name], "scores.csv"), newline="", encoding="utf-8") as f:
        return {r["word_id"]: r for r in csv.DictReader(f)}


a, b = read("a"), read("b")
ids = sorted(set(a) & set(b), key=int)
out = os.environ["LAKE_OUT_merged"]
with open(os.path.join(out, "final.csv"), "w", newline="", encoding="utf-8") as f, \
        open(os.path.join(out, "outliers.csv"), "w", newline="", encoding="utf-8") as g:
    final, outliers = csv.writer(f, lineterminator="\n"), csv.writer(g, lineterminator="\n")
    final.writerow(["word_id", "word", "final_level", "level_a", "level_b", "agreement"])
    outliers.writerow(["word_id", "word", "level_a", "level_b", "confidence_a", "confidence_b"])
    for i in ids:
        ra, rb = a[i], b[i]
        la, lb = int(ra["rarity_level"]), int(rb["rarity_level"])
        ca, cb = float(ra["confidence"]), float(rb["confidence"])
        level = la if ca >= cb else lb
        agreement = "agree" if la == lb else "adjacent" if abs(la - lb) == 1 else "outlier"
        final.writerow([i, ra["word"], level, la, lb, agreement])
        if agreement == "outlier":
            outliers.writerow([i, ra["word"], la, lb, ra["confidence"], rb["confidence"]])
print("step3-compare: %d words merged" % len(ids))
