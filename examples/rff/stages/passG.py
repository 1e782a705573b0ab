"""PassG: merges this iteration's facts and kept links into the base field: the new field.

in:  base/ (facts.jsonl, links.jsonl: the field the iteration started from),
     facts/facts.jsonl (PassM), links/links.jsonl (PassX_link)
out: field/facts.jsonl, field/links.jsonl  the merged field, sorted by id
     field/merge_metrics.json              what the merge did (read by the catalog's
                                           `metrics` view)
A fact already in the field keeps its id and gains the new documents as support.
"""
from common import inp, out, read_jsonl, write_json, write_jsonl

facts = {f["fact_id"]: f for f in read_jsonl(inp("base", "facts.jsonl"))}
links = {l["link_id"]: l for l in read_jsonl(inp("base", "links.jsonl"))}
before_facts, before_links = len(facts), len(links)
added = reinforced = 0
for f in read_jsonl(inp("facts", "facts.jsonl")):
    old = facts.get(f["fact_id"])
    if old is None:
        facts[f["fact_id"]] = f
        added += 1
    else:
        old["support"] = sorted(set(old["support"]) | set(f["support"]))
        old["confidence"] = max(old["confidence"], f["confidence"])
        reinforced += 1
for l in read_jsonl(inp("links", "links.jsonl")):
    if l["keep"]:
        links[l["link_id"]] = {k: l[k] for k in ("link_id", "src_fact", "dst_fact", "via", "score")}
write_jsonl(out("field", "facts.jsonl"), [facts[k] for k in sorted(facts)])
write_jsonl(out("field", "links.jsonl"), [links[k] for k in sorted(links)])
metrics = {"facts_before": before_facts, "facts_added": added, "facts_reinforced": reinforced,
           "facts_after": len(facts), "links_before": before_links,
           "links_added": len(links) - before_links, "links_after": len(links)}
write_json(out("field", "merge_metrics.json"), metrics)
print(f"passG: {before_facts} facts + {added} new ({reinforced} reinforced) = {len(facts)}; "
      f"links {before_links} -> {len(links)}")
