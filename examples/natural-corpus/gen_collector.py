"""A natural-corpus collector's dataset root (SEED-SYSTEMS.md, pipeline 3), simulated.

usage: python3 gen_collector.py ROOT --day N [--seed S]

Writes ROOT as the collector leaves it after its run of day N (1, 2 or 3). Deterministic in
(seed, day): every file is a function of the seed and the days up to N, so the run of day N+1
leaves day N's raw files, shards and ledger lines byte for byte as they were and adds its own
(the ledgers, pitches and logs only grow; _queues, _catalogs and the manifests are rewritten).
Every file and directory gets the day's date (06:00 UTC) as its modification time, which
`lake import` records as the time of the versions it makes.

What each day does, per the seed's output contract (seeds/002_*.txt):
  classify        _queues/{green,yellow}_targets.jsonl        the targets to acquire today
  acquire_green   raw/green/<pool>/<target>/day<N>.jsonl.gz    10 records per target
  acquire_yellow  raw/yellow/<pool>/<target>/day<N>.jsonl      9 records per target
  screen_yellow   screened_yellow/<pool>/shards/dN-00000.jsonl.gz, the records that passed;
                  _ledger/yellow_passed.jsonl and _ledger/yellow_pitched.jsonl (append only);
                  _pitches/yellow_pitch.jsonl (at most 2 pitched samples per run)
  combine         combined/<pool>/shards/dN-00000.jsonl.gz (green) and dN-00001.jsonl.gz
                  (screened yellow): records with content_sha256, pool, text; not deduplicated
  catalog         _catalogs/catalog.json, _manifests/dayN_*.json, _logs/*.log

Duplicates: every 3rd yellow record quotes a green record of its pool (same text, same
content_sha256), and on day 1 the copyleft wiki quotes a permissive book (a duplicate across
pools: the merge keeps the permissive copy). Day 2's combine job was resumed after a crash and
wrote day 1's green permissive shard again, as combined/permissive/shards/d2-00002.jsonl.gz;
day 3's run removed it. The copyleft shard d1-00001 ends with two lines a killed writer left
half written (they do not parse).
"""
import argparse
import gzip
import hashlib
import json
import os
import random
import shutil
from datetime import datetime, timezone

POOLS = ["permissive", "copyleft", "quarantine"]
TARGETS = {
    ("green", "permissive"): ["gutenberg_pd", "nasa_pd"],
    ("green", "copyleft"): ["wikipedia_ccbysa"],
    ("green", "quarantine"): ["scrape_unknown"],
    ("yellow", "permissive"): ["forum_mit"],
    ("yellow", "copyleft"): ["wiki_gfdl"],
    ("yellow", "quarantine"): ["mixed_license"],
}
LICENSES = {"permissive": "MIT/PD", "copyleft": "CC-BY-SA/GFDL", "quarantine": "unknown"}
PER_TARGET = {"green": 10, "yellow": 9}
WORDS = ("river stone light field market winter letter garden signal harbor engine paper "
         "forest bridge window silver morning station orchard lantern valley copper meadow "
         "thunder candle anchor canyon ribbon compass glacier").split()
PITCH_REASONS = ["license_unclear", "pii_detected", "too_short", "boilerplate"]
PITCH_CAP = 2


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def line(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")) + "\n"


def day_stamp(day):
    return datetime(2026, 11, day, 6, 0, 0, tzinfo=timezone.utc)


def simulate(seed, days):
    """Every record and event of days 1..days, in the order the collector made them."""
    out = {}
    green_texts = {pool: [] for pool in POOLS}
    for day in range(1, days + 1):
        rng = random.Random(f"{seed}-{day}")
        d = {"raw": {}, "screened": {p: [] for p in POOLS}, "combined": {p: [] for p in POOLS},
             "passed": [], "pitched": []}
        for bucket in ("green", "yellow"):
            for pool in POOLS:
                for target in TARGETS[(bucket, pool)]:
                    recs = []
                    for i in range(PER_TARGET[bucket]):
                        rid = f"{target}-{day}-{i:03d}"
                        if bucket == "yellow" and i % 3 == 2 and green_texts[pool]:
                            text = green_texts[pool][rng.randrange(len(green_texts[pool]))]  # a quote
                        elif bucket == "yellow" and day == 1 and pool == "copyleft" and i == 0:
                            text = green_texts["permissive"][0]  # quotes a permissive book
                        else:
                            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."
                        recs.append({"id": rid, "target_id": target, "pool": pool, "text": text,
                                     "license": LICENSES[pool], "fetched_day": day})
                        if bucket == "green":
                            green_texts[pool].append(text)
                    d["raw"][(bucket, pool, target)] = recs
        # screen_yellow: each yellow record passes, or is pitched with a reason.
        for pool in POOLS:
            for target in TARGETS[("yellow", pool)]:
                for r in d["raw"][("yellow", pool, target)]:
                    canon = {"content_sha256": sha(r["text"]), "pool": pool, "source": "yellow",
                             "target_id": target, "text": r["text"]}
                    if rng.random() < 0.2:
                        d["pitched"].append({"content_sha256": canon["content_sha256"], "day": day, "pool": pool,
                                             "reason": rng.choice(PITCH_REASONS), "record_id": r["id"],
                                             "target_id": target})
                    else:
                        d["screened"][pool].append(canon)
                        d["passed"].append({"content_sha256": canon["content_sha256"], "day": day, "pool": pool,
                                            "record_id": r["id"], "target_id": target})
        # combine: green then screened yellow, per pool, one shard each.
        for pool in POOLS:
            green = [{"content_sha256": sha(r["text"]), "pool": pool, "source": "green", "target_id": r["target_id"],
                      "text": r["text"]} for t in TARGETS[("green", pool)] for r in d["raw"][("green", pool, t)]]
            d["combined"][pool] = [green, d["screened"][pool]]
        out[day] = d
    return out


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def jsonl(records):
    return "".join(line(r) for r in records).encode()


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("--day", type=int, required=True, choices=[1, 2, 3])
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    sim = simulate(a.seed, a.day)
    root = a.root
    # The collector rewrites its whole tree from its state; only the ledgers, pitches and logs
    # carry history, and they are written from every day so far, so they only grow.
    for name in ["raw", "screened_yellow", "combined", "_queues", "_ledger", "_pitches", "_manifests",
                 "_catalogs", "_logs"]:
        shutil.rmtree(os.path.join(root, name), ignore_errors=True)
    passed, pitched, pitches, logs = [], [], [], {"acquire_green": "", "acquire_yellow": "", "screen_yellow": "", "combine": ""}
    for day in range(1, a.day + 1):
        d = sim[day]
        stamp = day_stamp(day).strftime("%Y-%m-%dT%H:%M:%SZ")
        for (bucket, pool, target), recs in d["raw"].items():
            base = os.path.join(root, "raw", bucket, pool, target)
            if bucket == "green":
                write(os.path.join(base, f"day{day}.jsonl.gz"), gz(jsonl(recs)))
            else:
                write(os.path.join(base, f"day{day}.jsonl"), jsonl(recs))
            if day == 1:
                write(os.path.join(base, "source.json"),
                      line({"target_id": target, "pool": pool, "bucket": bucket, "license": LICENSES[pool]}).encode())
            logs[f"acquire_{bucket}"] += f"{stamp} acquire_{bucket} {target}: {len(recs)} records -> raw/{bucket}/{pool}/{target}/\n"
        for pool in POOLS:
            write(os.path.join(root, "screened_yellow", pool, "shards", f"d{day}-00000.jsonl.gz"), gz(jsonl(d["screened"][pool])))
            for k, recs in enumerate(d["combined"][pool]):
                data = jsonl(recs)
                if day == 1 and pool == "copyleft" and k == 1:
                    data += b'{"content_sha256":"9f2c41","pool":"copyleft","text":"The river\n{"content_sha\n'
                write(os.path.join(root, "combined", pool, "shards", f"d{day}-{k:05d}.jsonl.gz"), gz(data))
            logs["combine"] += f"{stamp} combine {pool}: {sum(len(r) for r in d['combined'][pool])} records in 2 shards\n"
        passed += d["passed"]
        pitched += d["pitched"]
        pitches += d["pitched"][:PITCH_CAP]
        logs["screen_yellow"] += f"{stamp} screen_yellow: {len(d['passed'])} passed, {len(d['pitched'])} pitched\n"
        write(os.path.join(root, "_manifests", f"day{day}_screen_yellow.json"),
              json.dumps({"stage": "screen_yellow", "day": day, "passed": len(d["passed"]),
                          "pitched": len(d["pitched"])}, sort_keys=True, indent=2).encode() + b"\n")
    if a.day == 2:
        # The resumed combine job wrote day 1's green permissive shard a second time.
        recs = sim[1]["combined"]["permissive"][0]
        write(os.path.join(root, "combined", "permissive", "shards", "d2-00002.jsonl.gz"), gz(jsonl(recs)))
        logs["combine"] += f"{day_stamp(2).strftime('%Y-%m-%dT%H:%M:%SZ')} combine permissive: resumed after a crash; re-wrote {len(recs)} records as d2-00002\n"
    if a.day == 3:
        logs["combine"] += f"{day_stamp(3).strftime('%Y-%m-%dT%H:%M:%SZ')} combine permissive: removed d2-00002 (a resumed job's second copy of d1-00000)\n"
    write(os.path.join(root, "_ledger", "yellow_passed.jsonl"), jsonl(passed))
    write(os.path.join(root, "_ledger", "yellow_pitched.jsonl"), jsonl(pitched))
    write(os.path.join(root, "_pitches", "yellow_pitch.jsonl"), jsonl(pitches))
    today = sim[a.day]
    for bucket in ("green", "yellow"):
        write(os.path.join(root, "_queues", f"{bucket}_targets.jsonl"),
              jsonl([{"target_id": t, "pool": p, "bucket": b, "day": a.day, "difficulty_level": 1 + i % 3}
                     for i, ((b, p), ts) in enumerate(TARGETS.items()) if b == bucket for t in ts]))
    write(os.path.join(root, "_manifests", "targets_patched.yaml"),
          "".join(f"- id: {t}\n  bucket: {b}\n  pool: {p}\n" for (b, p), ts in TARGETS.items() for t in ts).encode())
    # The collector's own summary: rows per pool per stage, as it counted them.
    counts = {"day": a.day, "pools": {}}
    for pool in POOLS:
        counts["pools"][pool] = {
            "raw_green": sum(PER_TARGET["green"] for _ in TARGETS[("green", pool)]) * a.day,
            "raw_yellow": sum(PER_TARGET["yellow"] for _ in TARGETS[("yellow", pool)]) * a.day,
            "screened_yellow": sum(len(sim[d]["screened"][pool]) for d in sim),
            "combined": sum(len(r) for d in sim for r in sim[d]["combined"][pool])
            + (len(sim[1]["combined"]["permissive"][0]) if a.day == 2 and pool == "permissive" else 0),
        }
    write(os.path.join(root, "_catalogs", "catalog.json"), (json.dumps(counts, sort_keys=True, indent=2) + "\n").encode())
    for name, text in logs.items():
        write(os.path.join(root, "_logs", f"{name}.log"), text.encode())
    # Every path dated by the day of this run (lake import records it as the version's time).
    when = day_stamp(a.day).timestamp()
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for n in filenames:
            os.utime(os.path.join(dirpath, n), (when, when))
        os.utime(dirpath, (when, when))
    total = sum(len(r) for d in sim for p in POOLS for r in sim[d]["combined"][p])
    print(f"collector day {a.day} (seed {a.seed}): {len(passed)} yellow passed, {len(pitched)} pitched, "
          f"{total} combined records so far in {root}")


if __name__ == "__main__":
    main()
