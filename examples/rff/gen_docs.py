#!/usr/bin/env python3
"""Writes one iteration's batch of generated "documents" (docs.jsonl) into a directory.

The batch is a pure function of --seed, --iteration, --docs, --statements and --noise: the
same arguments always give the same bytes. Each document states a few relations between
hard-science concepts, one sentence each. --noise is the share of sentences written the way
that trips PassC (a vague "seems at odds with", a weak "is used with", a sentence cut short);
exactly round(noise * docs * statements) of them are, spread over the batch by a stable hash.

usage: gen_docs.py --seed 7 --iteration 1 --docs 40 --statements 5 --noise 0.015 --out DIR
"""
import argparse
import hashlib
import json
import os

CONCEPTS = {
    "math": ["group", "ring", "vector space", "linear map", "eigenvalue", "matrix",
             "determinant", "prime number", "polynomial", "derivative", "integral", "limit"],
    "physics": ["energy", "momentum", "force", "mass", "velocity", "acceleration",
                "entropy", "temperature", "wave", "frequency", "electric field", "charge"],
    "chemistry": ["atom", "electron", "proton", "molecule", "covalent bond", "ion",
                  "acid", "alkali", "reaction rate", "catalyst", "equilibrium", "enthalpy"],
}

# Clean sentences, which the extractor and PassC both handle (repeats weight the choice).
CLEAN = [
    "{a} refines {b}.",
    "{a} refines {b}.",
    "{a} refines {b}.",
    "{a} depends on {b} because it is built from {b}.",
    "{a} depends on {b} because it is built from {b}.",
    "{a} is an example of {b}.",
    "{a} is an example of {b}.",
    "{a} contradicts {b}: the two cannot both hold.",
]
# Sentences that trip PassC, in the order they are handed out.
HARD = [
    "{a} seems at odds with {b}.",   # contradiction not explicit: salvage downgrades it
    "{a} is used with {b}.",         # weak dependency: salvage downgrades it
    "{a} relates to ...",            # cut short, no object: cannot be salvaged
]


def h(*parts):
    return int(hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:12], 16)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--iteration", type=int, required=True)
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--statements", type=int, default=5)
    ap.add_argument("--noise", type=float, default=0.0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    slots = [(d, k) for d in range(1, a.docs + 1) for k in range(a.statements)]
    n_hard = round(a.noise * len(slots))
    ranked = sorted(slots, key=lambda s: h(a.seed, a.iteration, s[0], s[1], "hard"))
    hard = {slot: HARD[i % len(HARD)] for i, slot in enumerate(ranked[:n_hard])}

    domains = sorted(CONCEPTS)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "docs.jsonl"), "w") as f:
        for d in range(1, a.docs + 1):
            domain = domains[h(a.seed, a.iteration, d, "domain") % len(domains)]
            words = CONCEPTS[domain]
            sentences = []
            for k in range(a.statements):
                i = h(a.seed, a.iteration, d, k, "a") % len(words)
                j = (i + 1 + h(a.seed, a.iteration, d, k, "b") % (len(words) - 1)) % len(words)
                template = hard.get((d, k)) or CLEAN[h(a.seed, a.iteration, d, k, "rel") % len(CLEAN)]
                s = template.format(a=words[i], b=words[j])
                sentences.append(s[0].upper() + s[1:])
            doc = {"doc_id": f"it{a.iteration}-d{d:03d}", "domain": domain,
                   "text": " ".join(sentences)}
            f.write(json.dumps(doc, sort_keys=True) + "\n")
    print(f"wrote {a.docs} documents ({len(slots)} statements, {n_hard} hard) to {a.out}/docs.jsonl")


if __name__ == "__main__":
    main()
