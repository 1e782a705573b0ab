"""step4-upload: what writing the trusted levels back to the DB does, as a report.

Reads  $LAKE_IN_trusted/final.csv  the merge that rarity/_current/TRUSTED points at (it got
                                   there only through the Jaccard gate)
       $LAKE_IN_db/lexicon.csv     the DB's current levels (db_level, empty when never set)
Writes $LAKE_OUT_report/step4_upload_report.csv  word_id,word,db_level,final_level,action
       with action insert (no level in the DB), update (a different level), unchanged, or
       skip_outlier (partial mode, the default: outliers are left for review)
"""
import csv
import os

with open(os.path.join(os.environ["LAKE_IN_db"], "lexicon.csv"), newline="", encoding="utf-8") as f:
    db = {r["word_id"]: r["db_level"] for r in csv.DictReader(f)}
with open(os.path.join(os.environ["LAKE_IN_trusted"], "final.csv"), newline="", encoding="utf-8") as f:
    final = list(csv.DictReader(f))
with open(os.path.join(os.environ["LAKE_OUT_report"], "step4_upload_report.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["word_id", "word", "db_level", "final_level", "action"])
    for r in final:
        old = db.get(r["word_id"], "")
        action = ("skip_outlier" if r["agreement"] == "outlier" else "insert" if old == ""
                  else "unchanged" if old == r["final_level"] else "update")
        w.writerow([r["word_id"], r["word"], old, r["final_level"], action])
print("step4-upload: %d words in the report" % len(final))
