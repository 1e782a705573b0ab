"""Helpers shared by the stage scripts: lake's stage interface, JSON-lines files, statistics.

Everything a stage writes is a function of its inputs and $LAKE_PARAMS: no clock, no host, no
unordered iteration, floats rounded to 6 digits. That is what lets `lake reproduce` say
`identical`.
"""
import csv
import json
import math
import os
import sys


def params():
    """The stage's params from lake.yaml, as lake hands them over ($LAKE_PARAMS)."""
    with open(os.environ["LAKE_PARAMS"]) as f:
        return json.load(f)


def input_dir(name):
    """The read-only directory of input NAME ($LAKE_IN_<NAME>)."""
    return os.environ["LAKE_IN_" + name]


def output_dir(name):
    """The empty directory for output NAME ($LAKE_OUT_<NAME>); it becomes a snapshot."""
    return os.environ["LAKE_OUT_" + name]


def log(*parts):
    """Progress goes to stderr, so that `lake run`'s table is alone on stdout."""
    print(*parts, file=sys.stderr)


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, rows):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        for row in rows:
            f.write(json.dumps(row, sort_keys=True, separators=(",", ":")) + "\n")


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, sort_keys=True, indent=2)
        f.write("\n")


def read_json(path):
    with open(path) as f:
        return json.load(f)


def read_lexicon(directory):
    """word -> kind (positive, negative, intensifier, negation, neutral)."""
    with open(os.path.join(directory, "lexicon.csv"), newline="") as f:
        return {row["word"]: row["kind"] for row in csv.DictReader(f)}


def r6(x):
    return round(float(x), 6)


def mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def rmse(pred, true):
    return math.sqrt(mean([(p - t) ** 2 for p, t in zip(pred, true)]))


def mae(pred, true):
    return mean([abs(p - t) for p, t in zip(pred, true)])


def pearson(xs, ys):
    mx, my = mean(xs), mean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else 0.0


def ranks(xs):
    """1-based ranks, ties given their average rank."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    out = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(xs, ys):
    return pearson(ranks(xs), ranks(ys))


def ece(pred, true, bins):
    """Expected calibration error of a [0, 1] regressor: over equal-width bins of the
    prediction, the share-weighted gap between mean prediction and mean label."""
    groups = {}
    for p, t in zip(pred, true):
        b = min(int(p * bins), bins - 1)
        groups.setdefault(b, []).append((p, t))
    n = len(pred)
    return sum(len(g) / n * abs(mean([p for p, _ in g]) - mean([t for _, t in g]))
               for _, g in sorted(groups.items()))
