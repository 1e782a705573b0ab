"""step1-export: the DB export -> step1_words.csv (word_id,word,type).

Reads  $LAKE_IN_db/lexicon.csv   (word_id,word,type,freq_per_million,status,db_level): a dump of
                                  the lexicon table, committed as rarity/lexicon
Writes $LAKE_OUT_words/step1_words.csv with the active words, in word_id order.
"""
import csv
import os

with open(os.path.join(os.environ["LAKE_IN_db"], "lexicon.csv"), newline="", encoding="utf-8") as f:
    rows = [r for r in csv.DictReader(f) if r["status"] == "active"]
rows.sort(key=lambda r: int(r["word_id"]))
with open(os.path.join(os.environ["LAKE_OUT_words"], "step1_words.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["word_id", "word", "type"])
    for r in rows:
        w.writerow([r["word_id"], r["word"], r["type"]])
print("step1-export: %d active words" % len(rows))
