"""PassX_link: proposes cross-links from this iteration's facts into the base field, scores
them and marks which to keep (the seed's PassX_link v0 and v1 in one stage).

v0 proposes, for each new fact, up to max_links_per_fact facts of the base field that share a
concept with it (picked by a stable hash). v1 scores each link (a shared concept is worth
0.2, a second one 0.3 more, plus up to 0.6 of simulated model judgement) and keeps it when
the score reaches min_score.

in:  facts/facts.jsonl (PassM), base/facts.jsonl (the field the iteration started from)
out: links/links.jsonl  every scored link: link_id, src_fact, dst_fact, via (the shared
                        concept), score, keep (score >= min_score)
params: min_score, max_links_per_fact, seed
"""
from common import h, inp, out, params, read_jsonl, u, write_jsonl

p = params()
base = read_jsonl(inp("base", "facts.jsonl"))
by_concept = {}
for g in base:
    for c in {g["src"], g["dst"]}:
        by_concept.setdefault(c, []).append(g)

links = []
for f in read_jsonl(inp("facts", "facts.jsonl")):
    ends = {f["src"], f["dst"]}
    seen = {}
    for c in sorted(ends):
        for g in by_concept.get(c, []):
            if g["fact_id"] != f["fact_id"]:
                seen[g["fact_id"]] = g
    picked = sorted(seen, key=lambda gid: h(p["seed"], "pick", f["fact_id"], gid))[: p["max_links_per_fact"]]
    for gid in picked:
        g = seen[gid]
        shared = sorted(ends & {g["src"], g["dst"]})
        score = round(0.2 + 0.3 * (len(shared) - 1) + 0.6 * u(p["seed"], "score", f["fact_id"], gid), 4)
        links.append({"link_id": "l-%010x" % (h(f["fact_id"], gid) % 16 ** 10), "src_fact": f["fact_id"],
                      "dst_fact": gid, "via": shared[0], "score": score, "keep": score >= p["min_score"]})
links.sort(key=lambda l: l["link_id"])
write_jsonl(out("links", "links.jsonl"), links)
kept = sum(l["keep"] for l in links)
print(f"passX_link: {len(links)} links scored, {kept} kept (min_score {p['min_score']})")
