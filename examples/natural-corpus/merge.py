"""The merge stage: dedupes the combined shards by content_sha256, first seen wins.

Run by `lake run` (lake.yaml). Reads each pool named in the params from $LAKE_IN_<pool> (a
snapshot of natural/combined/<pool>), pools in the params' order, shards in path order,
lines in file order. A record whose key was seen before, in any pool, is a duplicate and
dropped; a line that is not a JSON object with the key is malformed and dropped. As in the
seed's merge worker, the seen keys live in a SQLite index on disk (here in the run's work
directory), not in memory.

Writes to $LAKE_OUT_merged:
  <pool>.jsonl   the kept records of the pool, each line as it was in its shard
  report.json    input_rows, kept, duplicates, malformed, duplicate_rate, and the same per
                 pool under pools.<pool> (numeric fields: the catalog's metrics view has them)
"""
import gzip
import json
import os
import sqlite3


def lines(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        for raw in f:
            if raw.strip():
                yield raw if raw.endswith(b"\n") else raw + b"\n"


def main():
    params = json.load(open(os.environ["LAKE_PARAMS"]))
    key = params["key"]
    out_dir = os.environ["LAKE_OUT_merged"]
    db = sqlite3.connect("dedupe.sqlite")
    db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, pool TEXT NOT NULL)")
    total = {"input_rows": 0, "kept": 0, "duplicates": 0, "malformed": 0}
    pools = {}
    for pool in params["pools"]:
        src = os.environ[f"LAKE_IN_{pool}"]
        shards = sorted(os.path.relpath(os.path.join(d, n), src) for d, _, ns in os.walk(src) for n in ns
                        if n.endswith((".jsonl", ".jsonl.gz")))
        stats = {"input_rows": 0, "kept": 0, "duplicates": 0, "malformed": 0, "shards": len(shards)}
        with open(os.path.join(out_dir, f"{pool}.jsonl"), "wb") as out:
            for shard in shards:
                for raw in lines(os.path.join(src, shard)):
                    try:
                        record = json.loads(raw)
                        value = record[key] if isinstance(record, dict) else None
                    except (ValueError, KeyError):
                        value = None
                    if not isinstance(value, str):
                        stats["malformed"] += 1
                        continue
                    stats["input_rows"] += 1
                    if db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (value, pool)).rowcount == 0:
                        stats["duplicates"] += 1
                        continue
                    stats["kept"] += 1
                    out.write(raw)
        pools[pool] = stats
        for k in total:
            total[k] += stats[k]
        print(f"merge {pool}: {stats['input_rows']} records in {len(shards)} shards, kept {stats['kept']}, "
              f"{stats['duplicates']} duplicates, {stats['malformed']} malformed lines")
    db.commit()
    report = dict(total, duplicate_rate=round(total["duplicates"] / max(total["input_rows"], 1), 4), pools=pools,
                  key=key)
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, sort_keys=True, indent=2)
        f.write("\n")
    print(f"merge: kept {total['kept']} of {total['input_rows']}, dropped {total['duplicates']} duplicates "
          f"(rate {report['duplicate_rate']})")


if __name__ == "__main__":
    main()
