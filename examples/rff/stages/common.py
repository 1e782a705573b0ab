"""Helpers shared by the RFF stages: stable hashing, JSON-lines I/O and the stage's params.

Everything a stage writes must be a function of its inputs and params only (no clock, no
unseeded randomness, sorted keys), so that `lake reproduce` gets the same bytes back.
"""
import hashlib
import json
import os


def h(*parts):
    """A stable 48-bit number from the parts (the same on every machine and Python)."""
    text = "|".join(str(p) for p in parts)
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


def u(*parts):
    """A stable number in [0, 1) from the parts: the example's only source of "randomness"."""
    return h(*parts) / float(16 ** 12)


def fact_id(src, rel, dst):
    """A fact is its triple: the same triple found twice is the same fact."""
    return "f-" + hashlib.sha256(f"{src}|{rel}|{dst}".encode()).hexdigest()[:10]


def params():
    with open(os.environ["LAKE_PARAMS"]) as f:
        return json.load(f)


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for row in rows:
            f.write(json.dumps(row, sort_keys=True, separators=(",", ":")) + "\n")


def write_json(path, obj):
    with open(path, "w") as f:
        f.write(json.dumps(obj, sort_keys=True, indent=2) + "\n")


def inp(name, *path):
    return os.path.join(os.environ["LAKE_IN_" + name], *path)


def out(name, *path):
    return os.path.join(os.environ["LAKE_OUT_" + name], *path)
