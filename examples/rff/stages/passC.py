"""PassC: checks each candidate fact, as the LLM structuring pass would (simulated).

in:  candidates/candidates.jsonl (PassX)
out: evals/ok.jsonl   the facts that pass: cand_id, doc_id, domain, src, rel, dst, confidence
     evals/bad.jsonl  the ones that do not, with the candidate and its error code
params: model, prompt (names, recorded), seed (for the simulated confidence),
        repair_retry (give a failed fact the seed's one repair retry)

The checks are the stricter validators of the seed: a `contradicts` needs an explicit
"cannot both hold", a `depends_on` needs a "because", and a fact needs both endpoints.
With repair_retry, a fact that fails the first two is asked for once more, and the
(simulated) model restates it as `refines`; a fact without an endpoint stays bad.
"""
from common import inp, out, params, read_jsonl, u, write_jsonl


def check(c):
    """The validator's error code for a candidate, or None when it passes."""
    if not c["dst"]:
        return "missing_endpoint"
    if c["rel"] == "contradicts" and "cannot both hold" not in c["evidence"]:
        return "contradicts_not_explicit"
    if c["rel"] == "depends_on" and " because " not in c["evidence"]:
        return "weak_depends_on"
    return None


p = params()
ok, bad = [], []
for c in read_jsonl(inp("candidates", "candidates.jsonl")):
    error = check(c)
    repaired = error is not None and p["repair_retry"] and error != "missing_endpoint"
    if error and not repaired:
        bad.append(dict(c, error=error))
        continue
    rel = "refines" if repaired else c["rel"]
    conf = round(0.7 + 0.3 * u(p["seed"], p["prompt"], c["src"], rel, c["dst"]), 3)
    ok.append({"cand_id": c["cand_id"], "doc_id": c["doc_id"], "domain": c["domain"], "src": c["src"],
               "rel": rel, "dst": c["dst"], "confidence": conf, "repaired": repaired})
write_jsonl(out("evals", "ok.jsonl"), ok)
write_jsonl(out("evals", "bad.jsonl"), bad)
print(f"passC ({p['model']}, {p['prompt']}): {len(ok)} ok, {len(bad)} bad, "
      f"ok_rate {len(ok) / max(1, len(ok) + len(bad)):.3f}")
