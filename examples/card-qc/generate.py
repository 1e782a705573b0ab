"""Stage `generate`: a simulated LLM writes one flash card per (lemma, sense).

Reads  $LAKE_IN_lemmas/lemmas.csv   (lemma_id,lemma,pos,senses)
       $LAKE_PARAMS                 {"batch": N, "model": M, "seed": S}
Writes $LAKE_OUT_raw/responses.jsonl, one line per requested card:
       {"batch", "card_id", "lemma", "lemma_id", "pos", "response", "sense"}
where "response" is the model's raw text (normally a JSON card).

The "LLM" is a deterministic function of (seed, model, lemma, sense, position in batch):
no network, no clock, so `lake reproduce` gets the same bytes back. Like a real model it
drifts as a batch gets longer: the chance that a card is defective grows with the card's
position in its batch, so a large `batch` is cheaper but makes more QC errors.
"""
import csv
import hashlib
import json
import os

params = json.load(open(os.environ["LAKE_PARAMS"]))
SEED, BATCH, MODEL = params["seed"], params["batch"], params["model"]


def u(*parts):
    """A uniform number in [0, 1) from the parts: the model's only source of randomness."""
    digest = hashlib.sha256("|".join(str(p) for p in (SEED, MODEL) + parts).encode()).hexdigest()
    return int(digest[:12], 16) / float(16 ** 12)


EXAMPLES = {
    "noun": ["The {w} was right next to the door.", "We talked about the {w} for an hour.",
             "Every {w} in the town looked different.", "She pointed at the old {w}."],
    "verb": ["They {w} together every weekend.", "I did not want to {w} so early.",
             "You should {w} before it gets dark.", "We often {w} when the weather is good."],
    "adj": ["The room felt {w} after the guests left.", "It was a {w} answer to a hard question.",
            "He seemed {w} all evening.", "Their {w} dog waited outside."],
    "adv": ["She closed the door {w}.", "The train moved {w} through the hills.",
            "They answered {w}, without a word of doubt.", "He spoke {w} to the children."],
}
# What the model writes instead of the target when it drifts (lemma_not_in_example).
STAND_IN = {"noun": "thing", "verb": "do it", "adj": "nice", "adv": "somehow"}
OTHER_POS = {"noun": "verb", "verb": "noun", "adj": "adv", "adv": "adj"}
GLOSSES = ["an everyday meaning used in plain speech", "a figurative meaning used in stories",
           "a meaning common in work and trade", "an informal meaning heard in conversation",
           "a meaning found in instructions and manuals", "an older meaning kept in set phrases",
           "a meaning used about people and feelings", "a meaning used about places and travel"]
DEFECTS = [("lemma_not_in_example", 0.40), ("pos_mismatch", 0.20), ("duplicate_sense", 0.15),
           ("validation", 0.15), ("other", 0.10)]


def gloss(lemma, sense):
    return GLOSSES[(int(hashlib.sha256(lemma.encode()).hexdigest()[:4], 16) + sense) % len(GLOSSES)]


def card_text(lemma, pos, sense, position):
    """The model's raw answer for one card."""
    multiword = " " in lemma
    templates = EXAMPLES[pos]
    start = int(u(lemma, sense, "tpl") * len(templates))
    examples = [templates[(start + i) % len(templates)].format(w=lemma) for i in range(2)]
    card = {"lemma": lemma, "pos": pos, "sense": sense,
            "definition": "%s: %s" % (lemma, gloss(lemma, sense)), "examples": examples}
    if multiword:
        card["headword"] = lemma
    # The chance of a defect grows along the batch: 1% for the first card, +0.3% per position.
    defect = None
    if u(lemma, sense, "defect?") < 0.01 + 0.003 * position:
        x, acc = u(lemma, sense, "which"), 0.0
        for name, weight in DEFECTS:
            acc += weight
            if x < acc:
                defect = name
                break
        if defect == "duplicate_sense" and sense == 1:
            defect = "lemma_not_in_example"   # nothing to duplicate yet
    if defect == "lemma_not_in_example":
        if multiword:   # a split phrasal verb: "look it up" does not contain "look up"
            verb, particle = lemma.split(" ", 1)
            bad = examples[1].replace(lemma, "%s it %s" % (verb, particle))
        else:
            bad = examples[1].replace(lemma, STAND_IN[pos])
        card["examples"] = [examples[0], bad]
    elif defect == "pos_mismatch":
        card["pos"] = OTHER_POS[pos]
    elif defect == "duplicate_sense":
        card["definition"] = "%s: %s" % (lemma, gloss(lemma, 1))
    elif defect == "validation":
        card["examples"] = examples[:1]   # the schema asks for two examples
    text = json.dumps(card, sort_keys=True, ensure_ascii=False)
    if defect == "other":
        text = text[: len(text) // 2]     # the answer was cut off mid-JSON
    return text


requests = []
with open(os.path.join(os.environ["LAKE_IN_lemmas"], "lemmas.csv"), newline="") as f:
    for row in csv.DictReader(f):
        for sense in range(1, int(row["senses"]) + 1):
            requests.append((int(row["lemma_id"]), row["lemma"], row["pos"], sense))

out = os.path.join(os.environ["LAKE_OUT_raw"], "responses.jsonl")
with open(out, "w", encoding="utf-8") as f:
    for i, (lemma_id, lemma, pos, sense) in enumerate(requests):
        batch, position = i // BATCH + 1, i % BATCH
        f.write(json.dumps({"batch": batch, "card_id": "%03d-%d" % (lemma_id, sense), "lemma": lemma,
                            "lemma_id": lemma_id, "pos": pos, "response": card_text(lemma, pos, sense, position),
                            "sense": sense}, sort_keys=True, ensure_ascii=False) + "\n")
print("generate: %d cards in %d batches of up to %d (model %s, seed %s)"
      % (len(requests), (len(requests) + BATCH - 1) // BATCH, BATCH, MODEL, SEED))
