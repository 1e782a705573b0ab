"""PassX: extracts candidate facts (src, rel, dst) from a batch of documents.

in:  docs/docs.jsonl         one document per line: doc_id, domain, text
out: candidates/candidates.jsonl   one candidate per sentence: cand_id, doc_id, domain,
                                   src, rel, dst (null when the sentence has no object), evidence
params: extractor (a name, recorded), max_per_doc (sentences read per document)

The extractor is eager on purpose, as a small LLM would be: "seems at odds with" becomes
`contradicts` and "is used with" becomes `depends_on`. PassC judges them.
"""
import re

from common import inp, out, params, read_jsonl, write_jsonl

PATTERNS = [
    (re.compile(r"^(.+?) depends on (.+?) because .+$"), "depends_on"),
    (re.compile(r"^(.+?) contradicts (.+?):.+$"), "contradicts"),
    (re.compile(r"^(.+?) is an example of (.+)$"), "instance_of"),
    (re.compile(r"^(.+?) refines (.+)$"), "refines"),
    (re.compile(r"^(.+?) seems at odds with (.+)$"), "contradicts"),
    (re.compile(r"^(.+?) is used with (.+)$"), "depends_on"),
    (re.compile(r"^(.+?) relates to(.*)$"), "related_to"),
]

p = params()
rows = []
for doc in read_jsonl(inp("docs", "docs.jsonl")):
    sentences = re.split(r"(?<=\.)\s+", doc["text"].strip())
    for k, sentence in enumerate(sentences[: p["max_per_doc"]]):
        body = sentence.rstrip(".").strip()
        for pattern, rel in PATTERNS:
            m = pattern.match(body)
            if m:
                src = m.group(1).strip().lower()
                dst = m.group(2).strip(" .").lower() or None
                rows.append({"cand_id": f"{doc['doc_id']}.{k}", "doc_id": doc["doc_id"],
                             "domain": doc["domain"], "src": src, "rel": rel, "dst": dst,
                             "evidence": sentence})
                break
write_jsonl(out("candidates", "candidates.jsonl"), rows)
print(f"passX ({p['extractor']}): {len(rows)} candidate facts")
