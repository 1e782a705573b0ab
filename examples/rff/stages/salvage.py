"""Deterministic salvage: cheap rule-based repairs of PassC's bad rows, no model calls.

in:  evals/bad.jsonl (PassC)
out: salvaged/salvaged.jsonl       repaired facts, in ok.jsonl's shape, with the rule applied
     salvaged/unsalvageable.jsonl  the rest, left in quarantine with their error code
params: rules (which repairs are allowed), confidence (given to a repaired fact)

The rules are the seed's: a contradiction that is not explicit, and a dependency without
dependency language, are downgraded to `refines`. A fact without an endpoint is not guessed.
"""
from common import inp, out, params, read_jsonl, write_jsonl

REPAIRS = {
    "contradicts_not_explicit": "downgrade_contradicts",
    "weak_depends_on": "downgrade_depends_on",
}

p = params()
fixed, left = [], []
for b in read_jsonl(inp("evals", "bad.jsonl")):
    rule = REPAIRS.get(b["error"])
    if rule in p["rules"]:
        row = {k: b[k] for k in ("cand_id", "doc_id", "domain", "src", "dst")}
        fixed.append(row | {"rel": "refines", "confidence": p["confidence"], "salvage": rule})
    else:
        left.append(b)
write_jsonl(out("salvaged", "salvaged.jsonl"), fixed)
write_jsonl(out("salvaged", "unsalvageable.jsonl"), left)
print(f"salvage: {len(fixed)} repaired, {len(left)} left in quarantine")
