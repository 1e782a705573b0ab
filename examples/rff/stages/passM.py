"""PassM: materializes this iteration's facts from PassC's ok rows and the salvaged rows.

in:  evals/ok.jsonl (PassC), salvaged/salvaged.jsonl (salvage)
out: facts/facts.jsonl  one row per distinct triple: fact_id, src, rel, dst, domain,
                        support (the documents that state it), confidence, origin
params: min_confidence (facts below it are left out)
"""
from common import fact_id, inp, out, params, read_jsonl, write_jsonl

p = params()
facts = {}
rows = [(r, "passC") for r in read_jsonl(inp("evals", "ok.jsonl"))]
rows += [(r, "salvage") for r in read_jsonl(inp("salvaged", "salvaged.jsonl"))]
for r, origin in rows:
    if r["confidence"] < p["min_confidence"]:
        continue
    fid = fact_id(r["src"], r["rel"], r["dst"])
    f = facts.setdefault(fid, {"fact_id": fid, "src": r["src"], "rel": r["rel"], "dst": r["dst"],
                               "domain": r["domain"], "support": [], "confidence": 0, "origin": origin})
    f["support"] = sorted(set(f["support"]) | {r["doc_id"]})
    f["confidence"] = max(f["confidence"], r["confidence"])
    if origin == "passC":
        f["origin"] = "passC"
write_jsonl(out("facts", "facts.jsonl"), [facts[k] for k in sorted(facts)])
print(f"passM: {len(rows)} rows -> {len(facts)} distinct facts")
