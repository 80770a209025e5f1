#!/usr/bin/env python3
"""Writes the small example datasets under ``examples/data/`` from the corpus generator.

Files (JSON Lines, one object per line, integer ``id`` first):

``story-prompts.jsonl``
    50 prompts for generation: story openings and questions about the invented world.
    ``{"id", "prompt", "kind": "story"|"question", "expected"?}``; questions carry the answer
    the world's facts give (``expected``), so the output can be checked by eye.
``corpus.jsonl``
    50 documents to score: ids 1-25 are held-out generator documents (``"kind": "real"``),
    ids 26-50 the same documents with the words of each line shuffled (``"kind": "shuffled"``,
    ``"source_id"`` names the original). A model that learned the corpus gives the real ones
    a far lower perplexity.
``reviews.jsonl``
    100 labelled sentences for zero-shot classification, 50 for sentiment and 50 for topic:
    ``{"id", "text", "label", "task", "prompt", "choices"}``. ``prompt`` is the text to score
    and ``choices`` the label continuations (mind the leading space), in the format the
    model was trained on::

        Review: <text>\\nSentiment:   -> " positive" | " negative"
        Text: <text>\\nTopic:         -> " animals" | " food" | " weather" | " sports" | " school"

Nothing here occurs in the training corpus written by ``generate.py`` with the same
``--seed``/``--world-seed``/``--size-mb`` (the training documents are regenerated in memory
to check). ``examples/data/prompts.jsonl`` is not touched (the connector's tests rely on it).

Usage::

    python3 tools/corpus/make_examples.py --out examples/data
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate as G  # noqa: E402


def write_jsonl(path: str, rows: list) -> None:
    """Writes ``rows`` as JSON Lines (UTF-8, ``\\n`` line ends)."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def story_prompts(gen: G.Generator) -> list:
    """30 story openings and 20 world questions (with the answers the world's facts give)."""
    r = gen.r
    fixed = ["Once upon a time", "One day, a little fox named Pip", "Lily went to the park.",
             "Long ago, the king of", "Tom and Sam were best friends.", "It was Mia's first day at school.",
             "One rainy day,", "There was a big tree near the forest.", "Mom said,",
             "The town of", "One sunny morning, a brave girl named Zoe"]
    rows = [{"prompt": p, "kind": "story"} for p in fixed]
    while len(rows) < 30:  # first sentence (or two) of a held-out story
        doc = gen.story()
        first = doc.split(". ")[0] + "."
        if not any(first == x["prompt"] for x in rows):
            rows.append({"prompt": first, "kind": "story"})
    seen = set()
    while len(rows) < 50:
        qa, _ = gen.world_qa()
        q, a = r.choice(qa)
        if q in seen:
            continue
        seen.add(q)
        rows.append({"prompt": f"Q: {q}\nA:", "kind": "question", "expected": a})
    return [{"id": i + 1, **row} for i, row in enumerate(rows)]


def scoring_corpus(gen: G.Generator, train_docs: set, rng: random.Random) -> list:
    """25 held-out documents and the same 25 with their words shuffled."""
    real = []
    while len(real) < 25:
        kind = ["story", "facts", "qa", "story", "sentiment"][len(real) % 5]
        doc = {"story": gen.story, "facts": gen.facts_doc, "qa": gen.qa_doc}.get(kind)
        doc = doc() if doc else gen.labelled_doc("sentiment")[0]
        if doc in train_docs or len(doc) > 700 or any(doc == d for d, _ in real):
            continue
        real.append((doc, kind))
    rows = [{"id": i + 1, "text": d, "kind": "real", "doc_kind": k} for i, (d, k) in enumerate(real)]
    for i, (d, k) in enumerate(real):
        rows.append({"id": 26 + i, "text": G_shuffle(d, rng), "kind": "shuffled", "doc_kind": k, "source_id": i + 1})
    return rows


def G_shuffle(doc: str, rng: random.Random) -> str:
    """The words of each line in random order (never the original order for lines of 3+ words)."""
    out = []
    for line in doc.split("\n"):
        words = line.split(" ")
        shuffled = words[:]
        for _ in range(10):
            rng.shuffle(shuffled)
            if shuffled != words or len(words) < 3:
                break
        out.append(" ".join(shuffled))
    return "\n".join(out)


def reviews(gen: G.Generator, train_sents: set) -> list:
    """50 sentiment and 50 topic sentences, balanced per label, none seen in training."""
    rows, seen = [], set()
    for task, labels, n in (("sentiment", G.SENTIMENT_LABELS, 50), ("topic", G.TOPIC_LABELS, 50)):
        for i in range(n):
            label = labels[i % len(labels)]
            while True:
                text = gen.sentiment_sentence(label) if task == "sentiment" else gen.topic_sentence(label)
                if text not in train_sents and text not in seen:
                    break
            seen.add(text)
            rows.append({"text": text, "label": label, "task": task,
                         "prompt": G.Generator.format_labelled(task, text, None), "choices": [" " + l for l in labels]})
    random.Random(5).shuffle(rows)
    return [{"id": i + 1, **row} for i, row in enumerate(rows)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Write examples/data/*.jsonl from the corpus generator.")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "examples", "data"))
    ap.add_argument("--seed", type=int, default=1234, help="the corpus seed (train uses it, examples use seed + 3)")
    ap.add_argument("--world-seed", type=int, default=7)
    ap.add_argument("--size-mb", type=float, default=30.0, help="size of the training corpus to stay disjoint from")
    args = ap.parse_args(argv)

    world = G.World.build(args.world_seed)
    train_docs, train_sents = set(), set()
    for _, doc, sents in G.generate_docs(G.Generator(world, random.Random(args.seed)), int(args.size_mb * 1e6)):
        train_docs.add(doc)
        train_sents.update(sents)

    os.makedirs(args.out, exist_ok=True)
    gen = G.Generator(world, random.Random(args.seed + 3))
    files = {
        "story-prompts.jsonl": story_prompts(gen),
        "corpus.jsonl": scoring_corpus(gen, train_docs, random.Random(args.seed + 4)),
        "reviews.jsonl": reviews(gen, train_sents),
    }
    for name, rows in files.items():
        write_jsonl(os.path.join(args.out, name), rows)
        print(f"{name}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
