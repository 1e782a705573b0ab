"""Stage `validate`: strict QC of the model's cards (the seed's "each example must contain target").

Reads  $LAKE_IN_raw/responses.jsonl (from `generate`)
Writes $LAKE_OUT_cards/cards.jsonl                          the cards that passed
       $LAKE_OUT_validation_errors/validation_errors.jsonl  one line per dropped card, with
       error_type in lemma_not_in_example, pos_mismatch, duplicate_sense, validation, other

Checks, in order; the first that fails names the card's error_type:
  other                 the answer is not a JSON object
  validation            a field is missing or empty, or there are fewer than two examples
  pos_mismatch          the card's part of speech is not the one requested
  lemma_not_in_example  an example does not contain the target: the headword when the card
                        has one (phrasal verbs), else the lemma or one of its forms; matched on
                        normalized text with contractions expanded (matching only: the card's
                        text is never changed)
  duplicate_sense       the definition repeats one of an earlier accepted sense of the lemma
"""
import json
import os
import re

CONTRACTIONS = {"don't": "do not", "doesn't": "does not", "didn't": "did not", "can't": "cannot",
                "won't": "will not", "it's": "it is", "i'm": "i am", "they're": "they are"}


def normalize(text):
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[a-z]+'[a-z]+", lambda m: CONTRACTIONS.get(m.group(0), m.group(0)), text)
    return " " + " ".join(re.findall(r"[a-z]+", text)) + " "


def forms(lemma):
    """The lemma and its regular inflections (enough for the simulated model's examples)."""
    w = lemma
    out = {w, w + "s", w + "es", w + "ed", w + "d", w + "ing", w + "er", w + "ly"}
    if w.endswith("e"):
        out |= {w[:-1] + "ing"}
    if w.endswith("y"):
        out |= {w[:-1] + "ies", w[:-1] + "ied", w[:-1] + "ily"}
    return out


def contains_target(card, example):
    text = normalize(example)
    if card.get("headword"):   # with a headword: it must occur in every example
        return normalize(card["headword"]) in text
    return any(" %s " % f in text for f in forms(card["lemma"].lower()))


def check(request, seen):
    try:
        card = json.loads(request["response"])
    except ValueError:
        return None, "other", "the answer is not JSON"
    if not isinstance(card, dict):
        return None, "other", "the answer is not a JSON object"
    for key in ("lemma", "pos", "definition", "examples"):
        if not card.get(key):
            return card, "validation", "missing field '%s'" % key
    examples = card["examples"]
    if not isinstance(examples, list) or len(examples) < 2 or not all(isinstance(e, str) and e for e in examples):
        return card, "validation", "needs at least two examples, got %d" % (len(examples) if isinstance(examples, list) else 0)
    if card["pos"] != request["pos"]:
        return card, "pos_mismatch", "asked for %s, got %s" % (request["pos"], card["pos"])
    for i, example in enumerate(examples, 1):
        if not contains_target(card, example):
            return card, "lemma_not_in_example", "example %d lacks '%s'" % (i, card.get("headword") or card["lemma"])
    key = (request["lemma_id"], card["definition"].strip().lower())
    if key in seen:
        return card, "duplicate_sense", "same definition as sense %d" % seen[key]
    seen[key] = request["sense"]
    return card, None, None


seen, cards, errors = {}, [], []
with open(os.path.join(os.environ["LAKE_IN_raw"], "responses.jsonl"), encoding="utf-8") as f:
    for line in f:
        request = json.loads(line)
        card, error_type, detail = check(request, seen)
        base = {"batch": request["batch"], "card_id": request["card_id"], "lemma": request["lemma"], "pos": request["pos"]}
        if error_type:
            errors.append(dict(base, error_type=error_type, detail=detail))
        else:
            card.update(base)
            cards.append(card)


def write(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")


write(os.path.join(os.environ["LAKE_OUT_cards"], "cards.jsonl"), cards)
write(os.path.join(os.environ["LAKE_OUT_validation_errors"], "validation_errors.jsonl"), errors)
print("validate: %d cards kept, %d dropped" % (len(cards), len(errors)))
